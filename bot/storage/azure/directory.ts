import { isDeepStrictEqual } from 'node:util';
import { odata, RestError, type TableEntity } from '@azure/data-tables';
import { OrganisationIndex } from '../../../knowledge/organisationIndex.js';
import type { Contact, ContactRepository, Organisation, OrganisationRepository } from '../../../knowledge/organisations.js';
import {
  conflictPause,
  decodeJson,
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
 * The organisation directory and local contacts on Azure Table storage.
 *
 * Organisations: one entity per code, partitioned by the code's first two characters ("FA", "A8": a few hundred to
 * a thousand each), so an import writes them in transactions of 100 and a code is one point read. Search needs the
 * whole country in memory for the index, so each instance loads it on first use and keeps it; a "version" entity,
 * rewritten after every change, tells it when another instance (or the importer) changed the directory. The check is
 * one point read, made at most every few seconds by searches, and then only what changed since the last load is
 * read again (by the service's Timestamp), not the whole country.
 */

/** Options for the directory; tests inject the time the search uses to decide when to check for changes. */
export interface AzureDirectoryOptions {
  /** How long searches trust the loaded directory before one read checks whether it changed; 5 seconds by default. */
  readonly recheckMs?: number;
  /** Milliseconds now, for that interval only. */
  readonly now?: () => number;
}

/** Opens (creating if needed) the directory's two tables. */
export async function openAzureDirectory(
  tables: AzureTables,
  options: AzureDirectoryOptions = {},
): Promise<{ organisations: AzureOrganisations; contacts: AzureContacts }> {
  const [organisations, contacts] = await Promise.all([tables.table('organisations'), tables.table('contacts')]);
  return { organisations: new AzureOrganisations(organisations, options), contacts: new AzureContacts(contacts) };
}

const meta = 'meta';
const versionRow = 'version';
/** Every organisation partition starts with "o" (and `meta` does not), so one range is the whole directory. */
const allOrganisations = "PartitionKey ge 'o' and PartitionKey lt 'p'";
/**
 * Changes are read from this long before the last read began: for the service's clocks (the one answering and the
 * ones stamping entities) that may differ, its one-second answer, and a write stamped a moment before it shows.
 */
const clockSkewMs = 60_000;
/** The most entities one transaction may hold. */
const transactionSize = 100;
/** What one transaction's entities may add up to (the service takes 4 MiB, with the request's own framing). */
const transactionBytes = 3 * 1024 * 1024;
/** Fewer wanted codes than this in a partition are point reads; more, one scan of the partition. */
const scanFrom = 12;
/** From this many codes, one read of everything beats hundreds of partition and point reads. */
const wholeFrom = 2000;

/**
 * Rewritten after every change to the directory, so its ETag is the directory's version. `full` grows when a failed
 * import was undone: organisations were deleted, which reading what changed cannot see, so everything is read again.
 */
interface DirectoryVersion {
  readonly full: number;
}

/** The directory as this instance last read it. */
interface Loaded {
  /** The version entity's ETag when it was read (undefined: no change was ever written). */
  etag: string | undefined;
  readonly full: number;
  readonly organisations: Map<string, Organisation>;
  /**
   * The service's time when the version was read, just before the organisations were: every change written before
   * then is in `organisations`, so the next refresh reads only what was written after (less `clockSkewMs`).
   * Undefined when the service gave no time: the next refresh reads everything.
   */
  readonly readAt: Date | undefined;
  checkedAt: number;
  index: OrganisationIndex | undefined;
}

/** A failed import: what was written was undone, as far as the message says. */
export class DirectoryWriteError extends Error {
  override name = 'DirectoryWriteError';
}

/** Organisations on Azure Table storage; see the top of this file. */
export class AzureOrganisations implements OrganisationRepository {
  private loaded: Loaded | undefined;
  private refreshing: Promise<Loaded> | undefined;
  /** Set by this instance's own writes when they could not be added to what is loaded: the next search checks. */
  private recheck = false;
  private readonly recheckMs: number;
  private readonly now: () => number;

  constructor(
    private readonly client: TableClient,
    options: AzureDirectoryOptions = {},
  ) {
    this.recheckMs = options.recheckMs ?? 5000;
    this.now = options.now ?? Date.now;
  }

  async get(code: string): Promise<Organisation | undefined> {
    const keys = organisationKeys(code);
    return keys && (await readRecord<Organisation>(this.client, keys.partitionKey, keys.rowKey))?.value;
  }

  /**
   * As the store holds them now (an import compares against this to decide what to write): read by code or by
   * partition, or for thousands of codes from the directory loaded for search, once one read has shown it current.
   */
  async getMany(codes: readonly string[]): Promise<Map<string, Organisation>> {
    const held = await this.read(codes);
    const found = new Map<string, Organisation>();
    for (const code of codes) {
      const org = held.get(code);
      if (org) found.set(code, org);
    }
    return found;
  }

  async search(query: string, limit: number): Promise<Organisation[]> {
    const loaded = await this.current(this.recheckMs);
    loaded.index ??= new OrganisationIndex(loaded.organisations.values());
    return loaded.index.search(query, limit);
  }

  async count(): Promise<number> {
    return (await this.current(0)).organisations.size;
  }

  /** Loads the directory and builds the search index now rather than in the first search. */
  async warm(): Promise<void> {
    await this.search('warm', 1);
  }

  /**
   * Adds or replaces every organisation given. Table storage has no transaction across partitions, so "all or none"
   * is kept as follows. Nothing is written until every entity is built (a code no key can hold, or a record too large,
   * refuses the list). What the list replaces is read first; organisations already held exactly as given are not
   * written. The rest go in transactions of up to 100 in one partition, each atomic. If any fails, no new one starts
   * and, once those under way have settled, every organisation written is put back as it was (or deleted, if it was
   * new) on condition of the ETag its write returned: one another writer changed since keeps that newer write. A
   * transaction whose answer was lost (so whether it landed is unknown) is put back unconditionally. Then the call
   * rejects with DirectoryWriteError. Other readers may see part of the list while it is written or undone; after a
   * completed undo, none of it. If the undo cannot finish (the store unreachable), the error says how many were left
   * as written: importing the file again completes it.
   */
  async putAll(organisations: readonly Organisation[]): Promise<void> {
    if (organisations.length === 0) return;
    const byCode = new Map<string, Organisation>();
    for (const org of organisations) byCode.set(org.code, org);
    // Every entity is built before anything is written: a code no key can hold, or a record too large, writes nothing.
    const given = [...byCode.values()].map((org) => ({ org, entity: organisationEntity(org) }));
    const before = await this.read([...byCode.keys()]);
    // One held exactly as given is left alone: nothing to write, and nothing to undo.
    const writes = given.filter(({ org }) => !isDeepStrictEqual(before.get(org.code), asStored(org)));
    if (writes.length === 0) return;

    const committed: { code: string; entity: TableEntity; etag: string | undefined }[] = [];
    const unknown: { code: string; entity: TableEntity }[] = [];
    let failure: unknown;
    await inParallel(transactions(writes.map((w) => w.entity)), 8, async (chunk) => {
      if (failure !== undefined) return;
      try {
        const response = await this.client.submitTransaction(chunk.map((entity) => ['upsert', entity, 'Replace']));
        chunk.forEach((entity, i) => committed.push({ code: codeOf(entity), entity, etag: response.subResponses[i]?.etag }));
      } catch (error) {
        failure ??= error;
        // A transaction the service refused changed nothing; one whose answer was lost may have been applied.
        if (!refusedWhole(error)) unknown.push(...chunk.map((entity) => ({ code: codeOf(entity), entity })));
      }
    });

    if (failure === undefined) {
      await this.changed(writes.map((w) => w.org));
      return;
    }
    const left = await this.undo(committed, unknown, before);
    // Other instances may have loaded organisations that are now deleted again: they read everything afresh.
    const told = await this.changed(undefined).then(
      () => '',
      () => '; other instances may show some of it in searches until the directory next changes',
    );
    const cause = failure instanceof Error ? failure.message : String(failure);
    throw new DirectoryWriteError(
      left === 0
        ? `the directory was not changed: writing ${writes.length} organisations failed (${cause}) and what was written has been undone${told}`
        : `writing ${writes.length} organisations failed (${cause}) and ${left} of them could not be put back as they were: import the file again${told}`,
      { cause: failure },
    );
  }

  /** Puts back what a failed `putAll` wrote; how many could not be. */
  private async undo(
    committed: readonly { code: string; entity: TableEntity; etag: string | undefined }[],
    unknown: readonly { code: string; entity: TableEntity }[],
    before: ReadonlyMap<string, Organisation>,
  ): Promise<number> {
    let left = 0;
    const restore = async (item: { code: string; entity: TableEntity; etag?: string | undefined }): Promise<void> => {
      const previous = before.get(item.code);
      const { partitionKey, rowKey } = item.entity;
      try {
        if (item.etag === undefined) {
          // Whether this write landed is not known: put back what was there, whatever is there now.
          if (previous) await this.client.upsertEntity(organisationEntity(previous), 'Replace');
          else await this.client.deleteEntity(partitionKey, rowKey);
        } else if (previous) await this.client.updateEntity(organisationEntity(previous), 'Replace', { etag: item.etag });
        else await this.client.deleteEntity(partitionKey, rowKey, { etag: item.etag });
      } catch (error) {
        // 412: another writer changed it since, and that newer write stands; 404: this write never landed.
        if (!isConflict(error) && !isNotFound(error)) left++;
      }
    };
    await inParallel([...committed, ...unknown], 16, restore);
    return left;
  }

  /**
   * Rewrites the version entity after a change. `written`: this instance's own organisations, added to what it has
   * loaded when nothing else changed since it loaded (else the next search reads what changed); undefined after an
   * undo, which makes every instance read everything again.
   */
  private async changed(written: readonly Organisation[] | undefined): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const current = await readRecord<DirectoryVersion>(this.client, meta, versionRow);
      const next = recordEntity(meta, versionRow, { full: (current?.value.full ?? 0) + (written ? 0 : 1) });
      let etag: string | undefined;
      try {
        etag = current
          ? (await this.client.updateEntity(next, 'Replace', { etag: current.etag })).etag
          : (await this.client.createEntity(next)).etag;
      } catch (error) {
        if ((isConflict(error) || isNotFound(error)) && attempt < 50) {
          await conflictPause(attempt);
          continue;
        }
        this.recheck = true;
        throw error;
      }
      const loaded = this.loaded;
      if (written && loaded && !this.refreshing && etag !== undefined && loaded.etag === current?.etag) {
        for (const org of written) loaded.organisations.set(org.code, asStored(org));
        loaded.index = undefined;
        loaded.etag = etag;
      } else {
        this.recheck = true;
      }
      return;
    }
  }

  /** The loaded directory, checked with the store when it is older than `maxAgeMs`; one refresh at a time. */
  private async current(maxAgeMs: number): Promise<Loaded> {
    const loaded = this.loaded;
    if (loaded && !this.recheck && this.now() - loaded.checkedAt < maxAgeMs) return loaded;
    this.refreshing ??= this.refresh().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async refresh(): Promise<Loaded> {
    this.recheck = false;
    const checkedAt = this.now();
    // The version first, then the organisations: every change written before the version is in what is read after.
    const { version, readAt } = await this.readVersion();
    const full = version?.full ?? 0;
    const previous = this.loaded;
    if (previous && previous.etag === version?.etag) {
      previous.checkedAt = checkedAt;
      return previous;
    }
    let loaded: Loaded;
    if (previous?.readAt && previous.full === full) {
      const since = new Date(previous.readAt.getTime() - clockSkewMs);
      const changes = await listRecords<Organisation>(this.client, `${allOrganisations} and ${odata`Timestamp ge ${since}`}`);
      for (const { value } of changes) previous.organisations.set(value.code, value);
      loaded = { ...previous, etag: version?.etag, readAt, checkedAt, index: changes.length > 0 ? undefined : previous.index };
    } else {
      const organisations = new Map<string, Organisation>();
      for (const { value } of await listRecords<Organisation>(this.client, allOrganisations)) organisations.set(value.code, value);
      loaded = { etag: version?.etag, full, organisations, readAt, checkedAt, index: undefined };
    }
    this.loaded = loaded;
    return loaded;
  }

  /** The version entity (its ETag and `full`), and the service's time when it answered (its Date header). */
  private async readVersion(): Promise<{ version: { etag: string; full: number } | undefined; readAt: Date | undefined }> {
    let date: string | undefined;
    try {
      const entity = await this.client.getEntity<Record<string, unknown>>(meta, versionRow, {
        onResponse: (response) => (date = response.headers.get('date')),
      });
      return { version: { etag: entity.etag, full: decodeJson<DirectoryVersion>(entity).full }, readAt: serviceTime(date) };
    } catch (error) {
      if (isNotFound(error)) return { version: undefined, readAt: serviceTime((error as RestError).response?.headers.get('date')) };
      throw error;
    }
  }

  /**
   * The organisations held for these codes, read from the store: point reads, or whole partitions where many are
   * wanted, or (for an import's thousands) the whole directory as loaded for search, after checking it is current.
   */
  private async read(codes: readonly string[]): Promise<Map<string, Organisation>> {
    if (codes.length >= wholeFrom) {
      const { organisations } = await this.current(0);
      const found = new Map<string, Organisation>();
      for (const code of codes) {
        const org = organisations.get(code);
        if (org) found.set(code, org);
      }
      return found;
    }
    const byPartition = new Map<string, Set<string>>();
    for (const code of codes) {
      const keys = organisationKeys(code);
      if (!keys) continue;
      const wanted = byPartition.get(keys.partitionKey) ?? new Set<string>();
      wanted.add(code);
      byPartition.set(keys.partitionKey, wanted);
    }
    const found = new Map<string, Organisation>();
    await inParallel([...byPartition], 8, async ([partitionKey, wanted]) => {
      if (wanted.size < scanFrom) {
        await Promise.all(
          [...wanted].map(async (code) => {
            const org = await this.get(code);
            if (org) found.set(code, org);
          }),
        );
        return;
      }
      for (const { value } of await listRecords<Organisation>(this.client, `PartitionKey eq ${odataString(partitionKey)}`)) {
        if (wanted.has(value.code)) found.set(value.code, value);
      }
    });
    return found;
  }
}

