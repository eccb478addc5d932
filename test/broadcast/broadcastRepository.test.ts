import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Adapter } from 'lowdb';
import { LowdbBroadcasts, openLowdbBroadcasts, type BroadcastsData } from '../../bot/storage/lowdbBroadcasts.js';
import { CopyingMemory, LowdbDocument, StoreFileError } from '../../bot/storage/lowdbDocument.js';
import type { BroadcastRepository, Claim, Outcome } from '../../bot/broadcast/broadcastRepository.js';
import { AzureTables } from '../../bot/storage/azure/tables.js';
import { openAzureBroadcasts, type AzureBroadcasts } from '../../bot/storage/azure/broadcasts.js';
import type { BroadcastRequest } from '../../dialogs/outreach.js';
import { azurite, uniqueName } from '../support/azurite.js';

const at = '2026-11-21T09:30:00.000Z';
const later = '2026-11-21T09:31:00.000Z';
/** A restart an hour on: a shared store's leases (5 minutes) have run out by then. */
const restart = '2026-11-21T10:30:00.000Z';

function broadcast(id: string, count: number, prefix = 'u'): BroadcastRequest {
  return {
    id,
    title: `Broadcast ${id}`,
    activity: { type: 'message', text: 'hello' },
    recipients: Array.from({ length: count }, (_, i) => ({ userId: `${prefix}${i}`, reference: { conversation: { id: `conv-${prefix}${i}`, conversationType: 'personal', isGroup: false, name: '' } } })),
  };
}

/** The in-memory adapter, counting writes. */
class CountingMemory extends CopyingMemory<BroadcastsData> implements Adapter<BroadcastsData> {
  writes = 0;
  failNext = false;

  override write(data: BroadcastsData): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new Error('disk full'));
    }
    this.writes++;
    return super.write(data);
  }
}

function counted(): { store: LowdbBroadcasts; adapter: CountingMemory; second: () => LowdbBroadcasts } {
  const adapter = new CountingMemory();
  const document = LowdbDocument.inMemory<BroadcastsData>({ broadcasts: {}, deliveries: {} }, (d) => d, adapter);
  return { store: new LowdbBroadcasts(document), adapter, second: () => new LowdbBroadcasts(document) };
}

/** A store under test; `second`: another repository object on the same data, as a second instance has. */
interface Opened {
  readonly store: BroadcastRepository;
  readonly second: () => Promise<BroadcastRepository>;
  /** Writes so far, where the store counts them (lowdb rewrites its file on each). */
  readonly writes?: (() => number) | undefined;
  /** Makes the next write of deliveries fail. */
  readonly failNextWrite: () => void;
}

function sentOutcomes(claims: readonly Claim[]): Outcome[] {
  return claims.map((c) => ({ broadcastId: c.broadcastId, userId: c.userId, state: 'sent' as const, attempts: c.attempts + 1 }));
}

