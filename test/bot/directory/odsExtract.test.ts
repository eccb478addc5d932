import { expect } from 'chai';
import { parseOdsExtract } from '../../../bot/directory/odsExtract.js';
import type { LineProblem, OdsExtractResult } from '../../../bot/directory/odsExtract.js';
import type { Organisation } from '../../../knowledge/organisations.js';

const importedAt = new Date('2026-03-02T07:30:00Z');

// Made-up organisations laid out as the published extracts are (domain.md section 10): 27 columns, no header,
// dates YYYYMMDD, null columns left empty. Column numbers below are 1-based, as the ODS documentation counts.
const dorsetPractice = [
  'J81999', 'CANFORD HEATH TEST SURGERY', 'Y58', 'QVV',
  'THE HEALTH CENTRE', '1 TEST ROAD', 'CANFORD HEATH', 'POOLE', 'DORSET', 'BH17 7DT',
  '19740401', '', 'A', 'B', '11J', '20130401', '', '01202 000000',
  '', '', '', '0', '', '', '', '4', '',
];

const closedPractice = [
  'J81998', 'OLD TEST SURGERY', 'Y58', 'QVV',
  '3 CLOSED LANE', '', 'WIMBORNE', '', '', 'BH21 1AA',
  '19740401', '20190331', 'C', 'B', '11J', '20130401', '20190331', '',
  '', '', '', '0', '', '', '', '4', '',
];

const prescribingCentre = [
  'Y99998', 'TEST OUT OF HOURS SERVICE', 'Y59', 'QRL',
  '', '', '', '', '', '',
  '20150401', '', 'A', 'Z', 'D9Y0V', '20150401', '', '',
  '', '', '', '0', '', '', '', '8', '',
];

const hampshirePharmacy = [
  'FA123', 'HIGH STREET TEST PHARMACY', 'Y59', 'QRL',
  '2 HIGH STREET', '', 'WINCHESTER', 'HAMPSHIRE', '', 'SO23 8AA',
  '20010101', '', 'A', '1', 'P79D', '20010101', '', '01962 000000',
  '', '', '', '0', '', '', '', '', '',
];

const secondPharmacy = [
  'FQ456', 'ISLAND TEST CHEMIST', 'Y59', 'QRL',
  'UNIT 4', 'THE PARADE', 'NEWPORT', 'ISLE OF WIGHT', '', 'PO30 1AA',
  '19950601', '', 'A', '1', '', '', '', '',
  '', '', '', '0', '', '', '', '', '',
];

/** One extract line, quoted as ODS publishes it, with some 1-based columns changed. */
function odsLine(fields: readonly string[], changes: Readonly<Record<number, string>> = {}): string {
  return fields.map((field, index) => `"${changes[index + 1] ?? field}"`).join(',');
}

function extract(...lines: string[]): string {
  return `${lines.join('\r\n')}\r\n`;
}

function organisationsOf(result: OdsExtractResult): Organisation[] {
  if (!result.ok) expect.fail(`expected organisations, got problems: ${JSON.stringify(result.problems)}`);
  return result.organisations;
}

function problemsOf(result: OdsExtractResult): LineProblem[] {
  if (result.ok) expect.fail(`expected problems, got ${result.organisations.length} organisations`);
  return result.problems;
}

/** Problems with one line's texts, for checks that only care where the problems are and what they say. */
function problemsOn(result: OdsExtractResult, line: number): string[] {
  return problemsOf(result)
    .filter((p) => p.line === line)
    .map((p) => p.problem);
}

