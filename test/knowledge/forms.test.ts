import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { checkForm, describeForm, inputLength, parseForms, type FormCheck, type FormDefinition } from '../../knowledge/forms.js';
import { parseRaTeams } from '../../knowledge/raTeams.js';
import { KnowledgeError, parseSources } from '../../knowledge/sources.js';
import { optionLists } from '../../knowledge/venues.js';
import { badForm } from '../support/forms.js';

const formsDir = fileURLToPath(new URL('../../knowledge/forms', import.meta.url));
const sources = parseSources(JSON.parse(readFileSync(fileURLToPath(new URL('../../knowledge/data/sources.json', import.meta.url)), 'utf8')) as unknown);
const lists = optionLists(parseRaTeams(JSON.parse(readFileSync(fileURLToPath(new URL('../../knowledge/data/raTeams.json', import.meta.url)), 'utf8')) as unknown, sources));
const files = readdirSync(formsDir)
  .filter((n) => n.endsWith('.yaml'))
  .sort()
  .map((n) => ({ file: `forms/${n}`, data: parseYaml(readFileSync(path.join(formsDir, n), 'utf8')) as unknown }));

/** Every date rule is checked against this day. */
const now = new Date('2026-11-21T10:00:00Z');

/** A submission each form accepts, as someone might type it, and what it is stored as. */
const valid: Readonly<Record<string, { readonly typed: Record<string, unknown>; readonly stored: Record<string, string>; readonly urgent: boolean }>> = {
  'lost-card': {
    typed: { what: 'stolen', holderName: ' Jo Bloggs ', uuid: '1234 5678 9012', odsCode: 'fa 123', noticed: '2026-11-20', replacement: 'true', details: 'Taken from the counter.' },
    stored: { what: 'stolen', holderName: 'Jo Bloggs', uuid: '123456789012', odsCode: 'FA123', noticed: '2026-11-20', replacement: 'true', details: 'Taken from the counter.' },
    urgent: true,
  },
  'general-question': {
    typed: { question: 'Can a Sponsor unlock their own card?', odsCode: 'a81001', phone: '+44 1202 123456' },
    stored: { question: 'Can a Sponsor unlock their own card?', odsCode: 'A81001', phone: '01202 123456' },
    urgent: false,
  },
  'new-user': {
    typed: { fullName: 'Jo Anne Bloggs', email: 'Jo.Bloggs@NHS.net', odsCode: 'FA123', role: 'Pharmacist', startDate: '2026-12-01', scr: 'true', gphc: '2012 345' },
    stored: { fullName: 'Jo Anne Bloggs', email: 'jo.bloggs@nhs.net', odsCode: 'FA123', role: 'Pharmacist', startDate: '2026-12-01', scr: 'true', gphc: '2012345' },
    urgent: false,
  },
  'id-checks': {
    typed: {
      fullName: 'Jo Anne Bloggs',
      dateOfBirth: '1990-05-17',
      seenInPerson: 'true',
      doc1Type: 'passport',
      doc1PassportCountry: 'United Kingdom',
      doc1PassportNumber: '123 456 789',
      doc1PassportExpiry: '2030-01-31',
      doc2Type: 'driving-licence',
      doc2LicenceNumber: 'blogg 905170 ja9ab',
      doc3Type: 'address',
      doc3AddressIssuer: 'Wessex Water',
      doc3AddressDate: '2026-10-02',
    },
    stored: {
      fullName: 'Jo Anne Bloggs',
      dateOfBirth: '1990-05-17',
      seenInPerson: 'true',
      doc1Type: 'passport',
      doc1PassportCountry: 'United Kingdom',
      doc1PassportNumber: '123456789',
      doc1PassportExpiry: '2030-01-31',
      doc2Type: 'driving-licence',
      doc2LicenceNumber: 'BLOGG905170JA9AB',
      doc3Type: 'address',
      doc3AddressIssuer: 'Wessex Water',
      doc3AddressDate: '2026-10-02',
    },
    urgent: false,
  },
  'modify-user': {
    typed: { holderName: 'Jo Bloggs', uuid: '123456789012', odsCode: 'FA123', newName: 'Jo Smith' },
    stored: { holderName: 'Jo Bloggs', uuid: '123456789012', odsCode: 'FA123', newName: 'Jo Smith' },
    urgent: false,
  },
  'position-assignment': {
    typed: { action: 'add', holderName: 'Jo Bloggs', uuid: '1234 5678 9012', odsCode: 'fa123', position: 'Dispenser', startDate: '2026-12-01', endDate: '2027-03-31', scr: 'false' },
    stored: { action: 'add', holderName: 'Jo Bloggs', uuid: '123456789012', odsCode: 'FA123', position: 'Dispenser', startDate: '2026-12-01', endDate: '2027-03-31', scr: 'false' },
    urgent: false,
  },
  'replacement-card': {
    typed: { reason: 'old-series', holderName: 'Jo Bloggs', uuid: '123456789012', odsCode: 'FA123' },
    stored: { reason: 'old-series', holderName: 'Jo Bloggs', uuid: '123456789012', odsCode: 'FA123' },
    urgent: false,
  },
  'locum-access': {
    typed: { fullName: 'Jo Bloggs', uuid: '123456789012', role: 'pharmacist', gphc: '2012345', mobile: '07700900123' },
    stored: { fullName: 'Jo Bloggs', uuid: '123456789012', role: 'pharmacist', gphc: '2012345', mobile: '07700900123' },
    urgent: false,
  },
  'training-session': {
    typed: { course: 'registration-agent-advanced', venue: 'dorset-poole', date: '2026-12-08', startTime: '9:30', duration: '0180', capacity: '12', bookingDeadline: '2026-12-01', audience: 'sponsors-and-ra-agents', note: 'Bring your smartcard.' },
    stored: { course: 'registration-agent-advanced', venue: 'dorset-poole', date: '2026-12-08', startTime: '09:30', duration: '180', capacity: '12', bookingDeadline: '2026-12-01', audience: 'sponsors-and-ra-agents', note: 'Bring your smartcard.' },
    urgent: false,
  },
  'appoint-sponsor': {
    typed: {
      role: 'sponsor',
      appointeeName: 'Sam Patel',
      appointeeUuid: '123456789012',
      appointeeEmail: 'Sam.Patel@nhs.net',
      odsCodes: 'fa123, A81001 fa123;FB456',
      managerName: 'Alex Owner',
    },
    stored: {
      role: 'sponsor',
      appointeeName: 'Sam Patel',
      appointeeUuid: '123456789012',
      appointeeEmail: 'sam.patel@nhs.net',
      odsCodes: 'FA123,A81001,FB456',
      managerName: 'Alex Owner',
    },
    urgent: false,
  },
};

