import { expect } from 'chai';
import { mock } from 'node:test';
import { CloudAdapter, ConfigurationBotFrameworkAuthentication, type Activity, type ConversationReference } from 'botbuilder';
import type { App } from '../../bot/app.js';
import { Broadcaster } from '../../bot/broadcast/broadcaster.js';
import { CloudNotifier } from '../../bot/proactive/cloudNotifier.js';
import { memoryBroadcasts } from '../../bot/storage/lowdbBroadcasts.js';
import { memoryDesks } from '../../bot/storage/lowdbRequests.js';
import { broadcastReportActivity } from '../../dialogs/broadcastActions.js';
import type { Notifier } from '../../dialogs/ports.js';
import { cardToText } from '../../cards/flatten.js';
import { readAll } from '../support/chat.js';
import { personalReference, startConnector, type ConnectorStandIn } from '../support/connector.js';
import { seededDirectory } from '../support/directory.js';
import { activity, post } from '../support/http.js';
import { memoryLogger, type LogEntry } from '../support/memoryLogger.js';
import { memoryRequestStores } from '../support/requests.js';
import { FakeTime } from '../broadcast/fakeTime.js';
import { Person, serve } from './httpChat.js';

const adminId = '3f2b8c1d-5e6a-4b7c-8d9e-0a1b2c3d4e5f';

/** One real turn of the event loop: lets loopback HTTP make progress without any time passing on the fake clocks. */
function turnOfTheLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Waits for `work` while moving the mocked setTimeout clock on in small steps: the Bot Connector client's retry waits
 * (a second or more each) pass at once, and real loopback I/O happens in between.
 */
async function withMockedWaits<T>(work: Promise<T>, stepMs = 200): Promise<T> {
  let done = false;
  void work.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; !done; i++) {
    if (i > 20_000) throw new Error('still waiting');
    await turnOfTheLoop();
    mock.timers.tick(stepMs);
  }
  return work;
}

function errors(entries: readonly LogEntry[]): LogEntry[] {
  return entries.filter((e) => e.level === 'error');
}

