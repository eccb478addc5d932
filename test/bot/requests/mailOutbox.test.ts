import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { GraphMailer, openMailer, sharedOutboxPollMs } from '../../../bot/requests/graphMailer.js';
import {
  MailOutboxWorker,
  MailSendError,
  memoryMailOutbox,
  openMailOutbox,
  requestMail,
  type MailContent,
  type MailOutboxStore,
  type MailSender,
  type OutboxData,
  type OutboxMail,
  type RetryPolicy,
} from '../../../bot/requests/mailOutbox.js';
import { openAzureMailOutbox } from '../../../bot/storage/azure/mailOutbox.js';
import { AzureTables } from '../../../bot/storage/azure/tables.js';
import { StoreFileError } from '../../../bot/storage/lowdbDocument.js';
import type { Clock } from '../../../dialogs/ports.js';
import type { RaRequest } from '../../../dialogs/requests.js';
import { azurite, uniqueName } from '../../support/azurite.js';
import { FakeTime, GraphStandIn, StandInNetworkClient, testSecret } from '../../support/graphStandIn.js';
import { memoryLogger, type LogEntry } from '../../support/memoryLogger.js';

const start = '2026-01-15T09:30:00.000Z';
const minute = 60_000;
const hour = 60 * minute;

// Made-up people and documents. None of these may appear in a log line, and the full numbers not in the email.
const passportNumber = '123456789GBR';
const dateOfBirth = '1980-02-29';
const holderName = 'Jane Testperson';
const requesterName = 'Sam Requester';
const formValues = [passportNumber, dateOfBirth, holderName, requesterName, 'left it on the 17:05 train to Poole'];

function lostCard(overrides: Partial<RaRequest> = {}): RaRequest {
  return {
    reference: 'RA-000123',
    formId: 'lost-card',
    formTitle: 'Report a lost, stolen or damaged card',
    status: 'open',
    urgent: true,
    requester: { id: 'user-1', aadObjectId: 'aad-1', name: requesterName, email: 'sam.requester@example.nhs.uk' },
    organisation: { code: 'J81999', name: 'CANFORD HEATH TEST SURGERY' },
    teamId: 'dorset',
    fields: { what: 'stolen', holderName, replacement: 'true', details: 'left it on the 17:05 train to Poole', passportNumber, dateOfBirth },
    sensitiveFields: ['passportNumber', 'dateOfBirth'],
    createdAt: start,
    updatedAt: start,
    history: [],
    version: 1,
    ...overrides,
  };
}

const labels = { what: 'What happened to the card?', holderName: "Card holder's full name", replacement: 'Do they need a replacement card?' };

/** As stored: a field set to undefined is no field at all, on disk and in a table alike. */
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function expectNothingPersonalIn(entries: readonly LogEntry[]): void {
  const logged = JSON.stringify(entries);
  for (const value of [...formValues, testSecret, 'test-token', 'dorset.ra@example.nhs.uk']) expect(logged, 'the log').not.to.include(value);
}

