import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { memoryTraining, openLowdbTraining, randomSessionId, type LowdbTraining } from '../../../bot/storage/lowdbTraining.js';
import { AzureTables } from '../../../bot/storage/azure/tables.js';
import { openAzureTraining } from '../../../bot/storage/azure/training.js';
import { azurite, uniqueName } from '../../support/azurite.js';
import { StoreFileError } from '../../../bot/storage/lowdbDocument.js';
import type { NewSession, TrainingRepository, TrainingSession } from '../../../dialogs/trainingSessions.js';
import { placesLeft, waitingPosition } from '../../../dialogs/trainingSessions.js';

const now = '2026-11-21T09:30:00.000Z';
const later = '2026-11-21T10:00:00.000Z';

/** A session at Poole on 8 December 2026, 10:00 GMT, booking until the end of 1 December. */
function newSession(changes: Partial<NewSession> = {}): NewSession {
  return {
    state: 'draft',
    teamId: 'dorset',
    course: 'registration-agent-advanced',
    courseTitle: 'Registration Agent Advanced',
    venue: { kind: 'office', value: 'dorset-poole', title: 'Poole, Canford House', address: 'Canford House, Discovery Court, 551-553 Wallisdown Road, Poole, BH12 5AG' },
    startsAt: '2026-12-08T10:00:00.000Z',
    ambiguousTime: false,
    durationMinutes: 180,
    capacity: 10,
    bookingDeadline: '2026-12-01',
    bookingClosesAt: '2026-12-02T00:00:00.000Z',
    audience: { kind: 'everyone' },
    note: '',
    fields: {},
    draft: randomUUID(),
    author: { userId: 'ra-1', name: 'Robin RA', reference: { conversation: { id: 'personal-ra', isGroup: false, conversationType: 'personal', name: '' } } },
    createdAt: now,
    updatedAt: now,
    ...changes,
  };
}

function person(n: number): { userId: string; name: string; reference: { conversation: { id: string; isGroup: boolean; conversationType: string; name: string } } } {
  return { userId: `user-${n}`, name: `Person ${n}`, reference: { conversation: { id: `personal-${n}`, isGroup: false, conversationType: 'personal', name: '' } } };
}

async function announced(store: TrainingRepository, changes: Partial<NewSession> = {}): Promise<TrainingSession> {
  const draft = await store.create(newSession(changes));
  const done = await store.update(draft.id, draft.version, (s) => ({ ...s, state: 'announced', announcedAt: now }));
  if (typeof done === 'string') throw new Error(done);
  return done;
}

type Store = TrainingRepository & { flush?(): Promise<void> };

