import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mock } from 'node:test';
import { MemoryStorage } from 'botbuilder';
import { Scheduler } from '../../bot/scheduler.js';
import { memorySchedule, openLowdbSchedule, type LowdbSchedule } from '../../bot/storage/lowdbSchedule.js';
import type { SchedulerStore } from '../../bot/scheduler.js';
import { openAzureSchedule, type AzureSchedule } from '../../bot/storage/azure/schedule.js';
import { AzureTables } from '../../bot/storage/azure/tables.js';
import { azurite, uniqueName } from '../support/azurite.js';
import type { ScheduledJob, ScheduleRepository } from '../../dialogs/outreach.js';
import { Chat, memoryQuestionLog, readAll, testApp, testNow, type Reply } from '../support/chat.js';
import { FakeClock } from '../support/clocks.js';
import { knowledgeWithMembers } from '../support/directory.js';
import { memoryLogger } from '../support/memoryLogger.js';
import { RecordingNotifier } from '../support/requests.js';
import { cardToText } from '../../cards/flatten.js';

const at = (iso: string) => new Date(iso).toISOString();

function job(id: string, dueAt: string, payload: Record<string, string> = {}): Omit<ScheduledJob, 'state' | 'doneAt'> {
  return { id, kind: 'renewal-reminder', dueAt: at(dueAt), payload };
}

/** The rules every ScheduleRepository keeps, run against each implementation. */
function scheduleContract(name: string, make: () => Promise<ScheduleRepository>): void {
  describe(`${name} (ScheduleRepository contract)`, () => {
    it('when jobs are put, only waiting jobs due by now come back, earliest first', async () => {
      const repo = await make();
      await repo.put(job('b', '2026-12-01T09:00:00Z'));
      await repo.put(job('a', '2026-11-30T09:00:00Z'));
      await repo.put(job('later', '2027-01-01T09:00:00Z'));
      expect(await repo.due(at('2026-11-29T00:00:00Z'))).to.deep.equal([]);
      expect((await repo.due(at('2026-12-01T09:00:00Z'))).map((j) => j.id)).to.deep.equal(['a', 'b']);
      expect((await repo.due(at('2026-12-01T09:00:00Z')))[0]).to.deep.include({ state: 'waiting', kind: 'renewal-reminder' });
    });

    it('when a waiting job is put again, it is replaced (new time, new payload), not repeated', async () => {
      const repo = await make();
      await repo.put(job('a', '2026-12-01T09:00:00Z', { stage: '30' }));
      expect(await repo.put(job('a', '2026-12-05T09:00:00Z', { stage: '7' }))).to.equal(true);
      const waiting = await repo.waiting('a');
      expect(waiting).to.have.length(1);
      expect(waiting[0]).to.deep.include({ dueAt: at('2026-12-05T09:00:00Z') });
      expect(waiting[0]?.payload).to.deep.equal({ stage: '7' });
    });

    it('when a job is done, it is no longer due, and putting it again leaves it done', async () => {
      const repo = await make();
      await repo.put(job('a', '2026-12-01T09:00:00Z'));
      expect(await repo.finish('a', 'done', at('2026-12-01T09:00:30Z'))).to.equal(true);
      expect(await repo.due(at('2027-01-01T00:00:00Z'))).to.deep.equal([]);
      expect(await repo.finish('a', 'done', at('2026-12-01T09:01:00Z'))).to.equal(false);
      expect(await repo.put(job('a', '2026-12-01T09:00:00Z'))).to.equal(false);
      expect(await repo.due(at('2027-01-01T00:00:00Z'))).to.deep.equal([]);
    });

    it('when an unknown job is finished, the answer is false', async () => {
      const repo = await make();
      expect(await repo.finish('nope', 'done', at('2026-12-01T09:00:00Z'))).to.equal(false);
      expect(await repo.finish('__proto__', 'cancelled', at('2026-12-01T09:00:00Z'))).to.equal(false);
    });

    it('when waiting jobs are cancelled by prefix, only those are cancelled and counted; a cancelled job can be scheduled again', async () => {
      const repo = await make();
      await repo.put(job('renewal:u1:2027-01-15:90', '2026-10-17T09:00:00Z'));
      await repo.put(job('renewal:u1:2027-01-15:30', '2026-12-16T09:00:00Z'));
      await repo.put(job('renewal:u10:2027-01-15:30', '2026-12-16T09:00:00Z'));
      await repo.finish('renewal:u1:2027-01-15:90', 'done', at('2026-10-17T09:00:00Z'));
      expect(await repo.cancelWaiting('renewal:u1:', at('2026-11-21T10:00:00Z'))).to.equal(1);
      expect(await repo.cancelWaiting('renewal:u1:', at('2026-11-21T10:00:00Z'))).to.equal(0);
      expect((await repo.waiting('renewal:')).map((j) => j.id)).to.deep.equal(['renewal:u10:2027-01-15:30']);
      expect(await repo.put(job('renewal:u1:2027-01-15:30', '2026-12-16T09:00:00Z'))).to.equal(true);
      expect((await repo.waiting('renewal:u1:')).map((j) => j.id)).to.deep.equal(['renewal:u1:2027-01-15:30']);
    });
  });
}

