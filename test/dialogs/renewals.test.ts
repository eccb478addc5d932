import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemoryStorage, UserState } from 'botbuilder';
import { loadKnowledge } from '../../bot/knowledgeFiles.js';
import { projectRoot } from '../../bot/paths.js';
import { AnswerRenderer } from '../../knowledge/answers.js';
import type { UserProfile } from '../../dialogs/userProfile.js';
import type { App } from '../../bot/app.js';
import { Renewals, readDate, statesExpiry } from '../../dialogs/renewals.js';
import type { BroadcastRequest, Broadcasts, ScheduledJob } from '../../dialogs/outreach.js';
import { cardToText } from '../../cards/flatten.js';
import { memoryAudience } from '../../bot/storage/lowdbAudience.js';
import { memorySchedule } from '../../bot/storage/lowdbSchedule.js';
import { Chat, cardsOf, memoryQuestionLog, readAll, testApp, testNow } from '../support/chat.js';
import { FakeClock } from '../support/clocks.js';
import { RecordingNotifier } from '../support/requests.js';
import { memoryLogger } from '../support/memoryLogger.js';
import { validateCard } from '../support/validateCard.js';

async function renewalApp(clock: FakeClock, notifier = new RecordingNotifier(), more: Parameters<typeof testApp>[3] = {}): Promise<App> {
  return testApp({}, new MemoryStorage(), memoryQuestionLog(), { clock, notifier, ...more });
}

const waitingIds = async (app: App, userId: string) => (await app.schedule.waiting(`renewal:${userId}:`)).map((j) => `${j.payload['stage'] ?? ''} ${j.dueAt}`);

/** The text of every card the notifier sent, flattened as a person reads it. */
function sentText(notifier: RecordingNotifier): string[] {
  return notifier.sent
    .filter((s) => s.kind === 'send')
    .map((s) => [s.activity.text ?? '', ...(s.activity.attachments ?? []).map((a) => cardToText(a.content).text)].join('\n'));
}

