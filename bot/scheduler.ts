import type { JobKind, ScheduledJob, ScheduleRepository } from '../dialogs/outreach.js';
import type { Clock, Logger } from '../dialogs/ports.js';

/**
 * Does one job. It must be safe to run again after a crash between its work and the job being marked done:
 * handlers that message people queue a broadcast with id `job:<job id>`, which queues once however often it runs.
 */
export type JobHandler = (job: ScheduledJob) => Promise<void>;

/** How one kind of job runs. */
export interface JobOptions {
  /**
   * Jobs of this kind due together with the same key are one message at different times (90, 30 and 7 days before):
   * when several are overdue at once, only the latest runs and the earlier ones are marked superseded.
   */
  readonly latestOnly?: (job: ScheduledJob) => string;
}

/**
 * The schedule as the scheduler uses it: the dialogs' port, and (when the store has it) clearing out old finished
 * jobs. A store without `prune` (a test's wrapper) is simply never pruned.
 */
export interface SchedulerStore extends ScheduleRepository {
  /** Removes jobs finished and due before `before`; after that, `put` must still refuse to run any of them again. */
  prune?(before: string): Promise<number>;
}

const dayMs = 24 * 60 * 60 * 1000;

export interface SchedulerOptions {
  readonly schedule: SchedulerStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How often `start` looks for due jobs; 30 seconds by default. */
  readonly intervalMs?: number;
  /** The first retry of a failed job waits this long, doubling each time up to `maxBackoffMs`. */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Finished jobs are removed once they finished, and were due, this many days ago; 30 by default. Checked once a day. */
  readonly keepFinishedDays?: number;
}

/** What one tick did, for tests and logs. */
export interface TickResult {
  readonly ran: number;
  readonly failed: number;
  readonly superseded: number;
  readonly deferred: number;
  /** Old finished jobs removed from the store. */
  readonly pruned: number;
}

/**
 * Runs the stored schedule: every due waiting job, earliest first, marked done only after its handler succeeded.
 * A job missed while the bot was down is due at the first tick after start, so it runs late, once. A failing job
 * stays waiting and is retried with backoff (kept in memory: a restart retries at once), so one bad job cannot spin.
 * Once a day, on a tick, it clears out jobs that finished long ago, so the store does not grow forever.
 */
export class Scheduler {
  readonly #handlers = new Map<JobKind, { readonly run: JobHandler; readonly options: JobOptions }>();
  readonly #failures = new Map<string, { readonly attempts: number; readonly retryAt: number }>();
  #tail: Promise<unknown> = Promise.resolve();
  #busy = false;
  #timer: NodeJS.Timeout | undefined;
  /** When pruning was last tried, by the injected clock; in memory, so a restart prunes at its first tick. */
  #prunedAt: number | undefined;

  constructor(private readonly options: SchedulerOptions) {
    const keep = options.keepFinishedDays;
    if (keep !== undefined && !(Number.isFinite(keep) && keep > 0)) throw new RangeError('keepFinishedDays must be a positive number of days');
  }

