import path from 'node:path';
import { OrganisationIndex } from '../../knowledge/organisationIndex.js';
import type { Contact, ContactRepository, Organisation, OrganisationRepository } from '../../knowledge/organisations.js';
import { define, LowdbDocument } from './lowdbDocument.js';

/** The organisations file: code to organisation. */
export interface OrganisationsData {
  organisations: Record<string, Organisation>;
}

/** The contacts file: id to contact. */
export interface ContactsData {
  contacts: Record<string, Contact>;
}

/** Organisations in one lowdb document, with a search index built on first use and rebuilt after changes. */
export class LowdbOrganisations implements OrganisationRepository {
  private index: { generation: number; index: OrganisationIndex } | undefined;

  constructor(private readonly document: LowdbDocument<OrganisationsData>) {}

  get(code: string): Promise<Organisation | undefined> {
    return this.document.read((data) => (Object.hasOwn(data.organisations, code) ? data.organisations[code] : undefined));
  }

  getMany(codes: readonly string[]): Promise<Map<string, Organisation>> {
    return this.document.read((data) => {
      const found = new Map<string, Organisation>();
      for (const code of codes) {
        const org = Object.hasOwn(data.organisations, code) ? data.organisations[code] : undefined;
        if (org) found.set(code, org);
      }
      return found;
    });
  }

  search(query: string, limit: number): Promise<Organisation[]> {
    return this.document.read((data) => {
      if (this.index?.generation !== this.document.generation) {
        this.index = { generation: this.document.generation, index: new OrganisationIndex(Object.values(data.organisations)) };
      }
      return this.index.index.search(query, limit);
    });
  }

  async putAll(organisations: readonly Organisation[]): Promise<void> {
    if (organisations.length === 0) return;
    await this.document.change((data) => {
      for (const org of organisations) define(data.organisations, org.code, org);
    });
  }

  count(): Promise<number> {
    return this.document.read((data) => Object.keys(data.organisations).length);
  }

  /** Builds the search index now rather than on the first search. */
  async warm(): Promise<void> {
    await this.search('warm', 1);
  }

  flush(): Promise<void> {
    return this.document.flush();
  }
}

/** Local contacts in one lowdb document. */
export class LowdbContacts implements ContactRepository {
  constructor(private readonly document: LowdbDocument<ContactsData>) {}

  forOrganisation(code: string): Promise<Contact[]> {
    return this.document.read((data) => Object.values(data.contacts).filter((c) => c.odsCode === code));
  }

  get(id: string): Promise<Contact | undefined> {
    return this.document.read((data) => (Object.hasOwn(data.contacts, id) ? data.contacts[id] : undefined));
  }

  async putAll(contacts: readonly Contact[]): Promise<void> {
    if (contacts.length === 0) return;
    await this.document.change((data) => {
      for (const contact of contacts) define(data.contacts, contact.id, contact);
    });
  }

  remove(id: string): Promise<boolean> {
    return this.document.change((data) => {
      if (!Object.hasOwn(data.contacts, id)) return false;
      delete data.contacts[id];
      return true;
    });
  }

  flush(): Promise<void> {
    return this.document.flush();
  }
}

/** Opens the directory's two files in `dataDir`: organisations change on import, contacts from Teams. */
export async function openLowdbDirectory(dataDir: string): Promise<{ organisations: LowdbOrganisations; contacts: LowdbContacts }> {
  const organisations = await LowdbDocument.open<OrganisationsData>(
    path.join(dataDir, 'organisations.json'),
    { organisations: {} },
    (d) => record(d, 'organisations', 'organisations.json'),
    // A whole country's extract, written by the importer: indentation would add a third to its size and load time.
    { compact: true },
  );
  const contacts = await LowdbDocument.open<ContactsData>(path.join(dataDir, 'contacts.json'), { contacts: {} }, (d) =>
    record(d, 'contacts', 'contacts.json'),
  );
  return { organisations: new LowdbOrganisations(organisations), contacts: new LowdbContacts(contacts) };
}

/** In-memory repositories, for tests and the command line's throwaway runs. */
export function memoryDirectory(): { organisations: LowdbOrganisations; contacts: LowdbContacts } {
  return {
    organisations: new LowdbOrganisations(LowdbDocument.inMemory<OrganisationsData>({ organisations: {} })),
    contacts: new LowdbContacts(LowdbDocument.inMemory<ContactsData>({ contacts: {} })),
  };
}

function record<K extends string, T>(data: T, key: K, file: string): T {
  const value: unknown = (data as Record<string, unknown> | null)?.[key];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${file} is not a directory file: it has no "${key}" object`);
  }
  return data;
}
