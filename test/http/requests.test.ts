import { expect } from 'chai';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { importOdsExtract } from '../../bot/directory/imports.js';
import { openLowdbDirectory } from '../../bot/storage/lowdbDirectory.js';
import { activity, post, replyText, started } from '../support/http.js';

const run = promisify(execFile);
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const cli = fileURLToPath(new URL('../../bot/cli.ts', import.meta.url));
const entry = fileURLToPath(new URL('../../bot/index.ts', import.meta.url));
const admin = '11111111-2222-3333-4444-555555555555';
const outsider = '99999999-8888-7777-6666-555555555555';

/** What the loopback Bot Connector received: proactive posts and in-place updates. */
interface Received {
  readonly method: string;
  readonly path: string;
  readonly body: { text?: string; attachments?: { content: unknown }[] };
}

/**
 * A loopback stand-in for the Bot Connector: accepts posts and updates, hands out activity ids, records them.
 * `arrival` resolves with the first request from `from` on that matches, as soon as it comes (the send queue posts
 * the requester's updates just after the turn that queued them).
 */
async function connector(): Promise<{
  url: string;
  received: Received[];
  arrival: (from: number, match: (r: Received) => boolean) => Promise<Received>;
  close: () => Promise<void>;
}> {
  const received: Received[] = [];
  const waiting: { match: (r: Received) => boolean; resolve: (r: Received) => void }[] = [];
  const arrival = (from: number, match: (r: Received) => boolean) =>
    new Promise<Received>((resolve) => {
      const found = received.slice(from).find(match);
      if (found) resolve(found);
      else waiting.push({ match, resolve });
    });
  let count = 0;
  const server: Server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const url = decodeURIComponent(req.url ?? '');
      const request: Received = { method: req.method ?? '', path: url, body: body ? (JSON.parse(body) as Received['body']) : {} };
      received.push(request);
      for (const waiter of [...waiting]) {
        if (waiter.match(request)) {
          waiting.splice(waiting.indexOf(waiter), 1);
          waiter.resolve(request);
        }
      }
      res.writeHead(200, { 'content-type': 'application/json', connection: 'close' });
      // The roster answers who a member is, with the email Teams holds for them.
      const member = /\/members\/([^/]+)$/.exec(url);
      res.end(JSON.stringify(member ? { id: member[1], name: 'Sam Requester', email: 'sam.requester@example.nhs.uk' } : { id: `posted-${++count}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, received, arrival, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function requestsList(dataDir: string, key: string): Promise<{ reference: string; status: string; fields: Record<string, string>; requester: { email?: string } }[]> {
  const { stdout } = await run(process.execPath, ['--import', tsx, '--disable-warning=DEP0111', cli, 'requests', 'list', '--json'], {
    env: { PATH: process.env['PATH'] ?? '', DATA_DIR: dataDir, REQUEST_KEY: key },
  });
  return JSON.parse(stdout) as { reference: string; status: string; fields: Record<string, string>; requester: { email?: string } }[];
}

const lostCard = {
  verb: 'form.submit',
  form: 'lost-card',
  draft: 'aaaaaaaa-0000-4000-8000-000000000001',
  what: 'stolen',
  holderName: 'Sam Requester',
  odsCode: 'fa123',
  noticed: '2026-11-20',
  replacement: 'true',
};

describe('a lost-card report over HTTP, to the RA desk and back', () => {
  let dataDir: string;
  let key: string;
  let bot: { url: string; stop: () => Promise<void> };
  let teams: Awaited<ReturnType<typeof connector>>;
  const from = (aadObjectId: string, id: string) => ({ id, name: id === 'requester' ? 'Sam Requester' : 'Robin RA', aadObjectId });
  const personal = { id: 'personal-requester', conversationType: 'personal', isGroup: false, name: '', tenantId: 'tenant-1' };
  const desk = { id: '19:desk@thread.tacv2;messageid=1', conversationType: 'channel', isGroup: true, name: '' };

  before(async function () {
    this.timeout(30_000);
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'sa-http-requests-'));
    key = randomBytes(32).toString('base64');
    teams = await connector();
    const stores = await openLowdbDirectory(dataDir);
    const extract = readFileSync(fileURLToPath(new URL('../fixtures/directory/edispensary-sample.csv', import.meta.url)), 'utf8');
    expect((await importOdsExtract(extract, stores.organisations, { dryRun: false, now: new Date() })).ok).to.equal(true);
    await stores.organisations.flush();
    const { app, url } = await started({ DATA_DIR: dataDir, REQUEST_KEY: key, RA_ADMINS: admin });
    bot = { url, stop: () => app.stop() };
  });
  after(async () => {
    await bot.stop();
    await teams.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('when a stolen card is reported, it is filed before the reference is shown, lands on the desk and in requests list --json; assigning and completing it tells the requester; an outsider changes nothing', async function () {
    this.timeout(30_000);
    const setDesk = await post(bot.url, activity({ type: 'message', text: 'make this the RA desk for scw', from: from(admin, 'ra-admin'), conversation: desk, serviceUrl: teams.url }));
    expect(replyText(setDesk.body)).to.include('new requests for South, Central and West CSU RA (smartcard) service will arrive in this channel');

    const filed = await post(bot.url, activity({ type: 'message', value: lostCard, from: from('aad-requester', 'requester'), conversation: personal, serviceUrl: teams.url }));
    const ack = replyText(filed.body);
    expect(ack).to.include('Sent: RA-000001');
    expect(ack).to.include('Sent to South, Central and West CSU RA (smartcard) service');
    const deskPost = teams.received.find((r) => r.method === 'POST' && r.path.includes('19:desk@thread.tacv2/activities'));
    expect(deskPost, JSON.stringify(teams.received.map((r) => r.path))).to.not.equal(undefined);
    expect(JSON.stringify(deskPost?.body)).to.include('RA-000001: Report a lost, stolen or damaged card');
    expect(deskPost?.path).not.to.include('messageid');

    const listed = await requestsList(dataDir, key);
    expect(listed.map((r) => [r.reference, r.status])).to.deep.equal([['RA-000001', 'open']]);
    expect(listed[0]?.fields['odsCode']).to.equal('FA123');
    expect(listed[0]?.requester.email, 'the requester\'s email, from the Teams roster').to.equal('sam.requester@example.nhs.uk');

    const act = (aad: string, id: string, action: string, version: number, note?: string) =>
      post(bot.url, activity({ type: 'message', value: { verb: 'request.act', reference: 'RA-000001', version, action, ...(note ? { note } : {}) }, from: from(aad, id), conversation: desk, serviceUrl: teams.url, replyToId: 'posted-1' }));

    const refused = await act(outsider, 'outsider', 'assign', 1);
    expect(replyText(refused.body)).to.include('Only members of the RA team this request went to can act on RA-000001');
    expect((await requestsList(dataDir, key))[0]?.status).to.equal('open');

    const toRequester = (r: Received) => r.method === 'POST' && r.path.includes('personal-requester');
    const before = teams.received.length;
    await act(admin, 'ra-admin', 'assign', 1);
    const told = await teams.arrival(before, toRequester);
    expect(told.body.text).to.include('RA-000001').and.include('is being worked on by Robin RA');
    expect(teams.received.slice(before).some((r) => r.method === 'PUT' && r.path.includes('activities/posted-1'))).to.equal(true);

    const done = teams.received.length;
    await act(admin, 'ra-admin', 'complete', 2, 'Card cancelled; replacement ready to collect at Canford House.');
    const completed = await teams.arrival(done, toRequester);
    expect(completed.body.text).to.include('has been completed').and.include('replacement ready to collect');
    expect((await requestsList(dataDir, key))[0]?.status).to.equal('completed');
  });
});

describe('a request filed just before the bot is killed', () => {
  it('when the bot is killed straight after showing a reference, the request is still there after restart', async function () {
    this.timeout(60_000);
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sa-kill-'));
    const key = randomBytes(32).toString('base64');
    try {
      const child = spawn(process.execPath, ['--import', tsx, '--disable-warning=DEP0111', entry], {
        cwd: dataDir,
        env: { PATH: process.env['PATH'] ?? '', HOME: os.tmpdir(), LOG_LEVEL: 'silent', PORT: '0', DATA_DIR: dataDir, REQUEST_KEY: key },
      });
      const url = await new Promise<string>((resolve, reject) => {
        let seen = '';
        child.stdout.on('data', (d: Buffer) => {
          seen += d.toString();
          const match = /listening on (http:\/\/[^\s]+)\/api\/messages/.exec(seen);
          if (match?.[1]) resolve(match[1]);
        });
        child.on('close', (code) => reject(new Error(`bot exited with ${code}: ${seen}`)));
      });
      const filed = await post(url, activity({ type: 'message', value: lostCard, from: { id: 'requester', name: 'Sam Requester' } }));
      const reference = /Sent: (RA-\d{6})/.exec(replyText(filed.body))?.[1];
      child.kill('SIGKILL');
      await new Promise((resolve) => child.on('close', resolve));
      expect(reference).to.equal('RA-000001');
      expect((await requestsList(dataDir, key)).map((r) => r.reference)).to.deep.equal(['RA-000001']);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
