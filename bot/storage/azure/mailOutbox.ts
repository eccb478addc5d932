import { randomUUID } from 'node:crypto';
import type { Clock } from '../../../dialogs/ports.js';
import { finishedBefore, queuedMail, type MailFailure, type MailOutboxStore, type NewMail, type OutboxMail } from '../../requests/mailOutbox.js';
import { isConflict, isNotFound, listRecords, mutateRecord, odataString, recordEntity, tableKey, type AzureTables, type TableClient } from './tables.js';

/**
 * The mail outbox on Azure Table storage, shared by the mail workers of several instances.
 *
 * Layout: one entity per mail in one partition of `mailoutbox` (RowKey: its id), with its state, when it is next
 * due and when it finished as plain properties, so finding due mail, the next due time and what to prune are
 * filters the service runs. The outbox stays small: one mail per request filed, removed a month after it went.
 *
 * Claims are leases, as for broadcasts: a claimed mail stays `pending` but is leased to this store object (one per
 * instance) until `leaseMs` after the claim, written with the ETag it was read at, so two instances never both claim
 * it. An outcome counts only under this instance's lease; once a lease has run out (its instance died or stalled)
 * another instance may claim the mail and send it again: at least once. The lease is 5 minutes: a send is given up
 * after 30 s, and its outcome is written at once.
 */

const partition = 'mail';
const defaultLeaseMs = 5 * 60_000;

/** A mail as stored: the mail, its place in the queue, and the lease while an instance is sending it. */
interface Stored {
  readonly mail: OutboxMail;
  /** Orders mails enqueued in the same millisecond by one instance. */
  readonly seq: number;
  readonly lease?: { readonly owner: string; readonly until: string } | undefined;
}

export interface AzureMailOutboxOptions {
  /** Who claims, in leases: one id per running instance. A fresh random id by default. */
  readonly owner?: string | undefined;
  /** How long a claim is this instance's (5 minutes). */
  readonly leaseMs?: number | undefined;
  readonly newId?: (() => string) | undefined;
}

export class AzureMailOutbox implements MailOutboxStore {
  readonly shared = true;
  readonly #owner: string;
  readonly #leaseMs: number;
  readonly #newId: () => string;
  #seq = 0;

  constructor(
    private readonly table: TableClient,
    private readonly clock: Clock,
    options: AzureMailOutboxOptions = {},
  ) {
    this.#owner = options.owner ?? randomUUID();
    this.#leaseMs = options.leaseMs ?? defaultLeaseMs;
    this.#newId = options.newId ?? randomUUID;
  }

  async enqueue(mail: NewMail): Promise<OutboxMail> {
    const queued = queuedMail(mail, this.#newId(), this.clock.now());
    const stored: Stored = { mail: queued, seq: this.#seq++ };
    await this.table.createEntity(recordEntity(partition, tableKey(queued.id), stored, indexed(stored)));
    return queued;
  }

  async claim(now: Date): Promise<OutboxMail | undefined> {
    const at = now.toISOString();
    const until = new Date(now.getTime() + this.#leaseMs).toISOString();
    const due = await listRecords<Stored>(this.table, `PartitionKey eq '${partition}' and state eq 'pending' and due le ${odataString(at)}`);
    for (const { value } of due.sort((a, b) => byAge(a.value, b.value))) {
      // Decided again on the record as it is now: another instance may have claimed or sent it since the query.
      const claimed = await mutateRecord<Stored, OutboxMail | undefined>(this.table, partition, tableKey(value.mail.id), (stored) => {
        if (!stored || !claimable(stored, at)) return { result: undefined };
        const changed: Stored = { ...stored, lease: { owner: this.#owner, until } };
        return { write: changed, indexed: indexed(changed), result: stored.mail };
      });
      if (claimed) return claimed;
    }
    return undefined;
  }

  async nextDueAt(): Promise<string | undefined> {
    let next: string | undefined;
    const rows = this.table.listEntities<Record<string, unknown>>({
      queryOptions: { filter: `PartitionKey eq '${partition}' and state eq 'pending'`, select: ['due'] },
    });
    for await (const row of rows) {
      const due = row['due'];
      if (typeof due === 'string' && (next === undefined || due < next)) next = due;
    }
    return next;
  }

  async list(): Promise<OutboxMail[]> {
    const all = await listRecords<Stored>(this.table, `PartitionKey eq '${partition}'`);
    return all
      .map((r) => r.value)
      .sort(byAge)
      .map((s) => s.mail);
  }

  async recordSent(id: string, attempts: number, at: Date): Promise<void> {
    await this.#underLease(id, (m) => ({ ...m, state: 'sent', attempts, body: '', lastError: undefined, finishedAt: at.toISOString() }));
  }

  async recordFailure(id: string, failure: MailFailure): Promise<void> {
    const { attempts, refusals, error, retryAt, at } = failure;
    await this.#underLease(id, (m) =>
      retryAt
        ? { ...m, attempts, refusals, lastError: error, nextAttemptAt: retryAt.toISOString() }
        : { ...m, state: 'failed', attempts, refusals, lastError: error, body: '', finishedAt: at.toISOString() },
    );
  }

  async pruneFinished(before: Date): Promise<number> {
    const at = before.toISOString();
    const old = await listRecords<Stored>(this.table, `PartitionKey eq '${partition}' and state ne 'pending' and finishedAt lt ${odataString(at)}`);
    let removed = 0;
    for (const { rowKey, value, etag } of old) {
      if (!finishedBefore(value.mail, at)) continue;
      try {
        await this.table.deleteEntity(partition, rowKey, { etag });
        removed++;
      } catch (error) {
        // Another instance pruned it first.
        if (!isNotFound(error) && !isConflict(error)) throw error;
      }
    }
    return removed;
  }

  /** Changes a mail only while it is pending under this instance's lease, and ends the lease. */
  async #underLease(id: string, change: (mail: OutboxMail) => OutboxMail): Promise<void> {
    await mutateRecord<Stored, void>(this.table, partition, tableKey(id), (stored) => {
      // Claimed again by another instance once this one's lease ran out: the outcome is theirs to record.
      if (!stored || stored.mail.state !== 'pending' || stored.lease?.owner !== this.#owner) return { result: undefined };
      const changed: Stored = { mail: change(stored.mail), seq: stored.seq };
      return { write: changed, indexed: indexed(changed), result: undefined };
    });
  }
}

function claimable(stored: Stored, at: string): boolean {
  return stored.mail.state === 'pending' && stored.mail.nextAttemptAt <= at && (stored.lease === undefined || stored.lease.until <= at);
}

/** Oldest first, as enqueued. */
function byAge(a: Stored, b: Stored): number {
  return a.mail.createdAt.localeCompare(b.mail.createdAt) || a.seq - b.seq || a.mail.id.localeCompare(b.mail.id);
}

/** What the service filters on: a pending mail's due time (its next attempt, or when its lease runs out), or when it finished. */
function indexed(stored: Stored): Record<string, string> {
  const { mail, lease } = stored;
  if (mail.state !== 'pending') return { state: mail.state, finishedAt: mail.finishedAt ?? mail.createdAt };
  const due = lease && lease.until > mail.nextAttemptAt ? lease.until : mail.nextAttemptAt;
  return { state: mail.state, due };
}

/** The outbox on the shared tables (`<prefix>mailoutbox`). */
export async function openAzureMailOutbox(tables: AzureTables, clock: Clock, options?: AzureMailOutboxOptions): Promise<AzureMailOutbox> {
  return new AzureMailOutbox(await tables.table('mailoutbox'), clock, options);
}
