import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Storage, StoreItem, StoreItems } from 'botbuilder';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';

/** One bot-state item as persisted: a JSON object whose eTag was issued by the store. */
export interface StoredItem {
  [property: string]: unknown;
  eTag: string;
}

/** The whole lowdb document: item key to stored item. */
export type StoredItems = Record<string, StoredItem>;

type Change = readonly [key: string, item: StoredItem | undefined];

/** botbuilder `Storage` over one lowdb document: MemoryStorage's copy and eTag rules, made durable. */
export class LowdbStorage implements Storage {
  readonly #db: Low<StoredItems>;
  // Every operation runs after the previous one settles: lowdb's write() rewrites the whole file.
  #tail: Promise<void> = Promise.resolve();

  constructor(db: Low<StoredItems>) {
    const data: unknown = db.data;
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      throw new TypeError('LowdbStorage: the lowdb document must be a JSON object of items.');
    }
    this.#db = db;
  }

  async read(keys: string[]): Promise<StoreItems> {
    if (!keys) {
      throw new ReferenceError('Keys are required when reading.');
    }
    // Queued behind pending writes so a read issued after a write sees it, as with MemoryStorage.
    return this.#enqueue(() => {
      const data = this.#db.data;
      // fromEntries defines own properties, so a key such as "__proto__" stays an ordinary key.
      return Object.fromEntries(
        keys.flatMap((key) => {
          const item = ownItem(data, key);
          return item === undefined ? [] : [[key, jsonCopy(item)]];
        }),
      );
    });
  }

  // Unlike MemoryStorage, a batch is all-or-nothing: every eTag is checked before anything is applied.
  async write(changes: StoreItems): Promise<void> {
    if (!changes) {
      throw new ReferenceError('Changes are required when writing.');
    }
    return this.#enqueue(async () => {
      const data = this.#db.data;
      const staged: Change[] = Object.entries(changes).map(([key, item]: [string, StoreItem]) => {
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
      await this.#commit(staged);
    });
  }

  async delete(keys: string[]): Promise<void> {
    if (!keys) {
      throw new ReferenceError('Keys are required when deleting.');
    }
    return this.#enqueue(() => {
      const data = this.#db.data;
      const present = [...new Set(keys)].filter((key) => ownItem(data, key) !== undefined);
      return this.#commit(present.map((key): Change => [key, undefined]));
    });
  }

  /** Resolves once every operation queued so far has finished and its data has reached the adapter. */
  flush(): Promise<void> {
    return this.#tail;
  }

  #enqueue<T>(operation: () => T | Promise<T>): Promise<T> {
    const result = this.#tail.then(operation);
    // The queue itself never rejects; each caller sees its own outcome through `result`.
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  // Applies then persists once; on a failed write the document is restored so memory matches the file.
  async #commit(changes: readonly Change[]): Promise<void> {
    if (changes.length === 0) {
      return;
    }
    const data = this.#db.data;
    const previous = changes.map(([key]): Change => [key, ownItem(data, key)]);
    applyChanges(data, changes);
    try {
      await this.#db.write();
    } catch (error: unknown) {
      applyChanges(data, previous);
      throw error;
    }
  }
}

/**
 * Opens (creating its directory if needed) the JSON file at `filePath` and returns a store over it.
 * Uses `JSONFile` directly: `JSONFilePreset` silently swaps in an in-memory adapter when NODE_ENV=test.
 */
export async function openLowdbStorage(filePath: string): Promise<LowdbStorage> {
  await mkdir(dirname(filePath), { recursive: true });
  const db = new Low<StoredItems>(new JSONFile<StoredItems>(filePath), {});
  await db.read();
  return new LowdbStorage(db);
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
