import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Low, type Adapter } from 'lowdb';
import { DataFile, JSONFile } from 'lowdb/node';

/** A store file that cannot be read as what it should be; the file is left as it is. */
export class StoreFileError extends Error {
  override name = 'StoreFileError';
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`cannot use ${file}: ${problem}. It has not been changed: fix it, or move it aside to start with an empty one.`);
  }
}

/**
 * One lowdb JSON document that app repositories share the habits of: operations run one at a time (lowdb
 * rewrites the whole file), a failed write leaves memory as the file is, and a change made on disk by
 * another process (the command-line importer) is read before the next operation, so it is never overwritten.
 */
export class LowdbDocument<T> {
  #tail: Promise<unknown> = Promise.resolve();
  #stamp: string | undefined;
  #generation = 0;

  private readonly db: Low<T>;

  private constructor(
    private readonly adapter: Adapter<T>,
    private readonly initial: T,
    private readonly file: string | undefined,
    private readonly check: (data: T) => T,
  ) {
    this.db = new Low<T>(adapter, structuredClone(initial));
  }

  /**
   * Opens (creating its folder if needed) the document at `file`; `check` repairs or rejects what was read.
   * `compact` files have no indentation: for large machine-written files, where it saves a third of the size and time.
   */
  static async open<T>(file: string, initial: T, check: (data: T) => T, options: { readonly compact?: boolean } = {}): Promise<LowdbDocument<T>> {
    await mkdir(path.dirname(file), { recursive: true });
    const adapter = options.compact
      ? new DataFile<T>(file, { parse: (text) => JSON.parse(text) as T, stringify: (data) => JSON.stringify(data) })
      : new JSONFile<T>(file);
    const document = new LowdbDocument(adapter, initial, file, check);
    try {
      await document.load();
    } catch (error) {
      throw new StoreFileError(file, (error as Error).message);
    }
    return document;
  }

  /** An in-memory document, for tests and throwaway runs; `adapter` lets a test make writes fail. */
  static inMemory<T>(initial: T, check: (data: T) => T = (d) => d, adapter: Adapter<T> = new CopyingMemory<T>()): LowdbDocument<T> {
    return new LowdbDocument(adapter, initial, undefined, check);
  }

  /** Increases whenever the data changes, here or on disk, so derived indexes know to rebuild. */
  get generation(): number {
    return this.#generation;
  }

  /** Runs `look` over the current data, after queued changes. */
  read<R>(look: (data: T) => R): Promise<R> {
    return this.#enqueue(async () => {
      await this.reloadIfChanged();
      return look(this.db.data);
    });
  }

  /**
   * Applies `mutate` and writes the file; when the write fails the data is read back from the file and the error is
   * thrown. `mutate` must throw before it changes anything, if it throws at all.
   */
  change<R>(mutate: (data: T) => R): Promise<R> {
    return this.#enqueue(async () => {
      await this.reloadIfChanged();
      const result = mutate(this.db.data);
      this.#generation++;
      try {
        await this.db.write();
        this.#stamp = await this.stampOf();
      } catch (error) {
        await this.load().catch(() => undefined);
        throw error;
      }
      return result;
    });
  }

  /** Resolves when every queued operation has finished. */
  async flush(): Promise<void> {
    await this.#tail.catch(() => undefined);
  }

  // Nothing written yet reads as the initial data, so a failed first write cannot leave its change in memory.
  private async load(): Promise<void> {
    this.db.data = this.check((await this.adapter.read()) ?? structuredClone(this.initial));
    this.#stamp = await this.stampOf();
    this.#generation++;
  }

  private async reloadIfChanged(): Promise<void> {
    if (!this.file) return;
    const stamp = await this.stampOf();
    if (stamp !== undefined && stamp !== this.#stamp) await this.load();
  }

  private async stampOf(): Promise<string | undefined> {
    if (!this.file) return undefined;
    try {
      const s = await stat(this.file);
      return `${s.mtimeMs}:${s.size}`;
    } catch {
      return undefined;
    }
  }

  #enqueue<R>(operation: () => Promise<R>): Promise<R> {
    const run = this.#tail.then(operation);
    this.#tail = run.catch(() => undefined);
    return run;
  }
}

/** lowdb's Memory keeps the very object written, so a later change would alter "what was written": this keeps a copy. */
export class CopyingMemory<T> implements Adapter<T> {
  #data: T | null = null;

  read(): Promise<T | null> {
    return Promise.resolve(this.#data === null ? null : structuredClone(this.#data));
  }

  write(data: T): Promise<void> {
    this.#data = structuredClone(data);
    return Promise.resolve();
  }
}

/** Sets a key with defineProperty, not assignment, so no key (not even "__proto__") can reach Object.prototype. */
export function define<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