describe('requestMail: the email for a new request', () => {
  it("when an urgent lost-card request is emailed, the subject says URGENT, the reference and the form, and the body has what the desk card has", () => {
    const mail = requestMail(lostCard(), 'Report a lost, stolen or damaged card', 'dorset.ra@example.nhs.uk', labels);
    expect(mail.to).to.equal('dorset.ra@example.nhs.uk');
    expect(mail.subject).to.equal('[URGENT] RA-000123: Report a lost, stolen or damaged card');
    for (const line of [
      'Reference: RA-000123',
      'Form: Report a lost, stolen or damaged card',
      `From: ${requesterName}`,
      'Organisation: CANFORD HEATH TEST SURGERY (J81999)',
      'Status: open',
      'Sent: 15 Jan 2026, 09:30',
      '  What happened to the card?: stolen',
      `  Card holder's full name: ${holderName}`,
      '  Do they need a replacement card?: Yes',
      '  passportNumber: ****9GBR',
      '  dateOfBirth: ****2-29',
    ]) {
      expect(mail.body.split('\n')).to.include(line);
    }
    expect(mail.body).to.match(/Work this request in Teams, on your RA team's desk \(look for RA-000123\)/);
  });

  it('when a request has identity-document numbers, they are only ever masked in the email, subject or body', () => {
    const mail = requestMail(lostCard(), 'Report a lost, stolen or damaged card', 'dorset.ra@example.nhs.uk');
    const whole = JSON.stringify(mail);
    expect(whole).not.to.include(passportNumber);
    expect(whole).not.to.include(dateOfBirth);
    expect(whole).not.to.include('sam.requester@example.nhs.uk');
  });

  it('when a request is not urgent, the subject has no URGENT mark; a title or answer with line breaks cannot break the subject or the layout', () => {
    const mail = requestMail(lostCard({ urgent: false, fields: { details: 'line one\nline two' }, sensitiveFields: [] }), 'Report a\r\nlost card', 'x@example.nhs.uk');
    expect(mail.subject).to.equal('RA-000123: Report a lost card');
    expect(mail.body).to.include('  details: line one\n    line two\n');
    expect(mail.body).not.to.include('ID numbers are masked');
  });
});

/** A sender that fails as told, then succeeds; records what it was given. */
class ScriptedSender implements MailSender {
  readonly sent: MailContent[] = [];
  readonly failures: MailSendError[] = [];
  always: MailSendError | undefined;

  send(mail: MailContent): Promise<void> {
    const failure = this.failures.shift() ?? this.always;
    if (failure) return Promise.reject(failure);
    this.sent.push(mail);
    return Promise.resolve();
  }
}

/** Opens an empty outbox on one backend. */
type OpenOutbox = (clock: Clock) => Promise<MailOutboxStore>;

const backends: readonly (readonly [string, OpenOutbox])[] = [
  ['on lowdb (in memory)', (clock) => Promise.resolve(memoryMailOutbox(clock))],
  ['on Azure Table storage (Azurite)', async (clock) => openAzureMailOutbox(new AzureTables(await azurite(), uniqueName()), clock)],
];

for (const [name, open] of backends) workerContract(name, open);
for (const [name, open] of backends) outboxContract(name, open);

function workerContract(name: string, open: OpenOutbox): void {
  describe(`MailOutboxWorker ${name}: sending the outbox, retrying, and giving up`, () => {
    let time: FakeTime;
    let logger: ReturnType<typeof memoryLogger>;
    let outbox: MailOutboxStore;
    let workers: MailOutboxWorker[];

    beforeEach(async () => {
      time = new FakeTime(start);
      logger = memoryLogger();
      outbox = await open(time.clock);
      workers = [];
    });
    afterEach(async () => {
      for (const worker of workers) await worker.stop();
      expectNothingPersonalIn(logger.entries);
    });

    function workerFor(sender: MailSender, retry: Partial<RetryPolicy> = {}, random = () => 0.5, box = outbox): MailOutboxWorker {
      const worker = new MailOutboxWorker({ outbox: box, sender, clock: time.clock, logger, schedule: time.schedule, random, retry });
      workers.push(worker);
      return worker;
    }

    function enqueueLostCard(box = outbox, overrides: Partial<RaRequest> = {}) {
      return box.enqueue({ reference: overrides.reference ?? 'RA-000123', ...requestMail(lostCard(overrides), 'Report a lost, stolen or damaged card', 'dorset.ra@example.nhs.uk', labels) });
    }

    describe('with Graph (a loopback stand-in)', () => {
      const standIn = new GraphStandIn();
      let graphMailer: GraphMailer;

      before(() => standIn.start());
      after(() => standIn.stop());
      beforeEach(() => {
        standIn.clear();
        graphMailer = new GraphMailer({ graph: standIn.config(), logger, networkClient: new StandInNetworkClient(standIn) });
      });

      it('when a request email is enqueued and the worker kicked, it is sent to the team mailbox with its token, and recorded as sent without its body', async () => {
        const worker = workerFor(graphMailer);
        worker.start();
        const queued = await enqueueLostCard();
        await worker.kick();

        expect(standIn.mailRequests).to.have.length(1);
        const sent = JSON.parse(standIn.mailRequests[0]?.body ?? '') as { message: { subject: string; body: { content: string }; toRecipients: unknown } };
        expect(standIn.mailRequests[0]?.headers.authorization).to.equal('Bearer test-token');
        expect(sent.message.subject).to.equal('[URGENT] RA-000123: Report a lost, stolen or damaged card');
        expect(sent.message.body.content).to.equal(queued.body);
        expect(sent.message.toRecipients).to.deep.equal([{ emailAddress: { address: 'dorset.ra@example.nhs.uk' } }]);
        expect(plain(await outbox.list())).to.deep.equal(plain([{ ...queued, state: 'sent', attempts: 1, body: '', lastError: undefined, finishedAt: start }]));
        expect(logger.entries.filter((e) => e.level !== 'debug').map((e) => [e.level, e.msg, e.fields['reference']])).to.deep.equal([['info', 'request emailed to the RA mailbox', 'RA-000123']]);
      });

      it('when two mails go out, the token is fetched once', async () => {
        const worker = workerFor(graphMailer);
        worker.start();
        await enqueueLostCard();
        await enqueueLostCard(outbox, { reference: 'RA-000124' });
        await worker.kick();
        expect(standIn.mailRequests).to.have.length(2);
        expect(standIn.tokenRequests).to.have.length(1);
      });

      it('when Graph answers 503 and then 202, the mail is retried after the backoff (a minute) and sent, the attempts counted', async () => {
        standIn.graphAnswers.push({ status: 503 });
        const worker = workerFor(graphMailer);
        worker.start();
        const queued = await enqueueLostCard();
        await worker.kick();

        const [waiting] = await outbox.list();
        expect(waiting).to.include({ state: 'pending', attempts: 1, lastError: 'Graph answered 503', nextAttemptAt: '2026-01-15T09:31:00.000Z' });
        expect(waiting?.body).to.equal(queued.body);
        expect(time.waiting).to.deep.equal([minute]);
        expect(logger.entries.find((e) => e.level === 'warn')?.fields).to.include({ reference: 'RA-000123', attempts: 1, reason: 'Graph answered 503', permanent: false });

        time.advance(minute - 1);
        await worker.idle();
        expect(standIn.mailRequests, 'before the minute is up').to.have.length(1);

        time.advance(1);
        await worker.idle();
        expect(standIn.mailRequests).to.have.length(2);
        expect(plain(await outbox.list())).to.deep.equal(plain([{ ...waiting, state: 'sent', attempts: 2, body: '', lastError: undefined, finishedAt: '2026-01-15T09:31:00.000Z' }]));
        expect(time.waiting, 'nothing left to wait for').to.deep.equal([]);
      });

      it('when Graph is slow, enqueueing another mail is not held up, and mails go one at a time in order', async () => {
        const worker = workerFor(graphMailer);
        worker.start();
        standIn.hold();
        await enqueueLostCard();
        const sending = worker.kick();
        while (standIn.graphInFlight === 0) await new Promise((resolve) => setImmediate(resolve));

        // The first mail is stuck in Graph, yet the next request's mail is written at once.
        const second = await enqueueLostCard(outbox, { reference: 'RA-000124' });
        expect(second.state).to.equal('pending');
        void worker.kick();
        standIn.release();
        await sending;
        await worker.idle();

        expect(standIn.maxInFlight).to.equal(1);
        expect(standIn.mailRequests.map((r) => (JSON.parse(r.body) as { message: { subject: string } }).message.subject)).to.deep.equal([
          '[URGENT] RA-000123: Report a lost, stolen or damaged card',
          '[URGENT] RA-000124: Report a lost, stolen or damaged card',
        ]);
        expect((await outbox.list()).map((m) => m.state)).to.deep.equal(['sent', 'sent']);
      });

      it('when Graph refuses the mail (403), it is tried 3 times and then marked failed, logged at error with its reference and no personal data', async () => {
        standIn.graphAnswers.push(...Array.from({ length: 5 }, () => ({ status: 403, body: { error: { code: 'ErrorAccessDenied', message: `Access to ${holderName} denied` } } })));
        const worker = workerFor(graphMailer);
        worker.start();
        await enqueueLostCard();
        await worker.kick();
        time.advance(minute);
        await worker.idle();
        time.advance(2 * minute);
        await worker.idle();

        expect(standIn.mailRequests).to.have.length(3);
        const [failed] = await outbox.list();
        expect(failed).to.include({ state: 'failed', attempts: 3, refusals: 3, lastError: 'Graph answered 403 (ErrorAccessDenied)', body: '', finishedAt: '2026-01-15T09:33:00.000Z' });
        const errors = logger.entries.filter((e) => e.level === 'error');
        expect(errors).to.have.length(1);
        expect(errors[0]?.fields).to.include({ reference: 'RA-000123', attempts: 3, permanent: true, reason: 'Graph answered 403 (ErrorAccessDenied)' });
        expect(errors[0]?.msg).to.include('check the GRAPH_ settings');
        expect(time.waiting).to.deep.equal([]);
      });
    });

    it('when sending keeps failing for a passing reason, the waits double from a minute to an hour, and after 24 attempts the mail is failed', async () => {
      const sender = new ScriptedSender();
      sender.always = new MailSendError('Graph answered 503', false);
      const worker = workerFor(sender);
      worker.start();
      await enqueueLostCard();
      await worker.kick();

      const waits: number[] = [];
      for (let i = 0; i < 30 && time.waiting.length > 0; i++) {
        const [wait = 0] = time.waiting;
        waits.push(wait / minute);
        time.advance(wait);
        await worker.idle();
      }
      expect(waits).to.deep.equal([1, 2, 4, 8, 16, 32, ...Array.from({ length: 17 }, () => 60)]);
      const [failed] = await outbox.list();
      expect(failed).to.include({ state: 'failed', attempts: 24, body: '', lastError: 'Graph answered 503' });
      expect(Date.parse(failed?.finishedAt ?? '') - Date.parse(start), 'given up on after about 18 hours').to.equal((63 + 17 * 60) * minute);
      expect(logger.entries.filter((e) => e.level === 'warn')).to.have.length(23);
      const errors = logger.entries.filter((e) => e.level === 'error');
      expect(errors.map((e) => e.msg)).to.deep.equal(['gave up emailing the RA mailbox after retrying for a day (the request itself is on the desk)']);
    });

    it('when the waits are varied, they stay within a fifth either way and never pass the hour', async () => {
      const sender = new ScriptedSender();
      sender.always = new MailSendError('Graph answered 503', false);
      const draws = [0, 0];
      const worker = workerFor(sender, { maxAttempts: 9 }, () => draws.shift() ?? 1 - Number.EPSILON);
      worker.start();
      await enqueueLostCard();
      await worker.kick();
      const waits: number[] = [];
      while (time.waiting.length > 0) {
        const [wait = 0] = time.waiting;
        waits.push(wait / 1000);
        time.advance(wait);
        await worker.idle();
      }
      expect(waits, 'seconds: a fifth less twice, then a fifth more until the hour caps it').to.deep.equal([48, 96, 288, 576, 1152, 2304, 3600, 3600]);
    });

    it('when Graph asks for a longer wait than the backoff (Retry-After), it is honoured, up to the hour', async () => {
      const sender = new ScriptedSender();
      sender.failures.push(new MailSendError('Graph answered 429', false, 10 * minute), new MailSendError('Graph answered 429', false, 5 * hour));
      const worker = workerFor(sender);
      worker.start();
      await enqueueLostCard();
      await worker.kick();
      expect(time.waiting).to.deep.equal([10 * minute]);
      time.advance(10 * minute);
      await worker.idle();
      expect(time.waiting).to.deep.equal([hour]);
      time.advance(hour);
      await worker.idle();
      expect(sender.sent).to.have.length(1);
    });

    it('when a mail was refused before and then fails for a passing reason, only the refusals count towards the three', async () => {
      const sender = new ScriptedSender();
      sender.failures.push(new MailSendError('Graph answered 403', true), new MailSendError('Graph answered 503', false), new MailSendError('Graph answered 403', true));
      const worker = workerFor(sender);
      worker.start();
      await enqueueLostCard();
      await worker.kick();
      for (const wait of [1, 2, 4]) {
        time.advance(wait * minute);
        await worker.idle();
      }
      expect(sender.sent).to.have.length(1);
      expect((await outbox.list())[0]).to.include({ state: 'sent', attempts: 4, refusals: 2 });
    });

    it('when the sender throws something unexpected, it is retried like a passing failure, and its message is not logged', async () => {
      const worker = workerFor({ send: () => Promise.reject(new Error(`could not send to ${holderName}`)) });
      worker.start();
      await enqueueLostCard();
      await worker.kick();
      expect((await outbox.list())[0]).to.include({ state: 'pending', attempts: 1, lastError: 'unexpected Error' });
    });

    it('when the worker is stopped, the timer is cancelled and the pending mail stays for next time; kicks before start or after stop do nothing', async () => {
      const sender = new ScriptedSender();
      sender.failures.push(new MailSendError('Graph answered 503', false));
      const worker = workerFor(sender);
      await enqueueLostCard();
      await worker.kick();
      expect(sender.sent, 'not started').to.have.length(0);
      worker.start();
      await worker.idle();
      expect(time.waiting).to.deep.equal([minute]);
      await worker.stop();
      expect(time.waiting).to.deep.equal([]);
      await worker.kick();
      expect((await outbox.list())[0]).to.include({ state: 'pending', attempts: 1 });
    });

    it('when sent and failed mails are a month old, they are removed from the outbox; pending ones stay', async () => {
      const sender = new ScriptedSender();
      const worker = workerFor(sender);
      worker.start();
      await enqueueLostCard();
      await worker.kick();
      time.advance(31 * 24 * hour);
      sender.always = new MailSendError('Graph answered 503', false);
      await enqueueLostCard(outbox, { reference: 'RA-000124' });
      await worker.kick();
      expect((await outbox.list()).map((m) => [m.reference, m.state])).to.deep.equal([['RA-000124', 'pending']]);
      expect(logger.entries.some((e) => e.msg === 'old sent and failed mails removed from the outbox' && e.fields['removed'] === 1)).to.equal(true);
    });
  });
}

function outboxContract(name: string, open: OpenOutbox): void {
  describe(`the mail outbox ${name}`, () => {
    let time: FakeTime;
    let outbox: MailOutboxStore;

    beforeEach(async () => {
      time = new FakeTime(start);
      outbox = await open(time.clock);
    });

    const mail = (reference: string) => ({ reference, to: 'dorset.ra@example.nhs.uk', subject: `${reference}: Report a lost card`, body: `About ${reference}\n` });
    const now = () => time.clock.now();

    it('when mails are queued, they are listed and claimed oldest first (those queued in one moment in their order), each due at once', async () => {
      const first = await outbox.enqueue(mail('RA-000001'));
      const second = await outbox.enqueue(mail('RA-000002'));
      time.advance(1);
      const third = await outbox.enqueue(mail('RA-000003'));
      expect(first).to.include({ reference: 'RA-000001', state: 'pending', attempts: 0, nextAttemptAt: start, createdAt: start, body: 'About RA-000001\n' });
      expect(plain(await outbox.list())).to.deep.equal(plain([first, second, third]));
      expect(await outbox.nextDueAt()).to.equal(start);

      const claimed: OutboxMail[] = [];
      for (let next = await outbox.claim(now()); next; next = await outbox.claim(now())) {
        claimed.push(next);
        await outbox.recordSent(next.id, 1, now());
      }
      expect(claimed.map((m) => m.reference)).to.deep.equal(['RA-000001', 'RA-000002', 'RA-000003']);
      expect(plain(claimed[0])).to.deep.equal(plain(first));
      expect(await outbox.nextDueAt(), 'nothing pending').to.equal(undefined);
    });

    it('when an attempt fails, the mail waits for its retry, keeping its body; once sent it is not claimed again and its body is gone', async () => {
      const queued = await outbox.enqueue(mail('RA-000001'));
      expect((await outbox.claim(now()))?.id).to.equal(queued.id);
      const retryAt = new Date(Date.parse(start) + minute);
      await outbox.recordFailure(queued.id, { attempts: 1, refusals: 0, error: 'Graph answered 503', retryAt, at: now() });

      expect(await outbox.claim(now()), 'not before its retry').to.equal(undefined);
      expect(await outbox.nextDueAt()).to.equal(retryAt.toISOString());
      expect((await outbox.list())[0]).to.include({ state: 'pending', attempts: 1, refusals: 0, lastError: 'Graph answered 503', nextAttemptAt: retryAt.toISOString(), body: 'About RA-000001\n' });

      time.advance(minute);
      const again = await outbox.claim(now());
      expect(again).to.include({ id: queued.id, attempts: 1, refusals: 0 });
      await outbox.recordSent(queued.id, 2, now());
      expect(plain(await outbox.list())).to.deep.equal(plain([{ ...queued, state: 'sent', attempts: 2, refusals: 0, body: '', nextAttemptAt: retryAt.toISOString(), finishedAt: retryAt.toISOString() }]));
      expect(await outbox.claim(now())).to.equal(undefined);
      expect(await outbox.nextDueAt()).to.equal(undefined);
    });

    it('when a mail is given up on, it is failed with its reason, and its body is forgotten', async () => {
      const queued = await outbox.enqueue(mail('RA-000001'));
      await outbox.claim(now());
      await outbox.recordFailure(queued.id, { attempts: 3, refusals: 3, error: 'Graph answered 403 (ErrorAccessDenied)', retryAt: undefined, at: now() });
      expect((await outbox.list())[0]).to.include({ state: 'failed', attempts: 3, refusals: 3, lastError: 'Graph answered 403 (ErrorAccessDenied)', body: '', finishedAt: start });
      expect(await outbox.claim(now())).to.equal(undefined);
      expect(await outbox.nextDueAt()).to.equal(undefined);
    });

    it('when finished mails are older than the cut-off, pruning removes just those; pending mail stays however old', async () => {
      const sent = await outbox.enqueue(mail('RA-000001'));
      const failed = await outbox.enqueue(mail('RA-000002'));
      await outbox.enqueue(mail('RA-000003'));
      await outbox.claim(now());
      await outbox.recordSent(sent.id, 1, now());
      time.advance(hour);
      await outbox.claim(now());
      await outbox.recordFailure(failed.id, { attempts: 3, refusals: 3, error: 'Graph answered 403', retryAt: undefined, at: now() });
      await outbox.recordFailure((await outbox.claim(now()))?.id ?? '', { attempts: 1, refusals: 0, error: 'Graph answered 503', retryAt: new Date(Date.parse(start) + 9 * hour), at: now() });

      expect(await outbox.pruneFinished(new Date(Date.parse(start) + hour))).to.equal(1);
      expect((await outbox.list()).map((m) => [m.reference, m.state])).to.deep.equal([['RA-000002', 'failed'], ['RA-000003', 'pending']]);
      expect(await outbox.pruneFinished(new Date(Date.parse(start) + hour)), 'nothing more to remove').to.equal(0);
      expect(await outbox.pruneFinished(new Date(Date.parse(start) + 30 * hour))).to.equal(1);
      expect((await outbox.list()).map((m) => m.reference)).to.deep.equal(['RA-000003']);
    });
  });
}

describe('the mail outbox on Azure Table storage: two instances on one store', () => {
  let time: FakeTime;
  let logger: ReturnType<typeof memoryLogger>;
  let first: MailOutboxStore;
  let second: MailOutboxStore;
  let workers: MailOutboxWorker[];

  beforeEach(async () => {
    time = new FakeTime(start);
    logger = memoryLogger();
    workers = [];
    // Two instances: each its own connection and store object (its own lease owner) on the same tables.
    const [connection, prefix] = [await azurite(), uniqueName()];
    first = await openAzureMailOutbox(new AzureTables(connection, prefix), time.clock);
    second = await openAzureMailOutbox(new AzureTables(connection, prefix), time.clock);
  });
  afterEach(async () => {
    for (const worker of workers) await worker.stop();
    expectNothingPersonalIn(logger.entries);
  });

  function workerOn(outbox: MailOutboxStore, sender: MailSender): MailOutboxWorker {
    const worker = new MailOutboxWorker({ outbox, sender, clock: time.clock, logger, schedule: time.schedule, random: () => 0.5 });
    workers.push(worker);
    worker.start();
    return worker;
  }

  const mail = (n: number) => ({ reference: `RA-${String(n).padStart(6, '0')}`, to: 'dorset.ra@example.nhs.uk', subject: `RA-${String(n).padStart(6, '0')}: Report a lost card`, body: 'A card was lost.\n' });

  it("when both instances' workers drain 30 mails at once, every mail is sent exactly once and both share the work", async () => {
    for (let n = 1; n <= 30; n++) await (n % 2 ? first : second).enqueue(mail(n));
    const sentBy: Record<string, string[]> = { first: [], second: [] };
    // Each send yields, as a call to Graph would, so the two workers' claims interleave.
    const senderFor = (who: string): MailSender => ({
      send: async (m) => {
        await new Promise((resolve) => setImmediate(resolve));
        sentBy[who]?.push(m.subject);
      },
    });
    const a = workerOn(first, senderFor('first'));
    const b = workerOn(second, senderFor('second'));
    await Promise.all([a.kick(), b.kick()]);

    const all = [...(sentBy['first'] ?? []), ...(sentBy['second'] ?? [])];
    expect(all).to.have.length(30);
    expect(new Set(all).size, 'no mail twice').to.equal(30);
    expect(sentBy['first'], 'the first instance sent some').to.not.be.empty;
    expect(sentBy['second'], 'the second instance sent some').to.not.be.empty;
    const stored = await first.list();
    expect(stored.map((m) => [m.state, m.attempts])).to.deep.equal(Array.from({ length: 30 }, () => ['sent', 1]));
    expect(time.waiting, 'nothing left to wait for').to.deep.equal([]);
  });

  it('when an instance claims a mail and dies before sending it, the other leaves it alone while the lease runs, then sends it', async () => {
    const queued = await first.enqueue(mail(1));
    expect((await first.claim(time.clock.now()))?.id).to.equal(queued.id);

    const sender = new ScriptedSender();
    const worker = workerOn(second, sender);
    await worker.kick();
    expect(sender.sent, 'leased to the first instance').to.have.length(0);
    expect(time.waiting, 'it waits for the lease to run out').to.deep.equal([5 * minute]);

    time.advance(5 * minute);
    await worker.idle();
    expect(sender.sent.map((m) => m.subject)).to.deep.equal(['RA-000001: Report a lost card']);
    expect((await first.list())[0]).to.include({ state: 'sent', attempts: 1, body: '' });
  });

  it("when an instance records an outcome after its lease was taken over, it changes nothing; the new claimer's outcome counts", async () => {
    const queued = await first.enqueue(mail(1));
    await first.claim(time.clock.now());
    expect(await second.claim(time.clock.now()), 'claimed by the first instance').to.equal(undefined);
    time.advance(5 * minute);
    expect((await second.claim(time.clock.now()))?.id, 'the lease ran out').to.equal(queued.id);
    expect(await first.claim(time.clock.now()), 'now claimed by the second instance').to.equal(undefined);

    await first.recordSent(queued.id, 1, time.clock.now());
    await first.recordFailure(queued.id, { attempts: 1, refusals: 1, error: 'Graph answered 403', retryAt: undefined, at: time.clock.now() });
    expect((await second.list())[0]).to.include({ state: 'pending', attempts: 0, body: 'A card was lost.\n' });

    await second.recordFailure(queued.id, { attempts: 1, refusals: 0, error: 'Graph answered 503', retryAt: new Date(time.clock.now().getTime() + minute), at: time.clock.now() });
    expect((await first.list())[0]).to.include({ state: 'pending', attempts: 1, lastError: 'Graph answered 503' });
    expect(await second.nextDueAt()).to.equal('2026-01-15T09:36:00.000Z');
  });
});

describe('the outbox file: mail survives a restart', () => {
  let dir: string;
  const standIn = new GraphStandIn();

  before(() => standIn.start());
  after(() => standIn.stop());
  beforeEach(async () => {
    standIn.clear();
    dir = await mkdtemp(path.join(os.tmpdir(), 'outbox-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('when the bot stops with mail still pending, the reopened outbox sends it on start, keeping its attempt count', async () => {
    const time = new FakeTime(start);
    const logger = memoryLogger();
    const file = path.join(dir, 'outbox.json');
    const network = new StandInNetworkClient(standIn);

    const before = await openMailOutbox(file, time.clock);
    standIn.graphAnswers.push({ status: 503 });
    const first = new MailOutboxWorker({ outbox: before, sender: new GraphMailer({ graph: standIn.config(), logger, networkClient: network }), clock: time.clock, logger, schedule: time.schedule, random: () => 0.5 });
    first.start();
    const queued = await before.enqueue({ reference: 'RA-000123', ...requestMail(lostCard(), 'Report a lost, stolen or damaged card', 'dorset.ra@example.nhs.uk') });
    await first.kick();
    await first.stop();
    const onDisk = JSON.parse(await readFile(file, 'utf8')) as OutboxData;
    expect(onDisk.mails).to.have.length(1);
    expect(onDisk.mails[0]).to.include({ id: queued.id, state: 'pending', attempts: 1 });
    expect(JSON.stringify(onDisk)).not.to.include(passportNumber);

    // A new process, an hour later.
    time.advance(hour);
    const after = await openMailOutbox(file, time.clock);
    const second = new MailOutboxWorker({ outbox: after, sender: new GraphMailer({ graph: standIn.config(), logger, networkClient: network }), clock: time.clock, logger, schedule: time.schedule });
    second.start();
    await second.idle();
    await second.stop();

    expect(standIn.mailRequests).to.have.length(2);
    expect(JSON.parse(standIn.mailRequests[1]?.body ?? '')).to.have.nested.property('message.body.content', queued.body);
    const reopened = await openMailOutbox(file, time.clock);
    expect(await reopened.list()).to.deep.equal([{ ...queued, state: 'sent', attempts: 2, refusals: 0, body: '', finishedAt: '2026-01-15T10:30:00.000Z', nextAttemptAt: '2026-01-15T09:31:00.000Z' }]);
    expectNothingPersonalIn(logger.entries);
  });

  it('when the outbox file is not an outbox, it is refused and left as it is', async () => {
    const file = path.join(dir, 'outbox.json');
    await writeFile(file, '{"requests": {}}');
    let error: unknown;
    try {
      await openMailOutbox(file, { now: () => new Date(start) });
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(StoreFileError);
    expect(await readFile(file, 'utf8')).to.equal('{"requests": {}}');
  });
});

describe('openMailer: email on only when Graph is configured', () => {
  let dir: string;
  const standIn = new GraphStandIn();

  before(() => standIn.start());
  after(() => standIn.stop());
  beforeEach(async () => {
    standIn.clear();
    dir = await mkdtemp(path.join(os.tmpdir(), 'mailer-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('when Graph is not configured, there is no mailer', async () => {
    const clock = { now: () => new Date(start) };
    const mailer = await openMailer({ graph: undefined, raTeamEmails: new Map([['dorset', 'dorset.ra@example.nhs.uk']]) }, memoryMailOutbox(clock), memoryLogger(), clock);
    expect(mailer).to.equal(undefined);
  });

  it("when Graph is configured, a new request is queued in DATA_DIR/outbox.json to its team's address and sent; a team with no address is not emailed", async () => {
    const time = new FakeTime(start);
    const logger = memoryLogger();
    const config = { graph: standIn.config(), raTeamEmails: new Map([['dorset', 'dorset.ra@example.nhs.uk']]) };
    const outbox = await openMailOutbox(path.join(dir, 'outbox.json'), time.clock);
    const mailer = await openMailer(config, outbox, logger, time.clock, { networkClient: new StandInNetworkClient(standIn), schedule: time.schedule });
    if (!mailer) throw new Error('expected a mailer');
    mailer.worker.start();

    expect(await mailer.mailRequest(lostCard(), labels)).to.equal(true);
    expect(await mailer.mailRequest(lostCard({ reference: 'RA-000124', teamId: 'hampshire' }))).to.equal(false);
    expect(await mailer.mailRequest(lostCard({ reference: 'RA-000125', teamId: null }))).to.equal(false);
    await mailer.worker.idle();
    expect(time.waiting, 'one instance: nothing to look for until mail is queued').to.deep.equal([]);
    await mailer.worker.stop();

    expect(standIn.mailRequests).to.have.length(1);
    const content = (JSON.parse(standIn.mailRequests[0]?.body ?? '') as { message: { body: { content: string } } }).message.body.content;
    expect(content).to.include("Card holder's full name");
    const onDisk = JSON.parse(await readFile(path.join(dir, 'outbox.json'), 'utf8')) as OutboxData;
    expect(onDisk.mails.map((m) => [m.reference, m.to, m.state])).to.deep.equal([['RA-000123', 'dorset.ra@example.nhs.uk', 'sent']]);
    expect(logger.entries.filter((e) => e.msg?.startsWith('request not emailed')).map((e) => e.fields['reference'])).to.deep.equal(['RA-000124', 'RA-000125']);
    expectNothingPersonalIn(logger.entries);
  });

  it('when Graph is configured but no RA team has an address, it says so at start-up', async () => {
    const logger = memoryLogger();
    const clock = { now: () => new Date(start) };
    await openMailer({ graph: standIn.config(), raTeamEmails: new Map() }, memoryMailOutbox(clock), logger, clock);
    expect(logger.entries.map((e) => [e.level, e.msg])).to.deep.equal([['warn', 'GRAPH_ settings are set but RA_TEAM_EMAILS is empty: no request will be emailed']]);
  });

  it('when the outbox is shared by several instances (Azure), the idle worker looks every 5 seconds and sends mail another instance queued', async () => {
    const time = new FakeTime(start);
    const logger = memoryLogger();
    const [connection, prefix] = [await azurite(), uniqueName()];
    const here = await openAzureMailOutbox(new AzureTables(connection, prefix), time.clock);
    const elsewhere = await openAzureMailOutbox(new AzureTables(connection, prefix), time.clock);
    const config = { graph: standIn.config(), raTeamEmails: new Map([['dorset', 'dorset.ra@example.nhs.uk']]) };
    const mailer = await openMailer(config, here, logger, time.clock, { networkClient: new StandInNetworkClient(standIn), schedule: time.schedule });
    if (!mailer) throw new Error('expected a mailer');
    mailer.worker.start();
    await mailer.worker.idle();
    expect(time.waiting).to.deep.equal([sharedOutboxPollMs]);
    expect(sharedOutboxPollMs).to.equal(5000);

    // Queued by the other instance, which stops before sending it.
    await elsewhere.enqueue({ reference: 'RA-000123', ...requestMail(lostCard(), 'Report a lost, stolen or damaged card', 'dorset.ra@example.nhs.uk') });
    time.advance(sharedOutboxPollMs);
    await mailer.worker.idle();
    await mailer.worker.stop();

    expect(standIn.mailRequests).to.have.length(1);
    expect((await elsewhere.list()).map((m) => [m.reference, m.state])).to.deep.equal([['RA-000123', 'sent']]);
    expectNothingPersonalIn(logger.entries);
  });
});
