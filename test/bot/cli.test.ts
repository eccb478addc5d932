import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { Asker, evalFailures, type AskResult } from '../../bot/cli.js';
import { loadConfig } from '../../bot/config.js';
import { importOdsExtract } from '../../bot/directory/imports.js';
import type { LookupReport } from '../../bot/directory/lookupReport.js';
import { openLowdbDirectory } from '../../bot/storage/lowdbDirectory.js';
import { openLowdbQuestionLog } from '../../bot/storage/lowdbQuestionLog.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../../bot/cli.ts', import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Runs the command line as `npm run --silent ask|eval|cli` does, from source. */
async function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', tsx, '--disable-warning=DEP0111', cli, ...args], {
      env: { PATH: process.env['PATH'] ?? '', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('command line: ask, eval and report', () => {
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'sa-cli-'));
  });
  after(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  it('ask --json prints one object with exactly the contract fields', async () => {
    const { code, stdout } = await runCli(['ask', '--json', 'where do I find the UUID on my smartcard']);
    expect(code).to.equal(0);
    const result = JSON.parse(stdout) as AskResult;
    expect(Object.keys(result).sort()).to.deep.equal(['confidence', 'id', 'kind', 'reply', 'suggestions', 'text', 'title']);
    expect(result.text).to.equal('where do I find the UUID on my smartcard');
    expect(result.kind).to.equal('answer');
    expect(result.id).to.equal('smartcard-uuid');
    expect(result.reply).to.include('12-digit');
    expect(result.confidence).to.be.within(0, 1);
  });

  it('ask --json reports kind "flow" when a question starts a guided flow, with the flow id', async () => {
    const { stdout } = await runCli(['ask', '--json', 'spinning arrows when I try to renew my certificates']);
    const result = JSON.parse(stdout) as AskResult;
    expect(result.kind).to.equal('flow');
    expect(result.id).to.equal('reader-troubleshooting');
    expect(result.reply).to.include('Omnikey');
  });

  it('ask without --json prints the reply as a person would read it, buttons in brackets', async () => {
    const { stdout } = await runCli(['ask', 'tell', 'me', 'a', 'joke']);
    expect(stdout).to.include("I don't know that one yet");
    expect(stdout).to.include('[What I can do]');
  });

  it('ask --json --batch prints one line per question, in order, in one process', async () => {
    const file = path.join(tmp, 'batch.jsonl');
    writeFileSync(file, ['{"text":"card"}', '{"text":"who won the football"}', '', '{"text":"what is a UUID"}'].join('\n'));
    const { code, stdout } = await runCli(['ask', '--json', '--batch', file]);
    expect(code).to.equal(0);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as AskResult);
    expect(lines.map((l) => l.text)).to.deep.equal(['card', 'who won the football', 'what is a UUID']);
    expect(lines.map((l) => l.kind)).to.deep.equal(['clarify', 'none', 'answer']);
  });

  it('eval prints each failure and "N passed, M failed", and exits non-zero on any failure', async () => {
    const file = path.join(tmp, 'eval.jsonl');
    writeFileSync(
      file,
      [
        '{"text":"tell me a joke","kind":"none"}',
        '{"text":"where do I find my smartcard uuid","kind":"answer","mustInclude":["front",["12-digit","12 digit"]]}',
        '{"text":"tell me a joke","kind":"answer","mustNotInclude":["know"]}',
      ].join('\n'),
    );
    const { code, stdout } = await runCli(['eval', file]);
    expect(code).to.equal(1);
    expect(stdout).to.include('FAIL "tell me a joke"');
    expect(stdout.trim().split('\n').at(-1)).to.equal('2 passed, 1 failed');
  });

  it('eval refuses a file with bad lines and names them', async () => {
    const file = path.join(tmp, 'bad.jsonl');
    writeFileSync(file, '{"text":"ok"}\nnot json\n{"kind":"answer"}\n');
    const { code, stderr } = await runCli(['eval', file]);
    expect(code).to.equal(2);
    expect(stderr).to.include('line 2: not JSON');
    expect(stderr).to.include('line 3');
  });

  it('report questions lists unanswered and unhelpful questions with counts, newest first', async () => {
    const dataDir = path.join(tmp, 'data');
    const log = await openLowdbQuestionLog(path.join(dataDir, 'questions.json'), 180, () => new Date());
    const now = Date.now();
    await log.recordUnanswered({ question: 'how do I claim mileage', at: new Date(now - 60_000).toISOString() });
    await log.recordUnanswered({ question: 'How do I claim  mileage', at: new Date(now - 30_000).toISOString() });
    await log.recordFeedback({ articleId: 'card-series', helpful: false, comment: 'too long', at: new Date(now).toISOString() });
    await log.flush();
    const { code, stdout } = await runCli(['report', 'questions'], { DATA_DIR: dataDir });
    expect(code).to.equal(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).to.match(/^1x .* unhelpful answer: card-series$/);
    expect(lines[1]).to.include('said "too long"');
    expect(lines[2]).to.match(/^2x .* unanswered: "How do I claim {2}mileage"$/);
  });

  it('an unknown command prints the usage and exits 2', async () => {
    const { code, stderr } = await runCli(['frobnicate']);
    expect(code).to.equal(2);
    expect(stderr).to.include('Usage:');
  });

  it('evalFailures checks kind, every required phrase (any alternative) and banned phrases, ignoring case', () => {
    const result: AskResult = { text: 'q', kind: 'answer', id: 'x', title: 'X', confidence: 0.5, reply: 'Never share your PIN', suggestions: [] };
    expect(evalFailures({ text: 'q', kind: 'answer', mustInclude: [['never', 'do not'], 'pin'], mustNotInclude: ['1234'] }, result)).to.deep.equal([]);
    expect(evalFailures({ text: 'q', kind: 'none', mustInclude: ['passcode'], mustNotInclude: ['share'] }, result)).to.have.length(3);
  });

  it('the in-process asker answers without touching the real question log', async () => {
    const asker = await Asker.open(loadConfig({ DATA_DIR: path.join(tmp, 'untouched'), LOG_LEVEL: 'silent' }));
    expect((await asker.ask('book annual leave')).kind).to.equal('none');
    expect(existsSync(path.join(tmp, 'untouched'))).to.equal(false);
  });
});