function contract(name: string, open: () => Promise<Opened>): void {
  describe(name, () => {
    let opened: Opened;
    beforeEach(async () => {
      opened = await open();
    });

    it('when 1,000 deliveries are claimed 200 at a time and their outcomes recorded together, each batch is one write, never one per message', async () => {
      const { store, writes } = opened;
      await store.queue(broadcast('b1', 1000), at);
      if (writes) expect(writes()).to.equal(1);
      let outcomes: { broadcastId: string; userId: string; state: 'sent'; attempts: number }[] = [];
      for (let round = 0; round < 6; round++) {
        const { claims } = await store.exchange(outcomes, 200, at);
        outcomes = claims.map((c) => ({ broadcastId: c.broadcastId, userId: c.userId, state: 'sent' as const, attempts: 1 }));
      }
      if (writes) expect(writes()).to.equal(7);
      const report = await store.report('b1');
      expect(report?.counts.sent).to.equal(1000);
      expect(report?.finished).to.equal(true);
      expect(report?.finishedAt).to.equal(at);
      expect(await store.claim(200, later), 'nothing left').to.deep.equal([]);
      if (writes) expect(writes(), 'an empty claim writes nothing').to.equal(7);
    });

    it('when a one-person reminder is queued behind a large announcement, the next claim includes it (round robin across broadcasts)', async () => {
      const { store } = opened;
      await store.queue(broadcast('announce:big', 500), at);
      await store.queue(broadcast('job:reminder', 1, 'r'), later);
      const claims = await store.claim(10, later);
      expect(claims.map((c) => c.broadcastId)).to.include('job:reminder');
      expect(claims).to.have.length(10);
    });

    it('a delivery not yet due (a retry later) is not claimed until its time', async () => {
      const { store } = opened;
      await store.queue(broadcast('b2', 1), at);
      const [claim] = await store.claim(5, at);
      await store.record([{ broadcastId: 'b2', userId: claim?.userId ?? '', state: 'pending', attempts: 1, error: 'http-503', nextAttemptAt: later }], at);
      expect(await store.claim(5, at)).to.deep.equal([]);
      expect(await store.nextDueAt()).to.equal(later);
      expect((await store.claim(5, later)).map((c) => c.attempts)).to.deep.equal([1]);
    });

    it('an outcome for a delivery that is not in flight (recorded already) changes nothing', async () => {
      const { store } = opened;
      await store.queue(broadcast('b3', 2), at);
      const claims = await store.claim(2, at);
      const sent = claims.map((c) => ({ broadcastId: c.broadcastId, userId: c.userId, state: 'sent' as const, attempts: 1 }));
      await store.record(sent, at);
      await store.record(sent.map((o) => ({ ...o, state: 'failed' as const })), later);
      expect((await store.report('b3'))?.counts).to.include({ sent: 2, failed: 0 });
    });

    it('when a write fails, nothing it would have changed is kept: the claimed deliveries are still pending', async () => {
      const { store, failNextWrite } = opened;
      await store.queue(broadcast('b4', 3), at);
      failNextWrite();
      let failed = false;
      await store.claim(3, at).catch(() => (failed = true));
      expect(failed).to.equal(true);
      expect((await store.report('b4'))?.counts).to.include({ pending: 3, sending: 0 });
    });

    it('when a broadcast is cancelled with messages in flight, those are not sent again after a restart', async () => {
      const { store } = opened;
      await store.queue(broadcast('b5', 4), at);
      await store.claim(2, at);
      const report = await store.cancel('b5', at);
      expect(report?.counts).to.include({ sending: 2, cancelled: 2 });
      expect(report?.finished).to.equal(false);
      expect(await store.requeueInFlight(restart)).to.equal(2);
      const after = await store.report('b5');
      expect(after?.counts).to.include({ cancelled: 4, pending: 0, sending: 0 });
      expect(after?.finished).to.equal(true);
      expect(await store.claim(10, later)).to.deep.equal([]);
    });

    it('a broadcast finished long ago keeps its counts and id (queueing it again still queues nothing) but forgets who it went to and what it said', async () => {
      const { store } = opened;
      await store.queue(broadcast('job:old', 3), at);
      const claims = await store.claim(3, at);
      await store.record(claims.map((c) => ({ broadcastId: c.broadcastId, userId: c.userId, state: 'sent' as const, attempts: 1 })), at);
      expect(await store.prune(at), 'finished just now: kept').to.equal(0);
      expect(await store.prune(later)).to.equal(1);
      const report = await store.report('job:old');
      expect(report?.counts.sent).to.equal(3);
      expect(report?.total).to.equal(3);
      expect((await store.queue(broadcast('job:old', 3), later)).queued).to.equal(false);
    });

    it('a broadcast to nobody is finished as soon as it is queued', async () => {
      const { store } = opened;
      const { queued, report } = await store.queue(broadcast('job:nobody', 0), at);
      expect(queued).to.equal(true);
      expect(report).to.deep.include({ total: 0, finished: true, finishedAt: at });
      expect(await store.nextDueAt()).to.equal(undefined);
    });

    it('two instances queueing the same broadcast at once queue it once', async () => {
      const { store, second } = opened;
      const other = await second();
      const results = await Promise.all([store.queue(broadcast('announce:TS-TWICE1', 250), at), other.queue(broadcast('announce:TS-TWICE1', 250), at)]);
      expect(results.filter((r) => r.queued)).to.have.length(1);
      expect(results.map((r) => r.report.total)).to.deep.equal([250, 250]);
      expect((await other.claim(1000, at)).length + (await store.claim(1000, at)).length).to.equal(250);
    });

    it('two instances claiming 500 deliveries at once, in batches, each claim a delivery exactly once, and it is sent once', async () => {
      const { store, second } = opened;
      const other = await second();
      await store.queue(broadcast('announce:TS-BOTH01', 500), at);
      const claims: Claim[] = [];
      const byInstance = new Map<BroadcastRepository, number>();
      const finished: string[] = [];
      // Each instance keeps three workers going, each recording its last batch as sent and claiming 25 more in one call.
      const worker = async (repository: BroadcastRepository) => {
        let outcomes: Outcome[] = [];
        do {
          const result = await repository.exchange(outcomes, 25, at);
          finished.push(...result.finished);
          claims.push(...result.claims);
          byInstance.set(repository, (byInstance.get(repository) ?? 0) + result.claims.length);
          outcomes = sentOutcomes(result.claims);
        } while (outcomes.length > 0);
      };
      await Promise.all([store, store, store, other, other, other].map(worker));
      expect(claims).to.have.length(500);
      expect(byInstance.get(store), 'the first instance claimed some').to.be.above(0);
      expect(byInstance.get(other), 'the second instance claimed some').to.be.above(0);
      expect(new Set(claims.map((c) => c.userId)).size, 'nobody claimed twice').to.equal(500);
      const report = await other.report('announce:TS-BOTH01');
      expect(report?.counts).to.include({ sent: 500, sending: 0, pending: 0 });
      expect(report?.finished).to.equal(true);
      expect(finished, 'finished once, by one of them').to.deep.equal(['announce:TS-BOTH01']);
    });
  });
}

