import { randomUUID } from 'node:crypto';
import type { AnswerFeedback, QuestionLog, QuestionReportRow, UnansweredQuestion } from '../../../dialogs/ports.js';
import { buildReport } from '../lowdbQuestionLog.js';
import { isNotFound, listRecords, odataString, recordEntity, tableKey, type AzureTables, type TableClient } from './tables.js';

/**
 * Unanswered questions and answer feedback on Azure Table storage, kept for `retentionDays`. Every entry is its own
 * record (partition `unanswered` or `feedback`, keyed by its time), so instances only ever add records and cannot
 * overwrite each other. Older entries are deleted as new ones come, as the lowdb log prunes on every write, but at
 * most once an hour per instance: the report leaves them out anyway, and a search for them on every entry would be
 * two queries more for each question asked.
 */

/** How often, by the clock, an instance looks for entries past the retention period as new ones are written. */
const pruneEveryMs = 3_600_000;

type Kind = 'unanswered' | 'feedback';

export class AzureQuestionLog implements QuestionLog {
  /** When this instance last deleted what was past the retention period (clock milliseconds). */
  private prunedAt: number | undefined;

  constructor(
    private readonly client: TableClient,
    private readonly retentionDays: number,
    private readonly now: () => Date,
  ) {}

  recordUnanswered(entry: UnansweredQuestion): Promise<void> {
    return this.record('unanswered', entry);
  }

  recordFeedback(entry: AnswerFeedback): Promise<void> {
    return this.record('feedback', entry);
  }

  async report(): Promise<QuestionReportRow[]> {
    const cutoff = this.cutoff();
    const [unanswered, feedback] = await Promise.all([this.entries<UnansweredQuestion>('unanswered', `at ge ${odataString(cutoff)}`), this.entries<AnswerFeedback>('feedback', `at ge ${odataString(cutoff)}`)]);
    return buildReport({ unanswered, feedback });
  }

  // Pruned first: if that fails the entry is not written and the caller hears of it, rather than half a change.
  private async record(kind: Kind, entry: UnansweredQuestion | AnswerFeedback): Promise<void> {
    const cutoff = this.cutoff();
    const now = this.now().getTime();
    // Never pruned here, an hour since, or the clock went back: prune now.
    if (this.prunedAt === undefined || now - this.prunedAt >= pruneEveryMs || now < this.prunedAt) {
      await this.prune(cutoff);
      this.prunedAt = now;
    }
    // Already past the retention period: the lowdb log would drop it on the same write.
    if (entry.at < cutoff) return;
    await this.client.createEntity(recordEntity(kind, `${tableKey(entry.at)}_${randomUUID()}`, entry, { at: entry.at }));
  }

  private async prune(cutoff: string): Promise<void> {
    const old = (await Promise.all((['unanswered', 'feedback'] as const).map((kind) => this.keys(kind, `at lt ${odataString(cutoff)}`)))).flat();
    await Promise.all(
      old.map(({ partitionKey, rowKey }) =>
        // Another instance pruning at the same time may have deleted it first.
        this.client.deleteEntity(partitionKey, rowKey).catch((error: unknown) => {
          if (!isNotFound(error)) throw error;
        }),
      ),
    );
  }

  private async entries<T>(kind: Kind, filter: string): Promise<T[]> {
    return (await listRecords<T>(this.client, `PartitionKey eq ${odataString(kind)} and ${filter}`)).map((r) => r.value);
  }

  private async keys(kind: Kind, filter: string): Promise<{ partitionKey: string; rowKey: string }[]> {
    const keys: { partitionKey: string; rowKey: string }[] = [];
    const rows = this.client.listEntities({ queryOptions: { filter: `PartitionKey eq ${odataString(kind)} and ${filter}`, select: ['PartitionKey', 'RowKey'] } });
    for await (const row of rows) keys.push({ partitionKey: row.partitionKey ?? kind, rowKey: row.rowKey ?? '' });
    return keys;
  }

  private cutoff(): string {
    return new Date(this.now().getTime() - this.retentionDays * 86_400_000).toISOString();
  }
}

/** The question log table (created if needed), keeping entries for `retentionDays` by `now`. */
export async function openAzureQuestionLog(tables: AzureTables, retentionDays: number, now: () => Date): Promise<AzureQuestionLog> {
  return new AzureQuestionLog(await tables.table('questionlog'), retentionDays, now);
}
