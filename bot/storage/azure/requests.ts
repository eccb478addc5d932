import type { TransactionAction } from '@azure/data-tables';
import type { NewRequest, RaRequest, RequestFilter, RequestRepository } from '../../../dialogs/requests.js';
import { referenceFor } from '../../../dialogs/requests.js';
import type { FieldCipher } from '../../requests/fieldCipher.js';
import { matchesFilter, newestFirst, openRequest, purgeDue, purgedRequest, sealRequest } from '../requestRecords.js';
import { isConflict, listRecords, mutateRecord, odataString, readRecord, recordEntity, type AzureTables, type TableClient } from './tables.js';

/**
 * Requests on Azure Table storage, shared by every instance. All requests and the reference counter live in ONE
 * partition, so filing is one transaction: the counter moves on (at the ETag read) and the request is created, or
 * neither happens. Two instances filing at once cannot get the same reference, and a reference is never used up by
 * a request that was not written. Sensitive fields are sealed at rest, as in the lowdb store.
 */

const partition = 'requests';
const counterKey = 'counter';
// A reference as `referenceFor` makes it; anything else (the counter's key, `__proto__`) is no request.
const referencePattern = /^RA-\d{6,}$/;
// Each round of a filing race has one winner, so this many instances can file at the same moment.
const fileAttempts = 100;

interface Counter {
  lastSequence: number;
}

export class AzureRequests implements RequestRepository {
  constructor(
    private readonly client: TableClient,
    private readonly cipher: FieldCipher,
  ) {}

  async file(request: NewRequest): Promise<RaRequest> {
    for (let attempt = 1; ; attempt++) {
      const counter = await readRecord<Counter>(this.client, partition, counterKey);
      const sequence = (counter?.value.lastSequence ?? (await this.highestSequence())) + 1;
      const filed: RaRequest = { ...request, reference: referenceFor(sequence), version: 1 };
      // Sealed before anything is written: a request that cannot be sealed must not use up a reference.
      const stored = sealRequest(filed, this.cipher);
      const next = recordEntity(partition, counterKey, { lastSequence: sequence } satisfies Counter);
      const actions: TransactionAction[] = [
        counter ? ['update', next, 'Replace', { etag: counter.etag }] : ['create', next],
        ['create', recordEntity(partition, filed.reference, stored, indexed(stored))],
      ];
      try {
        await this.client.submitTransaction(actions);
        return filed;
      } catch (error) {
        // Another instance filed first: take the next number after theirs.
        if (isConflict(error) && attempt < fileAttempts) continue;
        throw error;
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

// The national fallback (no team) apart from every team id.
function teamKey(teamId: string | null): string {
  return teamId === null ? 'none' : `t:${teamId}`;
}

/** The requests table (created if needed), sealing sensitive fields with `cipher`. */
export async function openAzureRequests(tables: AzureTables, cipher: FieldCipher): Promise<AzureRequests> {
  return new AzureRequests(await tables.table('requests'), cipher);
}