describe('the broadcast store', () => {
  contract('lowdb', async () => {
    const { store, adapter, second } = counted();
    return { store, second: () => Promise.resolve(second()), writes: () => adapter.writes, failNextWrite: () => (adapter.failNext = true) };
  });

  contract('on Azure Table storage (Azurite)', async () => {
    const [connection, prefix] = [await azurite(), uniqueName()];
    const tables = new AzureTables(connection, prefix);
    const deliveries = await tables.table('broadcastdeliveries');
    return {
      store: await openAzureBroadcasts(tables),
      second: () => openAzureBroadcasts(new AzureTables(connection, prefix)),
      failNextWrite: () => {
        const update = deliveries.updateEntity.bind(deliveries);
        deliveries.updateEntity = () => {
          deliveries.updateEntity = update;
          return Promise.reject(new Error('the storage account refused the write'));
        };
      },
    };
  });

  describe('two instances on one Azure Table store: leases', () => {
    const fiveMinutesOn = '2026-11-21T09:35:00.000Z';
    async function twoInstances(): Promise<[AzureBroadcasts, AzureBroadcasts]> {
      const [connection, prefix] = [await azurite(), uniqueName()];
      return [await openAzureBroadcasts(new AzureTables(connection, prefix)), await openAzureBroadcasts(new AzureTables(connection, prefix))];
    }

    it('a delivery claimed by an instance that then stopped is claimed again once its lease runs out, and the late outcome of the first counts for nothing', async () => {
      const [a, b] = await twoInstances();
      await a.queue(broadcast('b-lease', 3), at);
      const first = await a.claim(3, at);
      expect(first.map((c) => c.leaseUntil)).to.deep.equal([fiveMinutesOn, fiveMinutesOn, fiveMinutesOn]);
      expect(await b.claim(3, later), 'leased to the first instance').to.deep.equal([]);
      expect(await b.nextDueAt(), 'due again when the lease runs out').to.equal(fiveMinutesOn);
      const again = await b.claim(3, fiveMinutesOn);
      expect(again.map((c) => c.userId).sort()).to.deep.equal(['u0', 'u1', 'u2']);
      expect(await a.record(sentOutcomes(first), fiveMinutesOn)).to.deep.equal([]);
      expect((await b.report('b-lease'))?.counts).to.include({ sending: 3, sent: 0 });
      expect(await b.record(sentOutcomes(again), fiveMinutesOn)).to.deep.equal(['b-lease']);
      expect((await a.report('b-lease'))?.counts).to.include({ sending: 0, sent: 3 });
    });

    it('an instance starting up leaves the deliveries another instance has out alone, and puts back those whose lease ran out', async () => {
      const [a, b] = await twoInstances();
      await a.queue(broadcast('b-start', 4), at);
      const out = await a.claim(2, at);
      expect(await b.requeueInFlight(later)).to.equal(0);
      expect((await b.report('b-start'))?.counts).to.include({ pending: 2, sending: 2 });
      await a.record([{ ...sentOutcomes(out)[0] as Outcome }], later);
      expect(await b.requeueInFlight(fiveMinutesOn)).to.equal(1);
      expect((await b.report('b-start'))?.counts).to.include({ pending: 3, sending: 0, sent: 1 });
    });

    it('when both instances record the last outcomes at the same moment, the broadcast finishes once', async () => {
      const [a, b] = await twoInstances();
      for (let round = 0; round < 5; round++) {
        const id = `b-finish-${round}`;
        await a.queue(broadcast(id, 200), at);
        const [fromA, fromB] = [await a.claim(100, at), await b.claim(100, at)];
        const finished = await Promise.all([a.record(sentOutcomes(fromA), later), b.record(sentOutcomes(fromB), later)]);
        expect(finished.flat()).to.deep.equal([id]);
        expect(await a.report(id)).to.deep.include({ finished: true, finishedAt: later, total: 200 });
      }
    });

    it('a broadcast cancelled on one instance while the other has deliveries out: those come back cancelled, or sent, and it finishes once', async () => {
      const [a, b] = await twoInstances();
      await b.queue(broadcast('b-cancel', 6), at);
      const out = await a.claim(3, at);
      const report = await b.cancel('b-cancel', later);
      expect(report).to.deep.include({ finished: false, cancelledAt: later });
      expect(report?.counts).to.include({ cancelled: 3, sending: 3 });
      expect(await b.claim(10, later)).to.deep.equal([]);
      const [retry, sent, lost] = out as [Claim, Claim, Claim];
      await a.record([{ broadcastId: retry.broadcastId, userId: retry.userId, state: 'pending', attempts: 1, error: 'http-503', nextAttemptAt: later }, ...sentOutcomes([sent])], later);
      expect((await a.report('b-cancel'))?.counts).to.include({ cancelled: 4, sent: 1, sending: 1 });
      // The instance holding the last one stops; once its lease runs out, the other puts it down as cancelled.
      const { claims, finished } = await b.exchange([], 10, fiveMinutesOn);
      expect(claims).to.deep.equal([]);
      expect(finished).to.deep.equal(['b-cancel']);
      expect(await a.record(sentOutcomes([lost]), fiveMinutesOn)).to.deep.equal([]);
      expect(await a.report('b-cancel')).to.deep.include({ finished: true, counts: { pending: 0, sending: 0, sent: 1, failed: 0, gone: 0, cancelled: 5 } });
    });

    it('a report card is posted by the instance that queued it; another takes it over only once it has been left unposted a minute, and a card never goes back', async () => {
      const [a, b] = await twoInstances();
      const author = { userId: 'ra-1', reference: { conversation: { id: 'conv-ra', conversationType: 'personal', isGroup: false, name: '' } } };
      await a.queue({ ...broadcast('b-card', 2), author }, at);
      expect(await b.reportCards('2026-11-21T09:30:30.000Z'), 'still the first instance\'s to post').to.deep.equal([]);
      expect((await a.reportCards(at)).map((c) => [c.broadcastId, c.state])).to.deep.equal([['b-card', 'due']]);
      const [takenA, takenB] = await Promise.all([b.reportCards(fiveMinutesOn), b.reportCards(fiveMinutesOn)]);
      expect([...(takenA ?? []), ...(takenB ?? [])].map((c) => c.broadcastId)).to.deep.equal(['b-card', 'b-card']);
      expect(await a.reportCards(fiveMinutesOn), 'now the other instance\'s').to.deep.equal([]);
      await b.setReportCard('b-card', { activityId: 'activity-1', state: 'posted' });
      await a.setReportCard('b-card', { state: 'due' });
      expect((await a.reportCards(fiveMinutesOn)).map((c) => [c.state, c.activityId]), 'a posted card is kept up to date by any instance').to.deep.equal([['posted', 'activity-1']]);
      await a.setReportCard('b-card', { activityId: 'activity-2', state: 'final' });
      await b.setReportCard('b-card', { activityId: 'activity-1', state: 'posted' });
      expect(await b.reportCards(fiveMinutesOn)).to.deep.equal([]);
    });
  });

  describe('lowdb on disk', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'sa-broadcasts-'));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('is written as compact JSON before queue resolves, and read back the same after a restart', async () => {
      const file = path.join(dir, 'broadcasts.json');
      const store = await openLowdbBroadcasts(file);
      const { queued, report } = await store.queue(broadcast('announce:TS-DISK01', 3), at);
      expect(queued).to.equal(true);
      expect(report.counts.pending).to.equal(3);
      const text = await readFile(file, 'utf8');
      expect(text).not.to.include('\n  ');
      const data = JSON.parse(text) as BroadcastsData;
      expect(data.deliveries['announce:TS-DISK01']?.map((d) => [d.userId, d.state, d.attempts])).to.deep.equal([
        ['u0', 'pending', 0],
        ['u1', 'pending', 0],
        ['u2', 'pending', 0],
      ]);
      expect(data.broadcasts['announce:TS-DISK01']?.activity).to.deep.equal({ type: 'message', text: 'hello' });
      const reopened = await openLowdbBroadcasts(file);
      expect((await reopened.report('announce:TS-DISK01'))?.total).to.equal(3);
    });

    it('a file that is not a broadcasts file stops start-up with a StoreFileError and is left as it was', async () => {
      const file = path.join(dir, 'broadcasts.json');
      await writeFile(file, '{"mails":[]}');
      let error: unknown;
      await openLowdbBroadcasts(file).catch((e: unknown) => (error = e));
      expect(error).to.be.instanceOf(StoreFileError);
      expect((error as Error).message).to.include('it is not a broadcasts file');
      expect(await readFile(file, 'utf8')).to.equal('{"mails":[]}');
    });
  });
});