function errorsOf(check: FormCheck): Readonly<Record<string, string>> {
  if (check.ok) throw new Error(`expected problems, but it passed with ${JSON.stringify(check.values)}`);
  return check.errors;
}

describe('knowledge: request forms', () => {
  const forms = parseForms(files, sources, lists);
  const form = (id: string): FormDefinition => {
    const found = forms.find((f) => f.id === id);
    if (!found) throw new Error(`no form ${id}`);
    return found;
  };
  const submit = (id: string, changes: Record<string, unknown> = {}, at = now): FormCheck =>
    checkForm(form(id), { ...(valid[id]?.typed ?? {}), ...changes }, at);

  describe('the shipped forms', () => {
    it('every file in knowledge/forms parses, with at most 25 fields each', () => {
      expect(forms.map((f) => f.id).sort()).to.deep.equal(
        ['appoint-sponsor', 'general-question', 'id-checks', 'locum-access', 'lost-card', 'modify-user', 'new-user', 'position-assignment', 'replacement-card', 'training-session'],
      );
      for (const f of forms) expect(f.fields.length, f.id).to.be.at.most(25);
    });

    it('every form has a valid submission in this test', () => {
      for (const f of forms) expect(valid, f.id).to.have.property(f.id);
    });

    it('every national source a form cites is a page named in domain.md', () => {
      const domain = readFileSync(fileURLToPath(new URL('../../knowledge/seeds/domain.md', import.meta.url)), 'utf8');
      for (const f of forms) for (const ref of f.sources) if (typeof ref !== 'string') expect(domain, `${f.id}: ${ref.url}`).to.include(ref.url.replace(/\/$/, ''));
    });

    it('no form asks for a passcode, and no form text holds a phone number, email address or link', () => {
      for (const f of forms) {
        const texts = [f.title, f.summary, f.intro ?? '', f.next, ...f.checklist, ...f.fields.flatMap((x) => [x.label, x.hint ?? ''])].join('\n');
        expect(f.fields.map((x) => `${x.id} ${x.label}`).join('\n'), f.id).not.to.match(/passcode|password|\bpin\b|patient|nhs number/i);
        expect(texts, f.id).not.to.match(/\b0\d{3,4}\s?\d{3}\s?\d{3,4}\b|@[a-z0-9-]+\.|https?:\/\/|www\./i);
      }
    });

    it('identity-document numbers and dates of birth are marked sensitive, and nothing else in the ID checks is', () => {
      const sensitive = form('id-checks').fields.filter((f) => f.sensitive).map((f) => f.id);
      expect(sensitive).to.deep.equal([
        'dateOfBirth',
        'doc1PassportNumber',
        'doc1LicenceNumber',
        'doc2PassportNumber',
        'doc2LicenceNumber',
        'doc3PassportNumber',
        'doc3LicenceNumber',
      ]);
      expect(form('modify-user').fields.filter((f) => f.sensitive).map((f) => f.id)).to.deep.equal(['newDateOfBirth']);
      for (const f of forms) for (const field of f.fields) if (/number|dateOfBirth/i.test(field.id) && field.type === 'text') expect(field.sensitive, `${f.id}.${field.id}`).to.equal(true);
    });

    it('appointing a Sponsor lists what must still be sent: the letter on headed paper and the signed agreement form', () => {
      const checklist = form('appoint-sponsor').checklist.join('\n');
      expect(checklist).to.include('headed paper');
      expect(checklist).to.match(/names, smartcard numbers and ODS codes/);
      expect(checklist).to.match(/Agreement form, signed/);
      expect(checklist).to.match(/cannot take signatures/);
    });

    it('the forms say what the pages say: lost and stolen are urgent, pharmacy replacements are collected in person, name and date of birth changes need evidence in person', () => {
      expect(form('replacement-card').urgentWhen?.in).to.have.members(['lost', 'stolen']);
      expect(form('replacement-card').next).to.match(/collected from the office in person/);
      expect(form('modify-user').intro).to.match(/name or date of birth needs evidence .* in person/);
      expect(form('modify-user').checklist.join()).to.match(/in person/);
      expect(form('id-checks').intro).to.match(/Just "Utility Bill" is not enough/);
      expect(form('id-checks').intro).to.match(/within the last 3 months/);
    });
  });

  describe('a valid submission passes, with values stored normalised', () => {
    for (const id of Object.keys(valid)) {
      it(`${id}`, () => {
        const entry = valid[id];
        if (!entry) throw new Error(id);
        expect(submit(id)).to.deep.equal({ ok: true, values: entry.stored, urgent: entry.urgent });
      });
    }
  });

  describe('every form, whatever is sent', () => {
    for (const id of Object.keys(valid)) {
      describe(id, () => {
        it('sent nothing: each required field says it is needed, next to that field', () => {
          const errors = errorsOf(checkForm(form(id), {}, now));
          for (const field of form(id).fields.filter((f) => f.required)) expect(errors[field.id], field.id).to.equal(`${field.label} is needed.`);
        });

        it('unknown keys are ignored and never stored', () => {
          const check = submit(id, { verb: 'form.submit', form: 'other', isAdmin: 'true', status: 'done' });
          expect(check.ok).to.equal(true);
          expect(Object.keys(check.values)).to.have.members(Object.keys(valid[id]?.stored ?? {}));
        });

        it('__proto__ and constructor keys are harmless', () => {
          const forged = JSON.parse(`{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}, "toString": "x"}`) as Record<string, unknown>;
          const check = submit(id, forged);
          expect(check.ok).to.equal(true);
          expect(Object.keys(check.values)).not.to.include.members(['__proto__', 'constructor', 'toString']);
          expect(({} as Record<string, unknown>)['polluted']).to.equal(undefined);
          expect(Object.hasOwn(Object.prototype, 'polluted')).to.equal(false);
        });

        it('values that are not strings (numbers, objects, arrays, null) count as not given', () => {
          const f = form(id);
          for (const odd of [42, { value: 'x' }, ['FA123'], null]) {
            const changes = Object.fromEntries(f.fields.filter((x) => x.required).map((x) => [x.id, odd]));
            const errors = errorsOf(submit(id, changes));
            for (const field of f.fields.filter((x) => x.required)) expect(errors[field.id], `${field.id} = ${JSON.stringify(odd)}`).to.equal(`${field.label} is needed.`);
          }
        });

        it('100 kB strings in every field are refused, and what comes back for the card is bounded by each input', () => {
          const f = form(id);
          const huge = Object.fromEntries(f.fields.map((x) => [x.id, 'x'.repeat(100_000)]));
          const check = checkForm(f, huge, now);
          const errors = errorsOf(check);
          for (const field of f.fields) {
            expect(check.values[field.id]?.length ?? 0, field.id).to.be.at.most(inputLength(field));
            if (errors[field.id] !== undefined) expect(errors[field.id]?.length, field.id).to.be.below(400);
          }
          expect(JSON.stringify(check).length).to.be.below(20_000);
        });
      });
    }
  });

  describe('typical mistakes are reported on the right field', () => {
    const cases: readonly (readonly [form: string, changes: Record<string, unknown>, field: string, says: string | RegExp, what: string])[] = [
      ['lost-card', { what: 'misplaced' }, 'what', 'Choose one of: Lost, Stolen, Damaged or broken.', 'a choice that is not an option'],
      ['lost-card', { noticed: '2026-11-22' }, 'noticed', 'This date cannot be in the future.', 'a date in the future'],
      ['lost-card', { uuid: '12345' }, 'uuid', 'The smartcard number (UUID) is 12 digits', 'a short UUID'],
      ['lost-card', { replacement: 'maybe' }, 'replacement', 'Answer yes or no.', 'a yes/no that is neither'],
      ['general-question', { question: '' }, 'question', 'Your question is needed.', 'the required question left out'],
      ['general-question', { odsCode: 'F12' }, 'odsCode', `"F12" can't be a pharmacy code`, 'a pharmacy code too short'],
      ['general-question', { phone: 'call me' }, 'phone', 'Enter a UK phone number', 'a phone number with letters'],
      ['general-question', { question: 'x'.repeat(2001) }, 'question', 'Keep this to 2000 characters.', 'a question too long'],
      ['new-user', { scr: 'true', gphc: '' }, 'gphc', 'GPhC registration number is needed.', 'SCR asked for without a GPhC number'],
      ['new-user', { gphc: '123' }, 'gphc', 'A GPhC registration number is 7 digits.', 'a short GPhC number'],
      ['new-user', { email: 'jo.bloggs' }, 'email', 'Enter an email address', 'an email address without a domain'],
      ['new-user', { startDate: '2026-02-30' }, 'startDate', 'Enter a date, like 2026-11-21.', 'a day that does not exist'],
      ['new-user', { startDate: '01/12/2026' }, 'startDate', 'Enter a date, like 2026-11-21.', 'a date in another format'],
      ['new-user', { fullName: 'Jo\u0000Bloggs' }, 'fullName', 'characters that are not letters', 'a control character in a name'],
      ['id-checks', { doc1PassportNumber: '' }, 'doc1PassportNumber', 'Document 1, passport: number is needed.', 'a passport without its number'],
      ['id-checks', { doc1PassportCountry: '' }, 'doc1PassportCountry', 'Document 1, passport: issuing country is needed.', 'a passport without its country'],
      ['id-checks', { doc1PassportExpiry: '2026-11-20' }, 'doc1PassportExpiry', 'This date cannot be in the past.', 'a passport that has expired'],
      ['id-checks', { doc1PassportNumber: '12-34' }, 'doc1PassportNumber', 'Enter the passport number as printed', 'a passport number with punctuation'],
      ['id-checks', { doc2LicenceNumber: 'BLOGG905170JA9A' }, 'doc2LicenceNumber', 'A UK driving licence number is 16 letters and numbers', 'a licence number a character short'],
      ['id-checks', { doc2LicenceNumber: 'BLOGG905170JA9AB1' }, 'doc2LicenceNumber', 'A UK driving licence number is 16 letters and numbers', 'a licence number a character long'],
      ['id-checks', { doc3AddressIssuer: 'Utility Bill' }, 'doc3AddressIssuer', '"Utility Bill" is not enough', 'a bare "Utility Bill", as the Dorset page says'],
      ['id-checks', { doc3AddressIssuer: ' utility bill ' }, 'doc3AddressIssuer', '"Utility Bill" is not enough', 'a bare utility bill in lower case with spaces'],
      ['id-checks', { doc3AddressIssuer: 'BANK STATEMENT' }, 'doc3AddressIssuer', 'name of the company or organisation', 'a bare bank statement'],
      ['id-checks', { doc3AddressDate: '2026-08-20' }, 'doc3AddressDate', 'This must be dated within the last 3 months.', 'an address document a day over 3 months old'],
      ['id-checks', { doc3AddressDate: '2026-11-22' }, 'doc3AddressDate', 'This date cannot be in the future.', 'an address document dated tomorrow'],
      ['id-checks', { doc3AddressDate: '' }, 'doc3AddressDate', 'Document 3, proof of address: date issued is needed.', 'an address document without its date'],
      ['id-checks', { seenInPerson: 'false' }, 'seenInPerson', 'face to face, with the original documents', 'documents not seen face to face'],
      ['id-checks', { dateOfBirth: '2026-12-01' }, 'dateOfBirth', 'This date cannot be in the future.', 'a date of birth in the future'],
      ['id-checks', { dateOfBirth: '2011-01-01' }, 'dateOfBirth', 'Check the date of birth: it makes them younger than 16.', 'a date of birth making them 15'],
      ['id-checks', { dateOfBirth: '1920-01-01' }, 'dateOfBirth', 'Check the date of birth: it makes them older than 100.', 'a date of birth making them 106'],
      ['id-checks', { doc1Type: 'birth-certificate' }, 'doc1Type', 'Choose one of: Passport', 'a document type that is not an option'],
      ['modify-user', { newName: '' }, 'newName', 'Say what should change', 'nothing to change'],
      ['modify-user', { newDateOfBirth: '2030-01-01' }, 'newDateOfBirth', 'This date cannot be in the future.', 'a new date of birth in the future'],
      ['modify-user', { uuid: '1234 5678 901X' }, 'uuid', 'The smartcard number (UUID) is 12 digits', 'a UUID with a letter'],
      ['position-assignment', { startDate: '' }, 'startDate', 'Start date is needed.', 'adding a position without a start date'],
      ['position-assignment', { scr: '' }, 'scr', 'Do they need SCR access at this organisation? is needed.', 'adding a position without saying whether SCR is needed'],
      ['position-assignment', { scr: 'true' }, 'gphc', 'GPhC registration number is needed.', 'SCR without a GPhC number'],
      ['position-assignment', { endDate: '2026-11-30' }, 'endDate', 'The end date cannot be before the start date.', 'an end date before the start date'],
      ['position-assignment', { odsCode: 'ff fff' }, 'odsCode', 'FFFFF is the national locum code', 'the locum code, which has its own form'],
      ['position-assignment', { action: 'swap' }, 'action', 'Choose one of: Add a position, Remove access.', 'an action that is not an option'],
      ['replacement-card', { reason: 'other' }, 'details', 'More about the reason is needed.', 'another reason without saying what'],
      ['replacement-card', { reason: 'broken' }, 'reason', 'Choose one of:', 'a reason that is not an option'],
      ['replacement-card', { odsCode: '' }, 'odsCode', 'ODS code of the organisation they work at is needed.', 'no ODS code'],
      ['locum-access', { gphc: '' }, 'gphc', 'GPhC registration number is needed.', 'no GPhC number'],
      ['locum-access', { role: 'dispenser' }, 'role', 'Choose one of: Pharmacist, Pharmacy technician.', 'a dispenser, who cannot have FFFFF'],
      ['locum-access', { mobile: '07700 9001' }, 'mobile', 'Enter a UK phone number', 'a mobile number too short'],
      ['appoint-sponsor', { odsCodes: 'FA123, F12' }, 'odsCodes', `"F12" can't be a pharmacy code`, 'one bad code among good ones'],
      ['appoint-sponsor', { odsCodes: 'FA123 FA124 FA125 FA126 FA127 FA128 FA129 FA130 FA131 FA132 FA133' }, 'odsCodes', 'List at most 10 ODS codes.', 'eleven codes'],
      ['appoint-sponsor', { odsCodes: ' , ; ' }, 'odsCodes', 'Enter at least one ODS code', 'only separators'],
      ['appoint-sponsor', { appointeeUuid: '' }, 'appointeeUuid', 'Their smartcard number (UUID) is needed.', 'no smartcard number'],
      ['appoint-sponsor', { appointeeEmail: 'sam@' }, 'appointeeEmail', 'Enter an email address', 'a broken email address'],
      ['appoint-sponsor', { role: 'lsa' }, 'role', 'Choose one of: Sponsor, RA Agent ID Checker.', 'a role that is not an option'],
    ];
    for (const [id, changes, field, says, what] of cases) {
      it(`${id}: ${what} -> ${field}`, () => {
        const errors = errorsOf(submit(id, changes));
        expect(Object.keys(errors), JSON.stringify(errors)).to.deep.equal([field]);
        if (typeof says === 'string') expect(errors[field]).to.include(says);
        else expect(errors[field]).to.match(says);
      });
    }

    it('a problem comes back with every value as typed, so the card can show them again', () => {
      const check = submit('new-user', { gphc: '123', email: 'Jo.Bloggs@NHS.net' });
      expect(check.ok).to.equal(false);
      expect(check.values).to.include({ gphc: '123', email: 'Jo.Bloggs@NHS.net', odsCode: 'FA123', fullName: 'Jo Anne Bloggs' });
    });
  });

  describe('conditions and dates', () => {
    it('an address document dated exactly 3 months ago is accepted, a day earlier is not', () => {
      expect(submit('id-checks', { doc3AddressDate: '2026-08-21' }).ok).to.equal(true);
      expect(errorsOf(submit('id-checks', { doc3AddressDate: '2026-08-20' }))).to.have.keys('doc3AddressDate');
      // 31 May less 3 months is the end of February.
      expect(submit('id-checks', { doc3AddressDate: '2027-02-28' }, new Date('2027-05-31T12:00:00Z')).ok).to.equal(true);
      expect(submit('id-checks', { doc3AddressDate: '2027-02-27' }, new Date('2027-05-31T12:00:00Z')).ok).to.equal(false);
    });

    it('a passport expiring today is still accepted', () => {
      expect(submit('id-checks', { doc1PassportExpiry: '2026-11-21' }).ok).to.equal(true);
    });

    it('the age rule counts birthdays: 16 on the day is accepted, the day before is not', () => {
      expect(submit('id-checks', { dateOfBirth: '2010-11-21' }).ok).to.equal(true);
      expect(errorsOf(submit('id-checks', { dateOfBirth: '2010-11-22' }))).to.have.keys('dateOfBirth');
    });

    it('fields for another document type are ignored, whatever they hold, and not stored', () => {
      const check = submit('id-checks', { doc1LicenceNumber: 'not a licence', doc1AddressIssuer: 'Utility Bill', doc2PassportExpiry: '1999-01-01' });
      expect(check.ok).to.equal(true);
      expect(check.values).not.to.have.any.keys('doc1LicenceNumber', 'doc1AddressIssuer', 'doc2PassportExpiry');
    });

    it('the documents may come in any order, as long as one is photo ID and one is proof of address', () => {
      const check = submit('id-checks', {
        doc1Type: 'address',
        doc1AddressIssuer: 'Barclays',
        doc1AddressDate: '2026-11-01',
        doc3Type: 'passport',
        doc3PassportCountry: 'Ireland',
        doc3PassportNumber: 'pa1234567',
        doc3PassportExpiry: '2031-06-30',
      });
      expect(check.ok).to.equal(true);
      expect(check.values['doc3PassportNumber']).to.equal('PA1234567');
    });

    it('three proofs of address: "at least one photo ID" is reported next to the first document', () => {
      const errors = errorsOf(
        submit('id-checks', {
          doc1Type: 'address',
          doc1AddressIssuer: 'Barclays',
          doc1AddressDate: '2026-11-01',
          doc2Type: 'address',
          doc2AddressIssuer: 'Dorset Council',
          doc2AddressDate: '2026-10-01',
        }),
      );
      expect(errors).to.deep.equal({ doc1Type: 'At least one of the three documents must be photo ID, a passport or driving licence.' });
    });

    it('no proof of address: "at least one proof of address" is reported next to the third document', () => {
      const errors = errorsOf(submit('id-checks', { doc3Type: 'passport', doc3PassportCountry: 'France', doc3PassportNumber: '12AB34567', doc3PassportExpiry: '2030-01-01' }));
      expect(errors).to.deep.equal({ doc3Type: 'At least one of the three documents must be a proof of address.' });
    });

    it('the form rules wait for the fields they name: a missing document type is reported once, as needed', () => {
      const errors = errorsOf(submit('id-checks', { doc2Type: '', doc3Type: '' }));
      expect(errors).to.deep.equal({ doc2Type: 'Document 2: what is it? is needed.', doc3Type: 'Document 3: what is it? is needed.' });
    });

    it('removing access needs no start date or SCR answer, and a GPhC number is not asked when SCR was not', () => {
      const check = submit('position-assignment', { action: 'remove', startDate: '', scr: 'true', gphc: '' });
      expect(check.ok).to.equal(true);
      expect(check.values).not.to.have.any.keys('startDate', 'scr', 'gphc');
    });

    it('an end date alone, with no start date, is not compared', () => {
      expect(submit('position-assignment', { action: 'remove', startDate: '', endDate: '2026-11-01' }).ok).to.equal(true);
    });

    it('a change of date of birth alone is a change', () => {
      const check = submit('modify-user', { newName: '', newDateOfBirth: '1990-05-17' });
      expect(check).to.deep.include({ ok: true });
      expect(check.values['newDateOfBirth']).to.equal('1990-05-17');
    });

    it('lost or stolen replacements are urgent; damaged ones are not', () => {
      expect(submit('replacement-card', { reason: 'lost' })).to.deep.include({ ok: true, urgent: true });
      expect(submit('replacement-card', { reason: 'damaged' })).to.deep.include({ ok: true, urgent: false });
      expect(submit('lost-card', { what: 'damaged' })).to.deep.include({ ok: true, urgent: false });
    });

    it('booleans from a card count as yes and no', () => {
      expect(submit('new-user', { scr: false, gphc: '' })).to.deep.include({ ok: true });
      expect(submit('new-user', { scr: true, gphc: '' }).ok).to.equal(false);
      expect(submit('lost-card', { replacement: false }).values['replacement']).to.equal('false');
      expect(errorsOf(submit('id-checks', { seenInPerson: false }))).to.have.keys('seenInPerson');
    });

    it('a licence number is stored in capitals without spaces', () => {
      expect(submit('id-checks', { doc2LicenceNumber: '  bloGG 905170 ja9ab ' }).values['doc2LicenceNumber']).to.equal('BLOGG905170JA9AB');
    });
  });

  describe('describeForm, for `forms schema --json`', () => {
    const presentation = new Set(['id', 'type', 'label', 'hint', 'section', 'required', 'requiredWhen', 'sensitive']);
    for (const id of Object.keys(valid)) {
      it(`${id}: every field with its type, required flag and every rule from the definition`, () => {
        const f = form(id);
        const described = JSON.parse(JSON.stringify(describeForm(f))) as {
          id: string;
          fields: { id: string; type: string; required: boolean; sensitive: boolean; rules: Record<string, unknown>; [key: string]: unknown }[];
          rules: unknown[];
          checklist: string[];
          urgentWhen: unknown;
        };
        expect(described.id).to.equal(id);
        expect(described.fields.map((d) => d.id)).to.deep.equal(f.fields.map((x) => x.id));
        expect(described.rules).to.deep.equal(f.rules);
        expect(described.checklist).to.deep.equal(f.checklist);
        expect(described.urgentWhen).to.deep.equal(f.urgentWhen ?? null);
        f.fields.forEach((field, i) => {
          const d = described.fields[i];
          if (!d) throw new Error(field.id);
          expect(d.type).to.equal(field.type);
          expect(d.required).to.equal(field.required);
          expect(d.sensitive).to.equal(field.sensitive);
          for (const [key, value] of Object.entries(field)) {
            if (presentation.has(key)) expect(d[key], `${field.id}.${key}`).to.deep.equal(value);
            else if (key === 'refuse' && Array.isArray(value) && value.length === 0) expect(d.rules).not.to.have.property('refuse');
            else expect(d.rules[key], `${field.id}.rules.${key}`).to.deep.equal(value);
          }
        });
      });
    }

    it('the ID checks schema carries the licence, passport, address and photo ID rules', () => {
      const described = JSON.stringify(describeForm(form('id-checks')));
      for (const rule of ['"capitals":true', '^[A-Z0-9]{16}$', '"withinMonths":3', '"notInPast":true', 'utility bill', '"age":{"min":16,"max":100}', '"kind":"atLeastOne"', '"reportOn":"doc1Type"']) {
        expect(described).to.include(rule);
      }
    });

    it('the types bring their own rules: UUID and GPhC patterns, ODS code lists', () => {
      const described = JSON.stringify(describeForm(form('appoint-sponsor')));
      expect(described).to.include('^\\\\d{12}$');
      expect(described).to.include('"maxCodes":10');
      expect(described).to.include('comma-joined');
    });
  });

  describe('parseForms refuses a bad definition, naming the file and the problem', () => {
    const base = () =>
      badForm([
        { id: 'kind', type: 'choice', label: 'Kind', required: true, options: [{ value: 'a', title: 'A' }, { value: 'b', title: 'B' }] },
        { id: 'name', type: 'text', label: 'Name' },
        { id: 'from', type: 'date', label: 'From' },
        { id: 'until', type: 'date', label: 'Until' },
      ]);
    const parse = (data: object, file = 'forms/bad.yaml') => () => parseForms([{ file, data }], sources);
    const withField = (extra: object) => ({ ...base(), fields: [...base().fields, extra] });

    it('the base definition used here is valid', () => {
      expect(parse(base())()).to.have.length(1);
    });

    const cases: readonly (readonly [what: string, data: object, says: string])[] = [
      ['a repeated field', withField({ id: 'name', type: 'text', label: 'Name again' }), 'forms/bad.yaml: field name is repeated'],
      ['an unknown type', withField({ id: 'extra', type: 'signature', label: 'Sign here' }), 'forms/bad.yaml: fields.4.type: Invalid discriminator value'],
      ['a condition naming no field', withField({ id: 'extra', type: 'text', label: 'Extra', requiredWhen: { field: 'missing', in: ['a'] } }), 'forms/bad.yaml: extra.requiredWhen names no field missing'],
      ['a condition naming no option', withField({ id: 'extra', type: 'text', label: 'Extra', requiredWhen: { field: 'kind', in: ['c'] } }), 'forms/bad.yaml: extra.requiredWhen: c is not an option of kind'],
      ['urgentWhen naming no option', { ...base(), urgentWhen: { field: 'kind', in: ['z'] } }, 'forms/bad.yaml: urgentWhen: z is not an option of kind'],
      ['a refusal that is not an option', withField({ id: 'ok', type: 'yesNo', label: 'OK?', refuse: [{ values: ['no'], message: 'Say yes please.' }] }), 'ok.refuse: a yes/no field is "true" or "false", not no'],
      [
        'conditions in a loop',
        { ...base(), fields: [{ id: 'one', type: 'text', label: 'One', requiredWhen: { field: 'two', in: ['x'] } }, { id: 'two', type: 'text', label: 'Two', requiredWhen: { field: 'one', in: ['x'] } }] },
        'one.requiredWhen goes round in a loop',
      ],
      ['required and requiredWhen together', withField({ id: 'extra', type: 'text', label: 'Extra', required: true, requiredWhen: { field: 'kind', in: ['a'] } }), 'extra has both required and requiredWhen'],
      ['a rule naming no field', { ...base(), rules: [{ kind: 'atLeastOne', fields: ['name', 'nobody'], reportOn: 'name', message: 'Fill one in.' }] }, 'rules.0 (atLeastOne) names no field nobody'],
      ['a rule reported on a field it does not name', { ...base(), rules: [{ kind: 'atLeastOne', fields: ['name', 'from'], reportOn: 'kind', message: 'Fill one in.' }] }, 'reportOn kind must be one of the fields'],
      ['a rule comparing with a value that is no option', { ...base(), rules: [{ kind: 'atLeastOne', fields: ['kind', 'kind'], in: ['c'], reportOn: 'kind', message: 'Pick c.' }] }, 'rules.0 (atLeastOne): c is not an option of kind'],
      ['a rule comparing a text field with values', { ...base(), rules: [{ kind: 'atLeastOne', fields: ['name', 'kind'], in: ['a'], reportOn: 'kind', message: 'Pick a.' }] }, 'name must be a choice or yes/no field'],
      ['a date order on a text field', { ...base(), rules: [{ kind: 'dateOrder', first: 'name', then: 'until', reportOn: 'until', message: 'Order, please.' }] }, 'rules.0 (dateOrder): name is not a date field'],
      ['an unknown rule', { ...base(), rules: [{ kind: 'allDifferent', fields: ['name', 'from'] }] }, 'rules.0.kind'],
      ['a pattern that does not match whole values', withField({ id: 'code', type: 'text', label: 'Code', pattern: { regex: '[A-Z]+', message: 'Capitals only.' } }), 'fields.4.pattern.regex: a pattern matches the whole value'],
      ['a pattern that is not a regular expression', withField({ id: 'code', type: 'text', label: 'Code', pattern: { regex: '^[A-Z$', message: 'Capitals only.' } }), 'fields.4.pattern.regex: not a valid regular expression'],
      ['a field named like a built-in property', withField({ id: 'constructor', type: 'text', label: 'Built in' }), 'fields.4.id: a field id cannot be the name of a built-in property'],
      ['a field id that is not camelCase', withField({ id: 'Bad-Id', type: 'text', label: 'Bad' }), 'fields.4.id: field ids are camelCase words'],
      ['an age range the wrong way round', withField({ id: 'born', type: 'date', label: 'Born', age: { min: 90, max: 16 } }), 'age.min must be below age.max'],
      ['more than 25 fields', { ...base(), fields: Array.from({ length: 26 }, (_, i) => ({ id: `f${i}`, type: 'text', label: `Field ${i}` })) }, 'forms/bad.yaml: fields'],
      ['an unknown source', { ...base(), sources: ['seed:999_nothing.txt'] }, 'forms/bad.yaml: unknown source seed:999_nothing.txt'],
    ];
    for (const [what, data, says] of cases) {
      it(what, () => {
        expect(parse(data)).to.throw(KnowledgeError, says);
      });
    }

    it('a file whose name is not its id', () => {
      expect(parse(base(), 'forms/other.yaml')).to.throw(KnowledgeError, 'forms/other.yaml: the file name must be bad.yaml');
    });

    it('every problem is listed at once, not just the first', () => {
      try {
        parseForms([{ file: 'forms/bad.yaml', data: { ...withField({ id: 'name', type: 'text', label: 'Twice' }), urgentWhen: { field: 'gone', in: ['a'] } } }], sources);
        expect.fail('should have thrown');
      } catch (error) {
        expect(error).to.be.instanceOf(KnowledgeError);
        expect((error as KnowledgeError).problems).to.include.members(['forms/bad.yaml: field name is repeated', 'forms/bad.yaml: urgentWhen names no field gone']);
      }
    });
  });
});
