import { expect } from 'chai';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DateTime } from 'luxon';
import { cardToText } from '../../cards/flatten.js';
import { importOdsExtract } from '../../bot/directory/imports.js';
import { openAzureDirectory } from '../../bot/storage/azure/directory.js';
import { openAzureTraining } from '../../bot/storage/azure/training.js';
import { openAzureRequests } from '../../bot/storage/azure/requests.js';
import { AzureTables } from '../../bot/storage/azure/tables.js';
import { AesGcmCipher } from '../../bot/requests/fieldCipher.js';
import { azurite, uniqueName } from '../support/azurite.js';
import { exited, listeningUrl, startBot, stopBot } from '../support/botProcess.js';
import { startConnector, type ConnectorStandIn } from '../support/connector.js';
import { activity, post, replyText } from '../support/http.js';

const adminId = '3f2b8c1d-5e6a-4b7c-8d9e-0a1b2c3d4e5f';

/** The buttons of every card in an expectReplies response. */
function buttonsOf(body: unknown): { title: string; data: Record<string, unknown> }[] {
  const activities = (body as { activities?: { attachments?: { content?: unknown }[] }[] } | undefined)?.activities ?? [];
  return activities.flatMap((a) => (a.attachments ?? []).flatMap((att) => cardToText(att.content).buttons)).map((b) => ({ title: b.title, data: b.data as Record<string, unknown> }));
}

/**
 * Issue 8: several instances behind Azure Bot Service share one Azure Storage account. Two real bot processes on one
 * Azurite; each turn may land on either, as a load balancer sends them.
 */