function serviceTime(header: string | undefined): Date | undefined {
  const time = header === undefined ? Number.NaN : Date.parse(header);
  return Number.isNaN(time) ? undefined : new Date(time);
}

/** Where one organisation is kept; undefined for a code no key can hold (so none is stored). */
function organisationKeys(code: string): { partitionKey: string; rowKey: string } | undefined {
  const rowKey = keyOf(code);
  const partitionKey = keyOf(Array.from(code).slice(0, 2).join(''));
  return rowKey === undefined || partitionKey === undefined ? undefined : { partitionKey: `o${partitionKey}`, rowKey };
}

function organisationEntity(org: Organisation): TableEntity {
  const keys = organisationKeys(org.code);
  if (!keys) throw new RangeError('an organisation code holds a character no table key can');
  return recordEntity(keys.partitionKey, keys.rowKey, org);
}

/** A value as it reads back from its JSON (undefined fields gone), to compare with what is held. */
function asStored<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function codeOf(entity: TableEntity): string {
  return decodeJson<Organisation>(entity).code;
}

/** Entities in transactions: one partition each, at most 100 and well under the 4 MiB a transaction's body may be. */
function transactions(entities: readonly TableEntity[]): TableEntity[][] {
  const byPartition = new Map<string, TableEntity[]>();
  for (const entity of entities) {
    const list = byPartition.get(entity.partitionKey) ?? [];
    list.push(entity);
    byPartition.set(entity.partitionKey, list);
  }
  const chunks: TableEntity[][] = [];
  for (const list of byPartition.values()) {
    let chunk: TableEntity[] = [];
    let bytes = 0;
    for (const entity of list) {
      const size = Buffer.byteLength(JSON.stringify(entity)) + 500;
      if (chunk.length === transactionSize || (chunk.length > 0 && bytes + size > transactionBytes)) {
        chunks.push(chunk);
        chunk = [];
        bytes = 0;
      }
      chunk.push(entity);
      bytes += size;
    }
    if (chunk.length > 0) chunks.push(chunk);
  }
  return chunks;
}