scheduleContract('memorySchedule', () => Promise.resolve(memorySchedule()));
scheduleContract('AzureSchedule on Azure Table storage (Azurite)', async () => openAzureSchedule(new AzureTables(await azurite(), uniqueName())));

describe('AzureSchedule: several instances on one store', () => {
  /** Repository objects on the same tables, each with its own connection, as bot processes have; `another` opens one more. */
  async function twoInstances(): Promise<[AzureSchedule, AzureSchedule, () => Promise<AzureSchedule>]> {
    const [connection, prefix] = [await azurite(), uniqueName()];
    const another = () => openAzureSchedule(new AzureTables(connection, prefix));
    return [await another(), await another(), another];
  }

  it('when both instances finish the same due jobs at once, each job is finished by exactly one of them', async () => {
    const [a, b] = await twoInstances();
    const ids = Array.from({ length: 20 }, (_, i) => `renewal:u${i}:2027-01-15:30`);
    for (const id of ids) await a.put(job(id, '2026-12-16T09:00:00Z'));
    const now = at('2026-12-16T09:00:30Z');
    expect((await b.due(now)).map((j) => j.id)).to.have.members(ids);
    const finished = await Promise.all(ids.flatMap((id) => [a.finish(id, 'done', now), b.finish(id, 'done', now)]));
    for (let i = 0; i < ids.length; i++) expect([finished[2 * i], finished[2 * i + 1]], ids[i]).to.have.members([true, false]);
    expect(await a.due(now)).to.deep.equal([]);
    expect(await b.put(job(ids[0] ?? '', '2026-12-16T09:00:00Z'))).to.equal(false);
  });

  it('when one instance cancels by prefix while the other runs one of those jobs, the job ends once, either done or cancelled', async () => {
    const [a, b] = await twoInstances();
    for (const stage of ['90', '30', '7']) await a.put(job(`renewal:u1:2027-01-15:${stage}`, '2026-12-16T09:00:00Z'));
    const [cancelled, done] = await Promise.all([a.cancelWaiting('renewal:u1:', at('2026-12-16T09:00:00Z')), b.finish('renewal:u1:2027-01-15:7', 'done', at('2026-12-16T09:00:00Z'))]);
    expect(cancelled + (done ? 1 : 0)).to.equal(3);
    expect((await a.get('renewal:u1:2027-01-15:7'))?.state).to.equal(done ? 'done' : 'cancelled');
    expect(await b.waiting('renewal:u1:')).to.deep.equal([]);
  });

  it('when one instance prunes, the other refuses to store a pruned job again, and a new instance does too', async () => {
    const [a, b, another] = await twoInstances();
    await a.put(job('renewal:u1:2027-01-15:30', '2026-12-16T09:00:00Z'));
    await b.finish('renewal:u1:2027-01-15:30', 'done', at('2026-12-16T09:00:30Z'));
    const [pruned, prunedAlso] = await Promise.all([a.prune(at('2027-02-01T00:00:00Z')), b.prune(at('2027-02-01T00:00:00Z'))]);
    expect(pruned + prunedAlso).to.equal(1);
    expect(await b.get('renewal:u1:2027-01-15:30')).to.equal(undefined);
    expect(await b.put(job('renewal:u1:2027-01-15:30', '2026-12-16T09:00:00Z'))).to.equal(false);
    const restarted = await another();
    expect(await restarted.put(job('renewal:u1:2027-01-15:30', '2026-12-16T09:00:00Z'))).to.equal(false);
    expect(await restarted.put(job('renewal:u1:2027-03-15:30', '2027-02-13T09:00:00Z'))).to.equal(true);
    expect(await b.due(at('2027-02-01T00:00:00Z'))).to.deep.equal([]);
  });

  it('when both instances put the same new job at once, it is stored once and is due once', async () => {
    const [a, b] = await twoInstances();
    const results = await Promise.all([a.put(job('session:s1:reminder', '2026-12-01T09:00:00Z', { n: 'a' })), b.put(job('session:s1:reminder', '2026-12-01T09:00:00Z', { n: 'b' }))]);
    expect(results).to.deep.equal([true, true]);
    expect((await a.due(at('2026-12-01T09:00:00Z'))).map((j) => j.id)).to.deep.equal(['session:s1:reminder']);
  });

  it('when ids hold characters a table key cannot, and prefixes end anywhere, waiting and cancelWaiting still match by prefix', async () => {
    const [a] = await twoInstances();
    for (const id of ['renewal:u/1:a', 'renewal:u/1~:b', 'renewal:u/1~~:c', 'renewal:u/2:a', 'renewal:ü#?:a', '__proto__']) await a.put(job(id, '2026-12-01T09:00:00Z'));
    expect((await a.waiting('renewal:u/1')).map((j) => j.id).sort()).to.deep.equal(['renewal:u/1:a', 'renewal:u/1~:b', 'renewal:u/1~~:c']);
    expect((await a.waiting('renewal:u/1~')).map((j) => j.id).sort()).to.deep.equal(['renewal:u/1~:b', 'renewal:u/1~~:c']);
    expect((await a.waiting('renewal:ü')).map((j) => j.id)).to.deep.equal(['renewal:ü#?:a']);
    expect(await a.cancelWaiting('renewal:u/', at('2026-11-01T00:00:00Z'))).to.equal(4);
    expect((await a.waiting('')).map((j) => j.id).sort()).to.deep.equal(['__proto__', 'renewal:ü#?:a']);
  });
});