describe('certificate renewal reminders', () => {
  let clock: FakeClock;
  let app: App;
  let notifier: RecordingNotifier;

  beforeEach(async () => {
    clock = new FakeClock(testNow);
    notifier = new RecordingNotifier();
    app = await renewalApp(clock, notifier);
  });
  afterEach(() => app.stop());

  it('when someone asks to be reminded, a valid card asks for the date, says where Care Identity Management shows it, and cites its source', async () => {
    const replies = await new Chat(app, { userId: 'u-amy' }).say('remind me to renew my certificates');
    const [card] = cardsOf(replies);
    expect(validateCard(card)).to.deep.equal([]);
    const text = readAll(replies);
    expect(text).to.include('Care Identity Management');
    expect(text).to.include('From ');
    expect(text).to.include('My certificates expire on');
    expect(JSON.stringify(card)).to.include('"type":"Input.Date"');
    expect(replies.flatMap((r) => r.buttons.map((b) => b.title))).to.deep.equal(['Remind me']);
  });

  it('when the date is chosen on the card, the reminders are saved at 09:00 UK time (GMT in March, BST in May and June) and listed only after they are saved', async () => {
    const chat = new Chat(app, { userId: 'u-amy' });
    const asked = await chat.say('certificate reminders');
    const saved = readAll(await chat.pressButton(asked, 'Remind me', { expiresOn: '2027-06-15' }));
    expect(saved).to.include('Saved: your certificates expire on Tuesday 15 June 2027.');
    expect(saved).to.include("I'll remind you here at 9am on Wednesday 17 March 2027 (90 days before), Sunday 16 May 2027 (30 days before) and Tuesday 8 June 2027 (7 days before)");
    expect(saved).to.include('Wednesday 16 June 2027');
    expect(saved).to.include('stop renewal reminders');
    expect(await waitingIds(app, 'u-amy')).to.deep.equal([
      '90 2027-03-17T09:00:00.000Z',
      '30 2027-05-16T08:00:00.000Z',
      '7 2027-06-08T08:00:00.000Z',
      'expired 2027-06-16T08:00:00.000Z',
    ]);
  });

  it('when the date is typed ("my certificates expire on 15 January 2027"), it is saved; the 90-day reminder has passed, so they are told they can renew now, with the steps', async () => {
    const replies = await new Chat(app, { userId: 'u-amy' }).say('My certificates expire on 15 January 2027');
    const text = readAll(replies);
    expect(text).to.include('Saved: your certificates expire on Friday 15 January 2027.');
    expect(text).to.include('The 90-day reminder has already passed');
    expect(text).to.include('you can renew, so you can do it now');
    expect(text).to.include('Renew your own smartcard');
    expect(await waitingIds(app, 'u-amy')).to.deep.equal(['30 2026-12-16T09:00:00.000Z', '7 2027-01-08T09:00:00.000Z', 'expired 2027-01-16T09:00:00.000Z']);
  });

  it('when a date is typed in answer to the card ("15/06/2027"), it is taken as the expiry date', async () => {
    const chat = new Chat(app, { userId: 'u-amy' });
    await chat.say('renewal reminder');
    expect(readAll(await chat.say('15/06/2027'))).to.include('Saved: your certificates expire on Tuesday 15 June 2027.');
    expect(await waitingIds(app, 'u-amy')).to.have.length(4);
  });

  it('when a question is asked instead of a date, it is answered as a question and nothing is saved', async () => {
    const chat = new Chat(app, { userId: 'u-amy' });
    await chat.say('renewal reminder');
    const answer = readAll(await chat.say('my card is locked, how do I unlock it?'));
    expect(answer).not.to.include('Saved');
    expect(answer.toLowerCase()).to.include('unlock');
    expect(await waitingIds(app, 'u-amy')).to.deep.equal([]);
  });

  it('when a new date is saved, the reminders for the earlier date are replaced', async () => {
    const chat = new Chat(app, { userId: 'u-amy' });
    await chat.press({ verb: 'renewal.save', expiresOn: '2027-06-15' });
    await chat.press({ verb: 'renewal.save', expiresOn: '2027-09-01' });
    const waiting = await app.schedule.waiting('renewal:u-amy:');
    expect(new Set(waiting.map((j) => j.payload['expiresOn']))).to.deep.equal(new Set(['2027-09-01']));
    expect(waiting).to.have.length(4);
    const shown = readAll(await chat.say('certificate reminders'));
    expect(shown).to.include('Reminders are set for certificates expiring on Wednesday 1 September 2027');
  });

  for (const [said, expected] of [
    ['my certificates expire on 31/02/2027', "31/02/2027 isn't a date"],
    ['my certificates expire on 15 January', 'give the year'],
    ['my certs expire on 15 January 2031', 'more than three years away'],
  ] as const) {
    it(`when the date is wrong ("${said}"), it is refused clearly and nothing is saved`, async () => {
      const text = readAll(await new Chat(app, { userId: 'u-amy' }).say(said));
      expect(text).to.include(expected);
      expect(text).not.to.include('Saved');
      expect(await waitingIds(app, 'u-amy')).to.deep.equal([]);
    });
  }

  it('when the date has already passed, nothing is scheduled and they are told what to do now: an RA agent, in person', async () => {
    const text = readAll(await new Chat(app, { userId: 'u-amy' }).say('my smartcard certificates expired on 1 March 2026'));
    expect(text).to.include('Sunday 1 March 2026 has passed');
    expect(text).to.include("can't renew them yourself");
    expect(text).to.include('in person');
    expect(await waitingIds(app, 'u-amy')).to.deep.equal([]);
  });

  it('when the card is sent empty or forged, the card comes back with the problem and nothing is saved', async () => {
    const chat = new Chat(app, { userId: 'u-amy' });
    const empty = await chat.press({ verb: 'renewal.save' });
    expect(readAll(empty)).to.include('Choose the date your certificates expire');
    expect(validateCard(cardsOf(empty)[0])).to.deep.equal([]);
    expect(readAll(await chat.press({ verb: 'renewal.save', expiresOn: "'); DROP TABLE" }))).to.include('I need the date your certificates expire');
    expect(readAll(await chat.press({ verb: 'renewal.save', expiresOn: '2027-13-40' }))).to.include("isn't a date");
    expect(readAll(await chat.press({ verb: 'renewal.save', expiresOn: 'x'.repeat(41) }))).to.include('sent data I cannot use');
    expect(await waitingIds(app, 'u-amy')).to.deep.equal([]);
  });

  it('when they say "stop renewal reminders", the waiting reminders are cancelled; saying it again says there are none', async () => {
    const chat = new Chat(app, { userId: 'u-amy' });
    await chat.press({ verb: 'renewal.save', expiresOn: '2027-06-15' });
    expect(readAll(await chat.say('stop renewal reminders'))).to.include("I've cancelled your certificate renewal reminders (4)");
    expect(await waitingIds(app, 'u-amy')).to.deep.equal([]);
    expect(readAll(await chat.say('stop renewal reminders'))).to.include('You have no certificate renewal reminders set');
  });

  it('when they say "forget me", their renewal reminders are cancelled too', async () => {
    const chat = new Chat(app, { userId: 'u-amy' });
    await chat.press({ verb: 'renewal.save', expiresOn: '2027-06-15' });
    expect(readAll(await chat.say('forget me'))).to.include('your certificate renewal reminders');
    expect(await waitingIds(app, 'u-amy')).to.deep.equal([]);
  });

  it('when asked in a channel, it says reminders belong in the personal chat', async () => {
    const text = readAll(await new Chat(app, { userId: 'u-amy', conversationType: 'channel', conversationId: '19:c@thread.tacv2' }).say('my certificates expire on 15 January 2027'));
    expect(text).to.include('personal chat');
    expect(await waitingIds(app, 'u-amy')).to.deep.equal([]);
  });

  it('when a reminder falls due, the scheduler queues it and the person receives the card with days left and the self-renew steps, sourced', async () => {
    const chat = new Chat(app, { userId: 'u-amy', conversationId: 'a:amy' });
    await chat.say('my certificates expire on 15 January 2027');
    clock.set('2026-12-16T08:59:00Z');
    expect(await app.scheduler.tick()).to.deep.include({ ran: 0 });
    clock.set('2026-12-16T09:00:00Z');
    expect(await app.scheduler.tick()).to.deep.include({ ran: 1 });
    await app.broadcasts.drain();
    const sends = notifier.sent.filter((s) => s.kind === 'send');
    expect(sends).to.have.length(1);
    expect(sends[0]?.conversationId).to.equal('a:amy');
    expect(sends[0]?.activity.summary).to.equal('Your smartcard certificates expire in 30 days');
    const [text] = sentText(notifier);
    expect(text).to.include('Your smartcard certificates expire in 30 days');
    expect(text).to.include('Select **Renew your own smartcard**');
    expect(text).to.include('From NHS England, Self-renewal NHS smartcard certificate service');
    expect(text).to.include('[Stop renewal reminders]');
    expect(validateCard(sends[0]?.activity.attachments?.[0]?.content)).to.deep.equal([]);
    expect((await app.broadcasts.report('job:renewal:u-amy:2027-01-15:30'))?.counts.sent).to.equal(1);
  });

  it('when someone opted out of announcements, their own renewal reminder still reaches them', async () => {
    const chat = new Chat(app, { userId: 'u-amy' });
    await chat.say('stop announcements');
    await chat.say('my certificates expire on 15 January 2027');
    clock.set('2026-12-16T09:00:00Z');
    await app.scheduler.tick();
    await app.broadcasts.drain();
    expect(sentText(notifier)[0]).to.include('expire in 30 days');
  });

  it('when the bot was down over two reminders, only the latest is sent, late and once; the earlier one is superseded', async () => {
    await new Chat(app, { userId: 'u-amy' }).say('my certificates expire on 15 January 2027');
    clock.set('2027-01-10T12:00:00Z');
    expect(await app.scheduler.tick()).to.deep.include({ ran: 1, superseded: 1 });
    expect(await app.scheduler.tick()).to.deep.include({ ran: 0, superseded: 0 });
    await app.broadcasts.drain();
    expect(sentText(notifier)).to.have.length(1);
    expect(sentText(notifier)[0]).to.include('expire in 5 days');
    const states = Object.fromEntries((await Promise.all(['30', '7', 'expired'].map(async (s) => [s, (await getJob(app, `renewal:u-amy:2027-01-15:${s}`))?.state]))));
    expect(states).to.deep.equal({ '30': 'superseded', '7': 'done', expired: 'waiting' });
  });

  it('when the expiry has passed, the reminder says what to do now: the expired-certificates answer with their RA team', async () => {
    await new Chat(app, { userId: 'u-amy' }).say('my certificates expire on 15 January 2027');
    clock.set('2027-01-16T09:00:00Z');
    await app.scheduler.tick();
    await app.broadcasts.drain();
    const [text] = sentText(notifier);
    expect(text).to.include('Your smartcard certificates have expired');
    expect(text).to.include("can't renew them yourself");
    expect(text).to.include('with you there in person');
  });

  it('when the person uninstalled the app before the reminder was due, nothing is sent and the job is finished', async () => {
    const chat = new Chat(app, { userId: 'u-amy' });
    await chat.say('my certificates expire on 15 January 2027');
    await chat.send({ type: 'installationUpdate', action: 'remove' });
    clock.set('2026-12-16T09:00:00Z');
    expect(await app.scheduler.tick()).to.deep.include({ ran: 1 });
    await app.broadcasts.drain();
    expect(notifier.sent).to.deep.equal([]);
  });
});

