import { copyFile, mkdir, open, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { Low, type Adapter } from 'lowdb';
import { GroupCommit } from './groupCommit.js';

/** A store file that cannot be used as it is; the file is left exactly as it was. */
export class StoreFileError extends Error {
  override name = 'StoreFileError';
  constructor(
    readonly file: string,
    problem: string,
    advice = 'Fix it, or move it aside to start with an empty one.',
  ) {
    super(`cannot use ${file}: ${problem}. It has not been changed. ${advice}`);
  }
}

/** The folder the store files live in (DATA_DIR) cannot hold them: it cannot be created or written. */
export class DataFolderError extends StoreFileError {
  override name = 'DataFolderError';
  constructor(
    readonly folder: string,
    problem: string,
  ) {
    super(folder, problem, '');
    this.message = `cannot keep the assistant's data in ${folder} (DATA_DIR): ${problem}. ${
      problem.startsWith('it is a file')
        ? 'Set DATA_DIR to a folder (it is created if it does not exist).'
        : 'Give the account that runs the bot permission to create and write files there, or set DATA_DIR to a folder it can write.'
    }`;
  }
}

/** How earlier versions of a store file are kept: `<file>.bak-1` (newest) to `<file>.bak-<keep>`. */
export interface BackupPolicy {
  readonly keep: number;
  /** At most one new copy in this many milliseconds, taken just before a write replaces the file. */
  readonly everyMs: number;
  /** Wall-clock milliseconds (tests move it by hand). */
  readonly now: () => number;
}

/**
 * Three copies, an hour apart at least: cheap (one file copy an hour, and only for a file that changes), and a day's
 * damage by a bad write still leaves a copy from before it. The hour is measured from when the newest copy was taken,
 * so restarting the bot does not rotate good copies away.
 */
export const defaultBackups: BackupPolicy = { keep: 3, everyMs: 3_600_000, now: () => Date.now() };

export interface StoreFileOptions {
  /** No indentation: for large machine-written files, where it saves a third of the size and time. */
  readonly compact?: boolean | undefined;
  readonly backups?: Partial<BackupPolicy> | undefined;
}

/**
 * A lowdb adapter for one JSON store file. Every write goes to a temporary file that is renamed over the store file,
 * so the file is always one complete version, never half of one. Before a write replaces the file, the version being
 * replaced is copied to `<file>.bak-1` (older copies move up to `.bak-2` and `.bak-3`) when the newest copy is due:
 * only a version this adapter read (and its store checked) or wrote is copied, so every copy is complete and valid.
 */
export class JsonStoreFile<T> implements Adapter<T> {
  readonly #temp: string;
  readonly #backups: BackupPolicy;
  /** The version on disk as this adapter last read or wrote it (inode, mtime and size), or undefined when there is none. */
  #stamp: string | undefined;
  #backupDueAt: number | undefined;

  constructor(
    readonly file: string,
    private readonly options: StoreFileOptions = {},
  ) {
    // The process id keeps two processes writing one file (the bot and the importer) from sharing a temporary file.
    this.#temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
    this.#backups = { ...defaultBackups, ...options.backups };
  }

  /** The version last read or written here; compare with `stampOnDisk` to see a change made by another process. */
  get stamp(): string | undefined {
    return this.#stamp;
  }

  // Synchronous: it runs before every read, and an async stat costs ten times the CPU of a local one (a twentieth of
  // a turn). The data folder is a local disk; a network share would block here, and lowdb is not for one anyway.
  async stampOnDisk(): Promise<string | undefined> {
    try {
      return stampOf(statSync(this.file));
    } catch {
      return undefined;
    }
  }

  /** The file's data, or null when there is no file. Throws when it cannot be read, is not JSON, or is not an object. */
  async read(): Promise<T | null> {
    let handle;
    try {
      handle = await open(this.file, 'r');
    } catch (error) {
      if (codeOf(error) !== 'ENOENT') throw error;
      this.#stamp = undefined;
      return null;
    }
    try {
      // The stamp from the same open file as the text, so a replacement made in between cannot be mistaken for it.
      const stats = await handle.stat();
      const data = parseObject<T>(await handle.readFile('utf8'));
      this.#stamp = stampOf(stats);
      return data;
    } finally {
      await handle.close();
    }
  }

  async write(data: T): Promise<void> {
    // Serialised before anything is awaited, so changes made while this write is under way wait for the next one.
    const text = this.options.compact ? JSON.stringify(data) : JSON.stringify(data, null, 2);
    await this.#backUpIfDue();
    let stats: Stats;
    try {
      const handle = await open(this.#temp, 'w');
      try {
        await handle.writeFile(text, 'utf8');
        stats = await handle.stat();
      } finally {
        await handle.close();
      }
      await rename(this.#temp, this.file);
    } catch (error) {
      await rm(this.#temp, { force: true }).catch(() => undefined);
      throw error;
    }
    // A rename keeps the inode and mtime, so this is the stamp of the store file now.
    this.#stamp = stampOf(stats);
  }

  /** Checks that the folder exists (creating it) and that a file can be created in it, as every write does. */
  async checkFolder(): Promise<void> {
    const folder = path.dirname(this.file);
    try {
      await mkdir(folder, { recursive: true });
      await writeFile(this.#temp, '');
      await rm(this.#temp, { force: true });
    } catch (error) {
      throw new DataFolderError(folder, folderProblem(error));
    }
  }

  /** The newest backup that is itself sound by `check`, for telling someone which copy to restore. */
  async soundBackup(check: (data: T) => unknown): Promise<{ readonly file: string; readonly takenAt: Date } | undefined> {
    for (let n = 1; n <= this.#backups.keep; n++) {
      const file = backupName(this.file, n);
      try {
        const [text, stats] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
        check(parseObject<T>(text));
        return { file, takenAt: stats.mtime };
      } catch {
        // Missing or damaged: look at the next older one.
      }
    }
    return undefined;
  }

  async #backUpIfDue(): Promise<void> {
    const { keep, everyMs, now } = this.#backups;
    if (keep < 1 || this.#stamp === undefined) return;
    this.#backupDueAt ??= (await newestBackupAt(this.file)) + everyMs;
    const at = now();
    if (at < this.#backupDueAt) return;
    // Only the version this adapter knows is sound: a file replaced by hand since is never copied over a good backup.
    if ((await this.stampOnDisk()) !== this.#stamp) return;
    const temp = `${this.#temp}.bak`;
    try {
      await copyFile(this.file, temp);
      // Its time is when it was taken, which is what spaces the copies out, across restarts too.
      await utimes(temp, at / 1000, at / 1000);
      for (let n = keep - 1; n >= 1; n--) await rename(backupName(this.file, n), backupName(this.file, n + 1)).catch(ignoreMissing);
      await rename(temp, backupName(this.file, 1));
      this.#backupDueAt = at + everyMs;
    } catch {
      // The write matters more than its backup: carry on, and try the copy again in a minute.
      await rm(temp, { force: true }).catch(() => undefined);
      this.#backupDueAt = at + Math.min(everyMs, 60_000);
    }
  }
}

/**
 * Opens a store file for a lowdb store: checks that its folder can be written, reads the file (null data when there is
 * none) and checks it with `check`. Anything wrong stops here, with a StoreFileError that says what and which backup to
 * restore, and the file is never written: a store that cannot read its file must not replace it with an empty one.
 */
export async function openStoreFile<T>(
  file: string,
  check: (data: T) => T,
  options: StoreFileOptions = {},
): Promise<{ readonly adapter: JsonStoreFile<T>; readonly data: T | undefined }> {
  const adapter = new JsonStoreFile<T>(file, options);
  await adapter.checkFolder();
  try {
    const data = await adapter.read();
    return { adapter, data: data === null ? undefined : check(data) };
  } catch (error) {
    throw await storeFileError(adapter, check, error);
  }
}

async function storeFileError<T>(adapter: JsonStoreFile<T>, check: (data: T) => T, error: unknown): Promise<StoreFileError> {
  const file = adapter.file;
  const backup = await adapter.soundBackup(check);
  const code = codeOf(error);
  const copy = backup ? `${backup.file} (a copy taken ${backup.takenAt.toISOString()})` : undefined;
  if (code === 'EACCES' || code === 'EPERM') {
    return new StoreFileError(
      file,
      `the bot is not allowed to read it (${code})`,
      `Give the account that runs the bot permission to read and write it.${copy ? ` If it is damaged too, the last good copy is ${copy}: stop the bot and move that into its place.` : ''}`,
    );
  }
  const problem =
    error instanceof SyntaxError
      ? `it is not valid JSON (${error.message})`
      : code === 'EISDIR'
        ? 'it is a folder, not a file'
        : code !== undefined
          ? `it cannot be read (${code})`
          : (error as Error).message;
  return new StoreFileError(
    file,
    problem,
    copy
      ? `The last good copy is ${copy}: stop the bot and move it into place (replacing ${path.basename(file)}), or move ${path.basename(file)} aside to start with an empty one.`
      : `There is no backup copy of it (${path.basename(file)}.bak-1): fix it, restore it from your own backups, or move it aside to start with an empty one.`,
  );
}

/**
 * One lowdb JSON document that app repositories share the habits of: operations run one at a time, a failed write
 * leaves memory as the file is, and a change made on disk by another process (the command-line importer) is read
 * before the next operation, so it is never overwritten.
 * Writes are grouped: lowdb rewrites the whole file, so changes made while a write is under way are applied in memory
 * in order and go to the file together in the next write, each resolving only once that write is done. A failed write
 * fails every change not yet in the file, and memory is read back from the file. Reads wait until what came before
 * them is in the file, so nobody is shown a change that may yet be refused.
 */
export class LowdbDocument<T> {
  #tail: Promise<unknown> = Promise.resolve();
  #generation = 0;
  /** A failed write could not be undone by reading the file back: the next operation must read it first. */
  #stale = false;
  readonly #commits = new GroupCommit<undefined>(
    () => this.#write(),
    async () => {
      // Memory holds changes that are not in the file: read it back, and let nothing change memory meanwhile.
      this.#recovering = this.load().catch(() => {
        this.#stale = true;
      });
      await this.#recovering;
      this.#recovering = undefined;
    },
  );
  /** Reading the file back after a failed write; nothing may change memory until it is done. */
  #recovering: Promise<void> | undefined;

  private readonly db: Low<T>;

  private constructor(
    private readonly adapter: Adapter<T>,
    private readonly initial: T,
    private readonly file: JsonStoreFile<T> | undefined,
    private readonly check: (data: T) => T,
    data: T | undefined,
  ) {
    this.db = new Low<T>(adapter, data ?? structuredClone(initial));
  }

  /**
   * Opens (creating its folder if needed) the document at `file`; `check` repairs or rejects what was read.
   * Throws StoreFileError (DataFolderError for the folder) when the file or its folder cannot be used.
   */
  static async open<T>(file: string, initial: T, check: (data: T) => T, options: StoreFileOptions = {}): Promise<LowdbDocument<T>> {
    const { adapter, data } = await openStoreFile(file, check, options);
    return new LowdbDocument(adapter, initial, adapter, check, data ?? check(structuredClone(initial)));
  }

  /** An in-memory document, for tests and throwaway runs; `adapter` lets a test make writes fail. */
  static inMemory<T>(initial: T, check: (data: T) => T = (d) => d, adapter: Adapter<T> = new CopyingMemory<T>()): LowdbDocument<T> {
    return new LowdbDocument(adapter, initial, undefined, check, undefined);
  }

  /** Increases whenever the data changes, here or on disk, so derived indexes know to rebuild. */
  get generation(): number {
    return this.#generation;
  }

  /** Runs `look` over the current data, once the changes queued before it are in the file. */
  read<R>(look: (data: T) => R): Promise<R> {
    return this.#enqueue(async () => {
      await this.#commits.idle();
      await this.reloadIfChanged();
      return look(this.db.data);
    });
  }

  /**
   * Applies `mutate` and resolves with its result once a write has put it in the file; when that write fails the data
   * is read back from the file and the error is thrown. `mutate` must throw before it changes anything, if at all.
   */
  change<R>(mutate: (data: T) => R): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#enqueue(async () => {
        // Nothing of ours waiting for the file: a change made on disk by another process can be read in safely.
        if (!this.#commits.busy) await this.reloadIfChanged();
        while (this.#recovering) await this.#recovering;
        // From here to `add` nothing is awaited, so a failed write cannot read the file back in between.
        const result = mutate(this.db.data);
        this.#generation++;
        this.#commits.add(undefined).then(() => resolve(result), reject);
      }).catch(reject);
    });
  }

  /** Resolves when every queued operation has finished and every change is in the file (or refused). */
  async flush(): Promise<void> {
    await this.#tail.catch(() => undefined);
    await this.#commits.idle();
  }

  // Changed on disk by another process (the importer) since it was read: never written over; read it in instead.
  async #write(): Promise<void> {
    if (this.file?.stamp !== undefined && (await this.file.stampOnDisk()) !== this.file.stamp) {
      throw new Error(`${this.file.file} was changed by another process while changes were waiting to be written`);
    }
    await this.db.write();
  }

  // Nothing written yet reads as the initial data, so a failed first write cannot leave its change in memory.
  private async load(): Promise<void> {
    this.db.data = this.check((await this.adapter.read()) ?? structuredClone(this.initial));
    this.#generation++;
  }

  private async reloadIfChanged(): Promise<void> {
    if (this.#stale) {
      await this.load();
      this.#stale = false;
      return;
    }
    if (!this.file) return;
    const stamp = await this.file.stampOnDisk();
    if (stamp === undefined || stamp === this.file.stamp) return;
    try {
      await this.load();
    } catch (error) {
      // Replaced on disk by something unreadable: refuse every operation (never write over it) until it is fixed.
      throw await storeFileError(this.file, this.check, error);
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

/** `<file>.bak-<n>`. */
export function backupName(file: string, n: number): string {
  return `${file}.bak-${n}`;
}

// Every store file holds a JSON object: anything else (an array, null, a number) is not a store file.
function parseObject<T>(text: string): T {
  const data: unknown = JSON.parse(text);
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new Error('it is JSON, but not a JSON object, so it is not a store file');
  return data as T;
}

function stampOf(stats: Stats): string {
  return `${stats.ino}:${stats.mtimeMs}:${stats.size}`;
}

async function newestBackupAt(file: string): Promise<number> {
  try {
    return (await stat(backupName(file, 1))).mtimeMs;
  } catch {
    return Number.NEGATIVE_INFINITY;
  }
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function ignoreMissing(error: unknown): void {
  if (codeOf(error) !== 'ENOENT') throw error;
}

function folderProblem(error: unknown): string {
  const code = codeOf(error);
  if (code === 'EEXIST' || code === 'ENOTDIR') return `it is a file, not a folder (${code})`;
  if (code === 'EACCES' || code === 'EPERM') return `the bot is not allowed to write there (${code})`;
  if (code === 'EROFS') return 'it is on a read-only file system (EROFS)';
  if (code === 'ENOSPC') return 'the disk is full (ENOSPC)';
  return `it cannot be written (${code ?? (error as Error).message})`;
}
