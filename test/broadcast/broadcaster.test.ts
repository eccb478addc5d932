import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { ConversationReference } from 'botbuilder';
import { Broadcaster, type BroadcasterOptions } from '../../bot/broadcast/broadcaster.js';
import { memoryBroadcasts, openLowdbBroadcasts, type BroadcastsData, type LowdbBroadcasts } from '../../bot/storage/lowdbBroadcasts.js';
import type { BroadcastRepository, Claim } from '../../bot/broadcast/broadcastRepository.js';
import { broadcastReportActivity } from '../../dialogs/broadcastActions.js';
import type { BroadcastRequest } from '../../dialogs/outreach.js';
import { cardToText } from '../../cards/flatten.js';
import { memoryLogger } from '../support/memoryLogger.js';
import { connectorError, FakeTime, ScriptedNotifier, settle, type Answer, type Call } from './fakeTime.js';

const second = 1000;

function reference(conversationId: string, userId: string): Partial<ConversationReference> {
  return {
    channelId: 'msteams',
    serviceUrl: 'https://smba.example.invalid/uk/',
    conversation: { id: conversationId, conversationType: 'personal', isGroup: false, name: '' },
    user: { id: userId, name: '' },
    bot: { id: 'bot-1', name: 'Smartcard Assistant' },
  };
}

function people(count: number, prefix = 'u'): BroadcastRequest['recipients'] {
  return Array.from({ length: count }, (_, i) => ({ userId: `${prefix}${i}`, reference: reference(`conv-${prefix}${i}`, `${prefix}${i}`) }));
}

const author = { userId: 'author-1', aadObjectId: 'aad-author-1', reference: reference('conv-author', 'author-1') };

function announcement(id: string, recipients: BroadcastRequest['recipients'], withAuthor = false): BroadcastRequest {
  return { id, title: 'Training: Registration Agent Advanced, 3 Dec', activity: { type: 'message', text: `announcement ${id}` }, recipients, ...(withAuthor ? { author } : {}) };
}

function setup(options: { rate?: number; script?: (call: Call, index: number) => Answer; store?: BroadcastRepository; extra?: Partial<BroadcasterOptions> } = {}) {
  const time = new FakeTime();
  const notifier = new ScriptedNotifier(time, options.script);
  const store = options.store ?? memoryBroadcasts();
  const logger = memoryLogger();
  const gone: string[] = [];
  const broadcaster = new Broadcaster({
    store,
    notifier,
    clock: time.clock,
    timing: time.timing,
    logger,
    rate: options.rate ?? 10,
    random: () => 0.5,
    renderReport: broadcastReportActivity,
    onGone: async (userId) => void gone.push(userId),
    ...options.extra,
  });
  return { time, notifier, store, broadcaster, logger, gone };
}

/** The most sends made in any one-second window. */
function mostInAnySecond(times: readonly number[]): number {
  let most = 0;
  for (const [i, start] of times.entries()) most = Math.max(most, times.slice(i).filter((t) => t < start + second).length);
  return most;
}

function cardText(call: Call | undefined): string {
  const content = call?.activity.attachments?.[0]?.content as unknown;
  return content ? cardToText(content).text : '';
}

