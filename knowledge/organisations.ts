/** What an organisation in the directory is, as far as smartcards care. */
export const organisationKinds = [
  'pharmacy',
  'gp-practice',
  'prescribing-centre',
  'pharmacy-hq',
  'trust',
  'trust-site',
  'icb',
  'sub-icb',
  'other',
] as const;
export type OrganisationKind = (typeof organisationKinds)[number];

export const organisationKindTitles: Readonly<Record<OrganisationKind, string>> = {
  pharmacy: 'Community pharmacy',
  'gp-practice': 'GP practice',
  'prescribing-centre': 'Prescribing cost centre',
  'pharmacy-hq': 'Pharmacy head office',
  trust: 'NHS trust',
  'trust-site': 'NHS trust site',
  icb: 'Integrated care board (ICB)',
  'sub-icb': 'Sub-ICB location (formerly CCG)',
  other: 'Organisation',
};

/** One organisation from an ODS extract or the ODS API. Codes are upper case. */
export interface Organisation {
  readonly code: string;
  readonly name: string;
  readonly kind: OrganisationKind;
  /** Address lines without the postcode, as ODS gives them (title case is not guaranteed). */
  readonly address: readonly string[];
  /** Normalised with one space before the inward code ("BH12 5AG"), when known. */
  readonly postcode?: string | undefined;
  /** ICB code (QVV), when known. */
  readonly icb?: string | undefined;
  /** Sub-ICB location code (11J), when known. */
  readonly subIcb?: string | undefined;
  /** Pharmacy head office code, for pharmacies. */
  readonly parent?: string | undefined;
  readonly open: boolean;
  /** YYYY-MM-DD, for a closed organisation when ODS gives the date. */
  readonly closedOn?: string | undefined;
  /** Where the record came from. */
  readonly source: 'epraccur' | 'edispensary' | 'ord';
  /** When the record was imported or fetched (ISO timestamp). */
  readonly updatedAt: string;
}

/** The local roles that help with smartcards at an organisation. */
export const contactRoles = ['sponsor', 'lsa', 'ra-agent', 'id-checker'] as const;
export type ContactRole = (typeof contactRoles)[number];

export const contactRoleTitles: Readonly<Record<ContactRole, { readonly one: string; readonly many: string }>> = {
  sponsor: { one: 'Sponsor', many: 'Sponsors' },
  lsa: { one: 'Local Smartcard Administrator', many: 'Local Smartcard Administrators' },
  'ra-agent': { one: 'RA Agent', many: 'RA Agents' },
  'id-checker': { one: 'RA Agent ID Checker', many: 'RA Agent ID Checkers' },
};

/** A person in a local smartcard role at one organisation, with their work contact details. */
export interface Contact {
  readonly id: string;
  readonly odsCode: string;
  readonly role: ContactRole;
  readonly name: string;
  readonly email?: string | undefined;
  readonly phone?: string | undefined;
  /** When an RA team member or an import last confirmed the entry (ISO timestamp). */
  readonly confirmedAt: string;
  /** "import", or the AAD object id of the RA team member who last changed it. */
  readonly confirmedBy: string;
}

/** Where organisations are kept. Implementations hold a whole country (about 30,000) comfortably. */
export interface OrganisationRepository {
  get(code: string): Promise<Organisation | undefined>;
  /** The organisations held for these codes, in one read (an import checks a whole country at once). */
  getMany(codes: readonly string[]): Promise<Map<string, Organisation>>;
  /** Fuzzy search by name, town or postcode, best first. */
  search(query: string, limit: number): Promise<Organisation[]>;
  /** Adds or replaces every organisation given, by code, all or none. */
  putAll(organisations: readonly Organisation[]): Promise<void>;
  count(): Promise<number>;
}

/** Where local contacts are kept. */
export interface ContactRepository {
  forOrganisation(code: string): Promise<Contact[]>;
  get(id: string): Promise<Contact | undefined>;
  /** Adds or replaces every contact given, by id, all or none. */
  putAll(contacts: readonly Contact[]): Promise<void>;
  /** Removes a contact; false when there was none with that id. */
  remove(id: string): Promise<boolean>;
}

/** An organisation the live ODS service returned, or why there is none. */
export type OrganisationFetch =
  | { readonly kind: 'found'; readonly organisation: Organisation }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'unavailable'; readonly reason: string };

/** A live source of organisations for codes not in the directory (the ODS ORD API). */
export interface OrganisationSource {
  fetch(code: string): Promise<OrganisationFetch>;
}

/** "bh12  5ag" to "BH12 5AG"; undefined when the text is not a UK postcode. */
export function normalisePostcode(text: string): string | undefined {
  const compact = text.toUpperCase().replace(/\s+/g, '');
  const match = /^([A-Z]{1,2}\d[A-Z\d]?)(\d[A-Z]{2})$/.exec(compact);
  return match ? `${match[1]} ${match[2]}` : undefined;
}

/** The outward code of a postcode or district ("BH12 5AG" and "bh12" give "BH12"). */
export function postcodeDistrict(text: string): string | undefined {
  const full = normalisePostcode(text);
  if (full) return full.split(' ')[0];
  const compact = text.toUpperCase().replace(/\s+/g, '');
  return /^[A-Z]{1,2}\d[A-Z\d]?$/.test(compact) ? compact : undefined;
}