/** Whether the service answered that it refused a whole transaction (a 4xx other than a timeout): nothing was written. */
function refusedWhole(error: unknown): boolean {
  return error instanceof RestError && error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 && error.statusCode !== 408;
}

/**
 * Local contacts on Azure Table storage. Each contact is one entity in its organisation's partition, so the contacts
 * of an organisation (every directory answer) are one partition read. `get` by id needs to know the organisation: a
 * small pointer entity per id says where it is, and a pointer to nothing means no contact. A write sets the pointer
 * first (ETag-checked, so writers of one id take turns), then writes the contact; `remove` deletes the contact, then
 * the pointer. So a write or removal cut short (the process dies between the two) leaves every listed contact found
 * by id, except when the write was moving a contact to another organisation, which the app never does: then the old
 * organisation still lists it until the contact is written again (an import of it does that).
 */
export class AzureContacts implements ContactRepository {
  constructor(private readonly client: TableClient) {}

  async forOrganisation(code: string): Promise<Contact[]> {
    const partitionKey = contactPartition(code);
    if (partitionKey === undefined) return [];
    return (await listRecords<Contact>(this.client, `PartitionKey eq ${odataString(partitionKey)}`)).map((r) => r.value);
  }

  async get(id: string): Promise<Contact | undefined> {
    const keys = pointerKeys(id);
    if (!keys) return undefined;
    const pointer = await readRecord<Pointer>(this.client, keys.partitionKey, keys.rowKey);
    const partitionKey = pointer && contactPartition(pointer.value.odsCode);
    return partitionKey === undefined ? undefined : (await readRecord<Contact>(this.client, partitionKey, keys.contactRow))?.value;
  }