describe('LowdbSchedule on a file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'schedule-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  scheduleContract('openLowdbSchedule', () => openLowdbSchedule(path.join(dir, `schedule-${Math.random().toString(36).slice(2)}.json`)));

  it('when the bot restarts, waiting jobs are still waiting and done jobs still done', async () => {
    const file = path.join(dir, 'schedule.json');
    const first = await openLowdbSchedule(file);
    await first.put(job('a', '2026-12-01T09:00:00Z'));
    await first.put(job('b', '2026-12-02T09:00:00Z'));
    await first.finish('a', 'done', at('2026-12-01T09:00:00Z'));
    const again = await openLowdbSchedule(file);
    expect((await again.due(at('2027-01-01T00:00:00Z'))).map((j) => j.id)).to.deep.equal(['b']);
    expect((await again.get('a'))?.state).to.equal('done');
  });

  it('when old jobs were pruned, the bot restarted still refuses to store one of them again', async () => {
    const file = path.join(dir, 'schedule.json');
    const first = await openLowdbSchedule(file);
    await first.put(job('renewal:u1:2027-01-15:30', '2026-12-16T09:00:00Z'));
    await first.finish('renewal:u1:2027-01-15:30', 'done', at('2026-12-16T09:00:30Z'));
    expect(await first.prune(at('2027-02-01T00:00:00Z'))).to.equal(1);
    const again = await openLowdbSchedule(file);
    expect(await again.get('renewal:u1:2027-01-15:30')).to.equal(undefined);
    expect(await again.put(job('renewal:u1:2027-01-15:30', '2026-12-16T09:00:00Z'))).to.equal(false);
    expect(await again.due(at('2027-02-01T00:00:00Z'))).to.deep.equal([]);
  });

  it('when the file has a horizon that is not a time, it is refused rather than guessed at', async () => {
    const file = path.join(dir, 'schedule.json');
    await (await openLowdbSchedule(file)).flush();
    writeFileSync(file, JSON.stringify({ jobs: {}, prunedBefore: 'last month' }));
    let problem = '';
    await openLowdbSchedule(file).catch((e: unknown) => (problem = (e as Error).message));
    expect(problem).to.include('"prunedBefore" is not a time');
    expect(JSON.parse(readFileSync(file, 'utf8'))).to.deep.equal({ jobs: {}, prunedBefore: 'last month' });
  });
});

/** A schedule that can be pruned and read by id, as both stores are. */
type PrunableSchedule = ScheduleRepository & Required<Pick<SchedulerStore, 'prune'>> & { get(id: string): Promise<ScheduledJob | undefined> };

