import { randomUUID } from 'node:crypto';
import type { Storage, StoreItem, StoreItems } from 'botbuilder';
import { Low } from 'lowdb';
import { GroupCommit } from './groupCommit.js';
import { openStoreFile, type StoreFileOptions } from './lowdbDocument.js';

/** One bot-state item as persisted: a JSON object whose eTag was issued by the store. */
export interface StoredItem {
  [property: string]: unknown;
  eTag: string;
}

/** The whole lowdb document: item key to stored item. */
export type StoredItems = Record<string, StoredItem>;

type Change = readonly [key: string, item: StoredItem | undefined];

/**
 * botbuilder `Storage` over one lowdb document: MemoryStorage's copy and eTag rules, made durable. Changes apply to
 * memory in call order, and every change waiting while a write is in flight goes to the file in the next single
 * write (group commit): lowdb rewrites the whole file, so one write a turn would cap the bot at about a hundred
 * turns a second. A write resolves only once its change is in the file; when a write fails, every change not yet in
 * the file is undone (newest first) and refused, so memory matches the file and nobody is told it was saved.
 */
export class LowdbStorage implements Storage {
  readonly #db: Low<StoredItems>;
  /** Each change waits for the file with what it replaced: a failed write undoes them, newest first. */
  readonly #commits = new GroupCommit<readonly Change[]>(
    () => this.#db.write(),
    (refused) => {
      for (const undo of [...refused].reverse()) applyChanges(this.#db.data, undo);
    },
  );

  constructor(db: Low<StoredItems>) {
    const data: unknown = db.data;
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      throw new TypeError('LowdbStorage: the lowdb document must be a JSON object of items.');
    }
    this.#db = db;
  }

  // async, so bad arguments reject as botbuilder's stores do; the work happens before the first await, in call order.
  async read(keys: string[]): Promise<StoreItems> {
    if (!keys) {
      throw new ReferenceError('Keys are required when reading.');
    }
    const data = this.#db.data;
    // fromEntries defines own properties, so a key such as "__proto__" stays an ordinary key.
    return Object.fromEntries(
      keys.flatMap((key) => {
        const item = ownItem(data, key);
        return item === undefined ? [] : [[key, jsonCopy(item)]];
      }),
    );
  }

  // Unlike MemoryStorage, a batch is all-or-nothing: every eTag is checked before anything is applied.
  async write(changes: StoreItems): Promise<void> {
    if (!changes) {
      throw new ReferenceError('Changes are required when writing.');
    }
    const data = this.#db.data;
    const staged = Object.entries(changes).map(([key, item]: [string, StoreItem]): Change => {
      const candidate: unknown = item;
      if (typeof candidate !== 'object' || candidate === null) {
        throw new TypeError(`Storage: error writing "${key}": an item must be an object.`);
      }
      const stored = ownItem(data, key);
      const eTag: unknown = item.eTag;
      if (stored !== undefined && eTag && eTag !== '*' && eTag !== stored.eTag) {
        throw new Error(`Storage: error writing "${key}" due to eTag conflict.`);
      }
      // UUIDs rather than a counter: they stay unique across restarts without a reserved key.
      return [key, jsonCopy({ ...item, eTag: randomUUID() })];
    });
    return this.#commit(staged);
  }

  async delete(keys: string[]): Promise<void> {
    if (!keys) {
      throw new ReferenceError('Keys are required when deleting.');
    }
    const data = this.#db.data;
    const present = [...new Set(keys)].filter((key) => ownItem(data, key) !== undefined);
    return this.#commit(present.map((key): Change => [key, undefined]));
  }

  /** Resolves once every change made so far has reached the adapter (or failed to). */
  flush(): Promise<void> {
    return this.#commits.idle();
  }

  // Applies to memory now; resolves when a write holding the change has finished.
  #commit(changes: readonly Change[]): Promise<void> {
    if (changes.length === 0) {
      return Promise.resolve();
    }
    const data = this.#db.data;
    const undo = changes.map(([key]): Change => [key, ownItem(data, key)]).reverse();
    applyChanges(data, changes);
    return this.#commits.add(undo);
  }
}

/**
 * Opens (creating its directory if needed) the JSON file at `filePath` and returns a store over it. Writes are atomic
 * with rolling backups, and a file that cannot be read or is not bot state stops it with a StoreFileError naming the
 * backup to restore (see openStoreFile): it is never replaced by an empty store.
 */
export async function openLowdbStorage(filePath: string, options: StoreFileOptions = {}): Promise<LowdbStorage> {
  const { adapter, data } = await openStoreFile<StoredItems>(filePath, checkedItems, options);
  return new LowdbStorage(new Low<StoredItems>(adapter, data ?? {}));
}

// Each item is an object (it carries its eTag): anything else was not written by this store.
function checkedItems(data: StoredItems): StoredItems {
  for (const [key, item] of Object.entries(data)) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new Error(`it is not bot state: its "${key.slice(0, 60)}" is not an item`);
  }
  return data;
}

// Own properties only, so keys like "constructor" or "toString" are not found on Object.prototype.
function ownItem(data: StoredItems, key: string): StoredItem | undefined {
  return Object.hasOwn(data, key) ? data[key] : undefined;
}

function applyChanges(data: StoredItems, changes: readonly Change[]): void {
  for (const [key, item] of changes) {
    if (item === undefined) {
      delete data[key];
    } else {
      // defineProperty, not assignment, so "__proto__" becomes a key instead of replacing the prototype.
      Object.defineProperty(data, key, { value: item, enumerable: true, writable: true, configurable: true });
    }
  }
}

// A JSON round trip, as MemoryStorage does, so callers never share objects with the store.
function jsonCopy(item: object): StoredItem {
  return JSON.parse(JSON.stringify(item)) as StoredItem;
}
