import { expect } from 'chai';
import { parseContactsCsv } from '../../../bot/directory/contactsCsv.js';
import type { ContactRow, ContactsCsvResult } from '../../../bot/directory/contactsCsv.js';
import type { LineProblem } from '../../../bot/directory/odsExtract.js';

const header = 'ods_code,role,name,email,phone';

function file(...lines: string[]): string {
  return `${[header, ...lines].join('\r\n')}\r\n`;
}

function rowsOf(result: ContactsCsvResult): ContactRow[] {
  if (!result.ok) expect.fail(`expected contacts, got problems: ${JSON.stringify(result.problems)}`);
  return result.rows;
}

/** A row without the fields it has no value for, so an absent email reads the same as `email: undefined`. */
function given(row: ContactRow): Partial<ContactRow> {
  return Object.fromEntries(Object.entries(row).filter(([, value]) => value !== undefined));
}

function problemsOf(result: ContactsCsvResult): LineProblem[] {
  if (result.ok) expect.fail(`expected problems, got ${result.rows.length} contacts`);
  return result.problems;
}

// What the shared contact rules (knowledge/contactRules.ts) tell a person, after the field and the value they typed.
const roleAdvice = 'The role must be one of sponsor, lsa, ra-agent, id-checker.';
const emailAdvice = 'Enter a work email address like name@nhs.net, or leave it empty.';
const phoneAdvice = 'Enter a UK phone number like 01202 123456, or leave it empty.';

