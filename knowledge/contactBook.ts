import { checkContact, type ContactField, type ContactInput } from './contactRules.js';
import type { Contact, ContactRepository, Organisation, OrganisationRepository } from './organisations.js';
import type { RaRights } from './raRights.js';

/** What a change to the local contacts came to. Refusals are values the dialog explains, not exceptions. */
export type ContactChange =
  | { readonly ok: true; readonly contact: Contact; readonly organisation: Organisation }
  | { readonly ok: false; readonly reason: 'not-allowed' | 'no-organisation' | 'gone' }
  | { readonly ok: false; readonly reason: 'invalid'; readonly errors: Partial<Record<ContactField, string>> };

/** What the contact book needs. */
export interface ContactBookDeps {
  readonly organisations: OrganisationRepository;
  readonly contacts: ContactRepository;
  readonly rights: RaRights;
  readonly now: () => Date;
  readonly newId: () => string;
}

/**
 * Adds, changes and removes local contacts for RA team members. Every call checks, on the server, that the
 * person acting is an RA admin or a member of the team that serves the organisation.
 */
export class ContactBook {
  constructor(private readonly deps: ContactBookDeps) {}

  /** Whether this person may change the contacts of this organisation (one the caller has just read). */
  mayEdit(editor: string | undefined, organisation: Organisation): boolean {
    return this.allowed(editor, organisation);
  }

  /** The same question, with why not. */
  async rights(editor: string | undefined, code: string): Promise<'allowed' | 'not-allowed' | 'no-organisation'> {
    const organisation = await this.deps.organisations.get(code);
    if (!organisation) return 'no-organisation';
    return this.allowed(editor, organisation) ? 'allowed' : 'not-allowed';
  }

  /** Adds a contact (no `id`) or changes one, after checking rights and fields. */
  async save(editor: string | undefined, code: string, id: string | undefined, input: ContactInput): Promise<ContactChange> {
    const organisation = await this.deps.organisations.get(code);
    if (!organisation) return { ok: false, reason: 'no-organisation' };
    if (!this.allowed(editor, organisation)) return { ok: false, reason: 'not-allowed' };
    const existing = id ? await this.deps.contacts.get(id) : undefined;
    if (id && (!existing || existing.odsCode !== code)) return { ok: false, reason: 'gone' };
    const checked = checkContact(input);
    if (!checked.ok) return { ok: false, reason: 'invalid', errors: checked.errors };
    const contact: Contact = {
      id: existing?.id ?? this.deps.newId(),
      odsCode: code,
      ...checked.fields,
      confirmedAt: this.deps.now().toISOString(),
      confirmedBy: editor ?? '',
    };
    await this.deps.contacts.putAll([contact]);
    return { ok: true, contact, organisation };
  }

  /** Removes a contact of this organisation. */
  async remove(editor: string | undefined, code: string, id: string): Promise<ContactChange> {
    const organisation = await this.deps.organisations.get(code);
    if (!organisation) return { ok: false, reason: 'no-organisation' };
    if (!this.allowed(editor, organisation)) return { ok: false, reason: 'not-allowed' };
    const existing = await this.deps.contacts.get(id);
    if (!existing || existing.odsCode !== code) return { ok: false, reason: 'gone' };
    if (!(await this.deps.contacts.remove(id))) return { ok: false, reason: 'gone' };
    return { ok: true, contact: existing, organisation };
  }

  private allowed(editor: string | undefined, organisation: Organisation): boolean {
    return this.deps.rights.forOrganisation(editor, organisation);
  }
}
