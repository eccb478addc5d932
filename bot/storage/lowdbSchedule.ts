import type { Adapter } from 'lowdb';
import type { ScheduledJob, ScheduleRepository } from '../../dialogs/outreach.js';
import { define, LowdbDocument } from './lowdbDocument.js';

/** The schedule file: every job by id, finished ones kept so a job run once is never run again. */
export interface ScheduleData {
  jobs: Record<string, ScheduledJob>;
}

/** Scheduled jobs in one compact lowdb document; `put` and `finish` resolve only after the file is written. */
export class LowdbSchedule implements ScheduleRepository {
  constructor(private readonly document: LowdbDocument<ScheduleData>) {}

  put(job: Omit<ScheduledJob, 'state' | 'doneAt'>): Promise<boolean> {
    return this.document.change((data) => {
      // A job that ran stays run, so scheduling the same thing again after it was sent sends nothing twice.
      if (jobOf(data, job.id)?.state === 'done') return false;
      define(data.jobs, job.id, { id: job.id, kind: job.kind, dueAt: job.dueAt, payload: { ...job.payload }, state: 'waiting' });
      return true;
    });
  }

  due(now: string): Promise<ScheduledJob[]> {
    const at = Date.parse(now);
    return this.document.read((data) =>
      Object.values(data.jobs)
        .filter((j) => j.state === 'waiting' && Date.parse(j.dueAt) <= at)
        .sort((a, b) => Date.parse(a.dueAt) - Date.parse(b.dueAt) || a.id.localeCompare(b.id)),
    );
  }

  waiting(idPrefix: string): Promise<ScheduledJob[]> {
    return this.document.read((data) =>
      Object.values(data.jobs)
        .filter((j) => j.state === 'waiting' && j.id.startsWith(idPrefix))
        .sort((a, b) => Date.parse(a.dueAt) - Date.parse(b.dueAt) || a.id.localeCompare(b.id)),
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

  /** One job in any state, for tools and tests. */
  get(id: string): Promise<ScheduledJob | undefined> {
    return this.document.read((data) => jobOf(data, id));
  }

  /** Resolves when every queued write has reached the file. */
  flush(): Promise<void> {
    return this.document.flush();
  }
}

function jobOf(data: ScheduleData, id: string): ScheduledJob | undefined {
  return Object.hasOwn(data.jobs, id) ? data.jobs[id] : undefined;
}

function checked(d: ScheduleData): ScheduleData {
  const jobs = (d as Partial<ScheduleData> | null)?.jobs;
  if (typeof jobs !== 'object' || jobs === null || Array.isArray(jobs)) throw new Error('it is not a schedule file: it needs "jobs"');
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
