import { RestError, TableClient, type TableEntity, type TableEntityResult } from '@azure/data-tables';
import { StorageUnavailableError } from '../backend.js';

/**
 * Azure Table storage for the app's repositories when several instances share one store (`STORAGE=azure`).
 * Every change to a stored record is a read, a change in memory and a write carrying the ETag that was read: when
 * another instance wrote in between, the write is refused (412) and the change is made again on the fresh record.
 */

/** The app's tables on one storage account: `<prefix><name>`, created on first use. */
export class AzureTables {
  private readonly clients = new Map<string, Promise<TableClient>>();

  /** `prefix`: letters and digits, so several deployments (or test suites) can share an account. */
  constructor(
    private readonly connectionString: string,
    private readonly prefix: string,
  ) {
    if (!/^[A-Za-z][A-Za-z0-9]{0,40}$/.test(prefix)) throw new Error('the Azure table prefix must be a letter then up to 40 letters or digits');
  }

  table(name: string): Promise<TableClient> {
    let client = this.clients.get(name);
    if (!client) {
      client = this.create(`${this.prefix}${name}`);
      // A failed create (the emulator not up yet) is tried again by the next caller rather than remembered.
      client.catch(() => this.clients.delete(name));
      this.clients.set(name, client);
    }
    return client;
  }

  private async create(tableName: string): Promise<TableClient> {
    const client = TableClient.fromConnectionString(this.connectionString, tableName, {
      // Azurite on loopback speaks http; a real account's connection string says https.
      allowInsecureConnection: this.connectionString.includes('http://'),
      // A turn has about 15 seconds before Teams gives up on it: a few quick retries, not the SDK's default backoff.
      retryOptions: { maxRetries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 2000 },
    });
    try {
      await client.createTable();
    } catch (error) {
      throw new StorageUnavailableError(`table ${tableName}`, accountOf(this.connectionString), serviceSaid(error));
    }
    return client;
  }
}

/** The account name in a connection string, safe to show. */
export function accountOf(connectionString: string): string {
  if (connectionString.trim() === 'UseDevelopmentStorage=true') return 'devstoreaccount1 (Azurite)';
  return /(?:^|;)AccountName=([^;]+)/.exec(connectionString)?.[1] ?? '(unnamed)';
}

/** Status codes the table service answers with when another writer won: the caller reads again and retries. */
export function isConflict(error: unknown): boolean {
  return error instanceof RestError && (error.statusCode === 412 || error.statusCode === 409);
}

export function isNotFound(error: unknown): boolean {
  return error instanceof RestError && error.statusCode === 404;
}

/**
 * A key safe for PartitionKey and RowKey, which may not hold `/ \ # ?` or control characters. Order is kept for
 * the characters that matter for sorting here (letters, digits, `-`, `:`, `.`), so ISO times still sort.
 */
export function tableKey(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function fromTableKey(key: string): string {
  return decodeURIComponent(key);
}

// A string property holds at most 64 KiB (32K UTF-16 units); an entity at most 1 MiB in all.
const chunkLength = 30_000;
const maxChunks = 30;

/** JSON of `value` spread over string properties `d0`, `d1`...; refuses what an entity cannot hold. */
export function encodeJson(value: unknown): Record<string, string> {
  const json = JSON.stringify(value);
  const chunks = Math.max(1, Math.ceil(json.length / chunkLength));
  if (chunks > maxChunks) throw new RecordTooLargeError(json.length);
  const properties: Record<string, string> = {};
  for (let i = 0; i < chunks; i++) properties[`d${i}`] = json.slice(i * chunkLength, (i + 1) * chunkLength);
  return properties;
}

/** The value `encodeJson` stored in an entity. */
export function decodeJson<T>(entity: Record<string, unknown>): T {
  let json = '';
  for (let i = 0; typeof entity[`d${i}`] === 'string'; i++) json += entity[`d${i}`] as string;
  return JSON.parse(json) as T;
}

/** The record is larger than one table entity can hold. */
export class RecordTooLargeError extends Error {
  override name = 'RecordTooLargeError';
  constructor(length: number) {
    super(`a record of ${length} characters is too large for one table entity`);
  }
}

/** A stored JSON record with the ETag it was read at. */
export interface Versioned<T> {
  readonly value: T;
  readonly etag: string;
}

/** Reads one JSON record; undefined when there is none. */
export async function readRecord<T>(client: TableClient, partitionKey: string, rowKey: string): Promise<Versioned<T> | undefined> {
  try {
    const entity = await client.getEntity<Record<string, unknown>>(partitionKey, rowKey);
    return { value: decodeJson<T>(entity), etag: entity.etag };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Every JSON record in a partition (or matching an OData filter), with its keys. */
export async function listRecords<T>(
  client: TableClient,
  filter: string,
): Promise<{ partitionKey: string; rowKey: string; value: T; etag: string }[]> {
  const records: { partitionKey: string; rowKey: string; value: T; etag: string }[] = [];
  for await (const entity of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
    records.push({ partitionKey: entity.partitionKey ?? '', rowKey: entity.rowKey ?? '', value: decodeJson<T>(entity), etag: entity.etag });
  }
  return records;
}

/** An entity holding `value` as JSON, plus plain properties the service can filter on. */
export function recordEntity(
  partitionKey: string,
  rowKey: string,
  value: unknown,
  indexed: Record<string, string | number | boolean> = {},
): TableEntity<Record<string, string | number | boolean>> {
  return { partitionKey, rowKey, ...indexed, ...encodeJson(value) };
}

/** What a change decides: the record to write (or `delete`, or nothing to keep it as it is) and what to return. */
export type Change<T, R> =
  | { readonly write: T; readonly indexed?: Record<string, string | number | boolean>; readonly result: R }
  | { readonly delete: true; readonly result: R }
  | { readonly result: R };

/**
 * Applies `change` to one record under optimistic concurrency: read, decide, write with the ETag read (or create,
 * when there was none), and on a conflict read again and decide again. `change` must be pure: it can run several times.
 */
export async function mutateRecord<T, R>(
  client: TableClient,
  partitionKey: string,
  rowKey: string,
  change: (current: T | undefined) => Change<T, R>,
  attempts = 50,
): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    const current = await readRecord<T>(client, partitionKey, rowKey);
    const decision = change(current?.value);
    try {
      if ('write' in decision) {
        const entity = recordEntity(partitionKey, rowKey, decision.write, decision.indexed);
        if (current) await client.updateEntity(entity, 'Replace', { etag: current.etag });
        else await client.createEntity(entity);
      } else if ('delete' in decision) {
        if (current) await client.deleteEntity(partitionKey, rowKey, { etag: current.etag });
      }
      return decision.result;
    } catch (error) {
      // 404 on delete or update: another instance deleted it first; read again.
      if ((isConflict(error) || isNotFound(error)) && attempt < attempts) {
        await conflictPause(attempt);
        continue;
      }
      throw error;
    }
  }
}

/**
 * The pause before trying again after losing a write to another writer: random, so writers that collided do not
 * collide again in step, and longer after each loss (to 200 ms), so a hot record is not read and written in a storm.
 */
export function conflictPause(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(200, 5 * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** An OData string literal (quotes doubled), for filters built from keys. */
export function odataString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

export type { TableClient, TableEntityResult };

/** What the service said, in one line, for a start-up message. */
export function serviceSaid(error: unknown): string {
  if (error instanceof RestError) return `${error.statusCode ?? error.code ?? 'no answer'}: ${error.message.split('\n')[0]}`;
  return error instanceof Error ? error.message : String(error);
}
