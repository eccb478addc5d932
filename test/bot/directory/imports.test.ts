import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { importContacts, importOdsExtract, type ImportReport } from '../../../bot/directory/imports.js';
import { openLowdbDirectory } from '../../../bot/storage/lowdbDirectory.js';

const fixture = (name: string): string => readFileSync(fileURLToPath(new URL(`../../fixtures/directory/${name}`, import.meta.url)), 'utf8');
const epraccur = fixture('epraccur-sample.csv');
const edispensary = fixture('edispensary-sample.csv');
const contactsFile = fixture('contacts-sample.csv');
const badContactsFile = fixture('contacts-bad-line.csv');

const firstImport = new Date('2026-03-02T07:30:00Z');
const secondImport = new Date('2026-04-06T07:30:00Z');
const run = { dryRun: false, now: firstImport } as const;

type Stores = Awaited<ReturnType<typeof openLowdbDirectory>>;

function problemsOf(report: ImportReport): readonly { line: number; problem: string }[] {
  if (report.ok) expect.fail(`expected the file to be rejected, got ${JSON.stringify(report)}`);
  return report.problems;
}

/** The fixture text with one thing changed, which must be there to change. */
function edited(text: string, from: string, to: string): string {
  expect(text).to.include(from);
  return text.replace(from, to);
}