describe('the broadcaster: pacing', () => {
  it('when 100 people are announced to at 10 a second, it takes about 10 seconds and no second carries more than the rate (plus a one-message burst)', async () => {
    const { time, notifier, broadcaster, store } = setup({ rate: 10 });
    broadcaster.start();
    await broadcaster.queue(announcement('announce:TS-PACE1', people(100)));
    const started = time.now;
    await time.until(() => notifier.calls.length === 100);
    const took = time.now - started;
    expect(took).to.be.within(9 * second, 11 * second);
    expect(mostInAnySecond(notifier.calls.map((c) => c.at))).to.be.at.most(11);
    expect([...notifier.delivered().values()].every((n) => n === 1)).to.equal(true);
    await time.advance(second);
    expect((await store.report('announce:TS-PACE1'))?.counts.sent).to.equal(100);
    await broadcaster.stop();
  });

  it('when one person gets twenty messages at once, no more than 7 reach their chat in any second, while others are not held up', async () => {
    const { time, notifier, broadcaster } = setup({ rate: 100 });
    broadcaster.start();
    const same = [{ userId: 'busy', reference: reference('conv-busy', 'busy') }];
    for (let i = 0; i < 20; i++) await broadcaster.queue(announcement(`job:reminder-${i}`, same));
    await broadcaster.queue(announcement('announce:TS-OTHERS', people(30)));
    await time.until(() => notifier.calls.length === 50, 60 * second, 50);
    const busy = notifier.calls.filter((c) => c.conversationId === 'conv-busy').map((c) => c.at);
    expect(busy).to.have.length(20);
    expect(mostInAnySecond(busy)).to.equal(7);
    const others = notifier.calls.filter((c) => c.conversationId !== 'conv-busy').map((c) => c.at);
    expect(Math.max(...others) - Math.min(...others), 'the other 30 are not paced by the busy chat').to.be.below(second);
    await broadcaster.stop();
  });
});