  /**
   * All or none as far as Table storage allows (there is no transaction across partitions): the contacts it replaces
   * are read first, and when any write fails, no new one starts and every contact it touched that reads as this call
   * wrote it (or cannot be found, half written) is put back as it was, or removed if it was new; one another writer
   * changed since keeps that change. Then the call rejects with DirectoryWriteError. Readers may see part meanwhile.
   */
  async putAll(contacts: readonly Contact[]): Promise<void> {
    if (contacts.length === 0) return;
    const byId = new Map<string, Contact>();
    for (const contact of contacts) byId.set(contact.id, contact);
    const list = [...byId.values()];
    // Built first so a contact no entity can hold writes nothing.
    for (const contact of list) contactEntity(contact);
    const before = new Map<string, Contact | undefined>();
    await inParallel(list, 16, async (c) => void before.set(c.id, await this.get(c.id)));
    const touched: Contact[] = [];
    try {
      await inParallel(list, 16, (contact) => {
        touched.push(contact);
        return this.put(contact);
      });
    } catch (failure) {
      let left = 0;
      await inParallel(touched, 16, async (contact) => {
        const previous = before.get(contact.id);
        try {
          const now = await this.get(contact.id);
          // As it was, or another writer's since: nothing of this call to undo. Not found: perhaps half written.
          if (now !== undefined && !isDeepStrictEqual(now, asStored(contact))) return;
          if (previous) await this.put(previous);
          else await this.remove(contact.id);
        } catch {
          left++;
        }
      });
      const cause = failure instanceof Error ? failure.message : String(failure);
      throw new DirectoryWriteError(
        left === 0
          ? `the contacts were not changed: writing ${list.length} failed (${cause}) and what was written has been undone`
          : `writing ${list.length} contacts failed (${cause}) and ${left} of them could not be put back as they were`,
        { cause: failure },
      );
    }
  }