function contract(name: string, open: () => Promise<{ store: Store; reopen?: () => Promise<LowdbTraining>; done?: () => Promise<void> }>): void {
  describe(name, () => {
    let store: Store;
    let reopen: (() => Promise<LowdbTraining>) | undefined;
    let done: (() => Promise<void>) | undefined;
    beforeEach(async () => {
      ({ store, reopen, done } = await open());
    });
    afterEach(async () => {
      await store.flush?.();
      await done?.();
    });

    it('a new session gets an id like TS-7KQ2MX, version 1 and no bookings', async () => {
      const created = await store.create(newSession());
      expect(created.id).to.match(/^TS-[A-HJ-NP-Z2-9]{6}$/);
      expect(created).to.include({ version: 1, state: 'draft', promotions: 0 });
      expect(created.bookings).to.deep.equal([]);
      expect(await store.get(created.id)).to.deep.equal(created);
    });

    it('the same form copy (draft) sent twice, even at once, makes one session', async () => {
      const session = newSession();
      const [a, b] = await Promise.all([store.create(session), store.create(session)]);
      expect(a?.id).to.equal(b?.id);
      expect(await store.create(session)).to.deep.equal(a);
      expect(await store.list({})).to.have.length(1);
    });

    it('a change needs the version it was read at, and cannot touch the bookings', async () => {
      const session = await announced(store);
      await store.book(session.id, person(1), now);
      expect(await store.update(session.id, session.version, (s) => ({ ...s, note: 'late' }))).to.equal('conflict');
      const current = await store.get(session.id);
      if (!current) throw new Error('gone');
      const changed = await store.update(current.id, current.version, (s) => ({ ...s, note: 'Bring your card', bookings: [] }));
      if (typeof changed === 'string') throw new Error(changed);
      expect(changed.note).to.equal('Bring your card');
      expect(changed.bookings.map((b) => b.userId)).to.deep.equal(['user-1']);
      expect(await store.update('TS-NOPE22', 1, (s) => s)).to.equal('missing');
    });

    it('lists by state, start and draft, earliest first', async () => {
      const late = await announced(store, { startsAt: '2026-12-20T10:00:00.000Z', draft: '11111111-1111-4111-8111-111111111111' });
      const early = await announced(store, { startsAt: '2026-12-01T10:00:00.000Z', draft: '22222222-2222-4222-8222-222222222222' });
      const draft = await store.create(newSession({ draft: '33333333-3333-4333-8333-333333333333' }));
      expect((await store.list({ states: ['announced'] })).map((s) => s.id)).to.deep.equal([early.id, late.id]);
      expect((await store.list({ states: ['announced'], startsAfter: '2026-12-05T00:00:00.000Z' })).map((s) => s.id)).to.deep.equal([late.id]);
      expect((await store.list({ draft: '33333333-3333-4333-8333-333333333333' })).map((s) => s.id)).to.deep.equal([draft.id]);
    });

    it('books while there are places, then puts people on the waiting list in order', async () => {
      const session = await announced(store, { capacity: 2 });
      expect(await store.book(session.id, person(1), now)).to.deep.include({ kind: 'booked', already: false, position: 0 });
      expect(await store.book(session.id, person(2), now)).to.deep.include({ kind: 'booked', already: false });
      expect(await store.book(session.id, person(3), now)).to.deep.include({ kind: 'waiting', already: false, position: 1 });
      expect(await store.book(session.id, person(4), now)).to.deep.include({ kind: 'waiting', position: 2 });
      const stored = await store.get(session.id);
      if (!stored) throw new Error('gone');
      expect(placesLeft(stored)).to.equal(0);
      expect(waitingPosition(stored, 'user-4')).to.equal(2);
    });

    it('the same person booking again changes nothing', async () => {
      const session = await announced(store, { capacity: 1 });
      await store.book(session.id, person(1), now);
      await store.book(session.id, person(2), now);
      const before = await store.get(session.id);
      expect(await store.book(session.id, person(1), later)).to.deep.include({ kind: 'booked', already: true });
      expect(await store.book(session.id, person(2), later)).to.deep.include({ kind: 'waiting', already: true, position: 1 });
      expect(await store.get(session.id)).to.deep.equal(before);
    });

    it('refuses drafts, cancelled sessions, sessions that have started and bookings after the last day', async () => {
      const draft = await store.create(newSession());
      expect(await store.book(draft.id, person(1), now)).to.deep.equal({ kind: 'refused', reason: 'not-announced' });
      expect(await store.book('TS-NOPE22', person(1), now)).to.deep.equal({ kind: 'refused', reason: 'missing' });
      const session = await announced(store);
      expect(await store.book(session.id, person(1), '2026-12-02T00:00:00.000Z')).to.deep.equal({ kind: 'refused', reason: 'closed' });
      expect(await store.book(session.id, person(1), '2026-12-08T10:00:00.000Z')).to.deep.equal({ kind: 'refused', reason: 'started' });
      const current = await store.get(session.id);
      if (!current) throw new Error('gone');
      await store.update(current.id, current.version, (s) => ({ ...s, state: 'cancelled', cancelledAt: now }));
      expect(await store.book(session.id, person(1), now)).to.deep.equal({ kind: 'refused', reason: 'cancelled' });
    });

    it('100 people booking 10 places at the same moment: exactly 10 booked and 90 waiting, each with their own place in the list', async () => {
      const session = await announced(store, { capacity: 10 });
      const results = await Promise.all(Array.from({ length: 100 }, (_, i) => store.book(session.id, person(i + 1), now)));
      expect(results.filter((r) => r.kind === 'booked')).to.have.length(10);
      expect(results.filter((r) => r.kind === 'waiting')).to.have.length(90);
      const positions = results.flatMap((r) => (r.kind === 'waiting' ? [r.position] : []));
      expect([...positions].sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 90 }, (_, i) => i + 1));
      const stored = await store.get(session.id);
      if (!stored) throw new Error('gone');
      expect(stored.bookings.filter((b) => b.status === 'booked')).to.have.length(10);
      expect(new Set(stored.bookings.map((b) => b.userId)).size).to.equal(100);
    });

    it('giving up a place hands it to the first on the waiting list in the same change', async () => {
      const session = await announced(store, { capacity: 2 });
      for (const n of [1, 2, 3, 4]) await store.book(session.id, person(n), now);
      const result = await store.cancelBooking(session.id, 'user-1', later);
      if (result.kind !== 'cancelled') throw new Error(result.kind);
      expect(result.was).to.equal('booked');
      expect(result.promoted?.number).to.equal(1);
      expect(result.promoted?.booking).to.deep.include({ userId: 'user-3', status: 'booked', promotedAt: later });
      expect(result.promoted?.booking.reference).to.deep.equal(person(3).reference);
      const stored = await store.get(session.id);
      if (!stored) throw new Error('gone');
      expect(stored.bookings.map((b) => [b.userId, b.status])).to.deep.equal([
        ['user-2', 'booked'],
        ['user-3', 'booked'],
        ['user-4', 'waiting'],
      ]);
      expect(waitingPosition(stored, 'user-4')).to.equal(1);
      expect(stored.promotions).to.equal(1);
    });

    it('leaving the waiting list gives nobody a place; cancelling twice finds nothing the second time', async () => {
      const session = await announced(store, { capacity: 1 });
      for (const n of [1, 2, 3]) await store.book(session.id, person(n), now);
      const left = await store.cancelBooking(session.id, 'user-2', later);
      expect(left).to.deep.include({ kind: 'cancelled', was: 'waiting', promoted: undefined });
      expect(await store.cancelBooking(session.id, 'user-2', later)).to.deep.equal({ kind: 'not-booked' });
      const stored = await store.get(session.id);
      expect(stored && waitingPosition(stored, 'user-3')).to.equal(1);
    });

    it('a booking cannot be given up once the session has started', async () => {
      const session = await announced(store);
      await store.book(session.id, person(1), now);
      expect(await store.cancelBooking(session.id, 'user-1', '2026-12-08T10:05:00.000Z')).to.deep.equal({ kind: 'started' });
    });

    if (name.includes('file')) {
      it('bookings are on disk when book resolves, and read back after a restart', async () => {
        const session = await announced(store, { capacity: 1 });
        await store.book(session.id, person(1), now);
        await store.book(session.id, person(2), now);
        const again = await reopen?.();
        if (!again) throw new Error('no reopen');
        const stored = await again.get(session.id);
        expect(stored?.bookings.map((b) => [b.userId, b.status])).to.deep.equal([
          ['user-1', 'booked'],
          ['user-2', 'waiting'],
        ]);
      });
    }
  });
}