describe('parseContactsCsv', () => {
  describe('a good file', () => {
    it('when a spreadsheet export has a BOM, a spaced capitalised header and CRLF, every contact is read and normalised', () => {
      const text =
        '\uFEFF ODS_Code , Role,Name,EMAIL,phone \r\n' +
        'fa123,Sponsor,Jane Smith,Jane.Smith@NHS.net,+44 1962  000000\r\n' +
        '\r\n' +
        'J81999,lsa, Sam Patel ,,01202 541604\r\n' +
        'j81999,RA-Agent,Dorset Smartcard Support Team,smartcard.support@nhsdorset.nhs.uk,\r\n' +
        'QVV,id-checker,Chris O\'Neill,,07700900123\r\n';
      expect(rowsOf(parseContactsCsv(text)).map(given)).to.deep.equal([
        { line: 2, odsCode: 'FA123', role: 'sponsor', name: 'Jane Smith', email: 'jane.smith@nhs.net', phone: '01962 000000' },
        { line: 4, odsCode: 'J81999', role: 'lsa', name: 'Sam Patel', phone: '01202 541604' },
        { line: 5, odsCode: 'J81999', role: 'ra-agent', name: 'Dorset Smartcard Support Team', email: 'smartcard.support@nhsdorset.nhs.uk' },
        { line: 6, odsCode: 'QVV', role: 'id-checker', name: "Chris O'Neill", phone: '07700900123' },
      ]);
    });

    it('when a phone number is written +44 without a space or with the spacing a person uses, it is kept that way with a leading 0', () => {
      const rows = rowsOf(parseContactsCsv(file('FA123,sponsor,Jane Smith,,+441962000000', 'FA123,lsa,Jane Smith,,0300   561 0429', 'FA123,ra-agent,Jane Smith,,016977 1234')));
      expect(rows.map((r) => r.phone)).to.deep.equal(['01962000000', '0300 561 0429', '016977 1234']);
    });

    it('when the same person holds two roles at one organisation, or one role at two, they are not duplicates', () => {
      const rows = rowsOf(parseContactsCsv(file('FA123,sponsor,Jane Smith,,', 'FA123,lsa,Jane Smith,,', 'FQ456,sponsor,Jane Smith,,')));
      expect(rows).to.have.length(3);
    });

    it('when values are quoted and a name has a comma in it, the CSV is read as one value', () => {
      const rows = rowsOf(parseContactsCsv(file('"FA123","sponsor","Smith, Jane","",""')));
      expect(rows[0]?.name).to.equal('Smith, Jane');
    });
  });

  describe('problems', () => {
    it('when the header is wrong, the problem on line 1 says what the header must be and the lines below are not checked', () => {
      const result = parseContactsCsv('code,role,name,email,phone\r\nFFFFF,boss,J,,\r\n');
      expect(result).to.deep.equal({
        ok: false,
        problems: [{ line: 1, problem: 'the first line must be the header ods_code,role,name,email,phone, not "code,role,name,email,phone"' }],
      });
    });

    it('when the header is missing and the first line is a contact, that is the header problem', () => {
      expect(problemsOf(parseContactsCsv('FA123,sponsor,Jane Smith,,\r\n'))).to.deep.equal([
        { line: 1, problem: 'the first line must be the header ods_code,role,name,email,phone, not "FA123,sponsor,Jane Smith,,"' },
      ]);
    });

    it('when the file is only a header, or empty, the problem is that it has no contacts', () => {
      for (const text of [`${header}\r\n`, `\uFEFF${header}`, `${header}\r\n\r\n`, '', '\r\n']) {
        expect(parseContactsCsv(text), JSON.stringify(text)).to.deep.equal({ ok: false, problems: [{ line: 0, problem: 'the file has no contacts' }] });
      }
    });

    it('when a line has the wrong number of columns, the problem gives the count and the columns expected', () => {
      expect(problemsOf(parseContactsCsv(file('FA123,sponsor,Jane Smith', 'FA123,lsa,Sam Patel,,,')))).to.deep.equal([
        { line: 2, problem: 'has 3 columns; a contacts file has 5 (ods_code,role,name,email,phone)' },
        { line: 3, problem: 'has 6 columns; a contacts file has 5 (ods_code,role,name,email,phone)' },
      ]);
    });

    it('when the ODS code is missing or not a code, the problem uses the ODS code explanation', () => {
      expect(problemsOf(parseContactsCsv(file(',sponsor,Jane Smith,,', 'FA1234,sponsor,Jane Smith,,')))).to.deep.equal([
        { line: 2, problem: 'the ODS code is empty. An ODS code is 3 to 6 letters and numbers, like FA123 for a pharmacy or A81001 for a GP practice.' },
        { line: 3, problem: '"FA1234" can\'t be a pharmacy code: pharmacy ODS codes are F and four more letters or numbers, like FA123.' },
      ]);
    });

    it('when the ODS code is FFFFF, it is a problem because the locum organisation has no local contacts', () => {
      expect(problemsOf(parseContactsCsv(file('fffff,sponsor,Jane Smith,,')))).to.deep.equal([
        { line: 2, problem: 'FFFFF is the virtual locum organisation; it has no local contacts' },
      ]);
    });

    it('when the role is empty or not one of the four, the problem names the line and the role typed and lists the roles allowed', () => {
      expect(problemsOf(parseContactsCsv(file('FA123,,Jane Smith,,', 'FA123,RA Manager,Jane Smith,,')))).to.deep.equal([
        { line: 2, problem: `role "": ${roleAdvice}` },
        { line: 3, problem: `role "RA Manager": ${roleAdvice}` },
      ]);
    });

    it('when the name is empty, one character, over 100 characters or has a tab in it, the problem names the line and the name and says which', () => {
      const long = 'A'.repeat(101);
      const result = parseContactsCsv(file('FA123,sponsor, ,,', 'FA123,sponsor,J,,', `FA123,sponsor,${long},,`, 'FA123,sponsor,"Jane\tSmith",,'));
      expect(problemsOf(result)).to.deep.equal([
        { line: 2, problem: 'name "": Enter the name, at least 2 characters.' },
        { line: 3, problem: 'name "J": Enter the name, at least 2 characters.' },
        { line: 4, problem: `name "${'A'.repeat(37)}...": Keep the name to 100 characters.` },
        { line: 5, problem: 'name "Jane\tSmith": The name has characters that are not letters or punctuation.' },
      ]);
    });

    it('when a name is exactly 2 or 100 characters, it is allowed', () => {
      expect(rowsOf(parseContactsCsv(file('FA123,sponsor,Jo,,', `FA123,lsa,${'B'.repeat(100)},,`)))).to.have.length(2);
    });

    it('when the email is not an address, the problem names the line and the email typed', () => {
      expect(problemsOf(parseContactsCsv(file('FA123,sponsor,Jane Smith,jane.smith@,', 'FA123,lsa,Sam Patel,sam patel@nhs.net,')))).to.deep.equal([
        { line: 2, problem: `email "jane.smith@": ${emailAdvice}` },
        { line: 3, problem: `email "sam patel@nhs.net": ${emailAdvice}` },
      ]);
    });

    it('when the phone has letters, a (0) after +44, too few or too many digits, or no leading 0 or +44, the problem names the line and the phone typed', () => {
      const result = parseContactsCsv(
        file(
          'FA123,sponsor,Jane Smith,,01202 ext 5',
          'FA123,lsa,Jane Smith,,+44 (0)1202 541604',
          'FA123,ra-agent,Jane Smith,,01202 5416',
          'FA123,id-checker,Jane Smith,,+44 01202 541604',
          'FQ456,sponsor,Jane Smith,,1202 541604',
        ),
      );
      expect(problemsOf(result)).to.deep.equal([
        { line: 2, problem: `phone "01202 ext 5": ${phoneAdvice}` },
        { line: 3, problem: `phone "+44 (0)1202 541604": ${phoneAdvice}` },
        { line: 4, problem: `phone "01202 5416": ${phoneAdvice}` },
        { line: 5, problem: `phone "+44 01202 541604": ${phoneAdvice}` },
        { line: 6, problem: `phone "1202 541604": ${phoneAdvice}` },
      ]);
    });

    it('when a phone number has brackets or hyphens, they are read as spaces', () => {
      const rows = rowsOf(parseContactsCsv(file('FA123,sponsor,Jane Smith,,(01202) 541-604', 'FA123,lsa,Jane Smith,,+44 (1202) 541604')));
      expect(rows.map((r) => r.phone)).to.deep.equal(['01202 541 604', '01202 541604']);
    });

    it('when the same organisation, role and name appear twice in different case and spacing, the later line names the earlier one', () => {
      const result = parseContactsCsv(file('FA123,sponsor,Jane Smith,,', 'FQ456,lsa,Sam Patel,,', 'fa123,SPONSOR,jane  SMITH,jane@nhs.net,'));
      expect(problemsOf(result)).to.deep.equal([{ line: 4, problem: '"jane  SMITH" is already listed as Sponsor for FA123 on line 2' }]);
    });

    it('when a duplicate line also has another problem, both are reported', () => {
      const result = parseContactsCsv(file('FA123,lsa,Jane Smith,,', 'FA123,lsa,Jane Smith,not-an-email,'));
      expect(problemsOf(result).map((p) => p.problem)).to.deep.equal([
        `email "not-an-email": ${emailAdvice}`,
        '"Jane Smith" is already listed as Local Smartcard Administrator for FA123 on line 2',
      ]);
    });

    it('when one line has several problems, all are reported in column order', () => {
      const result = parseContactsCsv(file('FFFFF,boss,J,nope,12'));
      expect(problemsOf(result)).to.deep.equal([
        { line: 2, problem: 'FFFFF is the virtual locum organisation; it has no local contacts' },
        { line: 2, problem: `role "boss": ${roleAdvice}` },
        { line: 2, problem: 'name "J": Enter the name, at least 2 characters.' },
        { line: 2, problem: `email "nope": ${emailAdvice}` },
        { line: 2, problem: `phone "12": ${phoneAdvice}` },
      ]);
    });

    it('when a line has a stray quote mark, the problem names the line and the other lines are still checked', () => {
      const result = parseContactsCsv(file('FA123,sponsor,"Jane "JJ" Smith",,', 'FA123,bad-role,Sam Patel,,'));
      expect(problemsOf(result)).to.deep.equal([
        { line: 2, problem: 'a closing quote mark in column 3 is followed by "J" instead of a comma; a quote mark inside a value must be doubled ("")' },
        { line: 3, problem: `role "bad-role": ${roleAdvice}` },
      ]);
    });

    it('when there are more than 50 problems, the first 50 are kept and the rest are counted', () => {
      const lines = Array.from({ length: 70 }, (_, i) => `FA123,boss,Person ${i},,`);
      const problems = problemsOf(parseContactsCsv(file(...lines)));
      expect(problems).to.have.length(51);
      expect(problems[0]?.line).to.equal(2);
      expect(problems[50]).to.deep.equal({ line: 0, problem: 'and 20 more problems' });
    });
  });
});
