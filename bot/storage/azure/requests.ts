import { RestError, type TableEntity, type TransactionAction } from '@azure/data-tables';
import type { NewRequest, RaRequest, RequestFilter, RequestRepository } from '../../../dialogs/requests.js';
import { referenceFor } from '../../../dialogs/requests.js';
import type { FieldCipher } from '../../requests/fieldCipher.js';
import { matchesFilter, newestFirst, openRequest, purgeDue, purgedRequest, sealRequest } from '../requestRecords.js';
import {
  conflictPause,
  isConflict,
  listRecords,
  mutateRecord,
  odataString,
  readRecord,
  recordEntity,
  type AzureTables,
  type TableClient,
  type Versioned,
} from './tables.js';

/**
 * Requests on Azure Table storage, shared by every instance. All requests and the reference counter live in ONE
 * partition, so filing is one transaction: the counter moves on (at the ETag read) and the requests are created, or
 * nothing happens. Two instances filing at once cannot get the same reference, and a reference is never used up by
 * a request that was not written. Sensitive fields are sealed at rest, as in the lowdb store.
 */

const partition = 'requests';
const counterKey = 'counter';
// A reference as `referenceFor` makes it; anything else (the counter's key, `__proto__`) is no request.
const referencePattern = /^RA-\d{6,}$/;
// Each round of a filing race has one winner, so this many instances can file at the same moment.
const fileAttempts = 100;
// A transaction holds at most 100 entities (the counter and 99 requests) and 4 MiB with its framing.
const maxBatch = 99;
const transactionBytes = 3 * 1024 * 1024;

interface Counter {
  lastSequence: number;
}

/** A request waiting to be filed, and its caller. */
interface Filing {
  readonly request: NewRequest;
  readonly resolve: (filed: RaRequest) => void;
  readonly reject: (error: unknown) => void;
}

export class AzureRequests implements RequestRepository {
  /** Requests waiting for the next filing transaction, in the order they came. */
  readonly #filing: Filing[] = [];
  #draining = false;

  constructor(
    private readonly client: TableClient,
    private readonly cipher: FieldCipher,
  ) {}

