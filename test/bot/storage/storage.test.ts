import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect } from 'chai';
import { MemoryStorage } from 'botbuilder';
import { Low, Memory } from 'lowdb';
import type { Adapter } from 'lowdb';
import { LowdbStorage, openLowdbStorage } from '../../../bot/storage/lowdbStorage.js';
import type { StoredItems } from '../../../bot/storage/lowdbStorage.js';
import { StoreFileError } from '../../../bot/storage/lowdbDocument.js';
import { storageConformanceSuite } from './storageConformance.js';
import { AzureBotState } from '../../../bot/storage/azure/botState.js';
import { azurite, uniqueName } from '../../support/azurite.js';

const tempRoot = mkdtempSync(join(tmpdir(), 'lowdb-storage-'));
let fileCount = 0;

// A new file per call keeps every test's state fresh.
function freshFilePath(): string {
  fileCount += 1;
  return join(tempRoot, `case-${fileCount}`, 'bot-state.json');
}

function readFileItems(filePath: string): Record<string, unknown> {
  const parsed: unknown = JSON.parse(readFileSync(filePath, 'utf-8'));
  if (typeof parsed !== 'object' || parsed === null) {
    throw new Error(`${filePath} does not hold a JSON object`);
  }
  return { ...parsed };
}

function eTagOf(item: unknown): string {
  const eTag: unknown = typeof item === 'object' && item !== null ? Reflect.get(item, 'eTag') : undefined;
  if (typeof eTag !== 'string') {
    throw new Error('expected a string eTag');
  }
  return eTag;
}

after(() => {
  rmSync(tempRoot, { recursive: true, force: true });
});

storageConformanceSuite('botbuilder MemoryStorage', () => Promise.resolve(new MemoryStorage()));

storageConformanceSuite(
  'LowdbStorage on lowdb Memory',
  () => Promise.resolve(new LowdbStorage(new Low<StoredItems>(new Memory<StoredItems>(), {}))),
  { atomicBatches: true },
);

storageConformanceSuite('LowdbStorage on a JSON file', () => openLowdbStorage(freshFilePath()), {
  atomicBatches: true,
});

// The bot state of STORAGE=azure: one container shared by every instance. Its batches are not atomic.
storageConformanceSuite('AzureBotState (BlobsStorage) on Azurite', async () => new AzureBotState(await azurite(), uniqueName('state')), {
  createsNewKeyWithETag: false,
});

describe('LowdbStorage on a JSON file', () => {
  it('when the bot restarts, a new store on the same file reads items back with the same eTag and accepts writes carrying it', async () => {
    const filePath = freshFilePath();
    const key = 'msteams/conversations/c1/';
    const before = await openLowdbStorage(filePath);
    await before.write({ [key]: { dialogState: { dialogStack: [{ id: 'main' }] } } });
    const written = await before.read([key]);

    const after = await openLowdbStorage(filePath);
    const reread = await after.read([key]);
    await after.write({ [key]: { dialogState: { dialogStack: [] }, eTag: eTagOf(reread[key]) } });
    const updated = await after.read([key]);

    expect(reread).to.deep.equal(written);
    expect(updated[key]).to.deep.include({ dialogState: { dialogStack: [] } });
    expect(eTagOf(updated[key])).to.not.equal(eTagOf(reread[key]));
  });

  it('when the store is reopened, it never issues an eTag it issued before', async () => {
    const filePath = freshFilePath();
    const eTags: string[] = [];
    async function writeTenTimes(storage: LowdbStorage): Promise<void> {
      for (let version = 0; version < 10; version++) {
        await storage.write({ doc: { version } });
        eTags.push(eTagOf((await storage.read(['doc']))['doc']));
      }
    }

    await writeTenTimes(await openLowdbStorage(filePath));
    await writeTenTimes(await openLowdbStorage(filePath));

    expect(new Set(eTags).size).to.equal(20);
  });

  it('when 50 writes to different keys are issued at once, every one lands in memory and on disk', async () => {
    const filePath = freshFilePath();
    const storage = await openLowdbStorage(filePath);
    const keys = Array.from({ length: 50 }, (_, index) => `msteams/users/user-${index}`);

    await Promise.all(keys.map((key, index) => storage.write({ [key]: { index } })));

    const items = await storage.read(keys);
    expect(Object.keys(items)).to.have.members(keys);
    expect(Object.keys(readFileItems(filePath))).to.have.members(keys);
    const reopened = await openLowdbStorage(filePath);
    expect(await reopened.read(keys)).to.deep.equal(items);
  });

  it('when flush resolves after writes and a delete were issued, the file on disk reflects all of them', async () => {
    const filePath = freshFilePath();
    const storage = await openLowdbStorage(filePath);
    const pending = Promise.all([
      storage.write({ first: { value: 1 } }),
      storage.write({ second: { value: 2 }, doomed: { value: 0 } }),
      storage.delete(['doomed']),
      storage.write({ third: { value: 3 } }),
    ]);

    await storage.flush();

    const onDisk = readFileItems(filePath);
    expect(Object.keys(onDisk)).to.have.members(['first', 'second', 'third']);
    expect(onDisk['third']).to.include({ value: 3 });
    await pending;
  });

  it('when a batch is rejected for a stale eTag, the file on disk is not rewritten with any of it', async () => {
    const filePath = freshFilePath();
    const storage = await openLowdbStorage(filePath);
    await storage.write({ contested: { version: 1 } });
    const stale = eTagOf((await storage.read(['contested']))['contested']);
    await storage.write({ contested: { version: 2 } });
    const onDiskBefore = readFileSync(filePath, 'utf-8');

    const failed = await storage.write({ other: { value: 1 }, contested: { version: 3, eTag: stale } }).then(
      () => false,
      () => true,
    );

    expect(failed).to.equal(true);
    expect(readFileSync(filePath, 'utf-8')).to.equal(onDiskBefore);
  });

  it('when the data directory does not exist yet, opening creates it and the file appears on first write', async () => {
    const filePath = join(tempRoot, 'not', 'yet', 'there', 'bot-state.json');
    const storage = await openLowdbStorage(filePath);

    await storage.write({ doc: { value: 1 } });

    expect(readFileItems(filePath)).to.have.property('doc');
  });

  it('when the file does not hold a JSON object, opening fails instead of serving it as state', async () => {
    const filePath = freshFilePath();
    mkdirSync(dirname(filePath), { recursive: true });
    writeFileSync(filePath, '["not", "a", "map"]');

    const error = await openLowdbStorage(filePath).then(
      () => undefined,
      (reason: unknown) => reason,
    );

    expect(error).to.be.instanceOf(StoreFileError);
    expect(readFileSync(filePath, 'utf-8')).to.equal('["not", "a", "map"]');
  });
});