describe('the broadcaster: 429, retries and gone recipients', () => {
  it('when Teams answers 429 with Retry-After: 3, nothing at all is sent for 3 seconds, then sending resumes and the throttled message goes once, at no cost in attempts', async () => {
    let throttledAt = -1;
    const { time, notifier, broadcaster, store } = setup({
      rate: 10,
      script: (call, index) => {
        if (index !== 4) return undefined;
        throttledAt = call.at;
        return connectorError(429, '3');
      },
    });
    broadcaster.start();
    await broadcaster.queue(announcement('announce:TS-429', people(20)));
    await time.until(() => notifier.calls.filter((c) => c.ok).length === 20);
    const after = notifier.calls.slice(5);
    expect(after[0]?.at ?? 0, 'the next request waits out Retry-After').to.be.at.least(throttledAt + 3 * second);
    expect(notifier.calls.filter((c) => c.at > throttledAt && c.at < throttledAt + 3 * second)).to.have.length(0);
    expect([...notifier.delivered().values()].every((n) => n === 1)).to.equal(true);
    await time.advance(second);
    const report = await store.report('announce:TS-429');
    expect(report?.counts.sent).to.equal(20);
    expect(report?.finished).to.equal(true);
    await broadcaster.stop();
  });

  it('when a 429 pause outlasts the leases of claims a shared store gave, those go back to the queue unsent and are claimed afresh: no send starts on a lease about to run out', async () => {
    const memory = memoryBroadcasts();
    const leases = new Map<string, string>();
    const lease = (claims: Claim[], now: string) =>
      claims.map((c) => {
        const leaseUntil = new Date(Date.parse(now) + 90 * second).toISOString();
        leases.set(c.userId, leaseUntil);
        return { ...c, leaseUntil };
      });
    // The in-memory store, with 90-second leases as a shared store gives.
    const store: BroadcastRepository = {
      queue: (request, at) => memory.queue(request, at),
      claim: async (limit, now) => lease(await memory.claim(limit, now), now),
      record: (outcomes, at) => memory.record(outcomes, at),
      exchange: async (outcomes, limit, now) => {
        const result = await memory.exchange(outcomes, limit, now);
        return { ...result, claims: lease(result.claims, now) };
      },
      requeueInFlight: (at) => memory.requeueInFlight(at),
      cancel: (id, at) => memory.cancel(id, at),
      report: (id) => memory.report(id),
      nextDueAt: () => memory.nextDueAt(),
      reportCards: () => memory.reportCards(),
      setReportCard: (id, card) => memory.setReportCard(id, card),
      prune: (before) => memory.prune(before),
    };
    const started = new Map<string, number>();
    const { time, notifier, broadcaster } = setup({
      rate: 10,
      store,
      script: (call, index) => {
        started.set(call.conversationId, Date.parse(leases.get(call.conversationId.replace('conv-', '')) ?? '') - call.at);
        return index === 2 ? connectorError(429, '120') : undefined;
      },
    });
    broadcaster.start();
    await broadcaster.queue(announcement('announce:TS-LEASE', people(20)));
    await time.until(() => notifier.calls.filter((c) => c.ok).length === 20);
    expect([...notifier.delivered().values()].every((n) => n === 1)).to.equal(true);
    expect(Math.min(...started.values()), 'lease left when each send started').to.be.at.least(60 * second);
    await time.advance(second);
    expect((await memory.report('announce:TS-LEASE'))?.counts).to.include({ sent: 20, sending: 0 });
    await broadcaster.stop();
  });

  it('when Retry-After is an HTTP date, sending pauses until that time', async () => {
    let throttledAt = -1;
    const { time, notifier, broadcaster } = setup({
      rate: 10,
      script: (call, index) => {
        if (index !== 0) return undefined;
        throttledAt = call.at;
        return connectorError(429, new Date(call.at + 8 * second).toUTCString());
      },
    });
    broadcaster.start();
    await broadcaster.queue(announcement('announce:TS-DATE', people(3)));
    await time.until(() => notifier.calls.filter((c) => c.ok).length === 3);
    // A request already on its way when the 429 came may go at the same moment; none goes after it until that time.
    const later = notifier.calls.filter((c) => c.at > throttledAt);
    expect(later.length).to.be.at.least(2);
    expect(later.every((c) => c.at >= throttledAt + 8 * second)).to.equal(true);
    expect(notifier.calls.filter((c) => c.conversationId === 'conv-u0').map((c) => c.ok)).to.deep.equal([false, true]);
    await broadcaster.stop();
  });

  it('when Teams keeps answering 503 for one person, they are tried 5 times with growing, jittered waits and then marked failed; the rest are sent', async () => {
    const { time, notifier, broadcaster, store } = setup({ rate: 50, script: (call) => (call.conversationId === 'conv-u3' ? connectorError(503) : undefined) });
    broadcaster.start();
    await broadcaster.queue(announcement('announce:TS-503', people(10)));
    await time.until(() => notifier.calls.filter((c) => c.conversationId === 'conv-u3').length === 5, 120 * second);
    await time.advance(10 * second);
    const tries = notifier.calls.filter((c) => c.conversationId === 'conv-u3').map((c) => c.at);
    expect(tries).to.have.length(5);
    const gaps = tries.slice(1).map((t, i) => t - (tries[i] as number));
    // random() is 0.5: half of 500, 1000, 2000 and 4000 ms (plus pacing).
    for (const [i, gap] of gaps.entries()) expect(gap).to.be.within(250 * 2 ** i, 250 * 2 ** i + 300);
    const report = await store.report('announce:TS-503');
    expect(report?.counts).to.include({ sent: 9, failed: 1, pending: 0, sending: 0 });
    expect(report?.finished).to.equal(true);
    await broadcaster.stop();
  });

  it('when 500, 502, 504 and 412 each come once, those messages are sent on the next try', async () => {
    const failures = new Map([['conv-u0', 500], ['conv-u1', 502], ['conv-u2', 504], ['conv-u3', 412]]);
    const seen = new Set<string>();
    const { time, notifier, broadcaster, store } = setup({
      rate: 50,
      script: (call) => {
        const status = failures.get(call.conversationId);
        if (status === undefined || seen.has(call.conversationId)) return undefined;
        seen.add(call.conversationId);
        return connectorError(status);
      },
    });
    broadcaster.start();
    await broadcaster.queue(announcement('announce:TS-5XX', people(6)));
    await time.until(() => notifier.calls.filter((c) => c.ok).length === 6, 30 * second);
    await time.advance(second);
    expect((await store.report('announce:TS-5XX'))?.counts).to.include({ sent: 6, failed: 0 });
    await broadcaster.stop();
  });

  it('when a network error (no status) comes, the message is retried like a 5xx', async () => {
    let first = true;
    const { time, notifier, broadcaster } = setup({
      rate: 50,
      script: () => {
        if (!first) return undefined;
        first = false;
        return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      },
    });
    broadcaster.start();
    await broadcaster.queue(announcement('announce:TS-NET', people(1)));
    await time.until(() => notifier.calls.some((c) => c.ok), 10 * second);
    expect(notifier.calls).to.have.length(2);
    await broadcaster.stop();
  });

  it('when a send is never answered, the rest keep flowing; after 30 seconds it is retried like a network error, and its late answer changes nothing', async () => {
    const hang = new Set(['conv-u0', 'conv-u1', 'conv-u2']);
    const tried = new Set<string>();
    const { time, notifier, broadcaster, store } = setup({
      rate: 10,
      script: (call) => {
        if (!hang.has(call.conversationId) || tried.has(call.conversationId)) return undefined;
        tried.add(call.conversationId);
        return 'hang';
      },
    });
    broadcaster.start();
    await broadcaster.queue(announcement('announce:TS-HANG', people(30)));
    await time.advance(10 * second);
    expect(notifier.calls.filter((c) => c.ok), 'the other 27 are sent while 3 hang').to.have.length(27);
    await time.advance(19 * second);
    expect(notifier.calls, 'nothing retried before the timeout').to.have.length(30);
    await time.until(() => notifier.calls.filter((c) => c.ok).length === 30, 10 * second);
    for (const conversation of hang) {
      const [hung, retry] = notifier.calls.filter((c) => c.conversationId === conversation);
      // The timeout, then the first backoff (random() is 0.5: half of 500 ms), plus pacing.
      expect((retry?.at ?? 0) - (hung?.at ?? 0)).to.be.within(30 * second + 250, 30 * second + 1000);
    }
    notifier.answerHung();
    await time.advance(3 * second);
    expect(notifier.calls).to.have.length(33);
    const report = await store.report('announce:TS-HANG');
    expect(report?.counts).to.include({ sent: 30, failed: 0, pending: 0, sending: 0 });
    expect(report?.finished).to.equal(true);
    await broadcaster.stop();
  });

  it('when as many sends hang as may be out at once, all sending stops, but only until they time out', async () => {
    // At 10 a second, 5 requests may be out at once.
    const { time, notifier, broadcaster, store } = setup({ rate: 10, extra: { sendTimeoutMs: 5 * second }, script: (_call, index) => (index < 5 ? 'hang' : undefined) });
    broadcaster.start();
    await broadcaster.queue(announcement('announce:TS-STUCK', people(20)));
    await time.advance(4 * second);
    expect(notifier.calls).to.have.length(5);
    await time.until(() => notifier.calls.filter((c) => c.ok).length === 20, 10 * second);
    expect(Math.min(...notifier.calls.filter((c) => c.ok).map((c) => c.at)) - (notifier.calls[0]?.at ?? 0)).to.be.at.least(5 * second);
    await time.advance(second);
    expect((await store.report('announce:TS-STUCK'))?.counts).to.include({ sent: 20, pending: 0, sending: 0 });
    await broadcaster.stop();
  });

  it('when Teams answers 403 or 404, the person is marked gone (not retried) and taken out of the audience; a 400 fails at once', async () => {
    const answers = new Map([['conv-u1', 403], ['conv-u2', 404], ['conv-u3', 400]]);
    const { time, notifier, broadcaster, store, gone, logger } = setup({ rate: 50, script: (call) => (answers.has(call.conversationId) ? connectorError(answers.get(call.conversationId) as number) : undefined) });
    broadcaster.start();
    await broadcaster.queue(announcement('announce:TS-GONE', people(5)));
    await time.advance(5 * second);
    expect(notifier.calls).to.have.length(5);
    expect(gone.sort()).to.deep.equal(['u1', 'u2']);
    expect((await store.report('announce:TS-GONE'))?.counts).to.include({ sent: 2, gone: 2, failed: 1 });
    const logged = JSON.stringify(logger.entries.filter((e) => e.level !== 'debug'));
    expect(logged, 'no user ids above debug').not.to.match(/"u[0-9]"/);
    await broadcaster.stop();
  });
});