/** The pruning rules, run against each store. */
function pruneContract(name: string, make: () => Promise<PrunableSchedule>): void {
  describe(name, () => {
    let schedule: PrunableSchedule;
    beforeEach(async () => {
      schedule = await make();
      // Finished and due long before 1 February 2027: these go.
      await schedule.put(job('old-done', '2026-11-01T09:00:00Z'));
      await schedule.finish('old-done', 'done', at('2026-11-01T09:00:10Z'));
      await schedule.put(job('old-superseded', '2026-10-01T09:00:00Z'));
      await schedule.finish('old-superseded', 'superseded', at('2026-11-01T09:00:10Z'));
      await schedule.put(job('old-cancelled', '2026-12-01T09:00:00Z'));
      await schedule.finish('old-cancelled', 'cancelled', at('2026-11-20T09:00:00Z'));
      // These stay: waiting however overdue, finished recently, or cancelled with a due time still to come.
      await schedule.put(job('waiting-overdue', '2026-06-01T09:00:00Z'));
      await schedule.put(job('waiting-later', '2027-03-01T09:00:00Z'));
      await schedule.put(job('recent-done', '2027-01-20T09:00:00Z'));
      await schedule.finish('recent-done', 'done', at('2027-01-20T09:00:10Z'));
      await schedule.put(job('done-late', '2026-12-01T09:00:00Z'));
      await schedule.finish('done-late', 'done', at('2027-01-15T09:00:00Z'));
      await schedule.put(job('cancelled-future', '2027-04-01T09:00:00Z'));
      await schedule.finish('cancelled-future', 'cancelled', at('2026-11-20T09:00:00Z'));
    });

    const ids = ['old-done', 'old-superseded', 'old-cancelled', 'waiting-overdue', 'waiting-later', 'recent-done', 'done-late', 'cancelled-future'];
    const present = async () => (await Promise.all(ids.map(async (id) => ((await schedule.get(id)) ? id : '')))).filter((id) => id !== '');

    it('when pruned, jobs finished and due before the time are removed; waiting, recent and still-to-come ones are kept', async () => {
      expect(await schedule.prune(at('2027-01-01T00:00:00Z'))).to.equal(3);
      expect(await present()).to.deep.equal(['waiting-overdue', 'waiting-later', 'recent-done', 'done-late', 'cancelled-future']);
      expect((await schedule.due(at('2027-01-01T00:00:00Z'))).map((j) => j.id)).to.deep.equal(['waiting-overdue']);
      expect(await schedule.prune(at('2027-01-01T00:00:00Z'))).to.equal(0);
    });

    it('when a pruned job is put again with its past due time, it is refused and never due; a new one after the horizon is stored', async () => {
      await schedule.prune(at('2027-01-01T00:00:00Z'));
      for (const [id, due] of [['old-done', '2026-11-01T09:00:00Z'], ['old-superseded', '2026-10-01T09:00:00Z'], ['old-cancelled', '2026-12-01T09:00:00Z']] as const) {
        expect(await schedule.put(job(id, due)), id).to.equal(false);
      }
      expect(await schedule.due(at('2027-01-01T00:00:00Z'))).to.deep.equal([{ ...job('waiting-overdue', '2026-06-01T09:00:00Z'), state: 'waiting' }]);
      // A job still held is treated as before, whenever it was due.
      expect(await schedule.put(job('done-late', '2026-12-01T09:00:00Z'))).to.equal(false);
      expect(await schedule.put(job('waiting-overdue', '2026-06-02T09:00:00Z'))).to.equal(true);
      // Ids are chosen so that one id means one time: a caller storing a time still to come cannot meet a pruned job.
      expect(await schedule.put(job('new', '2027-01-01T00:00:00Z'))).to.equal(true);
      expect(await schedule.put(job('new-but-long-overdue', '2026-12-31T23:59:59Z'))).to.equal(false);
    });

    it('when nothing is old enough, it writes nothing and leaves the horizon where it was', async () => {
      expect(await schedule.prune(at('2026-06-01T00:00:00Z'))).to.equal(0);
      expect(await schedule.put(job('unknown-old', '2026-01-01T09:00:00Z'))).to.equal(true);
    });

    it('when asked to prune before something that is not a time, it refuses and removes nothing', async () => {
      let problem = '';
      await schedule.prune('soon').catch((e: unknown) => (problem = (e as Error).message));
      expect(problem).to.include('ISO time');
      expect(await present()).to.have.length(ids.length);
    });
  });
}

pruneContract('LowdbSchedule.prune', () => Promise.resolve(memorySchedule()));
pruneContract('AzureSchedule.prune on Azure Table storage (Azurite)', async () => openAzureSchedule(new AzureTables(await azurite(), uniqueName())));