describe('LowdbStorage beyond MemoryStorage', () => {
  it('when keys look like Object.prototype members, they are ordinary keys', async () => {
    const filePath = freshFilePath();
    const storage = await openLowdbStorage(filePath);
    const keys = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];

    expect(await storage.read(keys)).to.deep.equal({});
    await storage.write(Object.fromEntries(keys.map((key) => [key, { key }])));

    const items = await (await openLowdbStorage(filePath)).read(keys);
    expect(Object.keys(items)).to.have.members(keys);
    keys.forEach((key) => expect(Object.getOwnPropertyDescriptor(items, key)?.value).to.include({ key }));
  });

  it('when persisting a batch fails, the write is rejected, memory is rolled back and later writes still work', async () => {
    let failWrites = false;
    let persisted: StoredItems | null = null;
    const flakyAdapter: Adapter<StoredItems> = {
      read: () => Promise.resolve(null),
      write: (data) => {
        if (failWrites) {
          return Promise.reject(new Error('ENOSPC: no space left on device'));
        }
        persisted = structuredClone(data);
        return Promise.resolve();
      },
    };
    const storage = new LowdbStorage(new Low<StoredItems>(flakyAdapter, {}));
    await storage.write({ kept: { version: 1 } });
    const before = await storage.read(['kept', 'added']);

    failWrites = true;
    const failure = await storage.write({ kept: { version: 2 }, added: { version: 1 } }).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    const afterFailure = await storage.read(['kept', 'added']);
    failWrites = false;
    await storage.write({ kept: { version: 3, eTag: eTagOf(before['kept']) } });

    expect(failure).to.be.instanceOf(Error).with.property('message').that.contains('ENOSPC');
    expect(afterFailure).to.deep.equal(before);
    expect(persisted).to.have.nested.property('kept.version', 3);
  });
  it('when many turns save while a write is in flight, they reach the file together in the next write, each resolving only once it is there', async () => {
    const releases: (() => void)[] = [];
    const written: StoredItems[] = [];
    const heldAdapter: Adapter<StoredItems> = {
      read: () => Promise.resolve(null),
      write: (data) =>
        new Promise<void>((resolve) => {
          const copy = structuredClone(data);
          releases.push(() => {
            written.push(copy);
            resolve();
          });
        }),
    };
    const storage = new LowdbStorage(new Low<StoredItems>(heldAdapter, {}));
    const settled: string[] = [];
    const first = storage.write({ first: { n: 0 } }).then(() => settled.push('first'));
    const rest = Array.from({ length: 20 }, (_, i) => storage.write({ [`turn-${i}`]: { n: i } }).then(() => settled.push(`turn-${i}`)));
    await Promise.resolve();
    expect(releases, 'one write in flight, the others waiting for it').to.have.length(1);
    releases.shift()?.();
    await first;
    expect(settled, 'only the first is in the file so far').to.deep.equal(['first']);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(releases, 'all twenty go in one more write').to.have.length(1);
    releases.shift()?.();
    await Promise.all(rest);
    expect(written).to.have.length(2);
    expect(Object.keys(written[1] ?? {})).to.have.length(21);
  });

  it('when a write fails while others wait for the next one, every change not in the file is undone and refused', async () => {
    let fail = false;
    let persisted: StoredItems = {};
    let release: (() => void) | undefined;
    const adapter: Adapter<StoredItems> = {
      read: () => Promise.resolve(null),
      write: (data) => {
        const copy = structuredClone(data);
        return new Promise<void>((resolve, reject) => {
          release = () => {
            if (fail) reject(new Error('EIO: i/o error'));
            else {
              persisted = copy;
              resolve();
            }
          };
        });
      },
    };
    const storage = new LowdbStorage(new Low<StoredItems>(adapter, {}));
    const kept = storage.write({ kept: { v: 1 } });
    release?.();
    await kept;
    fail = true;
    const outcomes = [storage.write({ kept: { v: 2 } }), storage.write({ waiting: { v: 1 } }), storage.delete(['kept'])].map((p) =>
      p.then(
        () => 'saved',
        (error: unknown) => (error as Error).message,
      ),
    );
    release?.();
    expect(await Promise.all(outcomes)).to.deep.equal(['EIO: i/o error', 'EIO: i/o error', 'EIO: i/o error']);
    const now = await storage.read(['kept', 'waiting']);
    expect(Object.keys(now)).to.deep.equal(['kept']);
    expect(now['kept']).to.deep.include({ v: 1 });
    expect(persisted['kept']).to.deep.include({ v: 1 });
    fail = false;
    const later = storage.write({ later: { v: 1 } });
    release?.();
    await later;
    expect(Object.keys(persisted)).to.have.members(['kept', 'later']);
  });
});
