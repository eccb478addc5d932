import type { Adapter } from 'lowdb';
import type { ScheduledJob, ScheduleRepository } from '../../dialogs/outreach.js';
import { define, LowdbDocument } from './lowdbDocument.js';

/**
 * The schedule file: every job by id. Finished jobs are kept so a job run once is never run again, until `prune`
 * clears out old ones; `prunedBefore` then stands for them (see `put`).
 */
export interface ScheduleData {
  jobs: Record<string, ScheduledJob>;
  /** Finished jobs due and finished before this time may have been removed. */
  prunedBefore?: string;
}

/** Scheduled jobs in one compact lowdb document; `put` and `finish` resolve only after the file is written. */
export class LowdbSchedule implements ScheduleRepository {
  constructor(private readonly document: LowdbDocument<ScheduleData>) {}

  put(job: Omit<ScheduledJob, 'state' | 'doneAt'>): Promise<boolean> {
    return this.document.change((data) => {
      const stored = jobOf(data, job.id);
      // A job that ran stays run, so scheduling the same thing again after it was sent sends nothing twice.
      if (stored?.state === 'done') return false;
      // A job pruned after it ran has left no trace but the horizon, and every pruned job was due before it: so an
      // unknown job due before the horizon may be one that ran, and is refused. Callers only store jobs due in the
      // future (renewal stages still ahead, the day-before reminder) or a session's announcement, which runs when
      // first due; one never stored and later than the retention (30 days by default) is better not sent than sent twice.
      if (!stored && refusedAsPruned(job, data.prunedBefore)) return false;
      define(data.jobs, job.id, waitingJob(job));
      return true;
    });
  }

  due(now: string): Promise<ScheduledJob[]> {
    const at = Date.parse(now);
    return this.document.read((data) =>
      Object.values(data.jobs)
        .filter((j) => j.state === 'waiting' && Date.parse(j.dueAt) <= at)
        .sort(byDue),
    );
  }

  waiting(idPrefix: string): Promise<ScheduledJob[]> {
    return this.document.read((data) =>
      Object.values(data.jobs)
        .filter((j) => j.state === 'waiting' && j.id.startsWith(idPrefix))
        .sort(byDue),
    );
  }

  async finish(id: string, state: 'done' | 'superseded' | 'cancelled', at: string): Promise<boolean> {
    if ((await this.get(id))?.state !== 'waiting') return false;
    return this.document.change((data) => {
      const job = jobOf(data, id);
      if (job?.state !== 'waiting') return false;
      define(data.jobs, id, { ...job, state, doneAt: at });
      return true;
    });
  }

  async cancelWaiting(idPrefix: string, at: string): Promise<number> {
    // Nothing to cancel is the common case ("stop" said twice): no rewrite for it.
    if ((await this.waiting(idPrefix)).length === 0) return 0;
    return this.document.change((data) => {
      let cancelled = 0;
      for (const job of Object.values(data.jobs)) {
        if (job.state !== 'waiting' || !job.id.startsWith(idPrefix)) continue;
        define(data.jobs, job.id, { ...job, state: 'cancelled', doneAt: at });
        cancelled++;
      }
      return cancelled;
    });
  }

  /**
   * Removes the jobs that finished (done, superseded or cancelled) before `before` and were also due before it, so
   * the file does not grow forever; how many. Waiting jobs are never removed. A job due later than `before` is kept
   * whenever it finished (a future stage cancelled), so the horizon `put` checks covers every job removed.
   */
  async prune(before: string): Promise<number> {
    const cutoff = Date.parse(before);
    if (Number.isNaN(cutoff)) throw new RangeError('prune needs an ISO time');
    const old = (data: ScheduleData) => Object.values(data.jobs).filter((j) => prunable(j, cutoff));
    // Nothing old is the common case (a daily check): no rewrite for it.
    if ((await this.document.read(old)).length === 0) return 0;
    return this.document.change((data) => {
      const gone = old(data);
      if (gone.length === 0) return 0;
      if (data.prunedBefore === undefined || Date.parse(data.prunedBefore) < cutoff) data.prunedBefore = new Date(cutoff).toISOString();
      for (const job of gone) Reflect.deleteProperty(data.jobs, job.id);
      return gone.length;
    });
  }

  /** One job in any state, for tools and tests. */
  get(id: string): Promise<ScheduledJob | undefined> {
    return this.document.read((data) => jobOf(data, id));
  }

  /** Resolves when every queued write has reached the file. */
  flush(): Promise<void> {
    return this.document.flush();
  }
}

/** A job as `put` stores it. */
export function waitingJob(job: Omit<ScheduledJob, 'state' | 'doneAt'>): ScheduledJob {
  return { id: job.id, kind: job.kind, dueAt: job.dueAt, payload: { ...job.payload }, state: 'waiting' };
}

/** Whether `put` refuses a job the store does not hold: it was due before the pruning horizon (see `put`). */
export function refusedAsPruned(job: Pick<ScheduledJob, 'dueAt'>, prunedBefore: string | undefined): boolean {
  return prunedBefore !== undefined && Date.parse(job.dueAt) < Date.parse(prunedBefore);
}

/** Whether `prune(cutoff)` removes a job: finished, and both due and finished before the cutoff (epoch ms). */
export function prunable(job: ScheduledJob, cutoff: number): boolean {
  return job.state !== 'waiting' && Date.parse(job.dueAt) < cutoff && Date.parse(job.doneAt ?? job.dueAt) < cutoff;
}

/** Earliest first, then by id, so jobs due together run in a stable order. */
export function byDue(a: ScheduledJob, b: ScheduledJob): number {
  return Date.parse(a.dueAt) - Date.parse(b.dueAt) || a.id.localeCompare(b.id);
}

function jobOf(data: ScheduleData, id: string): ScheduledJob | undefined {
  return Object.hasOwn(data.jobs, id) ? data.jobs[id] : undefined;
}

function checked(d: ScheduleData): ScheduleData {
  const jobs = (d as Partial<ScheduleData> | null)?.jobs;
  if (typeof jobs !== 'object' || jobs === null || Array.isArray(jobs)) throw new Error('it is not a schedule file: it needs "jobs"');
  const prunedBefore = (d as Partial<ScheduleData>).prunedBefore;
  // Without a readable horizon, a pruned job could be stored and run again: refuse the file rather than guess.
  if (prunedBefore !== undefined && (typeof prunedBefore !== 'string' || Number.isNaN(Date.parse(prunedBefore)))) {
    throw new Error('its "prunedBefore" is not a time');
  }
  return d;
}

/** Opens (creating if needed) the schedule file. */
export async function openLowdbSchedule(file: string): Promise<LowdbSchedule> {
  return new LowdbSchedule(await LowdbDocument.open<ScheduleData>(file, { jobs: {} }, checked, { compact: true }));
}

/** An in-memory schedule, for tests and throwaway runs; `adapter` lets a test fail writes. */
export function memorySchedule(adapter?: Adapter<ScheduleData>): LowdbSchedule {
  return new LowdbSchedule(LowdbDocument.inMemory<ScheduleData>({ jobs: {} }, checked, adapter));
}