describe('Scheduler', () => {
  let schedule: LowdbSchedule;
  let clock: FakeClock;
  let ran: string[];
  let scheduler: Scheduler;
  const logs = memoryLogger();

  beforeEach(() => {
    schedule = memorySchedule();
    clock = new FakeClock('2026-11-30T08:59:00Z');
    ran = [];
    logs.entries.length = 0;
    scheduler = new Scheduler({ schedule, clock, logger: logs });
    scheduler.on('renewal-reminder', (j) => {
      ran.push(j.id);
      return Promise.resolve();
    });
  });
  afterEach(() => scheduler.stop());

  it('when a job is not yet due, a tick leaves it; once due, it runs once and is done', async () => {
    await schedule.put(job('a', '2026-11-30T09:00:00Z'));
    expect(await scheduler.tick()).to.deep.include({ ran: 0 });
    expect(ran).to.deep.equal([]);
    clock.set('2026-11-30T09:00:00Z');
    expect(await scheduler.tick()).to.deep.include({ ran: 1 });
    await scheduler.tick();
    expect(ran).to.deep.equal(['a']);
    expect((await schedule.get('a'))?.state).to.equal('done');
    expect((await schedule.get('a'))?.doneAt).to.equal(at('2026-11-30T09:00:00Z'));
  });

  it('when several jobs are due, they run earliest first', async () => {
    await schedule.put(job('second', '2026-11-29T10:00:00Z'));
    await schedule.put(job('first', '2026-11-28T10:00:00Z'));
    await schedule.put(job('third', '2026-11-30T08:00:00Z'));
    await scheduler.tick();
    expect(ran).to.deep.equal(['first', 'second', 'third']);
  });

  it('when jobs fell due while the bot was down, start runs them at once, late, once; a second start runs nothing again', async () => {
    await schedule.put(job('missed', '2026-11-28T09:00:00Z'));
    expect(await scheduler.start()).to.deep.include({ ran: 1 });
    await scheduler.stop();
    const restarted = new Scheduler({ schedule, clock, logger: logs }).on('renewal-reminder', (j) => {
      ran.push(`again:${j.id}`);
      return Promise.resolve();
    });
    expect(await restarted.start()).to.deep.include({ ran: 0 });
    await restarted.stop();
    expect(ran).to.deep.equal(['missed']);
  });

  it('when started, it ticks again every interval on its own timer', async () => {
    mock.timers.enable({ apis: ['setInterval'] });
    try {
      const ticking = new Scheduler({ schedule, clock, logger: logs, intervalMs: 30_000 }).on('renewal-reminder', (j) => {
        ran.push(j.id);
        return Promise.resolve();
      });
      await ticking.start();
      await schedule.put(job('a', '2026-11-30T09:00:00Z'));
      clock.set('2026-11-30T09:00:10Z');
      mock.timers.tick(30_000);
      await ticking.stop();
      expect(ran).to.deep.equal(['a']);
    } finally {
      mock.timers.reset();
    }
  });

  it('when a handler fails, the job stays waiting, is logged without its id, and is retried after a backoff that grows', async () => {
    let failures = 2;
    const flaky = new Scheduler({ schedule, clock, logger: logs, backoffMs: 60_000 }).on('renewal-reminder', (j) => {
      if (failures-- > 0) return Promise.reject(new Error('Bot Connector down'));
      ran.push(j.id);
      return Promise.resolve();
    });
    await schedule.put(job('renewal:user-secret:2027-01-15:30', '2026-11-30T08:00:00Z'));
    expect(await flaky.tick()).to.deep.include({ failed: 1 });
    expect((await schedule.get('renewal:user-secret:2027-01-15:30'))?.state).to.equal('waiting');
    expect(await flaky.tick()).to.deep.include({ failed: 0, deferred: 1 });
    clock.set('2026-11-30T09:00:00Z');
    expect(await flaky.tick()).to.deep.include({ failed: 1 });
    clock.set('2026-11-30T09:01:30Z');
    expect(await flaky.tick()).to.deep.include({ deferred: 1 });
    clock.set('2026-11-30T09:02:00Z');
    expect(await flaky.tick()).to.deep.include({ ran: 1 });
    expect(ran).to.deep.equal(['renewal:user-secret:2027-01-15:30']);
    expect((await schedule.get('renewal:user-secret:2027-01-15:30'))?.state).to.equal('done');
    const aboveDebug = logs.entries.filter((e) => e.level !== 'debug');
    expect(aboveDebug.some((e) => e.level === 'error' && e.msg?.includes('will be retried'))).to.equal(true);
    expect(JSON.stringify(aboveDebug.map((e) => ({ msg: e.msg, fields: { ...e.fields, err: undefined } })))).not.to.include('user-secret');
  });

  it('when one job keeps failing, the jobs after it still run', async () => {
    const mixed = new Scheduler({ schedule, clock, logger: logs }).on('renewal-reminder', (j) => {
      if (j.id === 'bad') return Promise.reject(new Error('broken payload'));
      ran.push(j.id);
      return Promise.resolve();
    });
    await schedule.put(job('bad', '2026-11-29T09:00:00Z'));
    await schedule.put(job('good', '2026-11-30T08:00:00Z'));
    expect(await mixed.tick()).to.deep.include({ ran: 1, failed: 1 });
    expect(ran).to.deep.equal(['good']);
  });

  it('when a job has no handler, it stays waiting and is not retried on every tick', async () => {
    await schedule.put({ id: 'x', kind: 'session-reminder', dueAt: at('2026-11-30T08:00:00Z'), payload: {} });
    expect(await scheduler.tick()).to.deep.include({ failed: 1 });
    expect(await scheduler.tick()).to.deep.include({ failed: 0, deferred: 1 });
    expect((await schedule.get('x'))?.state).to.equal('waiting');
  });

  it('when a job is cancelled before it is due, it never runs', async () => {
    await schedule.put(job('renewal:u1:2027-01-15:7', '2026-11-30T09:00:00Z'));
    expect(await schedule.cancelWaiting('renewal:u1:', at('2026-11-30T08:59:00Z'))).to.equal(1);
    clock.set('2026-12-30T09:00:00Z');
    await scheduler.tick();
    expect(ran).to.deep.equal([]);
    expect((await schedule.get('renewal:u1:2027-01-15:7'))?.state).to.equal('cancelled');
  });

  it('when several jobs of one "latest only" group are overdue together, only the latest runs and the rest are superseded', async () => {
    const grouped = new Scheduler({ schedule, clock, logger: logs }).on(
      'renewal-reminder',
      (j) => {
        ran.push(j.id);
        return Promise.resolve();
      },
      { latestOnly: (j) => j.payload['group'] ?? j.id },
    );
    await schedule.put(job('g:90', '2026-09-01T09:00:00Z', { group: 'g' }));
    await schedule.put(job('g:30', '2026-10-31T09:00:00Z', { group: 'g' }));
    await schedule.put(job('g:7', '2026-11-23T09:00:00Z', { group: 'g' }));
    await schedule.put(job('g:after', '2026-12-01T09:00:00Z', { group: 'g' }));
    await schedule.put(job('other:7', '2026-11-20T09:00:00Z', { group: 'other' }));
    expect(await grouped.tick()).to.deep.include({ ran: 2, superseded: 2 });
    expect(ran).to.deep.equal(['other:7', 'g:7']);
    expect((await schedule.get('g:90'))?.state).to.equal('superseded');
    expect((await schedule.get('g:30'))?.state).to.equal('superseded');
    expect((await schedule.get('g:after'))?.state).to.equal('waiting');
  });

  describe('pruning', () => {
    const finishedOn = async (id: string, iso: string) => {
      await schedule.put(job(id, iso));
      await schedule.finish(id, 'done', at(iso));
    };

    it('on a tick it removes jobs finished over 30 days ago, keeps newer and waiting ones, and checks at most once a day', async () => {
      await finishedOn('a', '2026-10-01T09:00:00Z');
      await finishedOn('b', '2026-10-20T09:00:00Z');
      // Overdue and stuck (no handler here): waiting, so kept however old.
      await schedule.put(job('waiting', '2026-10-01T09:00:00Z'));
      scheduler = new Scheduler({ schedule, clock, logger: logs });
      clock.set('2026-11-19T08:00:00Z');
      expect(await scheduler.tick()).to.deep.include({ pruned: 1 });
      expect(await schedule.get('a')).to.equal(undefined);
      expect((await schedule.get('b'))?.state).to.equal('done');
      // b is 30 days old from 09:00, but the next check is a day after the last one.
      clock.set('2026-11-20T07:59:59Z');
      expect(await scheduler.tick()).to.deep.include({ pruned: 0 });
      expect((await schedule.get('b'))?.state).to.equal('done');
      clock.set('2026-11-20T08:00:00Z');
      expect(await scheduler.tick()).to.deep.include({ pruned: 1 });
      expect(await schedule.get('b')).to.equal(undefined);
      expect((await schedule.get('waiting'))?.state).to.equal('waiting');
      const info = logs.entries.filter((e) => e.level === 'info' && e.msg?.includes('old finished jobs removed'));
      expect(info).to.have.length(2);
    });

    it('runs once per day however often it ticks', async () => {
      const prunes: string[] = [];
      const counting = new Scheduler({ schedule: { ...wrap(schedule), prune: (before) => (prunes.push(before), Promise.resolve(0)) }, clock, logger: logs });
      for (let minute = 0; minute < 60 * 49; minute += 30) {
        clock.set(new Date(Date.parse('2026-11-30T08:59:00Z') + minute * 60_000).toISOString());
        await counting.tick();
      }
      expect(prunes).to.deep.equal([at('2026-10-31T08:59:00Z'), at('2026-11-01T08:59:00Z'), at('2026-11-02T08:59:00Z')]);
    });

    it('keeps finished jobs for the days asked, and refuses a number of days that is not positive', async () => {
      const weekly = new Scheduler({ schedule, clock, logger: logs, keepFinishedDays: 7 }).on('renewal-reminder', () => Promise.resolve());
      await schedule.put(job('a', '2026-11-20T09:00:00Z'));
      clock.set('2026-11-20T09:00:00Z');
      expect(await weekly.tick()).to.deep.include({ ran: 1, pruned: 0 });
      clock.set('2026-11-27T09:00:01Z');
      expect(await weekly.tick()).to.deep.include({ pruned: 1 });
      for (const days of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(() => new Scheduler({ schedule, clock, logger: logs, keepFinishedDays: days }), String(days)).to.throw(RangeError);
      }
    });

    it('when pruning fails, the tick still runs its jobs, the failure is logged, and it is tried again the next day, not every tick', async () => {
      let tries = 0;
      const failing = new Scheduler({
        schedule: { ...wrap(schedule), prune: () => (tries++, Promise.reject(new Error('disk full'))) },
        clock,
        logger: logs,
      }).on('renewal-reminder', (j) => (ran.push(j.id), Promise.resolve()));
      await schedule.put(job('a', '2026-11-30T08:00:00Z'));
      expect(await failing.tick()).to.deep.include({ ran: 1, pruned: 0 });
      await failing.tick();
      expect(tries).to.equal(1);
      clock.set('2026-12-01T08:59:00Z');
      await failing.tick();
      expect(tries).to.equal(2);
      expect(ran).to.deep.equal(['a']);
      expect(logs.entries.filter((e) => e.level === 'error' && e.msg?.includes('could not remove old finished jobs'))).to.have.length(2);
    });
  });

  it('when the same kind is registered twice, it refuses', () => {
    expect(() => scheduler.on('renewal-reminder', () => Promise.resolve())).to.throw(/already registered/);
  });

  it('when a job is marked done but the mark cannot be written, the next tick runs the handler again (the handler queues once by id)', async () => {
    const failingFinish: ScheduleRepository = { ...wrap(schedule), finish: () => Promise.reject(new Error('disk full')) };
    const crashy = new Scheduler({ schedule: failingFinish, clock, logger: logs }).on('renewal-reminder', (j) => {
      ran.push(j.id);
      return Promise.resolve();
    });
    await schedule.put(job('a', '2026-11-30T08:00:00Z'));
    await crashy.tick();
    await crashy.tick();
    expect(ran).to.deep.equal(['a', 'a']);
    expect(logs.entries.some((e) => e.level === 'error' && e.msg?.includes('could not mark'))).to.equal(true);
  });
});