describe('bot/storage: training sessions and bookings', () => {
  contract('in memory', () => Promise.resolve({ store: memoryTraining() }));

  contract('on file (DATA_DIR/training.json)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'smartcard-training-'));
    const file = path.join(dir, 'training.json');
    return { store: await openLowdbTraining(file), reopen: () => openLowdbTraining(file), done: () => rm(dir, { recursive: true, force: true }) };
  });

  contract('on Azure Table storage (Azurite)', async () => ({ store: await openAzureTraining(new AzureTables(await azurite(), uniqueName())) }));

  describe('two instances on one Azure Table store', () => {
    /** Two repository objects on the same tables, each with its own connection, as two bot processes have. */
    async function twoInstances(newId?: () => string): Promise<[TrainingRepository, TrainingRepository]> {
      const [connection, prefix] = [await azurite(), uniqueName()];
      return [await openAzureTraining(new AzureTables(connection, prefix), newId), await openAzureTraining(new AzureTables(connection, prefix), newId)];
    }

    it('50 people booking 10 places at once, half through each instance: exactly 10 booked, 40 waiting, nobody twice', async () => {
      const [a, b] = await twoInstances();
      const session = await announced(a, { capacity: 10 });
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a : b).book(session.id, person(i + 1), now)));
      expect(results.filter((r) => r.kind === 'booked')).to.have.length(10);
      expect(results.filter((r) => r.kind === 'waiting')).to.have.length(40);
      const positions = results.flatMap((r) => (r.kind === 'waiting' ? [r.position] : []));
      expect([...positions].sort((x, y) => x - y)).to.deep.equal(Array.from({ length: 40 }, (_, i) => i + 1));
      const [seenByA, seenByB] = [await a.get(session.id), await b.get(session.id)];
      expect(seenByA).to.deep.equal(seenByB);
      expect(seenByA?.bookings.filter((x) => x.status === 'booked')).to.have.length(10);
      expect(new Set(seenByA?.bookings.map((x) => x.userId)).size).to.equal(50);
      expect(seenByA?.version).to.equal(session.version + 50);
    });

    it('places given up on both instances at once go to the first on the waiting list, each exactly once', async () => {
      const [a, b] = await twoInstances();
      const session = await announced(a, { capacity: 10 });
      for (let n = 1; n <= 50; n++) await (n % 2 === 0 ? a : b).book(session.id, person(n), now);
      // Booked: 1-10; waiting in order: 11-50. Five give up their places (one of them on both instances at once)
      // and three leave the end of the waiting list.
      const leaving: [TrainingRepository, string][] = [
        [a, 'user-1'], [b, 'user-1'], [b, 'user-2'], [a, 'user-3'], [b, 'user-4'], [a, 'user-5'], [a, 'user-48'], [b, 'user-49'], [a, 'user-50'],
      ];
      const results = await Promise.all(leaving.map(([store, userId]) => store.cancelBooking(session.id, userId, later)));
      const cancelled = results.flatMap((r) => (r.kind === 'cancelled' ? [r] : []));
      expect(cancelled).to.have.length(8);
      expect(results.filter((r) => r.kind === 'not-booked')).to.have.length(1);
      const promoted = cancelled.flatMap((r) => (r.promoted ? [r.promoted] : []));
      expect(promoted.map((p) => p.booking.userId).sort()).to.deep.equal(['user-11', 'user-12', 'user-13', 'user-14', 'user-15']);
      expect(promoted.map((p) => p.number).sort()).to.deep.equal([1, 2, 3, 4, 5]);
      const stored = await b.get(session.id);
      if (!stored) throw new Error('gone');
      expect(stored.promotions).to.equal(5);
      expect(stored.bookings.filter((x) => x.status === 'booked').map((x) => x.userId).sort()).to.deep.equal(
        ['user-6', 'user-7', 'user-8', 'user-9', 'user-10', 'user-11', 'user-12', 'user-13', 'user-14', 'user-15'].sort(),
      );
      expect(stored.bookings.filter((x) => x.status === 'waiting').map((x) => x.userId)).to.deep.equal(Array.from({ length: 32 }, (_, i) => `user-${i + 16}`));
    });

    it('the same form copy sent to both instances at once makes one session', async () => {
      const [a, b] = await twoInstances();
      const draft = newSession();
      const made = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).create(draft)));
      expect(new Set(made.map((s) => s.id)).size).to.equal(1);
      expect(await a.list({ draft: draft.draft })).to.have.length(1);
      expect(await b.list({})).to.deep.equal([made[0]]);
    });

    it('a new id is drawn again when another instance has taken it', async () => {
      const ids = ['TS-AAAAAA', 'TS-AAAAAA', 'TS-BBBBBB'];
      const [a, b] = await twoInstances(() => ids.shift() ?? 'TS-CCCCCC');
      expect((await a.create(newSession())).id).to.equal('TS-AAAAAA');
      expect((await b.create(newSession())).id).to.equal('TS-BBBBBB');
      expect((await a.list({})).map((s) => s.id)).to.deep.equal(['TS-AAAAAA', 'TS-BBBBBB']);
    });

    it('a change made on one instance from an out-of-date copy is refused, not lost', async () => {
      const [a, b] = await twoInstances();
      const session = await announced(a);
      const [first, second] = await Promise.all([
        a.update(session.id, session.version, (s) => ({ ...s, note: 'Bring your card' })),
        b.update(session.id, session.version, (s) => ({ ...s, note: 'Room 2' })),
      ]);
      expect([first, second].filter((r) => r === 'conflict')).to.have.length(1);
      const kept = [first, second].find((r) => typeof r !== 'string');
      expect(await b.get(session.id)).to.deep.equal(kept);
    });
  });

  it('ids use no look-alike characters (no 0, O, 1 or I)', () => {
    for (let i = 0; i < 200; i++) expect(randomSessionId()).to.match(/^TS-[A-HJ-NP-Z2-9]{6}$/);
  });

  it('a new id is drawn again when it is taken', async () => {
    const ids = ['TS-AAAAAA', 'TS-AAAAAA', 'TS-BBBBBB'];
    const store = memoryTraining(() => ids.shift() ?? 'TS-CCCCCC');
    expect((await store.create(newSession())).id).to.equal('TS-AAAAAA');
    expect((await store.create(newSession())).id).to.equal('TS-BBBBBB');
  });

  it('a file that is not a training file is refused and left as it is', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'smartcard-training-'));
    try {
      const file = path.join(dir, 'training.json');
      await writeFile(file, '{"requests": {}}');
      let thrown: unknown;
      try {
        await openLowdbTraining(file);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).to.be.instanceOf(StoreFileError);
      expect(await readFile(file, 'utf8')).to.equal('{"requests": {}}');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
