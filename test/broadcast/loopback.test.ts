import { expect } from 'chai';
import { CloudAdapter, ConfigurationBotFrameworkAuthentication } from 'botbuilder';
import { Broadcaster } from '../../bot/broadcast/broadcaster.js';
import { classifySendError } from '../../bot/broadcast/sendErrors.js';
import { CloudNotifier } from '../../bot/proactive/cloudNotifier.js';
import { memoryBroadcasts } from '../../bot/storage/lowdbBroadcasts.js';
import { broadcastReportActivity } from '../../dialogs/broadcastActions.js';
import { cardToText } from '../../cards/flatten.js';
import { personalReference, startConnector, type ConnectorStandIn } from '../support/connector.js';
import { memoryLogger } from '../support/memoryLogger.js';

/** The adapter the app builds in anonymous local mode: no credentials, plain HTTP to loopback. */
function anonymousAdapter(): CloudAdapter {
  return new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));
}

async function failureOf(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  throw new Error('expected the send to fail');
}

describe('proactive sends over loopback HTTP (a Bot Connector stand-in)', () => {
  let connector: ConnectorStandIn | undefined;
  afterEach(async () => {
    await connector?.close();
    connector = undefined;
  });

  it("the SDK retries a 429 by itself (so a pacer would never see it), and the broadcaster's notifier sends each request exactly once", async () => {
    // Two 429s with Retry-After: 0, then success: the SDK's own policy retries at once.
    connector = await startConnector({ fail: (r) => (r.count <= 2 ? { status: 429, retryAfter: '0' } : undefined) });
    await new CloudNotifier(anonymousAdapter(), '').send(personalReference(connector.url, 'conv-sdk'), { type: 'message', text: 'hello' });
    expect(connector.seen, 'default client: 1 request and 2 retries inside the SDK').to.equal(3);

    const own = await startConnector({ fail: () => ({ status: 429, retryAfter: '7' }) });
    try {
      const error = await failureOf(new CloudNotifier(anonymousAdapter(), '', { sdkRetries: false }).send(personalReference(own.url, 'conv-own'), { type: 'message', text: 'hello' }));
      expect(own.seen, 'no retry inside the SDK').to.equal(1);
      expect(classifySendError(error, Date.now())).to.deep.equal({ kind: 'throttled', code: 'http-429', retryAfterMs: 7000 });
    } finally {
      await own.close();
    }
  });

  it('a 503, a 404 and a 400 from the connector reach the caller once each, with their status, and never the turn-error handler', async () => {
    const statuses = [503, 404, 400];
    connector = await startConnector({ fail: (r) => statuses[r.count - 1] });
    const adapter = anonymousAdapter();
    let turnErrors = 0;
    adapter.onTurnError = async () => void turnErrors++;
    const notifier = new CloudNotifier(adapter, '', { sdkRetries: false });
    const kinds: string[] = [];
    for (const conversation of ['a', 'b', 'c']) {
      const error = await failureOf(notifier.send(personalReference(connector.url, conversation), { type: 'message', text: 'hello' }));
      const failure = classifySendError(error, Date.now());
      kinds.push(`${failure.kind}:${failure.code}`);
    }
    expect(kinds).to.deep.equal(['transient:http-503', 'gone:http-404', 'permanent:http-400']);
    expect(connector.seen).to.equal(3);
    expect(turnErrors).to.equal(0);
  });

  it('the broadcaster through the real notifier: every person receives the announcement once despite 5xx and a 429, a 404 is marked gone, and the report card is posted then updated in place', async () => {
    const failOnce = new Set(['conv-3', 'conv-7', 'conv-11']);
    let throttledOnce = false;
    connector = await startConnector({
      fail: (r) => {
        if (!throttledOnce && r.count >= 10) {
          throttledOnce = true;
          return { status: 429, retryAfter: '0' };
        }
        if (r.method === 'POST' && r.conversationId === 'conv-5') return 404;
        if (r.method === 'POST' && failOnce.delete(r.conversationId)) return 503;
        return undefined;
      },
    });
    const url = connector.url;
    const gone: string[] = [];
    const store = memoryBroadcasts();
    const broadcaster = new Broadcaster({
      store,
      notifier: new CloudNotifier(anonymousAdapter(), '', { sdkRetries: false }),
      clock: { now: () => new Date() },
      logger: memoryLogger(),
      rate: 1000,
      // No waiting between retries: this test is about HTTP, the waits are tested on a fake clock.
      random: () => 0,
      renderReport: broadcastReportActivity,
      onGone: async (userId) => void gone.push(userId),
    });
    const recipients = Array.from({ length: 20 }, (_, i) => ({ userId: `user-${i}`, reference: personalReference(url, `conv-${i}`) }));
    await broadcaster.queue({
      id: 'announce:TS-LOOP1',
      title: 'Training: Sponsor training, 5 Dec',
      activity: { type: 'message', text: 'Sponsor training on 5 December: book a place.' },
      recipients,
      author: { userId: 'author-1', reference: personalReference(url, 'conv-author') },
    });
    await broadcaster.drain();
    await broadcaster.stop();

    const announcements = connector.received.filter((r) => r.method === 'POST' && r.conversationId !== 'conv-author');
    const perConversation = new Map<string, number>();
    for (const r of announcements) perConversation.set(r.conversationId, (perConversation.get(r.conversationId) ?? 0) + 1);
    expect(perConversation.size).to.equal(19);
    expect([...perConversation.values()].every((n) => n === 1)).to.equal(true);
    expect(announcements[0]?.body?.text).to.equal('Sponsor training on 5 December: book a place.');
    expect(gone).to.deep.equal(['user-5']);
    expect(throttledOnce).to.equal(true);

    const cards = connector.received.filter((r) => r.conversationId === 'conv-author');
    expect(cards[0]?.method).to.equal('POST');
    const final = cards.at(-1);
    expect(final?.method).to.equal('PUT');
    expect(final?.activityId).to.equal('activity-1');
    const text = cardToText(final?.body?.attachments?.[0]?.content).text;
    expect(text).to.include('Finished: sent to 19 of 20').and.include('No longer reachable: 1').and.include('Failed: 0');
    expect((await store.report('announce:TS-LOOP1'))?.counts).to.include({ sent: 19, gone: 1, failed: 0, pending: 0, sending: 0 });
  });
});