describe('parseOdsExtract', () => {
  describe('a good file', () => {
    it('when a Dorset practice is read from epraccur, every field is mapped', () => {
      const result = parseOdsExtract(extract(odsLine(dorsetPractice)), importedAt);
      expect(result.ok && result.source).to.equal('epraccur');
      expect(organisationsOf(result)).to.deep.equal([
        {
          code: 'J81999',
          name: 'CANFORD HEATH TEST SURGERY',
          kind: 'gp-practice',
          address: ['THE HEALTH CENTRE', '1 TEST ROAD', 'CANFORD HEATH', 'POOLE', 'DORSET'],
          postcode: 'BH17 7DT',
          icb: 'QVV',
          subIcb: '11J',
          open: true,
          source: 'epraccur',
          updatedAt: '2026-03-02T07:30:00.000Z',
        },
      ]);
    });

    it('when a Hampshire pharmacy is read from edispensary, its head office is the parent and it has no sub-ICB', () => {
      const result = parseOdsExtract(extract(odsLine(hampshirePharmacy), odsLine(secondPharmacy)), importedAt);
      expect(result.ok && result.source).to.equal('edispensary');
      expect(organisationsOf(result)).to.deep.equal([
        {
          code: 'FA123',
          name: 'HIGH STREET TEST PHARMACY',
          kind: 'pharmacy',
          address: ['2 HIGH STREET', 'WINCHESTER', 'HAMPSHIRE'],
          postcode: 'SO23 8AA',
          icb: 'QRL',
          parent: 'P79D',
          open: true,
          source: 'edispensary',
          updatedAt: '2026-03-02T07:30:00.000Z',
        },
        {
          code: 'FQ456',
          name: 'ISLAND TEST CHEMIST',
          kind: 'pharmacy',
          address: ['UNIT 4', 'THE PARADE', 'NEWPORT', 'ISLE OF WIGHT'],
          postcode: 'PO30 1AA',
          icb: 'QRL',
          open: true,
          source: 'edispensary',
          updatedAt: '2026-03-02T07:30:00.000Z',
        },
      ]);
    });

    it('when a practice has status C and a close date, it is not open and closedOn is the date', () => {
      const [closed] = organisationsOf(parseOdsExtract(extract(odsLine(closedPractice)), importedAt));
      expect(closed).to.deep.include({ code: 'J81998', open: false, closedOn: '2019-03-31', address: ['3 CLOSED LANE', 'WIMBORNE'] });
    });

    it('when the prescribing setting is not a GP practice one, it is a prescribing cost centre with no address or postcode', () => {
      const [centre] = organisationsOf(parseOdsExtract(extract(odsLine(prescribingCentre)), importedAt));
      expect(centre).to.deep.equal({
        code: 'Y99998',
        name: 'TEST OUT OF HOURS SERVICE',
        kind: 'prescribing-centre',
        address: [],
        icb: 'QRL',
        subIcb: 'D9Y0V',
        open: true,
        source: 'epraccur',
        updatedAt: '2026-03-02T07:30:00.000Z',
      });
    });

    it('when the status is D or P, the organisation is not open; when the prescribing setting is empty, it is a GP practice', () => {
      const organisations = organisationsOf(
        parseOdsExtract(extract(odsLine(dorsetPractice, { 13: 'D', 26: '' }), odsLine(closedPractice, { 12: '', 13: 'P' })), importedAt),
      );
      expect(organisations.map((o) => [o.code, o.open, o.kind, o.closedOn])).to.deep.equal([
        ['J81999', false, 'gp-practice', undefined],
        ['J81998', false, 'gp-practice', undefined],
      ]);
    });

    it('when a Data Search & Export file says ACTIVE, INACTIVE and RO76 without quotes, they read like A, C and 4', () => {
      const unquoted = (fields: readonly string[]) => fields.join(',');
      const result = parseOdsExtract(
        extract(
          unquoted(dorsetPractice.map((f, i) => (i === 12 ? 'ACTIVE' : i === 25 ? 'RO76' : f))),
          unquoted(closedPractice.map((f, i) => (i === 12 ? 'INACTIVE' : i === 25 ? 'RO76' : f))),
        ),
        importedAt,
      );
      expect(organisationsOf(result).map((o) => [o.code, o.open, o.kind])).to.deep.equal([
        ['J81999', true, 'gp-practice'],
        ['J81998', false, 'gp-practice'],
      ]);
    });

    it('when the file starts with a BOM, uses CRLF and has blank lines in the middle and at the end, they are ignored', () => {
      const text = `\uFEFF${odsLine(dorsetPractice)}\r\n\r\n   \r\n${odsLine(closedPractice)}\r\n\r\n`;
      expect(organisationsOf(parseOdsExtract(text, importedAt)).map((o) => o.code)).to.deep.equal(['J81999', 'J81998']);
    });

    it('when a line ends without a line break or with LF only, it is still read', () => {
      const text = `${odsLine(dorsetPractice)}\n${odsLine(closedPractice)}`;
      expect(organisationsOf(parseOdsExtract(text, importedAt)).map((o) => o.code)).to.deep.equal(['J81999', 'J81998']);
    });

    it('when codes, postcodes and ICB codes are in lower case with spaces around values, they are normalised', () => {
      const line = odsLine(dorsetPractice, { 1: ' j81999 ', 2: '  CANFORD HEATH TEST SURGERY ', 4: 'qvv', 10: 'bh17  7dt', 15: '11j' });
      expect(organisationsOf(parseOdsExtract(extract(line), importedAt))[0]).to.deep.include({
        code: 'J81999',
        name: 'CANFORD HEATH TEST SURGERY',
        icb: 'QVV',
        postcode: 'BH17 7DT',
        subIcb: '11J',
      });
    });

    it('when the postcode, ICB and commissioner are empty, the organisation has none of them rather than empty strings', () => {
      const [practice] = organisationsOf(parseOdsExtract(extract(odsLine(dorsetPractice, { 4: '', 10: '', 15: '' })), importedAt));
      expect(practice).to.not.have.any.keys('postcode', 'icb', 'subIcb', 'parent', 'closedOn');
    });

    it('when a name has a quoted comma and a doubled quote mark, the CSV is read as one value', () => {
      const line = odsLine(dorsetPractice, { 2: 'SMITH, JONES & ""PARTNERS""' });
      expect(organisationsOf(parseOdsExtract(extract(line), importedAt))[0]?.name).to.equal('SMITH, JONES & "PARTNERS"');
    });
  });

  describe('problems', () => {
    it('when an epraccur line has 26 columns, the problem names the line and nothing is returned', () => {
      const result = parseOdsExtract(extract(odsLine(dorsetPractice), odsLine(closedPractice.slice(0, 26))), importedAt);
      expect(result).to.deep.equal({ ok: false, problems: [{ line: 2, problem: 'has 26 columns; an ODS extract has 27' }] });
    });

    it('when a line has 28 columns or just one, the count is named', () => {
      const result = parseOdsExtract(extract(odsLine([...dorsetPractice, '']), 'J81998'), importedAt);
      expect(problemsOf(result)).to.deep.equal([
        { line: 1, problem: 'has 28 columns; an ODS extract has 27' },
        { line: 2, problem: 'has 1 column; an ODS extract has 27' },
      ]);
    });

    it('when the file is empty, only a BOM or only blank lines, the problem is that it has no organisations', () => {
      for (const text of ['', '\uFEFF', '\r\n\r\n', '  \n']) {
        expect(parseOdsExtract(text, importedAt), JSON.stringify(text)).to.deep.equal({
          ok: false,
          problems: [{ line: 0, problem: 'the file has no organisations' }],
        });
      }
    });

    it('when the code is missing or cannot be an ODS code, the problem uses the ODS code explanation', () => {
      const result = parseOdsExtract(extract(odsLine(dorsetPractice), odsLine(closedPractice, { 1: '' }), odsLine(closedPractice, { 1: 'J819990' }), odsLine(closedPractice, { 1: 'J81/998' })), importedAt);
      expect(problemsOf(result)).to.deep.equal([
        {
          line: 2,
          problem: 'the organisation code (column 1) is empty. An ODS code is 3 to 6 letters and numbers, like FA123 for a pharmacy or A81001 for a GP practice.',
        },
        { line: 3, problem: '"J819990" can\'t be a GP practice code: those are one letter and five numbers, like A81001.' },
        {
          line: 4,
          problem: '"J81/998" can\'t be an ODS code: ODS codes have only letters and numbers, like FA123 for a pharmacy or A81001 for a GP practice.',
        },
      ]);
    });

    it('when an extract has the locum code FFFFF, it is a problem because FFFFF is not a premises', () => {
      const result = parseOdsExtract(extract(odsLine(hampshirePharmacy), odsLine(secondPharmacy, { 1: 'FFFFF' })), importedAt);
      expect(problemsOf(result)).to.deep.equal([{ line: 2, problem: 'FFFFF is the virtual locum code, not a premises' }]);
    });

    it('when a practice code is in a pharmacy file, that line is a problem naming the line that decided the kind', () => {
      const result = parseOdsExtract(extract(odsLine(hampshirePharmacy), odsLine(dorsetPractice)), importedAt);
      expect(problemsOf(result)).to.deep.equal([
        { line: 2, problem: 'J81999 is a GP practice code, but this is an edispensary file of pharmacies (line 1 has FA123)' },
      ]);
    });

    it('when a pharmacy code is in a practice file, that line is a problem', () => {
      const result = parseOdsExtract(extract(odsLine(dorsetPractice), odsLine(hampshirePharmacy, { 15: '' })), importedAt);
      expect(problemsOn(result, 2)).to.deep.equal(['FA123 is a pharmacy code, but this is an epraccur file of GP practices (line 1 has J81999)']);
    });

    it('when a code is neither a pharmacy nor a practice code, the problem says which extracts are read', () => {
      const result = parseOdsExtract(extract(odsLine(dorsetPractice, { 1: 'RWR' }), odsLine(dorsetPractice)), importedAt);
      expect(problemsOf(result)).to.deep.equal([
        {
          line: 1,
          problem: 'RWR is not a pharmacy or GP practice code; the directory imports edispensary (pharmacies) and epraccur (GP practices) extracts',
        },
      ]);
    });

    it('when the same code is on two lines, the later line names the earlier one', () => {
      const result = parseOdsExtract(
        extract(odsLine(hampshirePharmacy, { 1: 'FB001' }), odsLine(hampshirePharmacy, { 1: 'FB002' }), odsLine(hampshirePharmacy, { 1: 'FB003' }), odsLine(hampshirePharmacy), odsLine(hampshirePharmacy, { 1: 'fa123' })),
        importedAt,
      );
      expect(problemsOf(result)).to.deep.equal([{ line: 5, problem: 'FA123 is also on line 4' }]);
    });

    it('when the name is empty, the problem says so', () => {
      expect(problemsOn(parseOdsExtract(extract(odsLine(dorsetPractice, { 2: '  ' })), importedAt), 1)).to.deep.equal(['the name (column 2) is empty']);
    });

    it('when the postcode, ICB or sub-ICB is not one, the problem names the column and the value', () => {
      const result = parseOdsExtract(extract(odsLine(dorsetPractice, { 4: 'Y58', 10: 'POOLE', 15: '11J9' })), importedAt);
      expect(problemsOn(result, 1)).to.deep.equal([
        '"Y58" in column 4 is not an ICB code; ICB codes are Q and two more letters or numbers, like QVV',
        '"POOLE" in column 10 is not a UK postcode',
        '"11J9" in column 15 is not a sub-ICB code; those are 3 or 5 letters and numbers, like 11J or D9Y0V',
      ]);
    });

    it('when a pharmacy head office code is odd, it is kept as the parent because edispensary does not check it', () => {
      expect(organisationsOf(parseOdsExtract(extract(odsLine(hampshirePharmacy, { 15: 'x1' })), importedAt))[0]?.parent).to.equal('X1');
    });

    it('when an open or close date is not a real YYYYMMDD date, the problem names the column and the value', () => {
      const result = parseOdsExtract(extract(odsLine(closedPractice, { 11: '20230229', 12: '2019-03-31' }), odsLine(closedPractice, { 1: 'J81997', 11: '20241301', 12: '20240229' })), importedAt);
      expect(problemsOf(result)).to.deep.equal([
        { line: 1, problem: 'the open date (column 11) "20230229" is not a real date written YYYYMMDD, like 20240131' },
        { line: 1, problem: 'the close date (column 12) "2019-03-31" is not a real date written YYYYMMDD, like 20240131' },
        { line: 2, problem: 'the open date (column 11) "20241301" is not a real date written YYYYMMDD, like 20240131' },
      ]);
    });

    it('when the status is empty or not an ODS status, the problem lists the statuses ODS uses', () => {
      const result = parseOdsExtract(extract(odsLine(dorsetPractice, { 13: '' }), odsLine(closedPractice, { 13: 'Open' })), importedAt);
      expect(problemsOf(result)).to.deep.equal([
        { line: 1, problem: 'the status (column 13) is empty; it should be A (active), C (closed), D (dormant), P (proposed), ACTIVE or INACTIVE' },
        { line: 2, problem: 'the status (column 13) "Open" is not one ODS uses: A (active), C (closed), D (dormant), P (proposed), ACTIVE or INACTIVE' },
      ]);
    });

    it('when a value is longer than 40 characters, the problem shows it cut short', () => {
      const result = parseOdsExtract(extract(odsLine(dorsetPractice, { 10: 'THE OLD VICARAGE BEHIND THE CHURCH ON THE GREEN' })), importedAt);
      expect(problemsOn(result, 1)).to.deep.equal(['"THE OLD VICARAGE BEHIND THE CHURCH ON..." in column 10 is not a UK postcode']);
    });

    it('when one line has several problems, they are all reported, and problems from every line come in line order', () => {
      const result = parseOdsExtract(
        extract(odsLine(dorsetPractice), odsLine(dorsetPractice, { 2: '', 13: 'X' }), odsLine(closedPractice).slice(0, -3), odsLine(closedPractice, { 10: 'NOWHERE' })),
        importedAt,
      );
      expect(problemsOf(result).map((p) => p.line)).to.deep.equal([2, 2, 2, 3, 4]);
      expect(problemsOn(result, 2)[0]).to.equal('J81999 is also on line 1');
    });

    it('when there are more than 50 problems, the first 50 are kept and the rest are counted', () => {
      const lines = Array.from({ length: 60 }, (_, i) => odsLine(dorsetPractice, { 1: `J8${String(2000 + i)}`, 10: 'NOWHERE' }));
      const problems = problemsOf(parseOdsExtract(extract(...lines), importedAt));
      expect(problems).to.have.length(51);
      expect(problems[49]).to.deep.equal({ line: 50, problem: '"NOWHERE" in column 10 is not a UK postcode' });
      expect(problems[50]).to.deep.equal({ line: 0, problem: 'and 10 more problems' });
    });

    it('when there is exactly one problem more than 50, the count says "problem"', () => {
      const lines = Array.from({ length: 51 }, (_, i) => odsLine(dorsetPractice, { 1: `J8${String(2000 + i)}`, 2: '' }));
      expect(problemsOf(parseOdsExtract(extract(...lines), importedAt)).at(-1)).to.deep.equal({ line: 0, problem: 'and 1 more problem' });
    });
  });

  describe('CSV that cannot be read', () => {
    it('when a quote mark is in the middle of a value, that line is a problem and the lines around it are still checked', () => {
      const broken = odsLine(closedPractice).replace('"OLD TEST SURGERY"', '"OLD "TEST" SURGERY"');
      const result = parseOdsExtract(extract(odsLine(dorsetPractice), broken, odsLine(prescribingCentre, { 10: 'NOWHERE' })), importedAt);
      expect(problemsOf(result)).to.deep.equal([
        { line: 2, problem: 'a closing quote mark in column 2 is followed by "T" instead of a comma; a quote mark inside a value must be doubled ("")' },
        { line: 3, problem: '"NOWHERE" in column 10 is not a UK postcode' },
      ]);
    });

    it('when an unquoted value has a quote mark in it, the problem shows the value', () => {
      const broken = dorsetPractice.map((f, i) => (i === 1 ? 'THE "NEW" SURGERY' : f)).join(',');
      expect(problemsOf(parseOdsExtract(extract(broken), importedAt))).to.deep.equal([
        { line: 1, problem: 'there is a quote mark in column 2 after "THE "; a quote mark can only start a value, or be doubled ("") inside a quoted one' },
      ]);
    });

    it('when a quote mark is left off the end of a value, the line is a problem and the next line is still checked', () => {
      const unclosed = odsLine(closedPractice).replace('"OLD TEST SURGERY"', '"OLD TEST SURGERY');
      const result = parseOdsExtract(extract(odsLine(dorsetPractice), '', unclosed, odsLine(prescribingCentre, { 2: '' })), importedAt);
      expect(problemsOf(result)).to.deep.equal([
        { line: 3, problem: 'a closing quote mark in column 2 is followed by "Y" instead of a comma; a quote mark inside a value must be doubled ("")' },
        { line: 4, problem: 'the name (column 2) is empty' },
      ]);
    });

    it('when a quote mark is not closed until a later line, the problem is on the line where it opened', () => {
      const unclosed = `${odsLine(closedPractice).slice(0, -1)}\r\n\r\n"J81997"`;
      const result = parseOdsExtract(`${odsLine(dorsetPractice)}\r\n\r\n${unclosed}\r\n`, importedAt);
      expect(problemsOf(result)).to.deep.equal([
        { line: 3, problem: 'a quote mark in column 27 is not closed on this line; the next one, on line 5, is followed by "J" instead of a comma' },
      ]);
    });

    it('when a quote mark is never closed and lines without quotes follow, the problem says how far the file is lost', () => {
      const text = `${odsLine(dorsetPractice)}\r\n"J81997","OLD TEST SURGERY\r\nWIMBORNE\r\n\r\nDORSET\r\n`;
      expect(problemsOf(parseOdsExtract(text, importedAt))).to.deep.equal([
        { line: 2, problem: "a quote mark in column 2 is never closed, so this line and everything after it, to line 5, can't be read" },
      ]);
    });

    it('when a quote mark is never closed before the end of the file, the problem is on its line and does not mention later lines', () => {
      expect(problemsOf(parseOdsExtract('"J81999","CANFORD', importedAt))).to.deep.equal([
        { line: 1, problem: "a quote mark in column 2 is never closed, so this line can't be read" },
      ]);
    });

    it('when a quoted value spans a CRLF line break, later problems still name the lines an editor shows', () => {
      const spanning = odsLine(dorsetPractice, { 5: 'THE HEALTH CENTRE\r\nBLOCK B' });
      const result = parseOdsExtract(extract(spanning, odsLine(closedPractice, { 2: '' }), `${odsLine(prescribingCentre)},""`), importedAt);
      expect(problemsOf(result)).to.deep.equal([
        { line: 3, problem: 'the name (column 2) is empty' },
        { line: 4, problem: 'has 28 columns; an ODS extract has 27' },
      ]);
    });

    it('when a quoted value spans lines and a later line has a stray quote, the syntax problem names the right line', () => {
      const spanning = odsLine(dorsetPractice, { 5: 'THE HEALTH CENTRE\r\nBLOCK B\r\nSECOND FLOOR' });
      const broken = odsLine(closedPractice).replace('"OLD TEST SURGERY"', '"OLD "TEST" SURGERY"');
      expect(problemsOf(parseOdsExtract(extract(spanning, broken), importedAt)).map((p) => p.line)).to.deep.equal([4]);
    });

    it('when a value spans lines and the file is otherwise good, it is read with the line break kept', () => {
      const spanning = odsLine(dorsetPractice, { 5: 'THE HEALTH CENTRE\nBLOCK B' });
      expect(organisationsOf(parseOdsExtract(extract(spanning, odsLine(closedPractice)), importedAt))[0]?.address[0]).to.equal('THE HEALTH CENTRE\nBLOCK B');
    });
  });
});
