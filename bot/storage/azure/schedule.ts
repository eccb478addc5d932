import type { ScheduledJob, ScheduleRepository } from '../../../dialogs/outreach.js';
import { byDue, prunable, refusedAsPruned, waitingJob } from '../lowdbSchedule.js';
import {
  conflictPause,
  isConflict,
  isNotFound,
  listRecords,
  mutateRecord,
  odataString,
  readRecord,
  recordEntity,
  tableKey,
  type AzureTables,
  type TableClient,
} from './tables.js';

/**
 * Scheduled jobs on Azure Table storage, one entity per job in one partition (a schedule holds thousands, not
 * millions). `state` and `dueKey` (the due time as a sortable ISO string) are plain properties so `due`, `waiting`
 * and `prune` are filtered by the service. Several instances run the scheduler on one store: every change is made
 * with the ETag read, so of two instances finishing the same job only one is told it did (`finish` true).
 */

const jobs = 'job';
/** The pruning horizon (`prunedBefore`): finished jobs due and finished before it may have been removed. */
const meta = 'meta';
const horizonRow = 'horizon';

interface Horizon {
  readonly prunedBefore: string;
}

/** The schedule on Azure Table storage: the port, plus `prune` for the scheduler and `get` for tools and tests. */
export class AzureSchedule implements ScheduleRepository {
  constructor(private readonly client: TableClient) {}

  async put(job: Omit<ScheduledJob, 'state' | 'doneAt'>): Promise<boolean> {
    const waiting = waitingJob(job);
    for (let attempt = 1; ; attempt++) {
      const current = await readRecord<ScheduledJob>(this.client, jobs, tableKey(job.id));
      // A job that ran stays run, so scheduling the same thing again after it was sent sends nothing twice.
      if (current?.value.state === 'done') return false;
      if (!current) {
        // Read only after the job was found missing: `prune` raises the horizon before it deletes, so a job pruned
        // by another instance before that read is always covered by the horizon read here.
        const horizon = await readRecord<Horizon>(this.client, meta, horizonRow);
        if (refusedAsPruned(job, horizon?.value.prunedBefore)) return false;
      }
      try {
        const entity = recordEntity(jobs, tableKey(job.id), waiting, indexed(waiting));
        if (current) await this.client.updateEntity(entity, 'Replace', { etag: current.etag });
        else await this.client.createEntity(entity);
        return true;
      } catch (error) {
        if ((isConflict(error) || isNotFound(error)) && attempt < 50) {
          await conflictPause(attempt);
          continue;
        }
        throw error;
      }
    }
  }

  async due(now: string): Promise<ScheduledJob[]> {
    const at = Date.parse(now);
    if (Number.isNaN(at)) return [];
    const found = await listRecords<ScheduledJob>(this.client, `${waitingFilter()} and dueKey le ${odataString(sortable(at))}`);
    return found
      .map((r) => r.value)
      .filter((j) => j.state === 'waiting' && Date.parse(j.dueAt) <= at)
      .sort(byDue);
  }

  async waiting(idPrefix: string): Promise<ScheduledJob[]> {
    return (await this.waitingRecords(idPrefix)).map((r) => r.value).sort(byDue);
  }

  finish(id: string, state: 'done' | 'superseded' | 'cancelled', at: string): Promise<boolean> {
    return mutateRecord<ScheduledJob, boolean>(this.client, jobs, tableKey(id), (job) => {
      if (job?.state !== 'waiting') return { result: false };
      const finished: ScheduledJob = { ...job, state, doneAt: at };
      return { write: finished, indexed: indexed(finished), result: true };
    });
  }

  async cancelWaiting(idPrefix: string, at: string): Promise<number> {
    const found = await this.waitingRecords(idPrefix);
    // Each one written at the ETag it was listed at (no second read), so a job another instance ran or changed
    // meanwhile is decided again on the record as it is now, and one already run is not counted as cancelled.
    const cancelled = await Promise.all(
      found.map(async ({ value: job, rowKey, etag }) => {
        const finished: ScheduledJob = { ...job, state: 'cancelled', doneAt: at };
        try {
          await this.client.updateEntity(recordEntity(jobs, rowKey, finished, indexed(finished)), 'Replace', { etag });
          return true;
        } catch (error) {
          if (isConflict(error) || isNotFound(error)) return this.finish(job.id, 'cancelled', at);
          throw error;
        }
      }),
    );
    return cancelled.filter(Boolean).length;
  }

