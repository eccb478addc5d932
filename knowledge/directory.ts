import { readOdsCode, type CodeShape } from './odsCodes.js';
import {
  contactRoles,
  normalisePostcode,
  type Contact,
  type ContactRepository,
  type ContactRole,
  type Organisation,
  type OrganisationRepository,
  type OrganisationSource,
} from './organisations.js';
import type { Placing, RaTeamDirectory, RaTeamMatch } from './raTeams.js';
import { areaNamedIn, type WorkplaceKind } from './workplace.js';

/** The RA team for an organisation and how its area was told; undefined team when the area cannot be told. */
export type TeamFinding = (RaTeamMatch & { readonly placing: Placing }) | undefined;

/** What a look-up by code found. Unknown and invalid codes are answers, not errors. */
export type Lookup =
  | { readonly kind: 'invalid'; readonly problem: string }
  | { readonly kind: 'locum'; readonly code: string }
  | {
      readonly kind: 'found';
      readonly organisation: Organisation;
      readonly contacts: readonly Contact[];
      readonly team: TeamFinding;
      /** True when the record came from the live ODS service just now. */
      readonly live: boolean;
    }
  | {
      readonly kind: 'unknown';
      readonly code: string;
      readonly shape: CodeShape;
      /** What the live ODS service said, when it was asked. */
      readonly live: 'off' | 'not-found' | 'unavailable';
    };

/** The directory's notes for the log: never personal data. */
export interface DirectoryEvents {
  liveUnavailable(code: string, reason: string): void;
  cacheFailed(code: string, error: unknown): void;
}

/** What the directory needs: its stores, the RA teams, and optionally the live ODS service. */
export interface DirectoryDeps {
  readonly organisations: OrganisationRepository;
  readonly contacts: ContactRepository;
  readonly teams: RaTeamDirectory;
  readonly live?: OrganisationSource | undefined;
  readonly events?: DirectoryEvents | undefined;
}

/** Finds organisations, their local contacts and the RA team that serves them. */
export class Directory {
  constructor(private readonly deps: DirectoryDeps) {}

  get teams(): RaTeamDirectory {
    return this.deps.teams;
  }

  /** Looks up what someone typed as a code: checks the format, then the directory, then (when configured) ODS live. */
  async lookup(typed: string): Promise<Lookup> {
    const reading = readOdsCode(typed);
    if (!reading.ok) return { kind: 'invalid', problem: reading.problem };
    if (reading.shape === 'locum') return { kind: 'locum', code: reading.code };
    const stored = await this.deps.organisations.get(reading.code);
    if (stored) return this.found(stored, false);
    if (!this.deps.live) return { kind: 'unknown', code: reading.code, shape: reading.shape, live: 'off' };
    const fetched = await this.deps.live.fetch(reading.code);
    if (fetched.kind === 'found') {
      // A cached copy saves asking again; failing to keep it must not cost the user the answer.
      await this.deps.organisations.putAll([fetched.organisation]).catch((error: unknown) => this.deps.events?.cacheFailed(reading.code, error));
      return this.found(fetched.organisation, true);
    }
    if (fetched.kind === 'unavailable') this.deps.events?.liveUnavailable(reading.code, fetched.reason);
    return { kind: 'unknown', code: reading.code, shape: reading.shape, live: fetched.kind };
  }

  /** Organisations whose name, town or postcode match, best first. */
  search(text: string, limit = 5): Promise<Organisation[]> {
    return this.deps.organisations.search(text, limit);
  }

  /** The organisation's local contacts, in role order then by name. */
  async contactsOf(code: string): Promise<Contact[]> {
    const contacts = await this.deps.contacts.forOrganisation(code);
    return contacts.sort((a, b) => contactRoles.indexOf(a.role) - contactRoles.indexOf(b.role) || a.name.localeCompare(b.name));
  }

  /**
   * The RA team for a workplace from what someone typed about where it is: a postcode, an ICB or sub-ICB code,
   * or a place name. Undefined when none of those can be told from the text.
   */
  teamForPlace(kind: WorkplaceKind, text: string): TeamFinding {
    const code = text.trim().toUpperCase();
    const postcode = normalisePostcode(text);
    const placing =
      this.deps.teams.placeOf({ subIcb: code, postcode: postcode ?? (/^[A-Z]{1,2}\d[A-Z\d]?$/.test(code) ? code : undefined) }) ??
      (/^Q[A-Z0-9]{2}$/.test(code) ? this.deps.teams.placeOf({ icb: code }) : undefined);
    if (placing) return { ...this.deps.teams.forWorkplace(kind, placing.area), placing };
    const named = areaNamedIn(text);
    return named ? { ...this.deps.teams.forWorkplace(kind, named), placing: { area: named, by: 'name' } } : undefined;
  }

  private async found(organisation: Organisation, live: boolean): Promise<Lookup> {
    return { kind: 'found', organisation, contacts: await this.contactsOf(organisation.code), team: this.deps.teams.forOrganisation(organisation), live };
  }
}

/** Contacts in one role, for showing. */
export function inRole(contacts: readonly Contact[], role: ContactRole): Contact[] {
  return contacts.filter((c) => c.role === role);
}
