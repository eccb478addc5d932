import { expect } from 'chai';
import type { App } from '../../bot/app.js';
import { cardToText } from '../../cards/flatten.js';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../../bot/app.js';
import { loadConfig } from '../../bot/config.js';
import { memoryDirectory } from '../../bot/storage/lowdbDirectory.js';
import { memoryQuestionLog, testNow } from '../support/chat.js';
import { startConnector, type ConnectorStandIn } from '../support/connector.js';
import { activity, post } from '../support/http.js';
import { memoryRequestStores } from '../support/requests.js';

const adminId = '3f2b8c1d-5e6a-4b7c-8d9e-0a1b2c3d4e5f';

/** The buttons of every card in an expectReplies response. */
function buttonsOf(body: unknown): { title: string; data: Record<string, unknown> }[] {
  const activities = (body as { activities?: { attachments?: { content?: unknown }[] }[] } | undefined)?.activities ?? [];
  return activities.flatMap((a) => (a.attachments ?? []).flatMap((att) => cardToText(att.content).buttons)).map((b) => ({ title: b.title, data: b.data as Record<string, unknown> }));
}

function textOf(body: unknown): string {
  const activities = (body as { activities?: { text?: string; attachments?: { content?: unknown }[] }[] } | undefined)?.activities ?? [];
  return activities.map((a) => [a.text ?? '', ...(a.attachments ?? []).map((att) => cardToText(att.content).text)].join('\n')).join('\n');
}

describe('HTTP: a training session announced over /api/messages reaches every registered person at the Bot Connector', () => {
  let connector: ConnectorStandIn;
  let app: App;
  let url: string;

  beforeEach(async () => {
    // Teams' limit, scaled down so the test is quick: more than 10 requests in any second is answered 429.
    connector = await startConnector({ limitPerSecond: 10 });
    // The app's own Bot Connector client, so proactive sends really go over HTTP to the stand-in.
    const config = loadConfig({ LOG_LEVEL: 'silent', PORT: '0', DATA_DIR: path.join(os.tmpdir(), 'unused'), RA_ADMINS: adminId, BROADCAST_RATE: '8' });
    const { requests, desks } = memoryRequestStores();
    app = await createApp(config, { questionLog: memoryQuestionLog(), directory: memoryDirectory(), requests, desks, inMemory: true, clock: { now: () => testNow } });
    url = await app.start();
  });
  afterEach(async () => {
    await app.stop();
    await connector.close();
  });

  it('an RA admin creates, previews and announces a session; each of 24 people (and the admin, who is in the audience too) receives the announcement once, paced under the limit, even when Announce is pressed twice', async function () {
    this.timeout(30_000);
    const inChat = (userId: string, more: Record<string, unknown>) =>
      activity({ serviceUrl: connector.url, from: { id: userId, name: userId, aadObjectId: userId === 'ra-admin' ? adminId : `aad-${userId}` }, conversation: { id: `personal-${userId}`, conversationType: 'personal', isGroup: false, name: '' }, ...more });
    for (let i = 1; i <= 24; i++) expect((await post(url, inChat(`user-${i}`, { type: 'message', text: 'hello' }))).status).to.equal(200);

    const form = await post(url, inChat('ra-admin', { type: 'message', text: 'new training session' }));
    const previewButton = buttonsOf(form.body).find((b) => b.title === 'Preview');
    expect(previewButton, textOf(form.body)).not.to.equal(undefined);
    const inputs = { course: 'sponsor', venue: 'dorset-dorchester', date: '2026-12-10', startTime: '14:00', duration: '120', capacity: '20', bookingDeadline: '2026-12-03', audience: 'everyone' };
    // The admin is in every team; a session at Dorchester is Dorset's.
    const preview = await post(url, inChat('ra-admin', { type: 'message', value: { ...previewButton?.data, ...inputs } }));
    expect(textOf(preview.body)).to.include('Preview: nothing has been sent yet.');
    expect(textOf(preview.body)).to.include('Vespasian House, Barrack Road, Dorchester, DT1 1TG');
    const announce = buttonsOf(preview.body).find((b) => b.title === 'Announce');
    if (!announce) throw new Error(textOf(preview.body));

    const first = await post(url, inChat('ra-admin', { type: 'message', value: announce.data }));
    expect(textOf(first.body)).to.match(/Announced \*\*TS-[A-Z0-9]{6}\*\*: it is going to 25 people/);
    const second = await post(url, inChat('ra-admin', { type: 'message', value: announce.data }));
    expect(textOf(second.body)).to.include("so I haven't sent it again");
    await app.broadcasts.drain();

    const announcements = connector.received.filter((r) => r.method === 'POST' && r.conversationId.startsWith('personal-user-'));
    const perPerson = new Map<string, number>();
    for (const r of announcements) perPerson.set(r.conversationId, (perPerson.get(r.conversationId) ?? 0) + 1);
    expect(perPerson.size).to.equal(24);
    expect([...perPerson.values()].every((n) => n === 1)).to.equal(true);
    // Paced: Teams never had to say 429, and no second held more than its limit of requests.
    expect(connector.throttled).to.equal(0);
    const times = connector.received.map((r) => r.at).sort((a, b) => a - b);
    const busiest = Math.max(...times.map((t, i) => times.slice(i).filter((u) => u < t + 1000).length));
    expect(busiest).to.be.at.most(10);
    expect((times.at(-1) ?? 0) - (times[0] ?? 0), 'about 25 sends at 8 a second take more than two seconds').to.be.greaterThan(2000);
    const card = cardToText(announcements[0]?.body?.attachments?.[0]?.content);
    expect(card.text).to.include('Training: Sponsor training');
    expect(card.buttons.map((b) => b.title)).to.deep.equal(['Book a place']);
    // The admin's own chat has the announcement and the delivery report.
    const mine = connector.received.filter((r) => r.conversationId === 'personal-ra-admin').map((r) => cardToText(r.body?.attachments?.[0]?.content).text);
    expect(mine.filter((t) => t.includes('Book a place'))).to.have.length(1);
    expect(mine.some((t) => t.includes('Delivery report'))).to.equal(true);

    // Booking over HTTP with the announcement's own button.
    const book = await post(url, inChat('user-1', { type: 'message', value: card.buttons[0]?.data }));
    expect(textOf(book.body)).to.include('Booked: Sponsor training');
    expect(textOf(book.body)).to.include('Places left: 19 of 20');
  });
});
