import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Adapter } from 'lowdb';
import { LowdbBroadcasts, openLowdbBroadcasts, type BroadcastsData } from '../../bot/storage/lowdbBroadcasts.js';
import { CopyingMemory, LowdbDocument, StoreFileError } from '../../bot/storage/lowdbDocument.js';
import type { BroadcastRequest } from '../../dialogs/outreach.js';

const at = '2026-11-21T09:30:00.000Z';
const later = '2026-11-21T09:31:00.000Z';

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

function counted(): { store: LowdbBroadcasts; adapter: CountingMemory } {
  const adapter = new CountingMemory();
  return { store: new LowdbBroadcasts(LowdbDocument.inMemory<BroadcastsData>({ broadcasts: {}, deliveries: {} }, (d) => d, adapter)), adapter };
}

describe('the broadcast store (lowdb)', () => {
  it('when 1,000 deliveries are claimed 200 at a time and their outcomes recorded together, each batch is one write, never one per message', async () => {
    const { store, adapter } = counted();
    await store.queue(broadcast('b1', 1000), at);
    expect(adapter.writes).to.equal(1);
    let outcomes: { broadcastId: string; userId: string; state: 'sent'; attempts: number }[] = [];
    for (let round = 0; round < 6; round++) {
      const { claims } = await store.exchange(outcomes, 200, at);
      outcomes = claims.map((c) => ({ broadcastId: c.broadcastId, userId: c.userId, state: 'sent' as const, attempts: 1 }));
    }
    expect(adapter.writes).to.equal(7);
    const report = await store.report('b1');
    expect(report?.counts.sent).to.equal(1000);
    expect(report?.finished).to.equal(true);
    expect(report?.finishedAt).to.equal(at);
    expect(await store.claim(200, later), 'nothing left').to.deep.equal([]);
    expect(adapter.writes, 'an empty claim writes nothing').to.equal(7);
  });

  it('when a one-person reminder is queued behind a large announcement, the next claim includes it (round robin across broadcasts)', async () => {
    const { store } = counted();
    await store.queue(broadcast('announce:big', 500), at);
    await store.queue(broadcast('job:reminder', 1, 'r'), later);
    const claims = await store.claim(10, later);
    expect(claims.map((c) => c.broadcastId)).to.include('job:reminder');
    expect(claims).to.have.length(10);
  });

  it('a delivery not yet due (a retry later) is not claimed until its time', async () => {
    const { store } = counted();
    await store.queue(broadcast('b2', 1), at);
    const [claim] = await store.claim(5, at);
    await store.record([{ broadcastId: 'b2', userId: claim?.userId ?? '', state: 'pending', attempts: 1, error: 'http-503', nextAttemptAt: later }], at);
    expect(await store.claim(5, at)).to.deep.equal([]);
    expect(await store.nextDueAt()).to.equal(later);
    expect((await store.claim(5, later)).map((c) => c.attempts)).to.deep.equal([1]);
  });

  it('an outcome for a delivery that is not in flight (recorded already) changes nothing', async () => {
    const { store } = counted();
    await store.queue(broadcast('b3', 2), at);
    const claims = await store.claim(2, at);
    const sent = claims.map((c) => ({ broadcastId: c.broadcastId, userId: c.userId, state: 'sent' as const, attempts: 1 }));
    await store.record(sent, at);
    await store.record(sent.map((o) => ({ ...o, state: 'failed' as const })), later);
    expect((await store.report('b3'))?.counts).to.include({ sent: 2, failed: 0 });
  });

  it('when a write fails, nothing it would have changed is kept: the claimed deliveries are still pending', async () => {
    const { store, adapter } = counted();
    await store.queue(broadcast('b4', 3), at);
    adapter.failNext = true;
    let failed = false;
    await store.claim(3, at).catch(() => (failed = true));
    expect(failed).to.equal(true);
    expect((await store.report('b4'))?.counts).to.include({ pending: 3, sending: 0 });
  });

  it('when a broadcast is cancelled with messages in flight, those are not sent again after a restart', async () => {
    const { store } = counted();
    await store.queue(broadcast('b5', 4), at);
    await store.claim(2, at);
    const report = await store.cancel('b5', at);
    expect(report?.counts).to.include({ sending: 2, cancelled: 2 });
    expect(report?.finished).to.equal(false);
    expect(await store.requeueInFlight(later)).to.equal(2);
    const after = await store.report('b5');
    expect(after?.counts).to.include({ cancelled: 4, pending: 0, sending: 0 });
    expect(after?.finished).to.equal(true);
    expect(await store.claim(10, later)).to.deep.equal([]);
  });

  it('a broadcast finished long ago keeps its counts and id (queueing it again still queues nothing) but forgets who it went to and what it said', async () => {
    const { store } = counted();
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

  describe('on disk', () => {
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
