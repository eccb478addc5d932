import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { activity, post, replyText, started } from '../support/http.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../../bot/cli.ts', import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const fixtures = fileURLToPath(new URL('../fixtures/directory/', import.meta.url));

/** The real command line, as an RA team runs it, on one DATA_DIR. */
async function directoryCli(dataDir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', tsx, '--disable-warning=DEP0111', cli, 'directory', ...args], {
      // Blank, so a developer's .env cannot turn on live ODS look-ups in this test.
      env: { PATH: process.env['PATH'] ?? '', DATA_DIR: dataDir, ODS_API_URL: '' },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('the directory, imported with the command line and asked over HTTP', () => {
  let dataDir: string;
  let url: string;
  let stop: () => Promise<void>;
  const ask = async (text: string, conversation = 'http-directory') =>
    replyText((await post(url, activity({ type: 'message', text, conversation: { id: conversation, conversationType: 'personal', isGroup: false, name: '' } }))).body);

  before(async function () {
    // Three runs of the real command line, each starting Node and tsx.
    this.timeout(60_000);
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'sa-http-directory-'));
    for (const file of ['epraccur-sample.csv', 'edispensary-sample.csv']) {
      expect((await directoryCli(dataDir, 'import-ods', path.join(fixtures, file))).code).to.equal(0);
    }
    expect((await directoryCli(dataDir, 'import-contacts', path.join(fixtures, 'contacts-sample.csv'))).code).to.equal(0);
    const { app, url: served } = await started({ DATA_DIR: dataDir });
    url = served;
    stop = () => app.stop();
  });
  after(async () => {
    await stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('when someone asks "who is the sponsor for FA123", the reply names its Sponsors and its RA team\'s phone number', async () => {
    const reply = await ask('who is the sponsor for FA123?');
    expect(reply).to.include('Sponsors at SEAFRONT PHARMACY (FICTIONAL) (FA123)');
    expect(reply).to.include('Alex Example');
    expect(reply).to.include('Sam Sample');
    expect(reply).to.include('0300 5610429');
    expect(reply).not.to.include('01202 541604');
  });

  it('when the code is malformed, unknown or FFFFF, each gets its own answer', async () => {
    expect(await ask('who is the sponsor for F12', 'http-malformed')).to.include("can't be a pharmacy code");
    const unknown = await ask('who is the sponsor for FX999', 'http-unknown');
    expect(unknown).to.include("FX999 is a valid ODS code, but it isn't in my directory");
    expect(await ask('BH12 5AG', 'http-unknown')).to.include('01202 541604');
    expect(await ask('who is the sponsor for FFFFF', 'http-locum')).to.include('virtual National Locum Pharmacy organisation');
  });

  it('when an RA team imports a contacts file with a bad line while the bot runs, the bot still shows the contacts it had', async function () {
    this.timeout(30_000);
    const bad = path.join(dataDir, 'bad.csv');
    writeFileSync(bad, 'ods_code,role,name,email,phone\nFA123,sponsor,New Person,new@nhs.net,\nFA123,sponsor,X,,\n');
    const result = await directoryCli(dataDir, 'import-contacts', bad);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.include('line 3');
    expect(result.stderr).to.include('nothing has changed');
    const reply = await ask('who is the sponsor for FA123?', 'http-after-bad');
    expect(reply).to.include('Alex Example');
    expect(reply).not.to.include('New Person');
  });

  it('when an RA team imports a good contacts file while the bot runs, the next look-up shows it without a restart', async function () {
    this.timeout(30_000);
    const more = path.join(dataDir, 'more.csv');
    writeFileSync(more, 'ods_code,role,name,email,phone\nFW844,id-checker,Robin Fictional,robin.fictional@nhs.net,\n');
    expect((await directoryCli(dataDir, 'import-contacts', more)).code).to.equal(0);
    expect(await ask('who is the ID checker for FW844?', 'http-after-good')).to.include('Robin Fictional');
  });
});

describe('live ODS look-ups over HTTP, against a loopback stand-in for the ORD API', () => {
  // A made-up pharmacy in the documented ORD detail shape: Hampshire, so the SCW team.
  const record = {
    Organisation: {
      Name: 'TEST LIVE PHARMACY',
      OrgId: { extension: 'FZ001' },
      Status: 'Active',
      GeoLoc: { Location: { AddrLn1: '1 TEST STREET', Town: 'PORTSMOUTH', PostCode: 'PO1 1AA' } },
      Roles: { Role: [{ id: 'RO182', primaryRole: true, Status: 'Active' }] },
      Rels: { Rel: [{ id: 'RE4', Status: 'Active', Target: { OrgId: { extension: 'QRL' }, PrimaryRoleId: { id: 'RO261' } } }] },
    },
  };
  let ord: Server;
  let requests: string[];
  let url: string;
  let stop: () => Promise<void>;
  const ask = async (text: string, conversation: string) =>
    replyText((await post(url, activity({ type: 'message', text, conversation: { id: conversation, conversationType: 'personal', isGroup: false, name: '' } }))).body);

  before(async () => {
    requests = [];
    ord = createServer((req, res) => {
      requests.push(req.url ?? '');
      const found = req.url?.endsWith('/organisations/FZ001');
      res.writeHead(found ? 200 : 404, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify(found ? record : { errorCode: 404, errorText: 'Not Found' }));
    });
    await new Promise<void>((resolve) => ord.listen(0, '127.0.0.1', resolve));
    const { port } = ord.address() as AddressInfo;
    const { app, url: served } = await started({ ODS_API_URL: `http://127.0.0.1:${port}/ORD/2-0-0` });
    url = served;
    stop = () => app.stop();
  });
  after(async () => {
    await stop();
    ord.close();
  });

  it('when a code is not in the directory, the bot fetches it from ODS, shows its RA team, and keeps it so the next look-up asks nobody', async () => {
    const first = await ask('who is the sponsor for FZ001?', 'http-live-1');
    expect(first).to.include('TEST LIVE PHARMACY');
    expect(first).to.include('fetched it from the ODS service');
    expect(first).to.include('0300 5610429');
    expect(requests).to.deep.equal(['/ORD/2-0-0/organisations/FZ001']);
    expect(await ask('FZ001', 'http-live-2')).to.include('TEST LIVE PHARMACY');
    expect(requests).to.have.length(1);
  });

  it('when ODS has no such code, the user is told to check it and can still get an RA team', async () => {
    const reply = await ask('who is the sponsor for FZ404?', 'http-live-3');
    expect(reply).to.include('The ODS service has no organisation with that code either');
    expect(await ask('Dorset', 'http-live-3')).to.include('01202 541604');
  });

  it('when the ODS service cannot be reached, the user is told so and still gets the right RA team from the postcode', async () => {
    await new Promise<void>((resolve) => ord.close(() => resolve()));
    const reply = await ask('who is the sponsor for FZ002?', 'http-live-4');
    expect(reply).to.include("I couldn't reach the ODS service to check it just now");
    expect(await ask('SO23 9AA', 'http-live-4')).to.include('0300 5610429');
  });
});