  async remove(id: string): Promise<boolean> {
    const keys = pointerKeys(id);
    if (!keys) return false;
    const pointer = await readRecord<Pointer>(this.client, keys.partitionKey, keys.rowKey);
    const partitionKey = pointer && contactPartition(pointer.value.odsCode);
    if (!pointer || partitionKey === undefined) return false;
    let removed = false;
    try {
      await this.client.deleteEntity(partitionKey, keys.contactRow);
      removed = true;
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    // Unless a write of the same id moved the pointer meanwhile: then it is that write's.
    await this.deleteQuietly(keys.partitionKey, keys.rowKey, pointer.etag);
    return removed;
  }

  private async put(contact: Contact): Promise<void> {
    const keys = pointerKeys(contact.id);
    const partitionKey = contactPartition(contact.odsCode);
    if (!keys || partitionKey === undefined) throw new RangeError('a contact id or ODS code holds a character no table key can');
    const was = await mutateRecord<Pointer, string | undefined>(this.client, keys.partitionKey, keys.rowKey, (current) => ({
      write: { odsCode: contact.odsCode },
      result: current?.odsCode,
    }));
    const written = await this.client.upsertEntity(contactEntity(contact), 'Replace');
    const pointer = await readRecord<Pointer>(this.client, keys.partitionKey, keys.rowKey);
    if (pointer?.value.odsCode !== contact.odsCode) {
      // A write of the same id to another organisation came after this one: its copy stands, this one goes.
      await this.deleteQuietly(partitionKey, keys.contactRow, written.etag);
      return;
    }
    // It moved organisation: the copy where it was goes.
    const old = was === undefined || was === contact.odsCode ? undefined : contactPartition(was);
    if (old !== undefined) await this.deleteQuietly(old, keys.contactRow, undefined);
  }

  /** Deletes an entity if it is there (and, given an ETag, unchanged since). */
  private async deleteQuietly(partitionKey: string, rowKey: string, etag: string | undefined): Promise<void> {
    try {
      await this.client.deleteEntity(partitionKey, rowKey, etag === undefined ? {} : { etag });
    } catch (error) {
      if (!isConflict(error) && !isNotFound(error)) throw error;
    }
  }
}

/** Which organisation a contact id is kept under. */
interface Pointer {
  readonly odsCode: string;
}

function contactPartition(odsCode: string): string | undefined {
  const key = keyOf(odsCode);
  return key === undefined ? undefined : `o${key}`;
}

function pointerKeys(id: string): { partitionKey: string; rowKey: string; contactRow: string } | undefined {
  const key = keyOf(id);
  return key === undefined ? undefined : { partitionKey: `i${key}`, rowKey: 'at', contactRow: key };
}

function contactEntity(contact: Contact): TableEntity {
  const partitionKey = contactPartition(contact.odsCode);
  const rowKey = keyOf(contact.id);
  if (partitionKey === undefined || rowKey === undefined) throw new RangeError('a contact id or ODS code holds a character no table key can');
  return recordEntity(partitionKey, rowKey, contact);
}

/** `tableKey`, or undefined for text no key can hold (a lone surrogate, or over the 1 KiB a key may be). */
function keyOf(text: string): string | undefined {
  try {
    const key = tableKey(text);
    return key.length <= 1024 ? key : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs `work` over `items`, at most `limit` at a time. After a failure no new item starts; it rejects with the first
 * failure once every started item has settled, so a caller never undoes while writes are still in flight.
 */
async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  let first: unknown;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (error) {
        if (!failed) first = error;
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed) throw first;
}