describe('two bot processes on one Azure Storage account (Azurite)', function () {
  this.timeout(120_000);
  let connector: ConnectorStandIn;
  let dataDir: string;
  let tables: AzureTables;
  let key: Buffer;
  const bots: ChildProcessWithoutNullStreams[] = [];
  let urls: [string, string];

  before(async () => {
    const connectionString = await azurite();
    const prefix = uniqueName('two');
    key = randomBytes(32);
    tables = new AzureTables(connectionString, prefix);
    // The organisations a request is routed by, imported once into the shared store.
    const directory = await openAzureDirectory(tables);
    const extract = readFileSync(fileURLToPath(new URL('../fixtures/directory/edispensary-sample.csv', import.meta.url)), 'utf8');
    expect((await importOdsExtract(extract, directory.organisations, { dryRun: false, now: new Date() })).ok).to.equal(true);
    connector = await startConnector({ keepBodies: true });
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'sa-two-'));
    const env = {
      PORT: '0',
      DATA_DIR: dataDir,
      STORAGE: 'azure',
      AZURE_STORAGE_CONNECTION_STRING: connectionString,
      AZURE_TABLE_PREFIX: prefix,
      AZURE_BLOB_CONTAINER: uniqueName('state'),
      REQUEST_KEY: key.toString('base64'),
      RA_ADMINS: adminId,
      BROADCAST_RATE: '40',
    };
    bots.push(startBot(env, dataDir), startBot(env, dataDir));
    urls = [await listeningUrl(bots[0]!), await listeningUrl(bots[1]!)];
  });

  after(async () => {
    await Promise.all(bots.map((bot) => stopBot(bot)));
    await connector?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const personal = (userId: string, aadObjectId = `aad-${userId}`) => ({
    serviceUrl: connector.url,
    from: { id: userId, name: userId === 'ra-admin' ? 'Robin RA' : `Person ${userId}`, aadObjectId },
    conversation: { id: `personal-${userId}`, conversationType: 'personal', isGroup: false, name: '', tenantId: 'tenant-1' },
  });
  /** One turn, on instance 0 or 1. */
  const say = (instance: number, userId: string, more: Record<string, unknown>, aadObjectId?: string) =>
    post(urls[instance % 2]!, activity({ type: 'message', ...personal(userId, aadObjectId), ...more }));

  it('a conversation whose turns alternate between the instances keeps its place in the guided flow', async () => {
    const first = await say(0, 'flow-user', { text: "I can't issue the card for a new user I set up in CIS" });
    expect(replyText(first.body)).to.include('Have you created their profile in CIS');
    const press = await say(1, 'flow-user', { value: { verb: 'choice.pick', prompt: 'card-printing.created-in-cis', value: 'yes' } });
    expect(replyText(press.body)).to.include('UUID').and.include('Did that solve it?');
    const done = await say(0, 'flow-user', { text: 'no' });
    expect(replyText(done.body)).to.include("Sorry that didn't sort it. Your RA team can help");
  });

  it('50 people booking a 10-place session, half through each instance at once, get exactly 10 places and 40 waiting-list places, and an announcement reaches each of them once', async () => {
    // Everyone is in the audience: each has said hello, on either instance.
    const people = Array.from({ length: 50 }, (_, i) => `booker-${i + 1}`);
    for (const [i, userId] of people.entries()) expect((await say(i, userId, { text: 'hello' })).status).to.equal(200);

    // An RA admin writes the session on one instance and announces it on the other.
    const day = DateTime.now().setZone('Europe/London').plus({ days: 21 });
    const form = await say(0, 'ra-admin', { text: 'new training session' }, adminId);
    const preview = buttonsOf(form.body).find((b) => b.title === 'Preview');
    expect(preview, replyText(form.body)).not.to.equal(undefined);
    const inputs = {
      course: 'sponsor',
      venue: 'dorset-dorchester',
      date: day.toISODate(),
      startTime: '14:00',
      duration: '120',
      capacity: '10',
      bookingDeadline: day.minus({ days: 2 }).toISODate(),
      audience: 'everyone',
    };
    const previewed = await say(1, 'ra-admin', { value: { ...preview?.data, ...inputs } }, adminId);
    const announce = buttonsOf(previewed.body).find((b) => b.title === 'Announce');
    expect(announce, replyText(previewed.body)).not.to.equal(undefined);
    const announced = await say(0, 'ra-admin', { value: announce?.data }, adminId);
    // Everyone who has talked to either instance: the 50, the admin, and the person from the first test.
    expect(replyText(announced.body)).to.match(/Announced \*\*TS-[A-Z0-9]{6}\*\*: it is going to 52 people/);
    const sessionId = /TS-[A-Z0-9]{6}/.exec(replyText(announced.body))?.[0] ?? '';

    // Both instances send the announcement; each person gets it once.
    const announcementFor = (userId: string) =>
      connector.received.filter((r) => r.method === 'POST' && r.conversationId === `personal-${userId}` && JSON.stringify(r.body).includes(sessionId));
    await connector.until(() => people.every((userId) => announcementFor(userId).length > 0), 60_000);
    expect(people.filter((userId) => announcementFor(userId).length !== 1), 'people who got it other than once').to.deep.equal([]);

    // Everyone presses Book at once, alternating instances.
    const replies = await Promise.all(
      people.map((userId, i) => say(i, userId, { value: { verb: 'training.act', session: sessionId, action: 'book' } }).then((r) => replyText(r.body))),
    );
    expect(replies.filter((text) => text.includes('Booked: Sponsor training'))).to.have.length(10);
    expect(replies.filter((text) => text.includes('Full: you are on the waiting list for Sponsor training'))).to.have.length(40);
    // Numbered 1 to 40, each once.
    const positions = replies.map((text) => /number (\d+) on the waiting list/.exec(text)?.[1]).filter((n) => n !== undefined).map(Number);
    expect(positions.sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 40 }, (_, i) => i + 1));

    const stored = await (await openAzureTraining(tables)).get(sessionId);
    expect(stored?.bookings.filter((b) => b.status === 'booked')).to.have.length(10);
    expect(stored?.bookings.filter((b) => b.status === 'waiting')).to.have.length(40);
    expect(new Set(stored?.bookings.map((b) => b.userId)).size).to.equal(50);
  });

  it('a request filed on one instance lands on the desk, is worked on the other, and the requester hears each step', async () => {
    const desk = { id: '19:desk@thread.tacv2;messageid=1', conversationType: 'channel', isGroup: true, name: '', tenantId: 'tenant-1' };
    const inDesk = (instance: number, more: Record<string, unknown>) =>
      post(urls[instance]!, activity({ type: 'message', serviceUrl: connector.url, from: { id: 'ra-admin', name: 'Robin RA', aadObjectId: adminId }, conversation: desk, ...more }));
    const setDesk = await inDesk(1, { text: 'make this the RA desk for scw' });
    expect(replyText(setDesk.body)).to.include('will arrive in this channel');

    const lostCard = { verb: 'form.submit', form: 'lost-card', draft: 'aaaaaaaa-0000-4000-8000-000000000002', what: 'stolen', holderName: 'Sam Requester', odsCode: 'fa123', noticed: '2026-11-20', replacement: 'true' };
    const filed = await say(0, 'requester', { value: lostCard });
    const reference = /RA-\d{6}/.exec(replyText(filed.body))?.[0];
    expect(replyText(filed.body)).to.include(`Sent: ${reference}`);
    await connector.until((received) => received.some((r) => r.method === 'POST' && r.conversationId.startsWith('19:desk') && JSON.stringify(r.body).includes(`${reference}:`)), 20_000);

    const toRequester = () => connector.received.filter((r) => r.method === 'POST' && r.conversationId === 'personal-requester').map((r) => JSON.stringify(r.body));
    await inDesk(1, { value: { verb: 'request.act', reference, version: 1, action: 'assign' }, replyToId: 'posted-1' });
    await connector.until(() => toRequester().some((text) => text.includes('is being worked on by Robin RA')), 20_000);
    await inDesk(0, { value: { verb: 'request.act', reference, version: 2, action: 'complete', note: 'Replacement ready at Canford House.' }, replyToId: 'posted-1' });
    await connector.until(() => toRequester().some((text) => text.includes('has been completed')), 20_000);

    const stored = await (await openAzureRequests(tables, new AesGcmCipher(key))).get(reference ?? '');
    expect(stored?.status).to.equal('completed');
    expect(stored?.history.map((h) => h.action)).to.include.members(['filed', 'assigned', 'completed']);
  });
});


describe('a bot process on an Azure Storage account it cannot reach', () => {
  it('refuses to start, naming the account and what to check, and never prints the key', async function () {
    this.timeout(60_000);
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'sa-noazure-'));
    try {
      // Nothing listens on port 9 of this machine.
      const closed =
        'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=c2VjcmV0LWtleS1ub3QtcmVhbA==;' +
        'BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;TableEndpoint=http://127.0.0.1:9/devstoreaccount1;';
      const result = await exited(startBot({ PORT: '0', DATA_DIR: cwd, STORAGE: 'azure', AZURE_STORAGE_CONNECTION_STRING: closed, REQUEST_KEY: randomBytes(32).toString('base64') }, cwd));
      expect(result.code).to.equal(2);
      expect(result.stderr).to.include('Smartcard Assistant cannot start.');
      expect(result.stderr).to.include('Azure Storage account devstoreaccount1 could not open');
      expect(result.stderr).to.include('Check AZURE_STORAGE_CONNECTION_STRING');
      expect(result.stderr).not.to.include('c2VjcmV0LWtleS1ub3QtcmVhbA');
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