  /**
   * Removes the jobs that finished and were due before `before` (the same rule as the lowdb schedule); how many.
   * The horizon is raised first, then each job is deleted with the ETag it was listed at: a cancelled job put back
   * to waiting meanwhile is left alone, and `put` never finds a job gone without the horizon covering it.
   */
  async prune(before: string): Promise<number> {
    const cutoff = Date.parse(before);
    if (Number.isNaN(cutoff)) throw new RangeError('prune needs an ISO time');
    const old = (await listRecords<ScheduledJob>(this.client, `PartitionKey eq '${jobs}' and state ne 'waiting' and dueKey lt ${odataString(sortable(cutoff))}`)).filter(
      (r) => prunable(r.value, cutoff),
    );
    // Nothing old is the common case (a daily check): no write for it.
    if (old.length === 0) return 0;
    const horizon = new Date(cutoff).toISOString();
    await mutateRecord<Horizon, void>(this.client, meta, horizonRow, (current) =>
      current !== undefined && Date.parse(current.prunedBefore) >= cutoff ? { result: undefined } : { write: { prunedBefore: horizon }, result: undefined },
    );
    let removed = 0;
    for (const record of old) {
      try {
        await this.client.deleteEntity(record.partitionKey, record.rowKey, { etag: record.etag });
        removed++;
      } catch (error) {
        // Changed (put back to waiting) or already pruned by another instance since it was listed.
        if (!isConflict(error) && !isNotFound(error)) throw error;
      }
    }
    return removed;
  }

  /** One job in any state, for tools and tests. */
  async get(id: string): Promise<ScheduledJob | undefined> {
    return (await readRecord<ScheduledJob>(this.client, jobs, tableKey(id)))?.value;
  }

  private async waitingRecords(idPrefix: string): Promise<{ value: ScheduledJob; rowKey: string; etag: string }[]> {
    const range = rowKeyRange(idPrefix);
    const found = await listRecords<ScheduledJob>(this.client, range ? `${waitingFilter()} and ${range}` : waitingFilter());
    return found.filter((r) => r.value.state === 'waiting' && r.value.id.startsWith(idPrefix));
  }
}

/** Opens (creating if needed) the schedule's table. */
export async function openAzureSchedule(tables: AzureTables): Promise<AzureSchedule> {
  return new AzureSchedule(await tables.table('schedule'));
}

function waitingFilter(): string {
  return `PartitionKey eq '${jobs}' and state eq 'waiting'`;
}

/** The properties the service filters on; a due time that is not a time gets no `dueKey`, so it is never due or pruned, as in lowdb. */
function indexed(job: ScheduledJob): Record<string, string> {
  const due = Date.parse(job.dueAt);
  return Number.isNaN(due) ? { state: job.state } : { state: job.state, dueKey: sortable(due) };
}

/** ISO time with a fixed width for the years jobs use, so string order is time order. */
function sortable(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * The RowKey range of ids starting with `prefix` (keys are `tableKey(id)`, which encodes character by character, so
 * the key of a prefix is a prefix of the key). Undefined when no range applies; callers check `startsWith` anyway.
 */
function rowKeyRange(prefix: string): string | undefined {
  let low: string;
  try {
    low = tableKey(prefix);
  } catch {
    return undefined; // A lone surrogate cannot be encoded: fall back to every waiting job.
  }
  // The smallest key above every key starting with `low`: its last character that can grow, grown ('~' is the largest a key holds).
  let high = low.replace(/~+$/, '');
  if (high === '') return low === '' ? undefined : `RowKey ge ${odataString(low)}`;
  high = `${high.slice(0, -1)}${String.fromCharCode(high.charCodeAt(high.length - 1) + 1)}`;
  return `RowKey ge ${odataString(low)} and RowKey lt ${odataString(high)}`;
}
