import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { backupName, DataFolderError, LowdbDocument, StoreFileError } from '../../bot/storage/lowdbDocument.js';
import { openLowdbStorage } from '../../bot/storage/lowdbStorage.js';
import { openLowdbRequests } from '../../bot/storage/lowdbRequests.js';
import { openLowdbTraining } from '../../bot/storage/lowdbTraining.js';
import { AesGcmCipher } from '../../bot/requests/fieldCipher.js';
import { requestCipher } from '../../bot/requests/requestStore.js';
import { loadConfig } from '../../bot/config.js';

interface Counter {
  count: number;
  note?: string;
}

const hour = 3_600_000;
const start = Date.parse('2026-11-21T09:00:00Z');

/** A hand-moved wall clock for the backup policy. */
function clock(): { now: () => number; at: (ms: number) => void } {
  let time = start;
  return { now: () => time, at: (ms) => (time = start + ms) };
}

function counterFile(): (d: Counter) => Counter {
  return (d) => {
    if (typeof d.count !== 'number') throw new Error('it is not a counter file: it needs "count"');
    return d;
  };
}

async function failureOf(work: Promise<unknown>): Promise<Error> {
  try {
    await work;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected it to fail');
}

function json(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8')) as unknown;
}

describe('faults: store files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sa-faults-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  describe('a damaged store file stops the store from opening, names the copy to restore, and is never written', () => {
    it('when botState.json was cut short and a good backup exists, opening fails naming the file and that backup, and neither changes', async () => {
      const file = path.join(dir, 'botState.json');
      const cutShort = '{"msteams/conversations/c1/": {"dialogState": {"dialogStack": [';
      writeFileSync(file, cutShort);
      writeFileSync(backupName(file, 1), '{"msteams/conversations/c1/": {"eTag": "1"}}');

      const error = await failureOf(openLowdbStorage(file));

      expect(error).to.be.instanceOf(StoreFileError);
      expect(error.message).to.include(`cannot use ${file}: it is not valid JSON`);
      expect(error.message).to.include(`The last good copy is ${backupName(file, 1)}`);
      expect(error.message).to.include('move it into place');
      expect(readFileSync(file, 'utf8')).to.equal(cutShort);
      expect(readdirSync(dir).sort()).to.deep.equal(['botState.json', 'botState.json.bak-1']);
    });

    it('when the newest backup is damaged too, the next older sound one is named', async () => {
      const file = path.join(dir, 'requests.json');
      writeFileSync(file, '');
      writeFileSync(backupName(file, 1), '{"lastSequence": 3, "requests": ');
      writeFileSync(backupName(file, 2), '{"requests": {}}');
      writeFileSync(backupName(file, 3), '{"lastSequence": 2, "requests": {}}');

      const error = await failureOf(openLowdbRequests(file, new AesGcmCipher(Buffer.alloc(32))));

      expect(error.message).to.include(`cannot use ${file}: it is not valid JSON`);
      expect(error.message).to.include(`The last good copy is ${backupName(file, 3)}`);
      expect(readFileSync(file, 'utf8')).to.equal('');
    });

    it('when a store file is valid JSON of the wrong shape and there is no backup, opening fails saying so, and the file is left as it was', async () => {
      const file = path.join(dir, 'training.json');
      for (const wrong of ['[]', 'null', '"sessions"', '{"sessions": null}', '{"mails": []}']) {
        writeFileSync(file, wrong);
        const error = await failureOf(openLowdbTraining(file));
        expect(error, wrong).to.be.instanceOf(StoreFileError);
        expect(error.message, wrong).to.match(/not a JSON object|not a training file/);
        expect(error.message, wrong).to.include('There is no backup copy of it');
        expect(readFileSync(file, 'utf8'), wrong).to.equal(wrong);
      }
    });

    it('when a store file is a folder, opening fails saying so', async () => {
      const file = path.join(dir, 'botState.json');
      mkdirSync(file);
      const error = await failureOf(openLowdbStorage(file));
      expect(error.message).to.include(`cannot use ${file}: it is a folder, not a file`);
    });

    it('when another process replaces the file with something unreadable while the bot runs, every operation is refused and the file is not overwritten', async () => {
      const file = path.join(dir, 'counter.json');
      const document = await LowdbDocument.open<Counter>(file, { count: 0 }, counterFile());
      await document.change((d) => (d.count = 1));
      writeFileSync(file, '{"count": 2,');

      const read = await failureOf(document.read((d) => d.count));
      const change = await failureOf(document.change((d) => (d.count = 3)));

      expect(read).to.be.instanceOf(StoreFileError);
      expect(change.message).to.include(`cannot use ${file}: it is not valid JSON`);
      expect(readFileSync(file, 'utf8')).to.equal('{"count": 2,');
      // Mended on disk, it is read again and works.
      writeFileSync(file, '{"count": 5}');
      expect(await document.change((d) => ++d.count)).to.equal(6);
      expect(json(file)).to.deep.equal({ count: 6 });
    });
  });

  describe('the development request key', () => {
    it('when request-key.dev was cut short, start-up stops naming it and saying what it protects, and it is left as it was', async () => {
      const file = path.join(dir, 'request-key.dev');
      writeFileSync(file, 'c2hvcnQ=');
      const error = await failureOf(requestCipher(loadConfig({ DATA_DIR: dir })));
      expect(error).to.be.instanceOf(StoreFileError);
      expect(error.message).to.include(`cannot use ${file}: it is not a 32-byte key written in base64`);
      expect(error.message).to.include('the identity-document numbers already stored cannot be read');
      expect(readFileSync(file, 'utf8')).to.equal('c2hvcnQ=');
    });

    it('when there is none, one is made whole, once, and read back the same by the next start', async () => {
      const first = await requestCipher(loadConfig({ DATA_DIR: dir }));
      const second = await requestCipher(loadConfig({ DATA_DIR: dir }));
      expect(first.canSeal).to.equal(true);
      expect(second.cipher.open(first.cipher.seal('AB123456C'))).to.equal('AB123456C');
      expect(readdirSync(dir)).to.deep.equal(['request-key.dev']);
      expect(Buffer.from(readFileSync(path.join(dir, 'request-key.dev'), 'utf8'), 'base64')).to.have.length(32);
    });
  });

  describe('the data folder', () => {
    it('when DATA_DIR is a file, opening any store says DATA_DIR cannot hold the data, naming it', async () => {
      const notAFolder = path.join(dir, 'data');
      writeFileSync(notAFolder, 'I am a file');
      for (const open of [() => openLowdbStorage(path.join(notAFolder, 'botState.json')), () => openLowdbTraining(path.join(notAFolder, 'training.json'))]) {
        const error = await failureOf(open());
        expect(error).to.be.instanceOf(DataFolderError);
        expect(error.message).to.include(`cannot keep the assistant's data in ${notAFolder} (DATA_DIR): it is a file, not a folder`);
        expect(error.message).to.include('Set DATA_DIR to a folder');
      }
      expect(readFileSync(notAFolder, 'utf8')).to.equal('I am a file');
    });

    it('when DATA_DIR does not exist yet, it is created, and nothing is left in it by the check', async () => {
      const fresh = path.join(dir, 'new', 'data');
      await openLowdbStorage(path.join(fresh, 'botState.json'));
      expect(readdirSync(fresh)).to.deep.equal([]);
    });
  });

  describe('atomic writes', () => {
    it('while a large document is rewritten again and again, a reader of the file only ever sees a whole version', async () => {
      const file = path.join(dir, 'botState.json');
      const storage = await openLowdbStorage(file);
      const padding = 'x'.repeat(20_000);
      let writing = true;
      const seen: number[] = [];
      const reader = (async () => {
        let reads = 0;
        while (writing || reads < 5) {
          const text = await readFile(file, 'utf8').catch(() => undefined);
          if (text === undefined) continue;
          const items = JSON.parse(text) as Record<string, { n: number }>;
          // JSON.parse throws on half a file: every read here must be one whole version.
          seen.push(Object.keys(items).length);
          reads++;
        }
        return reads;
      })();
      for (let n = 0; n < 60; n++) await storage.write({ [`key-${n}`]: { n, padding } });
      writing = false;
      const reads = await reader;
      expect(reads).to.be.greaterThan(4);
      expect(seen.every((n, i) => n >= 1 && n <= 60 && (i === 0 || n >= (seen[i - 1] as number))), 'versions, in order').to.equal(true);
      // No temporary file is left behind.
      expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).to.deep.equal([]);
    });

    it('when the disk refuses a write, the store file keeps its last complete version and no temporary file is left', async () => {
      const file = path.join(dir, 'counter.json');
      const document = await LowdbDocument.open<Counter>(file, { count: 0 }, counterFile());
      await document.change((d) => (d.count = 1));
      // Something in the way of the temporary file makes the write fail, as a full disk would.
      mkdirSync(path.join(dir, `.counter.json.${process.pid}.tmp`));
      const error = await failureOf(document.change((d) => (d.count = 2)));
      expect(error).to.have.property('code').that.is.oneOf(['EISDIR', 'EEXIST']);
      expect(json(file)).to.deep.equal({ count: 1 });
      expect(await document.read((d) => d.count)).to.equal(1);
      rmSync(path.join(dir, `.counter.json.${process.pid}.tmp`), { recursive: true });
      expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).to.deep.equal([]);
      expect(await document.change((d) => ++d.count)).to.equal(2);
    });
  });

  describe('rolling backups', () => {
    it('before a write replaces the file, the version it replaces is kept as .bak-1, at most once an hour, rotating through three complete copies', async () => {
      const time = clock();
      const file = path.join(dir, 'counter.json');
      const document = await LowdbDocument.open<Counter>(file, { count: 0 }, counterFile(), { backups: { now: time.now } });
      const set = (count: number) => document.change((d) => (d.count = count));

      await set(1);
      expect(readdirSync(dir), 'nothing to keep before the first version').to.deep.equal(['counter.json']);
      await set(2);
      expect(json(backupName(file, 1)), 'the first replacement keeps the version it replaced').to.deep.equal({ count: 1 });
      time.at(30 * 60_000);
      await set(3);
      expect(json(backupName(file, 1)), 'within the hour, no new copy').to.deep.equal({ count: 1 });
      time.at(61 * 60_000);
      await set(4);
      expect([json(backupName(file, 1)), json(backupName(file, 2))]).to.deep.equal([{ count: 3 }, { count: 1 }]);
      time.at(2 * hour + 2 * 60_000);
      await set(5);
      time.at(3 * hour + 3 * 60_000);
      await set(6);
      time.at(4 * hour + 4 * 60_000);
      await set(7);
      expect([1, 2, 3].map((n) => json(backupName(file, n)))).to.deep.equal([{ count: 6 }, { count: 5 }, { count: 4 }]);
      expect(readdirSync(dir).sort()).to.deep.equal(['counter.json', 'counter.json.bak-1', 'counter.json.bak-2', 'counter.json.bak-3']);
      expect(statSync(backupName(file, 1)).mtimeMs, 'a copy is dated when it was taken').to.equal(start + 4 * hour + 4 * 60_000);
    });

    it('when the bot restarts, the hour is counted from the newest copy, so restarting does not rotate good copies away', async () => {
      const time = clock();
      const file = path.join(dir, 'counter.json');
      const first = await LowdbDocument.open<Counter>(file, { count: 0 }, counterFile(), { backups: { now: time.now } });
      await first.change((d) => (d.count = 1));
      await first.change((d) => (d.count = 2));
      for (const minutes of [5, 10, 15]) {
        time.at(minutes * 60_000);
        const restarted = await LowdbDocument.open<Counter>(file, { count: 0 }, counterFile(), { backups: { now: time.now } });
        await restarted.change((d) => ++d.count);
      }
      expect(json(backupName(file, 1))).to.deep.equal({ count: 1 });
      expect(readdirSync(dir).sort()).to.deep.equal(['counter.json', 'counter.json.bak-1']);
    });

    it('bot state is backed up the same way, and a file replaced by hand while the bot runs is never copied over a good backup', async () => {
      const time = clock();
      const file = path.join(dir, 'botState.json');
      const storage = await openLowdbStorage(file, { backups: { now: time.now } });
      await storage.write({ a: { v: 1 } });
      await storage.write({ a: { v: 2, eTag: '*' } });
      expect(json(backupName(file, 1))).to.have.nested.property('a.v', 1);
      writeFileSync(file, 'not what the bot wrote');
      time.at(2 * hour);
      await storage.write({ a: { v: 3, eTag: '*' } });
      expect(json(backupName(file, 1)), 'the hand-made file was not kept').to.have.nested.property('a.v', 1);
      expect(json(file)).to.have.nested.property('a.v', 3);
      time.at(4 * hour);
      await storage.write({ a: { v: 4, eTag: '*' } });
      expect(json(backupName(file, 1))).to.have.nested.property('a.v', 3);
      expect(json(backupName(file, 2))).to.have.nested.property('a.v', 1);
    });

    it('a store that is only read is never copied', async () => {
      const time = clock();
      const file = path.join(dir, 'counter.json');
      writeFileSync(file, '{"count": 1}');
      const document = await LowdbDocument.open<Counter>(file, { count: 0 }, counterFile(), { backups: { now: time.now } });
      time.at(5 * hour);
      expect(await document.read((d) => d.count)).to.equal(1);
      expect(readdirSync(dir)).to.deep.equal(['counter.json']);
    });
  });
});
