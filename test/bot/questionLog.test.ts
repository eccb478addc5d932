import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Memory } from 'lowdb';
import type { QuestionLog } from '../../dialogs/ports.js';
import { LowdbQuestionLog, openLowdbQuestionLog, type QuestionLogData } from '../../bot/storage/lowdbQuestionLog.js';
import { openAzureQuestionLog } from '../../bot/storage/azure/questionLog.js';
import { AzureTables } from '../../bot/storage/azure/tables.js';
import { azurite, uniqueName } from '../support/azurite.js';

/** The rules every QuestionLog keeps, run against each implementation. */
function questionLogContract(name: string, make: (now: () => Date) => Promise<QuestionLog>): void {
  describe(`${name} (QuestionLog contract)`, () => {
    let clock = new Date('2026-11-21T10:00:00Z');
    const now = () => clock;

    it('when nothing was recorded, the report is empty', async () => {
      expect(await (await make(now)).report()).to.deep.equal([]);
    });

    it('when the same question is asked in different case and spacing, it is one row with a count', async () => {
      const log = await make(now);
      await log.recordUnanswered({ question: 'Claim mileage?', at: '2026-11-21T09:00:00.000Z' });
      await log.recordUnanswered({ question: 'claim   mileage?', at: '2026-11-21T09:30:00.000Z' });
      const [row] = await log.report();
      expect(row).to.deep.include({ kind: 'unanswered', count: 2, lastAt: '2026-11-21T09:30:00.000Z', subject: 'claim   mileage?' });
    });

    it('helpful ratings are not in the report; unhelpful ones are grouped by article with their comments, newest first', async () => {
      const log = await make(now);
      await log.recordFeedback({ articleId: 'card-series', helpful: true, at: '2026-11-21T09:00:00.000Z' });
      await log.recordFeedback({ articleId: 'card-series', helpful: false, comment: 'old', at: '2026-11-21T09:10:00.000Z' });
      await log.recordFeedback({ articleId: 'card-series', helpful: false, question: 'what series', comment: 'new', at: '2026-11-21T09:20:00.000Z' });
      await log.recordUnanswered({ question: 'older question', at: '2026-11-21T08:00:00.000Z' });
      const rows = await log.report();
      expect(rows.map((r) => [r.kind, r.subject, r.count])).to.deep.equal([
        ['unhelpful', 'card-series', 2],
        ['unanswered', 'older question', 1],
      ]);
      expect(rows[0]?.details).to.deep.equal(['asked "what series", said "new"', 'said "old"']);
    });

    it('entries older than the retention period are dropped', async () => {
      const log = await make(now);
      await log.recordUnanswered({ question: 'ancient', at: '2026-01-01T00:00:00.000Z' });
      clock = new Date('2026-11-21T10:00:00Z');
      await log.recordUnanswered({ question: 'recent', at: '2026-11-21T09:00:00.000Z' });
      expect((await log.report()).map((r) => r.subject)).to.deep.equal(['recent']);
    });
  });
}

const memory = (now: () => Date) =>
  Promise.resolve(LowdbQuestionLog.inMemory(180, now));

questionLogContract('LowdbQuestionLog in memory', memory);
questionLogContract('AzureQuestionLog on Azure Table storage (Azurite)', async (now) => openAzureQuestionLog(new AzureTables(await azurite(), uniqueName()), 180, now));

describe('AzureQuestionLog shared by two instances', () => {
  it('when both instances record at once, nothing is lost, and entries past the retention period go for both', async () => {
    const connection = await azurite();
    const prefix = uniqueName();
    let clock = new Date('2026-11-21T10:00:00Z');
    const now = () => clock;
    const a = await openAzureQuestionLog(new AzureTables(connection, prefix), 180, now);
    const b = await openAzureQuestionLog(new AzureTables(connection, prefix), 180, now);
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        i % 2 === 0
          ? a.recordUnanswered({ question: 'claim mileage?', at: `2026-11-21T09:0${i}:00.000Z` })
          : b.recordFeedback({ articleId: 'card-series', helpful: false, comment: `comment ${i}`, at: `2026-11-21T09:0${i}:00.000Z` }),
      ),
    );
    const rows = await b.report();
    expect(rows.map((r) => [r.kind, r.count])).to.deep.equal([
      ['unhelpful', 5],
      ['unanswered', 5],
    ]);
    expect(rows[0]?.details).to.deep.equal(['said "comment 9"', 'said "comment 7"', 'said "comment 5"', 'said "comment 3"', 'said "comment 1"']);
    clock = new Date('2027-06-01T10:00:00Z');
    await a.recordUnanswered({ question: 'next year', at: '2027-06-01T09:00:00.000Z' });
    expect((await b.report()).map((r) => r.subject)).to.deep.equal(['next year']);
    const table = await new AzureTables(connection, prefix).table('questionlog');
    let stored = 0;
    for await (const _ of table.listEntities()) stored++;
    expect(stored).to.equal(1);
  });

  it('when questions come all day, old entries are looked for at most once an hour, not with every question', async () => {
    const tables = new AzureTables(await azurite(), uniqueName());
    let clock = new Date('2026-11-21T09:00:00Z');
    const log = await openAzureQuestionLog(tables, 180, () => clock);
    const table = await tables.table('questionlog');
    let queries = 0;
    const list = table.listEntities.bind(table);
    table.listEntities = ((options) => {
      queries++;
      return list(options);
    }) as typeof table.listEntities;
    for (let minute = 0; minute < 120; minute += 10) {
      clock = new Date(Date.parse('2026-11-21T09:00:00Z') + minute * 60_000);
      await log.recordUnanswered({ question: `question at ${minute}`, at: clock.toISOString() });
    }
    // Both kinds at 09:00 and again at 10:00.
    expect(queries).to.equal(4);
    expect((await log.report()).length).to.equal(12);
  });
});

describe('LowdbQuestionLog on a file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sa-qlog-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  questionLogContract('LowdbQuestionLog on a JSON file', (now) => openLowdbQuestionLog(path.join(mkdtempSync(path.join(os.tmpdir(), 'sa-qlogc-')), 'q.json'), 180, now));

  it('when the bot restarts, the report still has what was recorded', async () => {
    const file = path.join(dir, 'questions.json');
    const first = await openLowdbQuestionLog(file, 180, () => new Date('2026-11-21T10:00:00Z'));
    await first.recordUnanswered({ question: 'kept', at: '2026-11-21T09:00:00.000Z' });
    const second = await openLowdbQuestionLog(file, 180, () => new Date('2026-11-21T10:00:00Z'));
    expect((await second.report())[0]?.subject).to.equal('kept');
  });

  it('when a write fails, it is rejected, nothing half-written stays in memory, and later writes work', async () => {
    let fail = true;
    const adapter = new Memory<QuestionLogData>();
    const write = adapter.write.bind(adapter);
    adapter.write = async (data) => {
      if (fail) throw new Error('disk full');
      return write(data);
    };
    const log = LowdbQuestionLog.inMemory(180, () => new Date('2026-11-21T10:00:00Z'), adapter);
    let rejected = false;
    await log.recordUnanswered({ question: 'lost', at: '2026-11-21T09:00:00.000Z' }).catch(() => (rejected = true));
    expect(rejected).to.equal(true);
    expect(await log.report()).to.deep.equal([]);
    fail = false;
    await log.recordUnanswered({ question: 'saved', at: '2026-11-21T09:05:00.000Z' });
    expect((await log.report()).map((r) => r.subject)).to.deep.equal(['saved']);
  });
});