/** The store seen only through the dialogs' port: no `prune`, as a test's wrapper would be. */
function wrap(schedule: LowdbSchedule): ScheduleRepository {
  return {
    put: (j) => schedule.put(j),
    due: (n) => schedule.due(n),
    waiting: (p) => schedule.waiting(p),
    finish: (i, s, a) => schedule.finish(i, s, a),
    cancelWaiting: (p, a) => schedule.cancelWaiting(p, a),
  };
}

/** What reached people's chats: new messages, flattened as they read them. */
function sentText(notifier: RecordingNotifier): string[] {
  return notifier.sent
    .filter((s) => s.kind === 'send')
    .map((s) => [s.activity.text ?? '', ...(s.activity.attachments ?? []).map((a) => cardToText(a.content).text)].join('\n'));
}

describe('pruning the schedule in the flows that store jobs: nothing is sent twice', () => {
  it('renewal reminders: a reminder sent and pruned is not sent again when the same date is given again', async () => {
    const clock = new FakeClock(testNow);
    const notifier = new RecordingNotifier();
    const app = await testApp({}, new MemoryStorage(), memoryQuestionLog(), { clock, notifier });
    try {
      const amy = new Chat(app, { userId: 'u-amy', conversationId: 'a:amy' });
      // Expiring 20 February 2027: reminders 22 November (90 days), 21 January, 13 and 21 February.
      expect(readAll(await amy.say('my certificates expire on 20 February 2027'))).to.include('Saved');
      clock.set('2026-11-22T09:00:00Z');
      expect(await app.scheduler.tick()).to.deep.include({ ran: 1 });
      await app.broadcasts.drain();
      expect(sentText(notifier)).to.have.length(1);
      expect(sentText(notifier)[0]).to.include('expire in 90 days');

      clock.set('2026-12-23T09:00:00Z');
      expect(await app.scheduler.tick()).to.deep.include({ ran: 0, pruned: 1 });
      const store = app.schedule as LowdbSchedule;
      expect(await store.get('renewal:u-amy:2027-02-20:90')).to.equal(undefined);

      // Given again, only the stages still ahead are stored: the pruned 90-day one is in the past, so it is not.
      const again = readAll(await amy.say('my certificates expire on 20 February 2027'));
      expect(again).to.include('The 90-day reminder has already passed');
      // Even stored directly with its own time, the store refuses it.
      expect(await store.put({ id: 'renewal:u-amy:2027-02-20:90', kind: 'renewal-reminder', dueAt: at('2026-11-22T09:00:00Z'), payload: { userId: 'u-amy', expiresOn: '2027-02-20', stage: '90' } })).to.equal(false);
      expect(await app.scheduler.tick()).to.deep.include({ ran: 0 });
      await app.broadcasts.drain();
      expect(sentText(notifier)).to.have.length(1);
      expect((await store.waiting('renewal:u-amy:')).map((j) => j.payload['stage'])).to.deep.equal(['30', '7', 'expired']);
    } finally {
      await app.stop();
    }
  });

  describe('training', () => {
    const memberId = '5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
    let knowledge: { dataDir: string; remove: () => Promise<void> };
    before(async () => {
      knowledge = await knowledgeWithMembers('dorset', [memberId]);
    });
    after(() => knowledge.remove());

    const buttonData = (replies: readonly Reply[], title: string) => {
      const found = [...replies].reverse().flatMap((r) => r.buttons).find((b) => b.title === title);
      if (!found) throw new Error(`no "${title}" button`);
      return found.data as Record<string, unknown>;
    };

    it('a scheduled announcement missed until booking closed: its author is told once, and not again after its job is pruned', async () => {
      const clock = new FakeClock(testNow);
      const notifier = new RecordingNotifier();
      const app = await testApp({}, new MemoryStorage(), memoryQuestionLog(), { clock, notifier, knowledgeDir: knowledge.dataDir });
      try {
        const robin = new Chat(app, { userId: 'ra-robin', aadObjectId: memberId, conversationId: 'personal-ra-robin' });
        await new Chat(app, { userId: 'user-1', conversationId: 'personal-user-1' }).say('hello');
        const form = await robin.say('new training session');
        // Announced on 25 November, booking until 1 December, held in March: still to come long after its job is pruned.
        const shown = await robin.press({
          ...buttonData(form, 'Preview'),
          course: 'registration-agent-advanced',
          venue: 'dorset-poole',
          date: '2027-03-09',
          startTime: '10:00',
          duration: '180',
          capacity: '10',
          bookingDeadline: '2026-12-01',
          audience: 'everyone',
          announceOn: '2026-11-25',
          announceTime: '09:00',
        });
        const schedule = buttonData(shown, 'Schedule');
        const id = String(schedule['session']);
        expect(readAll(await robin.press(schedule))).to.include(`Scheduled **${id}**`);

        // The bot was down from before the announcement until booking had closed.
        clock.set('2026-12-02T08:00:00Z');
        expect(await app.scheduler.tick()).to.deep.include({ ran: 1 });
        await app.broadcasts.drain();
        const told = () => sentText(notifier).filter((t) => t.includes("I couldn't announce"));
        expect(told()).to.have.length(1);

        clock.set('2027-01-05T09:00:00Z');
        expect(await app.scheduler.tick()).to.deep.include({ pruned: 1 });
        expect(await (app.schedule as LowdbSchedule).get(`session-announce:${id}`)).to.equal(undefined);

        // The session is still scheduled and still to come: a restart's catch-up, and Schedule pressed on the old
        // preview, both store its announcement again, due 25 November; the store refuses it, so nothing runs.
        await app.catchUp();
        await robin.press(schedule);
        expect(await app.schedule.waiting('session-announce:')).to.deep.equal([]);
        expect(await app.scheduler.tick()).to.deep.include({ ran: 0 });
        await app.broadcasts.drain();
        expect(told()).to.have.length(1);
        expect(sentText(notifier).filter((t) => t.includes('Training: Registration Agent Advanced'))).to.deep.equal([]);
      } finally {
        await app.stop();
      }
    });
  });
});