describe('command line: directory commands', function () {
  // Each run of the real command line starts Node and tsx, a few seconds on a busy machine; some tests run it four times.
  this.timeout(60_000);
  const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/directory/${name}`, import.meta.url));
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'sa-cli-directory-'));
  });
  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** `npm run cli -- directory ...` on this test's DATA_DIR, with ODS live look-ups off whatever a .env says. */
  const directory = (...args: string[]) => runCli(['directory', ...args], { DATA_DIR: dataDir, ODS_API_URL: '' });

  async function lookupJson(code: string): Promise<LookupReport> {
    const { code: exit, stdout, stderr } = await directory('lookup', code, '--json');
    expect(exit, stderr).to.equal(0);
    return JSON.parse(stdout) as LookupReport;
  }

  it('when both extracts and the contacts file are imported, lookup FA123 --json finds the pharmacy, the SCW RA team and its contacts', async () => {
    const practices = await directory('import-ods', fixture('epraccur-sample.csv'));
    expect(practices.code, practices.stderr).to.equal(0);
    expect(practices.stdout.trim()).to.equal('Imported: added 4, changed 0, left 0 unchanged (epraccur organisations).');
    const pharmacies = await directory('import-ods', fixture('edispensary-sample.csv'));
    expect(pharmacies.stdout.trim()).to.equal('Imported: added 3, changed 0, left 0 unchanged (edispensary organisations).');
    const contacts = await directory('import-contacts', fixture('contacts-sample.csv'));
    expect(contacts.code, contacts.stderr).to.equal(0);
    expect(contacts.stdout.trim()).to.equal('Imported: added 4, changed 0, left 0 unchanged (contacts).');

    const found = await lookupJson('fa123');
    expect(found).to.deep.include({ code: 'FA123', status: 'found', problem: null, live: null });
    expect(found.organisation).to.deep.include({ name: 'SEAFRONT PHARMACY (FICTIONAL)', postcode: 'PO5 3AA', open: true });
    expect(found.raTeam).to.deep.include({ id: 'scw', phone: '0300 5610429', placedBy: 'icb' });
    // Sponsors first, then Local Smartcard Administrators; who confirmed an entry is not printed.
    expect(found.contacts.map((c) => [c.role, c.name, c.email ?? null])).to.deep.equal([
      ['sponsor', 'Alex Example', 'alex.example@nhs.net'],
      ['sponsor', 'Sam Sample', null],
      ['lsa', 'Jo Placeholder', 'jo.placeholder@nhs.net'],
    ]);
    expect(found.contacts[0]).to.not.have.property('confirmedBy');
  });

  it('when FFFFF, F12 and FX999 are looked up, each gets its own answer: locum, "can\'t be a pharmacy code" with exit 1, and unknown', async () => {
    // Three separate runs, started together to save time; none writes anything.
    const [locum, malformed, unknown] = await Promise.all([
      directory('lookup', 'FFFFF', '--json'),
      directory('lookup', 'F12'),
      directory('lookup', 'FX999', '--json'),
    ]);

    expect(locum.code, locum.stderr).to.equal(0);
    expect(JSON.parse(locum.stdout)).to.deep.include({ code: 'FFFFF', status: 'locum', organisation: null, raTeam: null, contacts: [] });

    expect(malformed.code, 'F12 exits 1').to.equal(1);
    expect(malformed.stdout.trim()).to.equal('"F12" can\'t be a pharmacy code: pharmacy ODS codes are F and four more letters or numbers, like FA123.');

    // A valid code the directory does not hold, with live ODS look-ups off.
    expect(unknown.code, unknown.stderr).to.equal(0);
    expect(JSON.parse(unknown.stdout)).to.deep.include({ code: 'FX999', status: 'unknown', organisation: null, live: 'off' });
  });

  it('when contacts-bad-line.csv is imported, it exits 1 naming line 3 and saying nothing has changed, and no contact from it is stored', async () => {
    // The pharmacy is already in the directory, imported the way the command line would.
    const stores = await openLowdbDirectory(dataDir);
    const seeded = await importOdsExtract(readFileSync(fixture('edispensary-sample.csv'), 'utf8'), stores.organisations, { dryRun: false, now: new Date() });
    expect(seeded.ok).to.equal(true);
    await stores.organisations.flush();

    const { code, stdout, stderr } = await directory('import-contacts', fixture('contacts-bad-line.csv'));
    expect(code).to.equal(1);
    expect(stdout).to.equal('');
    expect(stderr).to.include('contacts-bad-line.csv was not imported, and nothing has changed.');
    expect(stderr).to.include('line 3: role "manager"');
    expect(stderr).to.not.include('line 2');

    const found = await lookupJson('FA123');
    expect(found.status).to.equal('found');
    expect(found.contacts).to.deep.equal([]);
  });

  it('when an extract is imported with --dry-run, it says "Dry run" with what it would add, and a lookup afterwards finds nothing', async () => {
    const { code, stdout } = await directory('import-ods', fixture('epraccur-sample.csv'), '--dry-run');
    expect(code).to.equal(0);
    expect(stdout.trim()).to.equal('Dry run, nothing written: would add 4, change 0, leave 0 unchanged (epraccur organisations).');
    expect(await lookupJson('Y90001')).to.deep.include({ code: 'Y90001', status: 'unknown', organisation: null });
  });
});