  /**
   * Files under one counter write with every other request this instance is asked to file meanwhile (a group
   * commit): while one transaction is under way the next requests wait, then go together in the next, numbered in
   * the order they came. So 200 people sending at once cost a few transactions, not 200 rounds of counter conflicts.
   */
  file(request: NewRequest): Promise<RaRequest> {
    return new Promise<RaRequest>((resolve, reject) => {
      this.#filing.push({ request, resolve, reject });
      if (!this.#draining) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#filing.length > 0) {
        const batch = this.#filing.splice(0, maxBatch);
        // Never leaves a caller waiting, whatever fails (settling one already settled does nothing).
        await this.#fileTogether(batch).catch((error: unknown) => batch.forEach((f) => f.reject(error)));
      }
    } finally {
      this.#draining = false;
    }
  }

  /** Files `batch` in one transaction with the counter, settling each; any that did not fit go back to the front. */
  async #fileTogether(batch: Filing[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      let counter: Versioned<Counter> | undefined;
      let last: number;
      try {
        counter = await readRecord<Counter>(this.client, partition, counterKey);
        last = counter?.value.lastSequence ?? (await this.highestSequence());
      } catch (error) {
        for (const f of batch) f.reject(error);
        return;
      }
      const filed: { filing: Filing; request: RaRequest }[] = [];
      const creates: TransactionAction[] = [];
      let bytes = 0;
      for (const [i, filing] of batch.entries()) {
        const request: RaRequest = { ...filing.request, reference: referenceFor(last + filed.length + 1), version: 1 };
        let entity: TableEntity;
        try {
          // Sealed and built before anything is written: one that cannot be must not use up a reference.
          const stored = sealRequest(request, this.cipher);
          entity = recordEntity(partition, request.reference, stored, indexed(stored));
        } catch (error) {
          filing.reject(error);
          continue;
        }
        const size = Buffer.byteLength(JSON.stringify(entity)) + 500;
        if (filed.length > 0 && bytes + size > transactionBytes) {
          // The rest go first in the next transaction.
          this.#filing.unshift(...batch.slice(i));
          break;
        }
        bytes += size;
        filed.push({ filing, request });
        creates.push(['create', entity]);
      }
      if (filed.length === 0) return;
      const next = recordEntity(partition, counterKey, { lastSequence: last + filed.length } satisfies Counter);
      try {
        await this.client.submitTransaction([counter ? ['update', next, 'Replace', { etag: counter.etag }] : ['create', next], ...creates]);
        for (const { filing, request } of filed) filing.resolve(request);
        return;
      } catch (error) {
        if (isConflict(error) && attempt < fileAttempts) {
          // Another instance filed first: take the next numbers after theirs.
          batch = filed.map((f) => f.filing);
          await conflictPause(attempt);
          continue;
        }
        if (filed.length > 1 && refused(error)) {
          // Refused, perhaps for one of them alone (nothing was written): each alone, so only that one fails.
          for (const { filing } of filed) await this.#fileTogether([filing]);
          return;
        }
        for (const { filing } of filed) filing.reject(error);
        return;
      }
    }
  }

  async get(reference: string): Promise<RaRequest | undefined> {
    if (!referencePattern.test(reference)) return undefined;
    const stored = await readRecord<RaRequest>(this.client, partition, reference);
    return stored ? openRequest(stored.value, this.cipher) : undefined;
  }

  update(reference: string, version: number, change: (request: RaRequest) => RaRequest): Promise<RaRequest | 'conflict' | 'missing'> {
    if (!referencePattern.test(reference)) return Promise.resolve('missing');
    return mutateRecord<RaRequest, RaRequest | 'conflict' | 'missing'>(this.client, partition, reference, (stored) => {
      if (!stored) return { result: 'missing' };
      if (stored.version !== version) return { result: 'conflict' };
      const changed = { ...change(openRequest(stored, this.cipher)), reference, version: version + 1 };
      const sealed = sealRequest(changed, this.cipher);
      return { write: sealed, indexed: indexed(sealed), result: changed };
    });
  }

  async list(filter: RequestFilter): Promise<RaRequest[]> {
    if (filter.statuses?.length === 0) return [];
    // The service narrows by the indexed properties; `matchesFilter` then decides exactly, as the lowdb store does.
    const clauses = [`PartitionKey eq ${odataString(partition)}`, `RowKey ne ${odataString(counterKey)}`];
    if (filter.teamId !== undefined) clauses.push(`team eq ${odataString(teamKey(filter.teamId))}`);
    if (filter.requesterId !== undefined) clauses.push(`requesterId eq ${odataString(filter.requesterId)}`);
    if (filter.formId !== undefined) clauses.push(`formId eq ${odataString(filter.formId)}`);
    if (filter.assigneeAadObjectId !== undefined) clauses.push(`assignee eq ${odataString(filter.assigneeAadObjectId)}`);
    if (filter.statuses) clauses.push(`(${filter.statuses.map((s) => `status eq ${odataString(s)}`).join(' or ')})`);
    const records = await listRecords<RaRequest>(this.client, clauses.join(' and '));
    return records
      .map((r) => r.value)
      .filter((r) => matchesFilter(r, filter))
      .sort(newestFirst)
      .map((r) => openRequest(r, this.cipher));
  }

  async purgeClosed(before: string, now: string): Promise<number> {
    const due = await listRecords<RaRequest>(
      this.client,
      `PartitionKey eq ${odataString(partition)} and purged eq false and updatedAt lt ${odataString(before)} and (status eq 'completed' or status eq 'rejected')`,
    );
    let purged = 0;
    for (const { rowKey } of due) {
      // Decided again on the record as it is now: another instance may have purged or reopened it meanwhile.
      const done = await mutateRecord<RaRequest, boolean>(this.client, partition, rowKey, (stored) => {
        if (!stored || !purgeDue(stored, before)) return { result: false };
        const emptied = purgedRequest(stored, now);
        return { write: emptied, indexed: indexed(emptied), result: true };
      });
      if (done) purged++;
    }
    return purged;
  }

  async setDeskCard(reference: string, deskCard: NonNullable<RaRequest['deskCard']>): Promise<void> {
    if (!referencePattern.test(reference)) return;
    await mutateRecord<RaRequest, void>(this.client, partition, reference, (stored) => {
      if (!stored) return { result: undefined };
      const placed = { ...stored, deskCard };
      return { write: placed, indexed: indexed(placed), result: undefined };
    });
  }

  // Only when the counter record is missing (a new table, or the record lost): carries on after the highest filed.
  private async highestSequence(): Promise<number> {
    let highest = 0;
    const rows = this.client.listEntities({ queryOptions: { filter: `PartitionKey eq ${odataString(partition)}`, select: ['RowKey'] } });
    for await (const row of rows) {
      const key = row.rowKey ?? '';
      if (referencePattern.test(key)) highest = Math.max(highest, Number(key.slice(3)));
    }
    return highest;
  }
}

// Plain properties the service can filter `list` and `purgeClosed` on; rewritten with every write of the record.
function indexed(request: RaRequest): Record<string, string | boolean> {
  return {
    team: teamKey(request.teamId),
    requesterId: request.requester.id,
    status: request.status,
    formId: request.formId,
    assignee: request.assignee?.aadObjectId ?? '',
    updatedAt: request.updatedAt,
    purged: request.purgedAt !== undefined,
  };
}

/** The service answered that it refused the transaction (a 4xx other than a timeout), so none of it was written. */
function refused(error: unknown): boolean {
  return error instanceof RestError && error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 && error.statusCode !== 408;
}

// The national fallback (no team) apart from every team id.
function teamKey(teamId: string | null): string {
  return teamId === null ? 'none' : `t:${teamId}`;
}

/** The requests table (created if needed), sealing sensitive fields with `cipher`. */
export async function openAzureRequests(tables: AzureTables, cipher: FieldCipher): Promise<AzureRequests> {
  return new AzureRequests(await tables.table('requests'), cipher);
}