async function getJob(app: App, id: string): Promise<ScheduledJob | undefined> {
  const store = app.schedule as { get?: (id: string) => Promise<ScheduledJob | undefined> };
  return store.get?.(id);
}

describe('renewal reminders across a restart', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'renewals-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const onDisk = (clock: FakeClock, notifier: RecordingNotifier) =>
    testApp({ DATA_DIR: dir }, new MemoryStorage(), memoryQuestionLog(), { clock, notifier, inMemory: false });

  it('when the bot was down at the due time, the reminder is sent at start, once; a crash before it was marked done sends nothing twice', async () => {
    const clock = new FakeClock(testNow);
    const first = await onDisk(clock, new RecordingNotifier());
    await new Chat(first, { userId: 'u-amy' }).say('my certificates expire on 15 January 2027');
    await first.stop();

    clock.set('2026-12-20T10:00:00Z');
    const secondNotifier = new RecordingNotifier();
    const second = await onDisk(clock, secondNotifier);
    expect(await second.scheduler.start()).to.deep.include({ ran: 1 });
    await second.broadcasts.drain();
    await second.stop();
    expect(sentText(secondNotifier)).to.have.length(1);
    expect(sentText(secondNotifier)[0]).to.include('expire in 26 days');

    const thirdNotifier = new RecordingNotifier();
    const third = await onDisk(clock, thirdNotifier);
    expect(await third.scheduler.start()).to.deep.include({ ran: 0 });
    await third.broadcasts.drain();
    await third.stop();
    expect(thirdNotifier.sent).to.deep.equal([]);

    // As if the process died after queueing the message but before the job was marked done.
    const file = path.join(dir, 'schedule.json');
    const data = JSON.parse(readFileSync(file, 'utf8')) as { jobs: Record<string, { state: string; doneAt?: string }> };
    const job = data.jobs['renewal:u-amy:2027-01-15:30'];
    if (!job) throw new Error('the job was not stored');
    job.state = 'waiting';
    delete job.doneAt;
    writeFileSync(file, JSON.stringify(data));
    const fourthNotifier = new RecordingNotifier();
    const fourth = await onDisk(clock, fourthNotifier);
    expect(await fourth.scheduler.start()).to.deep.include({ ran: 1 });
    await fourth.broadcasts.drain();
    await fourth.stop();
    expect(fourthNotifier.sent).to.deep.equal([]);
  });
});

