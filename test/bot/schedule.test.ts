import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mock } from 'node:test';
import { Scheduler } from '../../bot/scheduler.js';
import { memorySchedule, openLowdbSchedule, type LowdbSchedule } from '../../bot/storage/lowdbSchedule.js';
import type { ScheduledJob, ScheduleRepository } from '../../dialogs/outreach.js';
import { FakeClock } from '../support/clocks.js';
import { memoryLogger } from '../support/memoryLogger.js';

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
});

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

  it('when the same kind is registered twice, it refuses', () => {
    expect(() => scheduler.on('renewal-reminder', () => Promise.resolve())).to.throw(/already registered/);
  });

  it('when a job is marked done but the mark cannot be written, the next tick runs the handler again (the handler queues once by id)', async () => {
    const failingFinish: ScheduleRepository = {
      put: (j) => schedule.put(j),
      due: (n) => schedule.due(n),
      waiting: (p) => schedule.waiting(p),
      cancelWaiting: (p, a) => schedule.cancelWaiting(p, a),
      finish: () => Promise.reject(new Error('disk full')),
    };
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
