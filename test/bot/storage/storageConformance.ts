import { expect } from 'chai';
import { ConversationState, TestAdapter } from 'botbuilder';
import type { Storage, StoreItem } from 'botbuilder';

/** What a store promises beyond botbuilder's MemoryStorage baseline. */
export interface StorageConformanceOptions {
  /** A write batch with one eTag conflict changes nothing (MemoryStorage writes the other keys). */
  atomicBatches?: boolean;
  /**
   * A new key written with an eTag is created (MemoryStorage), rather than refused as a conflict (BlobsStorage, whose
   * writes carry the eTag as a precondition; bot state never does this: a new item has no eTag).
   */
  createsNewKeyWithETag?: boolean;
}

/** The rules every botbuilder `Storage` in this project must keep, as one mocha suite per implementation. */
export function storageConformanceSuite(
  name: string,
  makeStorage: () => Promise<Storage>,
  options: StorageConformanceOptions = {},
): void {
  describe(`${name} (Storage conformance)`, () => {
    let storage: Storage;

    beforeEach(async () => {
      storage = await makeStorage();
    });

    async function writeAndGetETag(key: string, item: StoreItem): Promise<string> {
      await storage.write({ [key]: item });
      return eTagOf(await readOne(storage, key));
    }

    it('when keys were never written, read returns an object without them', async () => {
      expect(await storage.read(['never-written', 'also-missing'])).to.deep.equal({});
      expect(await storage.read([])).to.deep.equal({});
    });

    it('when only some requested keys exist, read returns just those, under the requested keys', async () => {
      await storage.write({ present: { value: 1 } });

      const items = await storage.read(['present', 'absent']);

      expect(Object.keys(items)).to.deep.equal(['present']);
      expect(items['present']).to.include({ value: 1 });
    });

    it('when an item is written, it reads back with its properties and a string eTag', async () => {
      await storage.write({ greeting: { text: 'hello', count: 2, done: false } });

      const item = await readOne(storage, 'greeting');

      expect(withoutETag(item)).to.deep.equal({ text: 'hello', count: 2, done: false });
      expect(item['eTag']).to.be.a('string').that.is.not.empty;
    });

    it('when the same key is written repeatedly, every write assigns a new eTag', async () => {
      const eTags = new Set<string>();
      for (let version = 1; version <= 5; version++) {
        eTags.add(await writeAndGetETag('counter', { version }));
      }

      expect(eTags.size).to.equal(5);
    });

    it('when one batch writes several keys, each gets its own eTag', async () => {
      await storage.write({ a: { n: 1 }, b: { n: 2 }, c: { n: 3 } });

      const items = await storage.read(['a', 'b', 'c']);

      expect(new Set(Object.values(items).map(eTagOf)).size).to.equal(3);
    });

    it('when an item is written, the caller’s object is not modified', async () => {
      const fresh = { value: 'fresh' };
      const wildcard = { value: 'wild', eTag: '*' };

      await storage.write({ fresh, wildcard });

      expect(fresh).to.deep.equal({ value: 'fresh' });
      expect(wildcard).to.deep.equal({ value: 'wild', eTag: '*' });
    });

    it('when a write carries the current eTag, it succeeds and the eTag changes', async () => {
      const first = await writeAndGetETag('doc', { version: 1 });

      await storage.write({ doc: { version: 2, eTag: first } });

      const item = await readOne(storage, 'doc');
      expect(item['version']).to.equal(2);
      expect(eTagOf(item)).to.not.equal(first);
    });

    it('when a write carries a stale eTag, it is rejected and the stored item is unchanged', async () => {
      const stale = await writeAndGetETag('doc', { version: 1 });
      await storage.write({ doc: { version: 2, eTag: stale } });
      const current = await readOne(storage, 'doc');

      const error = await rejectionOf(storage.write({ doc: { version: 3, eTag: stale } }));

      expect(error.message).to.contain('eTag conflict').and.to.contain('doc');
      expect(await readOne(storage, 'doc')).to.deep.equal(current);
    });

    it('when a write carries eTag "*", it overwrites whatever is stored', async () => {
      await storage.write({ doc: { version: 1 } });

      await storage.write({ doc: { version: 2, eTag: '*' } });

      expect(await readOne(storage, 'doc')).to.include({ version: 2 });
    });

    it('when a write carries no eTag, it overwrites whatever is stored', async () => {
      await storage.write({ doc: { version: 1 } });

      await storage.write({ doc: { version: 2 } });

      expect(await readOne(storage, 'doc')).to.include({ version: 2 });
    });

    if (options.createsNewKeyWithETag !== false) {
      it('when a new key is written with an eTag, it is created', async () => {
        await storage.write({ brandNew: { value: 1, eTag: 'from-somewhere-else' } });

        const item = await readOne(storage, 'brandNew');
        expect(item).to.include({ value: 1 });
        expect(eTagOf(item)).to.not.equal('from-somewhere-else');
      });
    } else {
      it('when a new key is written with an eTag, it is refused as a conflict and nothing is stored', async () => {
        const error = await rejectionOf(storage.write({ brandNew: { value: 1, eTag: 'from-somewhere-else' } }));

        expect(error.message).to.contain('eTag conflict').and.to.contain('brandNew');
        expect(await storage.read(['brandNew'])).to.deep.equal({});
      });
    }

    it('when a batch contains one stale eTag, the batch is rejected and that item is unchanged', async () => {
      const stale = await writeAndGetETag('contested', { version: 1 });
      await storage.write({ contested: { version: 2 } });
      const current = await readOne(storage, 'contested');

      const error = await rejectionOf(storage.write({ contested: { version: 3, eTag: stale } }));

      expect(error.message).to.contain('eTag conflict').and.to.contain('contested');
      expect(await readOne(storage, 'contested')).to.deep.equal(current);
    });

    if (options.atomicBatches === true) {
      it('when a batch contains one stale eTag, none of its items are written (atomic batches)', async () => {
        const stale = await writeAndGetETag('contested', { version: 1 });
        await storage.write({ contested: { version: 2 }, before: { version: 1 } });
        const before = await storage.read(['before', 'contested', 'after']);

        const error = await rejectionOf(
          storage.write({
            before: { version: 2, eTag: '*' },
            contested: { version: 3, eTag: stale },
            after: { version: 1 },
          }),
        );

        expect(error.message).to.contain('eTag conflict').and.to.contain('contested');
        expect(await storage.read(['before', 'contested', 'after'])).to.deep.equal(before);
      });
    }

    it('when a write has no items, it succeeds and changes nothing', async () => {
      await storage.write({ kept: { value: 1 } });
      const before = await storage.read(['kept']);

      await storage.write({});

      expect(await storage.read(['kept'])).to.deep.equal(before);
    });

    it('when items are deleted, they are no longer read and other items remain', async () => {
      await storage.write({ gone: { value: 1 }, alsoGone: { value: 2 }, kept: { value: 3 } });

      await storage.delete(['gone', 'alsoGone']);

      const items = await storage.read(['gone', 'alsoGone', 'kept']);
      expect(Object.keys(items)).to.deep.equal(['kept']);
    });

    it('when a missing key is deleted, the delete succeeds', async () => {
      await storage.delete(['never-written']);

      expect(await storage.read(['never-written'])).to.deep.equal({});
    });

    it('when a read result is modified, the stored item is not', async () => {
      await storage.write({ doc: { list: [1, 2], nested: { flag: true } } });
      const first = await readOne(storage, 'doc');

      first['list'] = 'replaced';
      first['added'] = true;
      const second = await readOne(storage, 'doc');

      expect(second).to.not.equal(first);
      expect(withoutETag(second)).to.deep.equal({ list: [1, 2], nested: { flag: true } });
    });

    it('when the caller changes an object after writing it, the stored item is not affected', async () => {
      const item = { list: [1, 2], nested: { flag: true } };
      await storage.write({ doc: item });

      item.list.push(3);
      item.nested.flag = false;

      expect(withoutETag(await readOne(storage, 'doc'))).to.deep.equal({ list: [1, 2], nested: { flag: true } });
    });

    it('when keys contain slashes, spaces and non-ASCII characters, each is stored under its own key', async () => {
      const keys = [
        'msteams/conversations/19:abc@thread.v2;messageid=1/',
        'msteams/users/29:1a b c',
        'key with  two spaces',
        'Ünïcödé/日本語/emoji 🎉',
        'msteams/conversations/19:abc@thread.v2;messageid=1',
      ];
      await storage.write(Object.fromEntries(keys.map((key, index) => [key, { index }])));

      const items = await storage.read(keys);

      expect(Object.keys(items)).to.have.members(keys);
      keys.forEach((key, index) => expect(items[key]).to.include({ index }));
    });

    it('when an item holds nested objects and arrays, they survive the round trip', async () => {
      const dialogState = {
        dialogStack: [
          {
            id: 'mainDialog',
            state: { options: {}, values: { instanceId: 'i-1', steps: ['a', 'b'] }, stepIndex: 2 },
          },
          { id: 'textPrompt', state: { options: { prompt: { text: 'Your ODS code?' } }, state: {} } },
        ],
      };
      const item = { dialogState, mixed: [1, 'two', null, { three: [3, [4]] }, []], zero: 0, empty: '', no: false };

      await storage.write({ conversation: item });

      expect(withoutETag(await readOne(storage, 'conversation'))).to.deep.equal(item);
    });

    it('when read or write is called without keys or changes, it rejects with a ReferenceError', async () => {
      const missing: unknown = undefined;

      expect(await rejectionOf(storage.read(missing as string[]))).to.be.instanceOf(ReferenceError);
      expect(await rejectionOf(storage.write(missing as Record<string, StoreItem>))).to.be.instanceOf(ReferenceError);
    });

    it('when delete is called without keys, it rejects', async () => {
      const missing: unknown = undefined;

      expect(await rejectionOf(storage.delete(missing as string[]))).to.be.instanceOf(Error);
    });

    it('when ConversationState saves through the store, the next turn sees the saved value', async () => {
      const conversationState = new ConversationState(storage);
      const turns = conversationState.createProperty<number>('turns');
      const adapter = new TestAdapter(async (context) => {
        const count = (await turns.get(context, 0)) + 1;
        await turns.set(context, count);
        await conversationState.saveChanges(context);
        await context.sendActivity(`turn ${count}`);
      });

      await adapter.send('hi').assertReply('turn 1').send('again').assertReply('turn 2').startTest();
    });
  });
}

async function readOne(storage: Storage, key: string): Promise<StoreItem> {
  const items = await storage.read([key]);
  const item: unknown = items[key];
  if (typeof item !== 'object' || item === null) {
    throw new Error(`expected "${key}" to be stored`);
  }
  return item;
}

function eTagOf(item: unknown): string {
  const eTag: unknown = typeof item === 'object' && item !== null ? Reflect.get(item, 'eTag') : undefined;
  if (typeof eTag !== 'string') {
    throw new Error('expected the stored item to carry a string eTag');
  }
  return eTag;
}

function withoutETag(item: StoreItem): Record<string, unknown> {
  const { eTag: _eTag, ...rest } = item;
  return rest;
}

// chai has no promise assertions; this awaits the rejection and hands back the error to inspect.
async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error: unknown) {
    if (error instanceof Error) {
      return error;
    }
    throw new Error(`expected an Error, got ${String(error)}`);
  }
  throw new Error('expected the promise to reject, but it resolved');
}