describe('directory imports (ODS extracts and local contacts)', () => {
  let dataDir: string;
  let stores: Stores;
  beforeEach(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'sa-imports-'));
    stores = await openLowdbDirectory(dataDir);
  });
  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Both sample extracts, as an RA team member would import them first. */
  async function importBothExtracts(): Promise<void> {
    expect((await importOdsExtract(epraccur, stores.organisations, run)).ok).to.equal(true);
    expect((await importOdsExtract(edispensary, stores.organisations, run)).ok).to.equal(true);
  }

  describe('ODS extracts', () => {
    it('when the two sample extracts are imported, 4 practices and 3 pharmacies are added', async () => {
      expect(await importOdsExtract(epraccur, stores.organisations, run)).to.deep.equal({
        ok: true,
        dryRun: false,
        kind: 'epraccur',
        added: 4,
        changed: 0,
        unchanged: 0,
      });
      expect(await importOdsExtract(edispensary, stores.organisations, run)).to.deep.equal({
        ok: true,
        dryRun: false,
        kind: 'edispensary',
        added: 3,
        changed: 0,
        unchanged: 0,
      });
      expect(await stores.organisations.count()).to.equal(7);
      expect(await stores.organisations.get('FA123')).to.deep.include({ name: 'SEAFRONT PHARMACY (FICTIONAL)', kind: 'pharmacy', postcode: 'PO5 3AA' });
      expect(await stores.organisations.get('Y90003')).to.deep.include({ open: false, closedOn: '2024-03-31' });
    });

    it('when the same extract is imported again, everything is unchanged and records keep their first import date', async () => {
      await importBothExtracts();
      expect(await importOdsExtract(epraccur, stores.organisations, { dryRun: false, now: secondImport })).to.deep.include({
        ok: true,
        added: 0,
        changed: 0,
        unchanged: 4,
      });
      expect(await importOdsExtract(edispensary, stores.organisations, { dryRun: false, now: secondImport })).to.deep.include({ unchanged: 3 });
      expect((await stores.organisations.get('Y90001'))?.updatedAt).to.equal(firstImport.toISOString());
      expect((await stores.organisations.get('FA123'))?.updatedAt).to.equal(firstImport.toISOString());
      expect(await stores.organisations.count()).to.equal(7);
    });

    it('when a line has changed (a new name), it counts as changed and the record takes the new name and the new import date', async () => {
      await importBothExtracts();
      const renamed = edited(epraccur, 'HARBOUR VIEW SURGERY (FICTIONAL)', 'HARBOUR VIEW MEDICAL PRACTICE (FICTIONAL)');
      expect(await importOdsExtract(renamed, stores.organisations, { dryRun: false, now: secondImport })).to.deep.include({
        ok: true,
        added: 0,
        changed: 1,
        unchanged: 3,
      });
      expect(await stores.organisations.get('Y90001')).to.deep.include({
        name: 'HARBOUR VIEW MEDICAL PRACTICE (FICTIONAL)',
        updatedAt: secondImport.toISOString(),
      });
      expect((await stores.organisations.get('Y90002'))?.updatedAt).to.equal(firstImport.toISOString());
    });

    it('when an extract is imported with --dry-run, the report says what would happen and nothing is written', async () => {
      expect(await importOdsExtract(epraccur, stores.organisations, { dryRun: true, now: firstImport })).to.deep.equal({
        ok: true,
        dryRun: true,
        kind: 'epraccur',
        added: 4,
        changed: 0,
        unchanged: 0,
      });
      expect(await stores.organisations.count()).to.equal(0);
      expect(existsSync(path.join(dataDir, 'organisations.json'))).to.equal(false);

      await importBothExtracts();
      const before = readFileSync(path.join(dataDir, 'organisations.json'), 'utf8');
      const renamed = edited(epraccur, 'HARBOUR VIEW SURGERY (FICTIONAL)', 'HARBOUR VIEW MEDICAL PRACTICE (FICTIONAL)');
      expect(await importOdsExtract(renamed, stores.organisations, { dryRun: true, now: secondImport })).to.deep.include({ changed: 1, unchanged: 3 });
      expect((await stores.organisations.get('Y90001'))?.name).to.equal('HARBOUR VIEW SURGERY (FICTIONAL)');
      expect(readFileSync(path.join(dataDir, 'organisations.json'), 'utf8')).to.equal(before);
    });

    it('when one line has a bad postcode, the whole file is rejected naming that line, and nothing already stored changes', async () => {
      await importBothExtracts();
      const before = readFileSync(path.join(dataDir, 'organisations.json'), 'utf8');
      // Line 1 renames a practice, which must not be applied; line 3 has a postcode cut short.
      const broken = edited(edited(epraccur, 'HARBOUR VIEW SURGERY (FICTIONAL)', 'RENAMED SURGERY (FICTIONAL)'), '"DT1 1AA"', '"DT1 1A"');
      const problems = problemsOf(await importOdsExtract(broken, stores.organisations, { dryRun: false, now: secondImport }));
      expect(problems).to.deep.equal([{ line: 3, problem: '"DT1 1A" in column 10 is not a UK postcode' }]);
      expect((await stores.organisations.get('Y90001'))?.name).to.equal('HARBOUR VIEW SURGERY (FICTIONAL)');
      expect(await stores.organisations.count()).to.equal(7);
      expect(readFileSync(path.join(dataDir, 'organisations.json'), 'utf8')).to.equal(before);
    });

    it('when a file with a bad line is imported into an empty directory, nothing at all is added', async () => {
      const broken = edited(edispensary, '"BH20 4AA"', '"NOT A POSTCODE"');
      expect(problemsOf(await importOdsExtract(broken, stores.organisations, run)).map((p) => p.line)).to.deep.equal([2]);
      expect(await stores.organisations.count()).to.equal(0);
      expect(await stores.organisations.get('FA123')).to.equal(undefined);
    });
  });

  describe('local contacts', () => {
    it('when the sample contacts file is imported, all 4 are added, confirmed by the import on its date', async () => {
      await importBothExtracts();
      expect(await importContacts(contactsFile, stores, run)).to.deep.equal({ ok: true, dryRun: false, kind: 'contacts', added: 4, changed: 0, unchanged: 0 });
      const pharmacy = await stores.contacts.forOrganisation('FA123');
      expect(pharmacy.map((c) => [c.role, c.name])).to.have.deep.members([
        ['sponsor', 'Alex Example'],
        ['sponsor', 'Sam Sample'],
        ['lsa', 'Jo Placeholder'],
      ]);
      expect(pharmacy.find((c) => c.name === 'Alex Example')).to.deep.include({ email: 'alex.example@nhs.net', phone: '023 9200 0000' });
      expect(pharmacy.every((c) => c.confirmedBy === 'import' && c.confirmedAt === firstImport.toISOString())).to.equal(true);
      expect((await stores.contacts.forOrganisation('Y90001')).map((c) => c.name)).to.deep.equal(['Pat Fictional']);
    });

    it('when the same contacts file is imported again, 0 are added, 0 changed, 4 unchanged, with no duplicates and the same ids, confirmed again', async () => {
      await importBothExtracts();
      await importContacts(contactsFile, stores, run);
      const idsBefore = (await stores.contacts.forOrganisation('FA123')).map((c) => c.id);

      expect(await importContacts(contactsFile, stores, { dryRun: false, now: secondImport })).to.deep.include({ ok: true, added: 0, changed: 0, unchanged: 4 });

      const pharmacy = await stores.contacts.forOrganisation('FA123');
      expect(pharmacy.map((c) => c.id)).to.have.members(idsBefore);
      expect(pharmacy).to.have.length(3);
      expect(await stores.contacts.forOrganisation('Y90001')).to.have.length(1);
      expect(pharmacy.every((c) => c.confirmedAt === secondImport.toISOString())).to.equal(true);
    });

    it("when a contact's phone has changed, it counts as changed and the same contact takes the new number", async () => {
      await importBothExtracts();
      await importContacts(contactsFile, stores, run);
      const newPhone = edited(contactsFile, 'pat.fictional@nhs.net,01202 000001', 'pat.fictional@nhs.net,01202 000002');
      expect(await importContacts(newPhone, stores, { dryRun: false, now: secondImport })).to.deep.include({ added: 0, changed: 1, unchanged: 3 });
      expect((await stores.contacts.forOrganisation('Y90001')).map((c) => c.phone)).to.deep.equal(['01202 000002']);
    });

    it('when contacts are imported with --dry-run, the report counts them and none are stored', async () => {
      await importBothExtracts();
      expect(await importContacts(contactsFile, stores, { dryRun: true, now: firstImport })).to.deep.include({ ok: true, dryRun: true, added: 4 });
      expect(await stores.contacts.forOrganisation('FA123')).to.deep.equal([]);
      expect(existsSync(path.join(dataDir, 'contacts.json'))).to.equal(false);
    });

    it('when a line is for an organisation not in the directory, the file is rejected naming that line, and no contact from it is stored', async () => {
      await importBothExtracts();
      const withStranger = `${contactsFile}FZ999,sponsor,Nobody Known,nobody.known@nhs.net,\n`;
      const problems = problemsOf(await importContacts(withStranger, stores, run));
      expect(problems).to.have.length(1);
      expect(problems[0]?.line).to.equal(6);
      expect(problems[0]?.problem).to.include('FZ999 is not in the directory');
      expect(await stores.contacts.forOrganisation('FA123')).to.deep.equal([]);
      expect(await stores.contacts.forOrganisation('Y90001')).to.deep.equal([]);
    });

    it('when contacts-bad-line.csv (an unknown role on line 3) is imported, it is rejected naming line 3 and nothing is stored, not even the good line 2', async () => {
      await importBothExtracts();
      const problems = problemsOf(await importContacts(badContactsFile, stores, run));
      expect(problems.map((p) => p.line)).to.deep.equal([3]);
      expect(problems[0]?.problem).to.include('role "manager"');
      expect(await stores.contacts.forOrganisation('FA123')).to.deep.equal([]);
      expect(existsSync(path.join(dataDir, 'contacts.json'))).to.equal(false);
    });
  });
});