/** Moves fake time on in small steps, letting the file store finish each write (real I/O, not a wait on time). */
async function advanceWithFile(time: FakeTime, store: LowdbBroadcasts, ms: number): Promise<void> {
  for (let spent = 0; spent < ms; spent += 50) {
    await time.advance(50);
    await store.flush();
    await settle();
    await store.flush();
  }
}

describe('the broadcaster: durability', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sa-broadcast-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('when the bot died mid-broadcast, the restarted broadcaster sends what was pending and what was in flight, and never what was recorded as sent', async () => {
    const file = path.join(dir, 'broadcasts.json');
    const before = await openLowdbBroadcasts(file);
    await before.queue(announcement('announce:TS-CRASH', people(10)), '2026-11-21T09:00:00.000Z');
    const claimed = await before.claim(5, '2026-11-21T09:00:01.000Z');
    await before.record(
      claimed.slice(0, 2).map((c) => ({ broadcastId: c.broadcastId, userId: c.userId, state: 'sent' as const, attempts: 1 })),
      '2026-11-21T09:00:01.000Z',
    );
    await before.flush();
    const onDisk = JSON.parse(await readFile(file, 'utf8')) as BroadcastsData;
    expect(onDisk.deliveries['announce:TS-CRASH']?.map((d) => d.state)).to.deep.equal(['sent', 'sent', 'sending', 'sending', 'sending', ...Array(5).fill('pending')]);

    const reopened = await openLowdbBroadcasts(file);
    const { time, notifier, broadcaster, logger } = setup({ rate: 20, store: reopened });
    broadcaster.start();
    await advanceWithFile(time, reopened, 3 * second);
    expect([...notifier.delivered().keys()].sort()).to.deep.equal(['conv-u2', 'conv-u3', 'conv-u4', 'conv-u5', 'conv-u6', 'conv-u7', 'conv-u8', 'conv-u9']);
    expect(logger.entries.some((e) => e.msg?.includes('will be sent again') && e.fields['requeued'] === 3)).to.equal(true);
    await broadcaster.stop();
    await reopened.flush();
    const after = JSON.parse(await readFile(file, 'utf8')) as BroadcastsData;
    expect(after.deliveries['announce:TS-CRASH']?.every((d) => d.state === 'sent')).to.equal(true);
    expect(after.broadcasts['announce:TS-CRASH']?.finishedAt).to.be.a('string');
  });

  it('when stopped mid-broadcast, what was claimed but not sent goes back to pending (not left in flight) and the next start sends only the rest', async () => {
    const file = path.join(dir, 'broadcasts.json');
    const firstStore = await openLowdbBroadcasts(file);
    const first = setup({ rate: 5, store: firstStore });
    first.broadcaster.start();
    await first.broadcaster.queue(announcement('announce:TS-STOP', people(20)));
    await advanceWithFile(first.time, firstStore, 2 * second);
    await first.broadcaster.stop();
    await firstStore.flush();
    const sentBefore = first.notifier.calls.length;
    expect(sentBefore).to.be.within(5, 15);
    const onDisk = JSON.parse(await readFile(file, 'utf8')) as BroadcastsData;
    const states = onDisk.deliveries['announce:TS-STOP']?.map((d) => d.state) ?? [];
    expect(states.filter((s) => s === 'sending')).to.have.length(0);
    expect(states.filter((s) => s === 'sent')).to.have.length(sentBefore);

    const secondStore = await openLowdbBroadcasts(file);
    const second_ = setup({ rate: 50, store: secondStore });
    second_.broadcaster.start();
    await advanceWithFile(second_.time, secondStore, 3 * second);
    expect(second_.notifier.calls).to.have.length(20 - sentBefore);
    const all = [...first.notifier.calls, ...second_.notifier.calls].map((c) => c.conversationId);
    expect(new Set(all).size).to.equal(20);
    await second_.broadcaster.stop();
  });

  it('when the store cannot be written for a while (a full disk), outcomes are kept and written once it can: nothing is sent twice or lost', async () => {
    const store = memoryBroadcasts();
    let full = false;
    const exchange = store.exchange.bind(store);
    store.exchange = (outcomes, limit, now) => (full && outcomes.length > 0 ? Promise.reject(new Error('disk full')) : exchange(outcomes, limit, now));
    const { time, notifier, broadcaster, logger } = setup({ rate: 10, store });
    broadcaster.start();
    await broadcaster.queue(announcement('announce:TS-FULL', people(20)));
    await time.advance(second);
    full = true;
    await time.advance(2 * second);
    expect(logger.entries.some((e) => e.level === 'error' && e.msg?.includes('could not write to the broadcast queue'))).to.equal(true);
    expect((await store.report('announce:TS-FULL'))?.counts.sent, 'not recorded while the disk is full').to.be.below(notifier.calls.length);
    full = false;
    await time.until(() => notifier.calls.length === 20, 30 * second);
    await time.advance(2 * second);
    expect([...notifier.delivered().values()].every((n) => n === 1)).to.equal(true);
    expect((await store.report('announce:TS-FULL'))?.counts).to.include({ sent: 20, sending: 0, pending: 0 });
    await broadcaster.stop();
  });

  it('when the same broadcast is queued twice (a scheduled job run again), it is queued and sent once', async () => {
    const { time, notifier, broadcaster } = setup({ rate: 50 });
    broadcaster.start();
    const first = await broadcaster.queue(announcement('job:announce-1', people(4)));
    const again = await broadcaster.queue(announcement('job:announce-1', people(6)));
    expect(first.queued).to.equal(true);
    expect(again.queued).to.equal(false);
    expect(again.report.total).to.equal(4);
    await time.advance(3 * second);
    expect(notifier.calls).to.have.length(4);
    await broadcaster.stop();
  });

  it('when one person is listed twice in a broadcast, they get one message', async () => {
    const { time, notifier, broadcaster } = setup({ rate: 50 });
    broadcaster.start();
    const twice = [...people(2), ...people(2)];
    expect((await broadcaster.queue(announcement('announce:TS-TWICE', twice))).report.total).to.equal(2);
    await time.advance(2 * second);
    expect(notifier.calls).to.have.length(2);
    await broadcaster.stop();
  });

  it('drain resolves once everything queued is sent and recorded', async () => {
    const { time, notifier, broadcaster, store } = setup({ rate: 10 });
    await broadcaster.queue(announcement('announce:TS-DRAIN', people(15)));
    let drained = false;
    void broadcaster.drain().then(() => (drained = true));
    await time.advance(second);
    expect(drained).to.equal(false);
    await time.until(() => drained, 10 * second);
    expect(notifier.calls).to.have.length(15);
    expect((await store.report('announce:TS-DRAIN'))?.finished).to.equal(true);
    await broadcaster.stop();
  });
});