  /** Registers the one handler for a kind of job. */
  on(kind: JobKind, handler: JobHandler, options: JobOptions = {}): this {
    if (this.#handlers.has(kind)) throw new Error(`a handler for ${kind} jobs is already registered`);
    this.#handlers.set(kind, { run: handler, options });
    return this;
  }

  /** Runs every job due now; ticks run one at a time. Never rejects: failures are logged and retried later. */
  tick(): Promise<TickResult> {
    const run = this.#tail.then(() => this.#runDue());
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** Catches up at once (jobs missed while the bot was down), then ticks every interval; resolves after the first tick. */
  start(): Promise<TickResult> {
    if (!this.#timer) {
      this.#timer = setInterval(() => {
        // A slow tick (a big catch-up) is not stacked on: the next interval picks up what is left.
        if (!this.#busy) void this.tick();
      }, this.options.intervalMs ?? 30_000).unref();
    }
    return this.tick();
  }

  /** Stops ticking and waits for a tick in progress. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#tail;
  }

  async #runDue(): Promise<TickResult> {
    this.#busy = true;
    const result = { ran: 0, failed: 0, superseded: 0, deferred: 0, pruned: 0 };
    try {
      const now = this.options.clock.now();
      let due: ScheduledJob[];
      try {
        due = await this.options.schedule.due(now.toISOString());
      } catch (error) {
        this.options.logger.error({ err: error }, 'could not read the schedule');
        return result;
      }
      // Backoff is kept only for jobs still due: one cancelled or run elsewhere is forgotten.
      const dueIds = new Set(due.map((j) => j.id));
      for (const id of this.#failures.keys()) if (!dueIds.has(id)) this.#failures.delete(id);
      const { run, superseded } = this.#collapse(due);
      for (const job of superseded) {
        if (await this.#finish(job, 'superseded')) result.superseded++;
      }
      for (const job of run) {
        const failure = this.#failures.get(job.id);
        if (failure && failure.retryAt > now.getTime()) {
          result.deferred++;
          continue;
        }
        if (await this.#run(job, now)) result.ran++;
        else result.failed++;
      }
      result.pruned = await this.#prune(now);
      return result;
    } finally {
      this.#busy = false;
    }
  }

  /** At most once a day: removes jobs finished and due more than `keepFinishedDays` ago. Never rejects. */
  async #prune(now: Date): Promise<number> {
    const prune = this.options.schedule.prune?.bind(this.options.schedule);
    // Either way round: a clock set back does not stop pruning for as long as it went back.
    if (!prune || (this.#prunedAt !== undefined && Math.abs(now.getTime() - this.#prunedAt) < dayMs)) return 0;
    // Tried once a day even when it fails: a store that cannot be written is not rewritten on every tick.
    this.#prunedAt = now.getTime();
    const before = new Date(now.getTime() - (this.options.keepFinishedDays ?? 30) * dayMs).toISOString();
    try {
      const pruned = await prune(before);
      if (pruned > 0) this.options.logger.info({ pruned, before }, 'old finished jobs removed from the schedule');
      return pruned;
    } catch (error) {
      this.options.logger.error({ err: error }, 'could not remove old finished jobs from the schedule; trying again tomorrow');
      return 0;
    }
  }

  /** The due jobs to run, earliest first, and those a later job of the same key replaces. */
  #collapse(due: readonly ScheduledJob[]): { run: ScheduledJob[]; superseded: ScheduledJob[] } {
    const latest = new Map<string, ScheduledJob>();
    for (const job of due) {
      const keyOf = this.#handlers.get(job.kind)?.options.latestOnly;
      if (!keyOf) continue;
      const key = `${job.kind}\u0000${keyOf(job)}`;
      const seen = latest.get(key);
      if (!seen || Date.parse(job.dueAt) >= Date.parse(seen.dueAt)) latest.set(key, job);
    }
    const kept = new Set(latest.values());
    const run: ScheduledJob[] = [];
    const superseded: ScheduledJob[] = [];
    for (const job of due) {
      if (!this.#handlers.get(job.kind)?.options.latestOnly || kept.has(job)) run.push(job);
      else superseded.push(job);
    }
    return { run, superseded };
  }

  async #run(job: ScheduledJob, now: Date): Promise<boolean> {
    const handler = this.#handlers.get(job.kind);
    const log = this.options.logger.child({ jobKind: job.kind });
    try {
      if (!handler) throw new Error(`no handler is registered for ${job.kind} jobs`);
      await handler.run(job);
    } catch (error) {
      const attempts = (this.#failures.get(job.id)?.attempts ?? 0) + 1;
      const wait = Math.min((this.options.backoffMs ?? 60_000) * 2 ** (attempts - 1), this.options.maxBackoffMs ?? 3_600_000);
      this.#failures.set(job.id, { attempts, retryAt: now.getTime() + wait });
      // Job ids name people (renewal:<user id>:...): the id is for debug only.
      log.error({ err: error, attempts, retryInMs: wait }, 'a scheduled job failed; it stays waiting and will be retried');
      log.debug({ jobId: job.id }, 'failed job');
      return false;
    }
    this.#failures.delete(job.id);
    if (await this.#finish(job, 'done')) {
      const lateMs = now.getTime() - Date.parse(job.dueAt);
      log.info({ lateMs }, 'scheduled job done');
    }
    return true;
  }

  async #finish(job: ScheduledJob, state: 'done' | 'superseded'): Promise<boolean> {
    try {
      return await this.options.schedule.finish(job.id, state, this.options.clock.now().toISOString());
    } catch (error) {
      // The work is done but not recorded: the next tick runs the handler again, which queues nothing new.
      this.options.logger.child({ jobKind: job.kind }).error({ err: error }, `could not mark a scheduled job ${state}`);
      return false;
    }
  }
}
