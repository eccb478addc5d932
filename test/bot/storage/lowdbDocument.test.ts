import { expect } from 'chai';
import { CopyingMemory, LowdbDocument } from '../../../bot/storage/lowdbDocument.js';

interface Counter {
  values: number[];
}

/** Holds each write until the test lets it go, and can fail the next one: the file system, under the test's control. */
class GatedMemory extends CopyingMemory<Counter> {
  writes: number[][] = [];
  failNext = false;
  #release: (() => void)[] = [];

  override async write(data: Counter): Promise<void> {
    const copy = structuredClone(data);
    await new Promise<void>((resolve) => this.#release.push(resolve));
    if (this.failNext) {
      this.failNext = false;
      throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    }
    this.writes.push(copy.values);
    await super.write(copy);
  }

  /** Lets the write in progress finish; resolves once the document has had a chance to start the next. */
  async release(): Promise<void> {
    while (this.#release.length === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    this.#release.shift()?.();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

function counter(memory: GatedMemory): LowdbDocument<Counter> {
  return LowdbDocument.inMemory<Counter>({ values: [] }, (d) => d, memory);
}

describe('LowdbDocument: grouped writes', () => {
  it('when changes arrive while a write is under way, they go to the file together in the next write, and each resolves only once it is there', async () => {
    const memory = new GatedMemory();
    const document = counter(memory);
    const first = document.change((d) => d.values.push(1));
    await new Promise<void>((resolve) => setImmediate(resolve));
    let settled = 0;
    const rest = Array.from({ length: 20 }, (_, i) => document.change((d) => d.values.push(i + 2)).then(() => settled++));

    // All twenty are applied in memory while the first write is still under way.
    await new Promise<void>((resolve) => setImmediate(resolve));
    await memory.release();
    await first;
    expect(settled, 'nothing after the first is in the file yet').to.equal(0);
    await memory.release();
    await Promise.all(rest);

    expect(memory.writes).to.have.length(2);
    expect(memory.writes[1]).to.deep.equal(Array.from({ length: 21 }, (_, i) => i + 1));
    expect(await document.read((d) => d.values.length)).to.equal(21);
  });

  it('when a grouped write fails, every change in it is refused and the data is what the file holds; the next change is written', async () => {
    const memory = new GatedMemory();
    const document = counter(memory);
    const kept = document.change((d) => d.values.push(1));
    await memory.release();
    await kept;

    memory.failNext = true;
    const refused = Promise.allSettled([document.change((d) => d.values.push(2)), document.change((d) => d.values.push(3))]);
    await memory.release();
    const outcomes = await refused;
    expect(outcomes.map((o) => o.status)).to.deep.equal(['rejected', 'rejected']);
    expect(await document.read((d) => [...d.values])).to.deep.equal([1]);

    const next = document.change((d) => d.values.push(4));
    await memory.release();
    await next;
    expect(await document.read((d) => [...d.values])).to.deep.equal([1, 4]);
  });

  it('when a read is asked for while a change is waiting for the file, it sees the change only once it is written, and not at all when it is refused', async () => {
    const memory = new GatedMemory();
    const document = counter(memory);
    memory.failNext = true;
    const change = document.change((d) => d.values.push(7)).catch((error: Error) => error.message);
    const seen = document.read((d) => [...d.values]);
    await memory.release();
    expect(await change).to.equal('no space left on device');
    expect(await seen).to.deep.equal([]);
  });
});
