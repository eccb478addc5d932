import { randomUUID } from 'node:crypto';
import type { Contact, ContactRepository, Organisation, OrganisationRepository } from '../../knowledge/organisations.js';
import { parseContactsCsv } from './contactsCsv.js';
import { parseOdsExtract, type LineProblem } from './odsExtract.js';

/** What an import did, or would do with --dry-run. */
export type ImportReport =
  | { readonly ok: false; readonly problems: readonly LineProblem[] }
  | {
      readonly ok: true;
      readonly dryRun: boolean;
      readonly kind: 'epraccur' | 'edispensary' | 'contacts';
      readonly added: number;
      readonly changed: number;
      readonly unchanged: number;
    };

/**
 * Imports an ODS extract (epraccur or edispensary). All or nothing: any bad line rejects the file and nothing is
 * written. Importing the same file again changes nothing, so records keep their import date.
 */
export async function importOdsExtract(
  text: string,
  organisations: OrganisationRepository,
  options: { readonly dryRun: boolean; readonly now: Date },
): Promise<ImportReport> {
  const parsed = parseOdsExtract(text, options.now);
  if (!parsed.ok) return { ok: false, problems: parsed.problems };
  let added = 0;
  let unchanged = 0;
  const writes: Organisation[] = [];
  const held = await organisations.getMany(parsed.organisations.map((o) => o.code));
  for (const org of parsed.organisations) {
    const existing = held.get(org.code);
    if (!existing) added++;
    else if (sameOrganisation(existing, org)) {
      unchanged++;
      continue;
    }
    writes.push(org);
  }
  if (!options.dryRun) await organisations.putAll(writes);
  return { ok: true, dryRun: options.dryRun, kind: parsed.source, added, changed: writes.length - added, unchanged };
}

/**
 * Imports local contacts (`ods_code,role,name,email,phone`). A contact already held for the same organisation, role
 * and name is updated rather than duplicated, and every contact in the file counts as confirmed on the import date.
 * Contacts not in the file are kept: a file adds and confirms, it never removes. All or nothing, as for extracts.
 */
export async function importContacts(
  text: string,
  repositories: { readonly organisations: OrganisationRepository; readonly contacts: ContactRepository },
  options: { readonly dryRun: boolean; readonly now: Date },
): Promise<ImportReport> {
  const parsed = parseContactsCsv(text);
  if (!parsed.ok) return { ok: false, problems: parsed.problems };
  const problems: LineProblem[] = [];
  const writes: Contact[] = [];
  let added = 0;
  let unchanged = 0;
  const confirmedAt = options.now.toISOString();
  const held = new Map<string, Contact[]>();
  for (const row of parsed.rows) {
    if (!(await repositories.organisations.get(row.odsCode))) {
      problems.push({ line: row.line, problem: `${row.odsCode} is not in the directory: import the ODS extract that lists it first, or check the code` });
      continue;
    }
    if (!held.has(row.odsCode)) held.set(row.odsCode, await repositories.contacts.forOrganisation(row.odsCode));
    const existing = held.get(row.odsCode)?.find((c) => c.role === row.role && c.name.toLowerCase() === row.name.toLowerCase());
    const contact: Contact = {
      id: existing?.id ?? randomUUID(),
      odsCode: row.odsCode,
      role: row.role,
      name: row.name,
      email: row.email,
      phone: row.phone,
      confirmedAt,
      confirmedBy: 'import',
    };
    if (!existing) added++;
    else if (existing.name === contact.name && existing.email === contact.email && existing.phone === contact.phone) unchanged++;
    writes.push(contact);
  }
  if (problems.length > 0) return { ok: false, problems };
  if (!options.dryRun) await repositories.contacts.putAll(writes);
  return { ok: true, dryRun: options.dryRun, kind: 'contacts', added, changed: writes.length - added - unchanged, unchanged };
}

function sameOrganisation(a: Organisation, b: Organisation): boolean {
  const { updatedAt: _a, ...left } = a;
  const { updatedAt: _b, ...right } = b;
  return JSON.stringify(normalised(left)) === JSON.stringify(normalised(right));
}

// Missing and undefined fields compare equal, and key order does not matter.
function normalised(record: object): [string, unknown][] {
  return Object.entries(record)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => a.localeCompare(b));
}
