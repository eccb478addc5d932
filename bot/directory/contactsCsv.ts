import { checkContact, type ContactField, type ContactFields } from '../../knowledge/contactRules.js';
import { readOdsCode } from '../../knowledge/odsCodes.js';
import { contactRoleTitles } from '../../knowledge/organisations.js';
import { limitProblems, quoted, readCsvRecords } from './odsExtract.js';
import type { LineProblem } from './odsExtract.js';

/** One contact from an uploaded contacts file, checked and normalised, with the line it came from. */
export interface ContactRow extends ContactFields {
  readonly line: number;
  readonly odsCode: string;
}

/** The contacts in an uploaded file, or every problem that stops it being imported. */
export type ContactsCsvResult = { readonly ok: true; readonly rows: ContactRow[] } | { readonly ok: false; readonly problems: LineProblem[] };

const header = 'ods_code,role,name,email,phone';
const columnCount = 5;
const whitespace = /\s+/g;
/** Reads the contacts file an RA team uploads (`ods_code,role,name,email,phone`), one contact per line. */
export function parseContactsCsv(text: string): ContactsCsvResult {
  const { records, problems } = readCsvRecords(text);
  const [first, ...contacts] = records;
  if (first === undefined && problems.length === 0) return { ok: false, problems: [{ line: 0, problem: 'the file has no contacts' }] };
  if (first !== undefined && first.fields.map((field) => field.trim().toLowerCase()).join(',') !== header) {
    // Without the header there is no knowing which column is which, so the lines below are not checked.
    problems.push({ line: first.line, problem: `the first line must be the header ${header}, not ${quoted(first.fields.join(','))}` });
    return { ok: false, problems: limitProblems(problems) };
  }
  if (contacts.length === 0 && problems.length === 0) return { ok: false, problems: [{ line: 0, problem: 'the file has no contacts' }] };

  const rows: ContactRow[] = [];
  const firstLineOf = new Map<string, number>();
  for (const { line, fields } of contacts) {
    if (fields.length !== columnCount) {
      problems.push({ line, problem: `has ${fields.length} ${fields.length === 1 ? 'column' : 'columns'}; a contacts file has ${columnCount} (${header})` });
      continue;
    }
    const [typedCode = '', typedRole = '', name = '', typedEmail = '', typedPhone = ''] = fields.map((field) => field.trim());
    const before = problems.length;

    const reading = readOdsCode(typedCode);
    if (!reading.ok) problems.push({ line, problem: typedCode === '' ? `the ODS code is empty. ${reading.problem}` : reading.problem });
    else if (reading.shape === 'locum') problems.push({ line, problem: 'FFFFF is the virtual locum organisation; it has no local contacts' });

    // The same rules as the contact form in Teams, so a contact is valid wherever it was entered.
    const checked = checkContact({ role: typedRole, name, email: typedEmail, phone: typedPhone });
    if (!checked.ok) {
      const typed: Record<ContactField, string> = { role: typedRole, name, email: typedEmail, phone: typedPhone };
      for (const [field, message] of Object.entries(checked.errors) as [ContactField, string][]) {
        problems.push({ line, problem: `${field} ${quoted(typed[field])}: ${message}` });
      }
    }

    // A duplicate is reported even when the email or phone is also wrong, so one upload shows every problem.
    const who = checked.ok ? checked : checkContact({ role: typedRole, name, email: '', phone: '' });
    if (reading.ok && who.ok) {
      const { role } = who.fields;
      // Case and spacing differences in a name are the same person typed twice, not a second contact.
      const key = `${reading.code} ${role} ${who.fields.name.replace(whitespace, ' ').toLowerCase()}`;
      const earlier = firstLineOf.get(key);
      if (earlier === undefined) firstLineOf.set(key, line);
      else problems.push({ line, problem: `${quoted(name)} is already listed as ${contactRoleTitles[role].one} for ${reading.code} on line ${earlier}` });
    }

    if (problems.length !== before || !reading.ok || !checked.ok) continue;
    rows.push({ line, odsCode: reading.code, ...checked.fields });
  }

  return problems.length > 0 ? { ok: false, problems: limitProblems(problems) } : { ok: true, rows };
}