describe('faults: the Bot Connector is down', () => {
  let connector: ConnectorStandIn | undefined;
  let running: App | undefined;
  afterEach(async () => {
    mock.timers.reset();
    await running?.stop();
    running = undefined;
    await connector?.close();
    connector = undefined;
  });

  describe('replies in an ordinary turn (not expectReplies), which go to the Bot Connector', () => {
    /** A message from Teams whose replies go back through the Bot Connector stand-in. */
    function message(text: string, conversationId = 'personal-sam'): Record<string, unknown> {
      return activity({
        deliveryMode: 'normal',
        serviceUrl: connector?.url,
        text,
        type: 'message',
        from: { id: 'user-sam', name: 'Sam', aadObjectId: 'aad-sam' },
        conversation: { id: conversationId, conversationType: 'personal', isGroup: false, name: '' },
      });
    }

    it('when the connector answers 503 twice and then recovers, the SDK retries the reply by itself and it arrives once, with nothing logged as an error', async () => {
      connector = await startConnector({ fail: (r) => (r.count <= 2 ? 503 : undefined) });
      const logger = memoryLogger();
      const { app, url } = await serve({}, { logger });
      running = app;
      mock.timers.enable({ apis: ['setTimeout'] });

      const response = await withMockedWaits(post(url, message('about')));

      expect(response.status).to.equal(200);
      expect(connector.failed).to.equal(2);
      expect(connector.received).to.have.length(1);
      expect(connector.received[0]?.conversationId).to.equal('personal-sam');
      expect(errors(logger.entries)).to.deep.equal([]);
    });

    it('when the connector stays down, the reply is tried 4 times (the SDK retries 3), the turn is logged at error with a reference, as is the apology that could not go; it recovers afterwards', async () => {
      let down = true;
      connector = await startConnector({ fail: () => (down ? 503 : undefined) });
      const logger = memoryLogger();
      const { app, url } = await serve({}, { logger });
      running = app;
      mock.timers.enable({ apis: ['setTimeout'] });

      await withMockedWaits(post(url, message('set my workplace')));

      expect(connector.received).to.deep.equal([]);
      expect(connector.failed, 'the reply 4 times, then the apology 4 times').to.equal(8);
      const failed = errors(logger.entries).find((e) => e.msg === 'turn failed');
      const reference = failed?.fields['reference'];
      expect(reference).to.match(/^SA-[A-Z0-9]{6}$/);
      expect(errors(logger.entries).find((e) => e.msg === 'could not send the apology')?.fields['reference']).to.equal(reference);
      expect(logger.entries.map((e) => e.msg), 'the turn never counts as done').not.to.include('turn done');

      down = false;
      logger.entries.length = 0;
      await withMockedWaits(post(url, message('about')));
      expect(connector.received.length).to.be.greaterThan(0);
      expect(errors(logger.entries)).to.deep.equal([]);
    });
  });

  describe('proactive sends', () => {
    /** The notifier the app gives the broadcaster, counting sends under way so fake time moves only between them. */
    class Tracked implements Notifier {
      inFlight = 0;
      readonly attempts: { conversationId: string; at: number }[] = [];
      constructor(
        private readonly inner: Notifier,
        private readonly time: FakeTime,
      ) {}
      send(to: Partial<ConversationReference>, sent: Partial<Activity>): Promise<string | undefined> {
        this.attempts.push({ conversationId: to.conversation?.id ?? '', at: this.time.now });
        return this.track(this.inner.send(to, sent));
      }
      update(to: Partial<ConversationReference>, activityId: string, sent: Partial<Activity>): Promise<void> {
        return this.track(this.inner.update(to, activityId, sent));
      }
      private async track<T>(work: Promise<T>): Promise<T> {
        this.inFlight++;
        try {
          return await work;
        } finally {
          this.inFlight--;
        }
      }
    }

    it('an announcement: a person the connector keeps refusing is tried 5 times with growing waits, then counted as failed on the report card and logged at error; the rest are sent', async () => {
      connector = await startConnector({ fail: (r) => (r.method === 'POST' && r.conversationId === 'conv-2' ? 503 : undefined) });
      const time = new FakeTime();
      const logger = memoryLogger();
      const store = memoryBroadcasts();
      const notifier = new Tracked(new CloudNotifier(new CloudAdapter(new ConfigurationBotFrameworkAuthentication({})), '', { sdkRetries: false }), time);
      const broadcaster = new Broadcaster({
        store,
        notifier,
        clock: time.clock,
        timing: time.timing,
        logger,
        rate: 10,
        random: () => 0.5,
        renderReport: broadcastReportActivity,
      });
      const url = connector.url;
      await broadcaster.queue({
        id: 'announce:TS-DOWN01',
        title: 'Training: Sponsor training, 8 Dec',
        activity: { type: 'message', text: 'Sponsor training on 8 December: book a place.' },
        recipients: [1, 2, 3].map((n) => ({ userId: `user-${n}`, reference: personalReference(url, `conv-${n}`) })),
        author: { userId: 'author', reference: personalReference(url, 'conv-author') },
      });
      broadcaster.start();
      const finished = async () => (await store.report('announce:TS-DOWN01'))?.finished === true;
      for (let steps = 0; !(await finished()) || notifier.inFlight > 0; steps++) {
        if (steps > 5000) throw new Error('the broadcast never finished');
        while (notifier.inFlight > 0) await turnOfTheLoop();
        await time.advance(250);
      }
      await time.advance(5000);
      while (notifier.inFlight > 0) await turnOfTheLoop();
      await broadcaster.stop();

      const toTwo = notifier.attempts.filter((a) => a.conversationId === 'conv-2').map((a) => a.at);
      expect(toTwo).to.have.length(5);
      // The first wait includes the queue's own pacing and batching; after it, the backoff doubles each time.
      const waits = toTwo.slice(2).map((at, i) => at - (toTwo[i + 1] as number));
      expect(waits.every((w, i) => i === 0 || w >= 2 * (waits[i - 1] as number) - 250), `waits ${waits.join(', ')} double`).to.equal(true);
      expect((await store.report('announce:TS-DOWN01'))?.counts).to.include({ sent: 2, failed: 1, pending: 0, sending: 0 });
      const gaveUp = errors(logger.entries).filter((e) => e.msg === 'a broadcast message could not be delivered');
      expect(gaveUp.map((e) => e.fields)).to.deep.equal([{ component: 'broadcaster', code: 'http-503', attempts: 5 }]);
      const cards = connector.received.filter((r) => r.conversationId === 'conv-author');
      const final = cardToText(cards.at(-1)?.body?.attachments?.[0]?.content).text;
      expect(final).to.include('Failed: 1');
    });

    it('a desk card: when the connector is down as a request is filed, the request is kept, the requester is told to phone too, it is logged at error, and the RA team sees it marked when they open their requests', async () => {
      connector = await startConnector({ fail: (r) => (r.conversationId.startsWith('19:desk') ? 503 : undefined) });
      const logger = memoryLogger();
      const stores = memoryRequestStores();
      // No notifier given: desk cards go through the real one, to the stand-in, with the SDK's own retries.
      const { app, url } = await serve({ RA_ADMINS: adminId }, { directory: await seededDirectory(), requests: stores.requests, desks: memoryDesks(), notifier: undefined, logger });
      running = app;
      const admin = new Person(url, 'ra-admin', 'Robin Admin', adminId, '19:desk@thread.tacv2;messageid=1', 'channel');
      admin.extra = { serviceUrl: connector.url };
      expect(readAll(await admin.say('make this the RA desk for scw'))).to.include('new requests for South, Central and West');

      const sam = new Person(url, 'user-sam', 'Sam Requester');
      const form = await sam.pressButton(await sam.say('raise a request'), 'Ask the RA team a question');
      mock.timers.enable({ apis: ['setTimeout'] });
      const acknowledged = readAll(
        await withMockedWaits(sam.pressButton(form, 'Send to the RA team', { question: 'Can my locum use their own card at our branch?', odsCode: 'FA123' })),
      );
      mock.timers.reset();

      expect(connector.failed, 'the post and the SDK\'s 3 retries').to.equal(4);
      expect(acknowledged).to.include("couldn't put it on their desk just now, so please also tell them: 0300 5610429");
      expect((await stores.requests.store.list({})).map((r) => r.reference)).to.deep.equal(['RA-000001']);
      expect(errors(logger.entries).find((e) => e.msg === 'could not post the request to its desk')?.fields['reference']).to.equal('RA-000001');
      const open = readAll(await admin.say('open requests'));
      expect(open).to.include('**RA-000001**');
      expect(open).to.include('**not in the desk channel**: say **show RA-000001** to work on it');
    });
  });
});