describe('Renewals.remind (unit, with a recording Broadcasts)', () => {
  class RecordingBroadcasts implements Broadcasts {
    readonly queued: BroadcastRequest[] = [];
    queue(request: BroadcastRequest): ReturnType<Broadcasts['queue']> {
      const again = this.queued.some((q) => q.id === request.id);
      if (!again) this.queued.push(request);
      const counts = { pending: 1, sending: 0, sent: 0, failed: 0, gone: 0, cancelled: 0 };
      return Promise.resolve({ queued: !again, report: { id: request.id, title: request.title, createdAt: '', total: 1, counts, finished: false } });
    }
    cancel(): Promise<undefined> {
      return Promise.resolve(undefined);
    }
    report(): Promise<undefined> {
      return Promise.resolve(undefined);
    }
  }

  it('queues one message to the stored chat with the job id as the broadcast id, so running it twice queues once', async () => {
    const audience = memoryAudience();
    await audience.capture({ userId: 'u1', reference: { conversation: { id: 'a:u1', conversationType: 'personal', isGroup: false, name: '' } } }, '2026-11-21T09:30:00.000Z');
    const broadcasts = new RecordingBroadcasts();
    const knowledge = await loadKnowledge(path.join(projectRoot(), 'knowledge', 'data'));
    const renewals = new Renewals({
      schedule: memorySchedule(),
      audience,
      broadcasts,
      article: (id) => knowledge.kb.get(id),
      answers: new AnswerRenderer(knowledge.raTeams, new Map(), knowledge.sources),
      profile: new UserState(new MemoryStorage()).createProperty<UserProfile>('profile'),
      clock: { now: () => testNow },
      logger: memoryLogger(),
    });
    const job: ScheduledJob = { id: 'renewal:u1:2027-01-15:30', kind: 'renewal-reminder', dueAt: '2026-12-16T09:00:00.000Z', payload: { userId: 'u1', expiresOn: '2027-01-15', stage: '30' }, state: 'waiting' };
    await renewals.remind(job);
    await renewals.remind(job);
    expect(broadcasts.queued).to.have.length(1);
    expect(broadcasts.queued[0]).to.deep.include({ id: 'job:renewal:u1:2027-01-15:30', title: 'Certificate renewal reminder' });
    expect(broadcasts.queued[0]?.recipients).to.deep.equal([{ userId: 'u1', reference: { conversation: { id: 'a:u1', conversationType: 'personal', isGroup: false, name: '' } } }]);
    expect(broadcasts.queued[0]?.author).to.equal(undefined);
    expect(cardToText(broadcasts.queued[0]?.activity.attachments?.[0]?.content).text).to.include('expire in 55 days');
  });

  it('reads typed dates day first, in the forms people use, and spots statements of expiry', () => {
    expect(readDate('15/01/2027')).to.deep.equal({ kind: 'date', date: '2027-01-15' });
    expect(readDate('on the 3rd of Sept 2027')).to.deep.equal({ kind: 'date', date: '2027-09-03' });
    expect(readDate('January 15, 2027')).to.deep.equal({ kind: 'date', date: '2027-01-15' });
    expect(readDate('15.1.27')).to.deep.equal({ kind: 'date', date: '2027-01-15' });
    expect(readDate('12/25/2027').kind).to.equal('invalid');
    expect(readDate('Identity Agent 2.4.10.0').kind).to.equal('none');
    expect(statesExpiry('my certificates expire on 15 January 2027')).to.equal(true);
    expect(statesExpiry('my card expires 15/01/27')).to.equal(true);
    expect(statesExpiry('my certificates have expired, what do I do')).to.equal(false);
    expect(statesExpiry('how do I renew my card')).to.equal(false);
  });
});