describe('the broadcaster: cancelling and the delivery report', () => {
  it('when the author cancels part-way, nothing more is sent and the rest are counted as cancelled', async () => {
    const { time, notifier, broadcaster } = setup({ rate: 2 });
    broadcaster.start();
    await broadcaster.queue(announcement('announce:TS-CANCEL', people(20)));
    await time.advance(3 * second);
    const sentSoFar = notifier.calls.length;
    const report = await broadcaster.cancel('announce:TS-CANCEL');
    await time.advance(20 * second);
    expect(notifier.calls).to.have.length(sentSoFar);
    expect(report?.cancelledAt).to.be.a('string');
    const final = await broadcaster.report('announce:TS-CANCEL');
    expect(final?.counts.cancelled).to.equal(20 - sentSoFar);
    expect(final?.counts.sent).to.equal(sentSoFar);
    expect(final?.finished).to.equal(true);
    expect(await broadcaster.cancel('announce:TS-NOPE')).to.equal(undefined);
    await broadcaster.stop();
  });

  it("posts a report card to the author when queued, updates that same card in place at most every 2 seconds while it runs, and shows the final counts", async () => {
    const { time, notifier, broadcaster } = setup({ rate: 10, script: (call) => (call.conversationId === 'conv-u5' ? connectorError(404) : undefined) });
    broadcaster.start();
    const queuedAt = time.now;
    await broadcaster.queue(announcement('announce:TS-REPORT', people(40), true));
    await time.until(() => notifier.calls.filter((c) => c.conversationId !== 'conv-author').length === 40, 30 * second);
    await time.advance(3 * second);
    const cards = notifier.calls.filter((c) => c.conversationId === 'conv-author');
    expect(cards[0]?.kind).to.equal('send');
    expect(cards[0]?.at, 'posted after the reply that says it is coming').to.be.within(queuedAt + 1500, queuedAt + 1700);
    expect(cardText(cards[0])).to.include('Delivery report').and.include('Training: Registration Agent Advanced, 3 Dec').and.match(/Sending: \d+ of 40 done/);
    const updates = cards.slice(1);
    expect(updates.length).to.be.within(2, 4);
    const cardId = `activity-${notifier.calls.filter((c) => c.kind === 'send' && c.ok).indexOf(cards[0] as Call) + 1}`;
    expect(updates.map((u) => `${u.kind} ${u.activityId}`)).to.deep.equal(updates.map(() => `update ${cardId}`));
    const gaps = updates.slice(1, -1).map((u, i) => u.at - (updates[i] as Call).at);
    expect(gaps.every((g) => g >= 2 * second)).to.equal(true);
    const last = cardText(updates.at(-1));
    expect(last).to.include('Finished: sent to 39 of 40');
    expect(last).to.match(/Sent\s*:?\s*39/).and.match(/No longer reachable\s*:?\s*1/).and.match(/Still to send\s*:?\s*0/);
    expect(last, 'no Cancel once finished').not.to.include('Cancel the rest');
    expect(cardText(cards[1])).to.include('Cancel the rest').and.include('Refresh');
    await broadcaster.stop();
  });

  it('drain posts a new report card at once, not waiting for the turn that queued it to reply', async () => {
    const { time, notifier, broadcaster } = setup({ rate: 10 });
    const queuedAt = time.now;
    await broadcaster.queue(announcement('announce:TS-DRAINCARD', people(2), true));
    let drained = false;
    void broadcaster.drain().then(() => (drained = true));
    await time.until(() => drained, 5 * second, 10);
    const cards = notifier.calls.filter((c) => c.conversationId === 'conv-author');
    expect(cards.map((c) => c.kind)).to.deep.equal(['send', ...cards.slice(1).map(() => 'update')]);
    expect(cards[0]?.at).to.be.below(queuedAt + 1500);
    expect(cardText(cards.at(-1))).to.include('Finished: sent to 2 of 2');
    await broadcaster.stop();
  });

  it('when the author cancels, the report card says so with the counts', async () => {
    const { time, notifier, broadcaster } = setup({ rate: 1 });
    broadcaster.start();
    await broadcaster.queue(announcement('announce:TS-CARDCANCEL', people(10), true));
    await time.advance(3 * second);
    await broadcaster.cancel('announce:TS-CARDCANCEL');
    await time.advance(5 * second);
    const sent = notifier.calls.filter((c) => c.conversationId !== 'conv-author').length;
    expect(sent).to.be.within(1, 3);
    const last = notifier.calls.filter((c) => c.conversationId === 'conv-author').at(-1);
    expect(last?.kind).to.equal('update');
    expect(cardText(last)).to.include('Cancelled: nothing more will be sent').and.match(new RegExp(`Cancelled\\s*:?\\s*${10 - sent}\\b`));
    await broadcaster.stop();
  });
});
