import { expect } from 'chai';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MemoryStorage, type Activity } from 'botbuilder';
import type { App } from '../../bot/app.js';
import { memoryAudience } from '../../bot/storage/lowdbAudience.js';
import { memoryBroadcasts } from '../../bot/storage/lowdbBroadcasts.js';
import { memorySchedule } from '../../bot/storage/lowdbSchedule.js';
import { memoryTraining } from '../../bot/storage/lowdbTraining.js';
import type { ScheduledJob, ScheduleRepository } from '../../dialogs/outreach.js';
import { cardToText } from '../../cards/flatten.js';
import { Chat, cardsOf, memoryQuestionLog, readAll, testApp, testNow, type Reply } from '../support/chat.js';
import { expectValidCards, knowledgeWithMembers } from '../support/directory.js';
import { formFields } from '../support/forms.js';
import { FakeClock } from '../support/clocks.js';
import { RecordingNotifier } from '../support/requests.js';

const dorsetMemberId = '5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const scwMemberId = '7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d';
const adminId = '3f2b8c1d-5e6a-4b7c-8d9e-0a1b2c3d4e5f';
const poole = 'Canford House, Discovery Court, 551-553 Wallisdown Road, Poole, BH12 5AG';
const onlyTeam = 'Only RA team members can announce training sessions, so nothing has been saved.';

/** Someone in their own personal chat with the bot, under their own name. */
class Person extends Chat {
  constructor(
    app: App,
    readonly userId: string,
    readonly name: string,
    readonly aadObjectId = `aad-${userId}`,
    readonly where: Partial<Activity['conversation']> = {},
  ) {
    super(app, { userId, aadObjectId, conversationId: `personal-${userId}` });
  }

  override send(activity: Partial<Activity>): Promise<Reply[]> {
    const conversation = { id: `personal-${this.userId}`, conversationType: 'personal', isGroup: false, name: '', ...this.where };
    return super.send({ from: { id: this.userId, name: this.name, aadObjectId: this.aadObjectId }, conversation: conversation as Activity['conversation'], ...activity });
  }
}

/** What an RA team member types into the session form: Registration Agent Advanced at Poole, Tuesday 8 December 2026 at 10:00. */
const sessionInputs: Readonly<Record<string, string>> = {
  course: 'registration-agent-advanced',
  venue: 'dorset-poole',
  date: '2026-12-08',
  startTime: '10:00',
  duration: '180',
  capacity: '10',
  bookingDeadline: '2026-12-01',
  audience: 'everyone',
  note: 'Bring your smartcard.',
};

function button(replies: readonly Reply[], title: string): Record<string, unknown> {
  const found = [...replies].reverse().flatMap((r) => r.buttons).find((b) => b.title === title);
  if (!found) throw new Error(`no "${title}" button in: ${replies.flatMap((r) => r.buttons.map((b) => b.title)).join(', ')}`);
  return found.data as Record<string, unknown>;
}

/** The text of what the broadcaster sent to one person's chat (new messages only, not report updates). */
function sentTo(notifier: RecordingNotifier, conversationId: string): { text: string; buttons: { title: string; data: unknown }[]; card: unknown }[] {
  return notifier.sent
    .filter((s) => s.kind === 'send' && s.conversationId === conversationId)
    .map((s) => {
      const card = s.activity.attachments?.[0]?.content as unknown;
      const flat = card ? cardToText(card) : { text: '', buttons: [] };
      return { text: [s.activity.text ?? '', flat.text].join('\n'), buttons: flat.buttons, card };
    });
}

/** What the broadcaster last showed in one chat, new message or update in place (a delivery report card). */
function lastShown(notifier: RecordingNotifier, conversationId: string): string {
  const last = notifier.sent.filter((s) => s.conversationId === conversationId).at(-1);
  const card = last?.activity.attachments?.[0]?.content as unknown;
  return [last?.activity.text ?? '', card ? cardToText(card).text : ''].join('\n');
}

/** The schedule as stored, with a switch that makes marking a job finished fail, as a crash just after its work would. */
class CrashingSchedule implements ScheduleRepository {
  failFinish = false;
  constructor(readonly inner = memorySchedule()) {}
  put(job: Omit<ScheduledJob, 'state' | 'doneAt'>): Promise<boolean> {
    return this.inner.put(job);
  }
  due(now: string): Promise<ScheduledJob[]> {
    return this.inner.due(now);
  }
  waiting(idPrefix: string): Promise<ScheduledJob[]> {
    return this.inner.waiting(idPrefix);
  }
  finish(id: string, state: 'done' | 'superseded' | 'cancelled', at: string): Promise<boolean> {
    return this.failFinish ? Promise.reject(new Error('the process died before the job was marked done')) : this.inner.finish(id, state, at);
  }
  cancelWaiting(idPrefix: string, at: string): Promise<number> {
    return this.inner.cancelWaiting(idPrefix, at);
  }
  flush(): Promise<void> {
    return this.inner.flush();
  }
}

describe('training sessions: RA teams announce them, staff book places', () => {
  let clock: FakeClock;
  let notifier: RecordingNotifier;
  let store: ReturnType<typeof memoryTraining>;
  let app: App;
  let removeKnowledge: () => Promise<void>;
  let robin: Person;

  before(async () => {
    // Dorset's data lists Robin; SCW's lists Kim.
    const copy = await knowledgeWithMembers('dorset', [dorsetMemberId]);
    const file = path.join(copy.dataDir, 'raTeams.json');
    const json = JSON.parse(await readFile(file, 'utf8')) as { teams: { id: string; members?: string[] }[] };
    const scw = json.teams.find((t) => t.id === 'scw');
    if (scw) scw.members = [scwMemberId];
    await writeFile(file, JSON.stringify(json));
    removeKnowledge = copy.remove;
    knowledgeDir = copy.dataDir;
  });
  let knowledgeDir = '';
  after(() => removeKnowledge());

  beforeEach(async () => {
    clock = new FakeClock(testNow);
    notifier = new RecordingNotifier();
    store = memoryTraining();
    app = await testApp({ RA_ADMINS: adminId }, new MemoryStorage(), memoryQuestionLog(), { clock, notifier, training: store, knowledgeDir });
    robin = new Person(app, 'ra-robin', 'Robin Dorset', dorsetMemberId);
  });
  afterEach(() => app.stop());

  /** Robin fills in the form and presses Preview; returns the preview. */
  async function preview(changes: Record<string, string> = {}, who: Person = robin): Promise<Reply[]> {
    const form = await who.say('new training session');
    return who.press({ ...button(form, 'Preview'), ...sessionInputs, ...changes });
  }

  /** People who have talked to the assistant in their personal chats, so announcements can reach them. */
  async function audience(count: number): Promise<Person[]> {
    const people = Array.from({ length: count }, (_, i) => new Person(app, `user-${i + 1}`, `Person ${i + 1}`));
    for (const p of people) await p.say('hello');
    return people;
  }

  /** Robin previews and announces; the broadcaster sends it. Returns the session id. */
  async function announced(changes: Record<string, string> = {}): Promise<string> {
    const shown = await preview(changes);
    const replies = await robin.press(button(shown, 'Announce'));
    expect(readAll(replies)).to.include('Announced');
    await app.broadcasts.drain();
    const id = String(button(shown, 'Announce')['session']);
    return id;
  }

  describe('creating a session', () => {
    it('an RA team member who says "new training session" gets the form: courses, offices from the data and Online, a Preview button', async () => {
      const replies = await robin.say('new training session');
      expectValidCards(cardsOf(replies));
      const text = readAll(replies);
      expect(text).to.include('New training session');
      expect(text).to.include('New RA agents must attend a face-to-face Registration Agent Advanced session');
      const fields = formFields(replies);
      expect(fields.get('course')?.input['choices']).to.deep.equal([
        { title: 'Registration Agent Advanced', value: 'registration-agent-advanced' },
        { title: 'Sponsor training', value: 'sponsor' },
      ]);
      expect(fields.get('venue')?.input['choices']).to.deep.equal([
        { title: 'Poole, Canford House', value: 'dorset-poole' },
        { title: 'Dorchester, Vespasian House', value: 'dorset-dorchester' },
        { title: 'Online', value: 'online' },
      ]);
      expect(fields.get('startTime')?.input['type']).to.equal('Input.Time');
      expect(fields.get('capacity')?.input).to.include({ type: 'Input.Number', min: 1, max: 200 });
      expect(replies.flatMap((r) => r.buttons).map((b) => b.title)).to.deep.equal(['Preview']);
    });

    it('someone outside the RA teams is told plainly, and a forged Preview press stores nothing', async () => {
      const outsider = new Person(app, 'outsider', 'Mallory Outsider');
      expect(readAll(await outsider.say('announce training'))).to.include(onlyTeam);
      const forged = await outsider.press({ verb: 'form.submit', form: 'training-session', draft: '0b7f0a52-2f43-4b8e-9d3e-6a1f1c1d2e3f', ...sessionInputs });
      expect(readAll(forged)).to.include(onlyTeam);
      expect(await store.list({})).to.deep.equal([]);
    });

    it('the training form is not one of the requests under "Raise a request", and the request desk will not open it', async () => {
      const menu = readAll(await robin.say('raise a request'));
      expect(menu).to.include('Report a lost, stolen or damaged card');
      expect(menu).not.to.include('New training session');
      expect(readAll(await robin.press({ verb: 'form.open', form: 'training-session' }))).to.include("That form isn't available any more");
    });

    it('bad values come back on the form, each next to its field, with what was typed kept; nothing is stored', async () => {
      const replies = await preview({ date: '2026-11-20', capacity: '0', venue: 'online', bookingDeadline: '2026-12-24', duration: '15' });
      expectValidCards(cardsOf(replies));
      expect(readAll(replies)).to.include('Please correct the fields marked below. Nothing has been saved or sent yet.');
      const fields = formFields(replies);
      expect(fields.get('date')?.error).to.equal('This date cannot be in the past.');
      expect(fields.get('capacity')?.error).to.equal('Enter a whole number from 1 to 200.');
      expect(fields.get('onlineLink')?.error).to.equal('Link to join online is needed.');
      expect(fields.get('duration')?.value).to.equal(15);
      expect(fields.get('venue')?.value).to.equal('online');
      expect(await store.list({})).to.deep.equal([]);
    });

    it('the last day to book cannot be after the session, and a link must be https', async () => {
      const fields = formFields(await preview({ bookingDeadline: '2026-12-09', venue: 'online', onlineLink: 'http://meet.example.org/abc' }));
      expect(fields.get('bookingDeadline')?.error).to.equal("The last day to book can't be after the session.");
      expect(fields.get('onlineLink')?.error).to.equal('Enter the full link, starting with https://');
      expect(await store.list({})).to.deep.equal([]);
    });

    it('a time the clocks skip is refused, saying why; a time already passed today is refused', async () => {
      const gap = formFields(await preview({ date: '2027-03-28', startTime: '01:30', bookingDeadline: '2027-03-20' }));
      expect(gap.get('startTime')?.error).to.equal('There is no 01:30 on Sunday 28 March 2027 in the UK: the clocks go forward an hour that night. Choose another time.');
      const passed = formFields(await preview({ date: '2026-11-21', startTime: '09:00', bookingDeadline: '2026-11-21' }));
      expect(passed.get('startTime')?.error).to.equal('Saturday 21 November 2026, 09:00 (GMT) has already passed. Choose a time still to come.');
      expect(await store.list({})).to.deep.equal([]);
    });

    it("a member of one team cannot run a session at another team's office", async () => {
      const kim = new Person(app, 'ra-kim', 'Kim Scw', scwMemberId);
      const fields = formFields(await preview({}, kim));
      expect(fields.get('venue')?.error).to.equal("Poole, Canford House is NHS Dorset Smartcard Support Team's office: only that team can run sessions there.");
      expect(await store.list({})).to.deep.equal([]);
    });

    it('an admin of every team running one online must say which team runs it', async () => {
      const admin = new Person(app, 'ra-admin', 'Ada Admin', adminId);
      const online = { venue: 'online', onlineLink: 'https://teams.microsoft.com/l/meetup-join/abc' };
      expect(formFields(await preview(online, admin)).get('runBy')?.error).to.equal('You are in more than one RA team: choose which one runs this session.');
      const shown = readAll(await preview({ ...online, runBy: 'scw' }, admin));
      expect(shown).to.include('Run by: South, Central and West CSU RA (smartcard) service');
      expect(shown).to.include('Where: Online (the link comes with your place)');
    });

    it('the preview is the announcement as people will see it, with Announce, Edit and Discard, and says how many it will reach', async () => {
      await audience(3);
      await robin.say('hello');
      const replies = await preview();
      expectValidCards(cardsOf(replies));
      const text = readAll(replies);
      expect(text).to.include('Preview: nothing has been sent yet.');
      expect(text).to.include('Training: Registration Agent Advanced');
      expect(text).to.include('Course: Registration Agent Advanced');
      expect(text).to.include('When: Tuesday 8 December 2026, 10:00 (GMT)');
      expect(text).to.include('How long: 3 hours, until 13:00 (GMT)');
      expect(text).to.include(`Where: ${poole}`);
      expect(text).to.include('Places left: 10 of 10');
      expect(text).to.include('Book by: Tuesday 1 December 2026');
      expect(text).to.include('Run by: NHS Dorset Smartcard Support Team');
      expect(text).to.include('Bring your smartcard.');
      expect(text).to.include('It will go to 4 people');
      expect(replies.flatMap((r) => r.buttons).map((b) => b.title)).to.deep.equal(['Announce', 'Edit', 'Discard']);
      const [session] = await store.list({});
      expect(session).to.deep.include({ state: 'draft', teamId: 'dorset', startsAt: '2026-12-08T10:00:00.000Z', capacity: 10, bookingClosesAt: '2026-12-02T00:00:00.000Z' });
      expect(session?.id).to.match(/^TS-[A-Z0-9]{6}$/);
    });

    it('in summer the time is BST, and a time the clocks pass twice is the first, said so', async () => {
      const summer = readAll(await preview({ date: '2027-06-15', bookingDeadline: '2027-06-10' }));
      expect(summer).to.include('When: Tuesday 15 June 2027, 10:00 (BST)');
      const twice = readAll(await preview({ date: '2027-10-31', startTime: '01:30', bookingDeadline: '2027-10-29' }));
      expect(twice).to.include('When: Sunday 31 October 2027, 01:30 (BST)');
      expect(twice).to.include('The clocks go back that night, so 01:30 happens twice: this is the first, 01:30 (BST).');
    });

    it('Edit shows the form again with the values; Preview then changes the same draft, not a new one', async () => {
      const shown = await preview();
      const form = await robin.press(button(shown, 'Edit'));
      expect(formFields(form).get('capacity')?.value).to.equal(10);
      expect(formFields(form).get('note')?.value).to.equal('Bring your smartcard.');
      const again = await robin.press({ ...button(form, 'Preview'), ...sessionInputs, capacity: '12' });
      expect(readAll(again)).to.include('Places left: 12 of 12');
      const sessions = await store.list({});
      expect(sessions).to.have.length(1);
      expect(sessions[0]?.capacity).to.equal(12);
      expect(button(again, 'Announce')['session']).to.equal(button(shown, 'Announce')['session']);
    });

    it('Discard keeps it from ever being sent; its old buttons do nothing', async () => {
      const shown = await preview();
      expect(readAll(await robin.press(button(shown, 'Discard')))).to.include('Discarded: nothing was sent.');
      expect(readAll(await robin.press(button(shown, 'Announce')))).to.include('can do that, so nothing has changed');
      expect(readAll(await robin.say('training dates'))).to.include('There are no training sessions to book just now.');
    });
  });

  describe('announcing', () => {
    it('Announce queues one broadcast to everyone in the audience; pressing it again sends nothing more', async () => {
      const people = await audience(3);
      await robin.say('hello');
      const shown = await preview();
      const first = readAll(await robin.press(button(shown, 'Announce')));
      expect(first).to.match(/Announced \*\*TS-[A-Z0-9]{6}\*\*: it is going to 4 people/);
      expect(readAll(await robin.press(button(shown, 'Announce')))).to.include('was already announced, to 4 people, so I haven\'t sent it again');
      await app.broadcasts.drain();
      for (const p of people) {
        const got = sentTo(notifier, `personal-${p.userId}`);
        expect(got, p.userId).to.have.length(1);
        expect(got[0]?.text).to.include('Training: Registration Agent Advanced');
        expect(got[0]?.text).to.include('When: Tuesday 8 December 2026, 10:00 (GMT)');
        expect(got[0]?.text).to.include('Places left: 10 of 10');
        expect(got[0]?.buttons.map((b) => b.title)).to.deep.equal(['Book a place']);
        expectValidCards([got[0]?.card]);
      }
      const id = String(button(shown, 'Announce')['session']);
      const report = await app.broadcasts.report(`announce:${id}`);
      expect(report).to.deep.include({ total: 4, finished: true });
      expect(report?.counts.sent).to.equal(4);
    });

    it('two presses of Announce at the same moment still queue it once', async () => {
      await audience(2);
      const shown = await preview();
      const presses = await Promise.all([robin.press(button(shown, 'Announce')), robin.press(button(shown, 'Announce'))]);
      const said = presses.map(readAll).join('\n');
      expect(said).to.match(/Announced \*\*TS-/);
      await app.broadcasts.drain();
      expect(sentTo(notifier, 'personal-user-1')).to.have.length(1);
      expect(sentTo(notifier, 'personal-user-2')).to.have.length(1);
    });

    it('people who turned announcements off are not sent it, and the audience can be one team\'s area', async () => {
      const [amy, ben] = await audience(2);
      await amy?.say('stop announcements');
      await announced();
      expect(sentTo(notifier, 'personal-user-1')).to.have.length(0);
      expect(sentTo(notifier, `personal-${ben?.userId ?? ''}`)).to.have.length(1);
    });

    it('a day-before reminder is scheduled for 10:00 UK time, and goes to those with a place, not those waiting', async () => {
      const people = await audience(3);
      const id = await announced({ capacity: '2' });
      const [job] = await app.schedule.waiting(`session-reminder:${id}`);
      expect(job).to.deep.include({ kind: 'session-reminder', dueAt: '2026-12-07T10:00:00.000Z' });
      for (const p of people) await p.press({ verb: 'training.act', session: id, action: 'book' });
      notifier.sent.length = 0;
      clock.set('2026-12-07T09:59:00Z');
      expect(await app.scheduler.tick()).to.deep.include({ ran: 0 });
      clock.set('2026-12-07T10:00:00Z');
      expect(await app.scheduler.tick()).to.deep.include({ ran: 1 });
      await app.broadcasts.drain();
      const reminded = sentTo(notifier, 'personal-user-1');
      expect(reminded).to.have.length(1);
      expect(reminded[0]?.text).to.include('Reminder: Registration Agent Advanced tomorrow');
      expect(reminded[0]?.text).to.include('When: Tuesday 8 December 2026, 10:00 (GMT)');
      expect(sentTo(notifier, 'personal-user-2')).to.have.length(1);
      expect(sentTo(notifier, 'personal-user-3')).to.have.length(0);
      // Run again (a crash before the job was marked done): the same broadcast id queues nothing new.
      await app.scheduler.tick();
      await app.broadcasts.drain();
      expect(sentTo(notifier, 'personal-user-1')).to.have.length(1);
    });

    it('a summer session\'s reminder is at 10:00 BST, 09:00 UTC', async () => {
      const id = await announced({ date: '2027-03-30', bookingDeadline: '2027-03-27' });
      const [job] = await app.schedule.waiting(`session-reminder:${id}`);
      expect(job?.dueAt).to.equal('2027-03-29T09:00:00.000Z');
    });
  });

  describe('scheduling an announcement for later', () => {
    /** Announce on Wednesday 25 November 2026 at 09:00, UK time (GMT). */
    const later = { announceOn: '2026-11-25', announceTime: '09:00' };

    /** Robin previews with a time to announce it and presses Schedule; returns the session id. */
    async function scheduled(changes: Record<string, string> = {}): Promise<string> {
      const shown = await preview({ ...later, ...changes });
      expect(readAll(await robin.press(button(shown, 'Schedule')))).to.include('Scheduled **');
      return String(button(shown, 'Schedule')['session']);
    }

    /** Messages sent to the people who said hello (not Robin's own chat, where the report card goes). */
    const announcementsSent = () => notifier.sent.filter((s) => s.kind === 'send' && s.conversationId.startsWith('personal-user-'));

    /** The app built on stores that outlive it, so a test can stop it and build it again: a restart. */
    function appOn(stores: { audience: ReturnType<typeof memoryAudience>; broadcastStore: ReturnType<typeof memoryBroadcasts>; schedule: CrashingSchedule }): Promise<App> {
      return testApp({ RA_ADMINS: adminId }, new MemoryStorage(), memoryQuestionLog(), { clock, notifier, training: store, knowledgeDir, ...stores });
    }

    async function restartOn(stores: Parameters<typeof appOn>[0]): Promise<void> {
      await app.stop();
      app = await appOn(stores);
      robin = new Person(app, 'ra-robin', 'Robin Dorset', dorsetMemberId);
    }

    it('the preview says when it will go out and its button reads Schedule; pressed, it stores the session and its job, sends nothing, and says when (GMT)', async () => {
      await audience(2);
      const shown = await preview(later);
      expectValidCards(cardsOf(shown));
      const text = readAll(shown);
      expect(text).to.include('Preview: nothing has been sent yet.');
      expect(text).to.include('It will be announced on Wednesday 25 November 2026, 09:00 (GMT), when you press Schedule.');
      expect(text).to.include('Until then only your RA team can see it, under **training dates**, and nobody can book.');
      expect(shown.flatMap((r) => r.buttons).map((b) => b.title)).to.deep.equal(['Schedule', 'Edit', 'Discard']);
      const id = String(button(shown, 'Schedule')['session']);

      // Two presses at the same moment schedule it once.
      const presses = await Promise.all([robin.press(button(shown, 'Schedule')), robin.press(button(shown, 'Schedule'))]);
      const done = presses.map(readAll).join('\n');
      expect(done).to.include(`Scheduled **${id}**: it will be announced on Wednesday 25 November 2026, 09:00 (GMT) to everyone in its audience then`);
      expect(done.match(/Scheduled \*\*/g)).to.have.length(1);
      expect(done).to.include(`To stop it, say **cancel session ${id}**.`);
      expect(await store.get(id)).to.deep.include({ state: 'scheduled', announceAt: '2026-11-25T09:00:00.000Z' });
      expect(await app.schedule.waiting('session-announce:')).to.deep.equal([
        { id: `session-announce:${id}`, kind: 'session-announce', dueAt: '2026-11-25T09:00:00.000Z', payload: { session: id }, state: 'waiting' },
      ]);
      await app.broadcasts.drain();
      expect(notifier.sent).to.deep.equal([]);
      expect(await app.schedule.waiting(`session-reminder:${id}`)).to.deep.equal([]);

      // Pressed again (or at once elsewhere): nothing changes.
      expect(readAll(await robin.press(button(shown, 'Schedule')))).to.include(`**${id}** is already scheduled to be announced on Wednesday 25 November 2026, 09:00 (GMT), so nothing has changed.`);
      expect(readAll(await robin.press(button(shown, 'Edit')))).to.include(`${id} is scheduled to be announced on Wednesday 25 November 2026, 09:00 (GMT), so it can't be edited.`);
      expect(await app.schedule.waiting('session-announce:')).to.have.length(1);
    });

    it('until it goes, only its RA team sees it: listed for them as scheduled, not listed or bookable for anyone else', async () => {
      const id = await scheduled();
      const dates = await robin.say('training dates');
      expectValidCards(cardsOf(dates));
      expect(readAll(dates)).to.include(`Registration Agent Advanced (${id})`);
      expect(readAll(dates)).to.include('Not announced yet: announcement scheduled for Wednesday 25 November 2026, 09:00 (GMT). Only your RA team sees it until it is announced.');
      expect(dates.flatMap((r) => r.buttons).map((b) => b.title)).to.deep.equal(['Show', 'Cancel the session']);
      const card = await robin.pressButton(dates, 'Show');
      expect(readAll(card)).to.include('Not announced yet: announcement scheduled for Wednesday 25 November 2026, 09:00 (GMT).');
      expect(card.flatMap((r) => r.buttons).map((b) => b.title)).to.deep.equal(['Cancel the session']);
      expect(readAll(await robin.say(`attendees ${id}`))).to.include('Nothing has been sent yet, and nobody can book until it is announced.');

      const zoe = new Person(app, 'zoe', 'Zoe Early');
      expect(readAll(await zoe.say('training dates'))).to.include('There are no training sessions to book just now.');
      expect(readAll(await zoe.say(`book ${id}`))).to.include(`I can't find a training session ${id} to book.`);
      expect(readAll(await zoe.say(`show ${id}`))).to.include(`I can't find a training session ${id}.`);
      const kim = new Person(app, 'ra-kim', 'Kim Scw', scwMemberId);
      expect(readAll(await kim.say('training dates'))).to.include('There are no training sessions to book just now.');
      expect((await store.get(id))?.bookings).to.deep.equal([]);
    });

    it('at its time the scheduler announces it once, to the audience at that moment, with the delivery report to its author; another tick sends nothing more', async () => {
      const [amy, ben] = await audience(2);
      const id = await scheduled();
      // Someone who first talks to the assistant after it was scheduled is in the audience when it goes.
      const cal = new Person(app, 'user-3', 'Cal Later');
      await cal.say('hello');
      clock.set('2026-11-25T08:59:00Z');
      expect(await app.scheduler.tick()).to.deep.include({ ran: 0 });
      await app.broadcasts.drain();
      expect(announcementsSent()).to.deep.equal([]);

      clock.set('2026-11-25T09:00:00Z');
      expect(await app.scheduler.tick()).to.deep.include({ ran: 1 });
      await app.broadcasts.drain();
      for (const p of [amy, ben, cal]) {
        const got = sentTo(notifier, `personal-${p?.userId ?? ''}`);
        expect(got, p?.userId).to.have.length(1);
        expect(got[0]?.text).to.include('Training: Registration Agent Advanced');
        expect(got[0]?.text).to.include('When: Tuesday 8 December 2026, 10:00 (GMT)');
        expect(got[0]?.buttons.map((b) => b.title)).to.deep.equal(['Book a place']);
      }
      const report = lastShown(notifier, 'personal-ra-robin');
      expect(report).to.include('Training: Registration Agent Advanced, 8 Dec');
      expect(report).to.match(/Finished: sent to \d of \d/);
      expect(await store.get(id)).to.deep.include({ state: 'announced', announcedAt: '2026-11-25T09:00:00.000Z' });
      expect((await app.schedule.waiting(`session-reminder:${id}`))[0]?.dueAt).to.equal('2026-12-07T10:00:00.000Z');
      expect(await app.schedule.waiting('session-announce:')).to.deep.equal([]);

      const before = notifier.sent.filter((s) => s.kind === 'send').length;
      expect(await app.scheduler.tick()).to.deep.include({ ran: 0 });
      await app.broadcasts.drain();
      expect(notifier.sent.filter((s) => s.kind === 'send')).to.have.length(before);
      // Now anyone can book it, and Schedule pressed on the old preview changes nothing.
      expect(readAll(await cal.say(`book ${id}`))).to.include('Booked: Registration Agent Advanced');
      expect(readAll(await robin.press({ verb: 'training.act', session: id, action: 'schedule', version: 1 }))).to.include(`${id} has already been announced, so there is nothing to schedule.`);
    });

    it('after a crash between sending it and marking its job done, the bot restarted runs the job again and sends nothing twice', async () => {
      const stores = { audience: memoryAudience(), broadcastStore: memoryBroadcasts(), schedule: new CrashingSchedule() };
      await restartOn(stores);
      await audience(2);
      const id = await scheduled();
      clock.set('2026-11-25T09:00:00Z');
      stores.schedule.failFinish = true;
      await app.scheduler.tick();
      await app.broadcasts.drain();
      expect(announcementsSent()).to.have.length(2);
      expect(await stores.schedule.waiting(`session-announce:${id}`)).to.have.length(1);

      stores.schedule.failFinish = false;
      await restartOn(stores);
      await app.catchUp();
      expect(await app.scheduler.tick()).to.deep.include({ ran: 1 });
      await app.broadcasts.drain();
      expect(announcementsSent()).to.have.length(2);
      expect(await stores.schedule.waiting(`session-announce:${id}`)).to.deep.equal([]);
      expect(await app.broadcasts.report(`announce:${id}`)).to.deep.include({ finished: true });
    });

    it('missed while the bot was down: days late, the first tick after it starts again announces it, once', async () => {
      const stores = { audience: memoryAudience(), broadcastStore: memoryBroadcasts(), schedule: new CrashingSchedule() };
      await restartOn(stores);
      const people = await audience(2);
      const id = await scheduled();
      await app.stop();
      // Down from before 25 November 09:00 until the 28th.
      clock.set('2026-11-28T15:00:00Z');
      app = await appOn(stores);
      await app.catchUp();
      expect(await app.scheduler.tick()).to.deep.include({ ran: 1 });
      await app.broadcasts.drain();
      for (const p of people) expect(sentTo(notifier, `personal-${p.userId}`), p.userId).to.have.length(1);
      expect(lastShown(notifier, 'personal-ra-robin')).to.match(/Finished: sent to \d of \d/);
      await app.catchUp();
      expect(await app.scheduler.tick()).to.deep.include({ ran: 0 });
      await app.broadcasts.drain();
      for (const p of people) expect(sentTo(notifier, `personal-${p.userId}`), p.userId).to.have.length(1);
      expect(await store.get(id)).to.deep.include({ state: 'announced', announcedAt: '2026-11-28T15:00:00.000Z' });
    });

    it('missed until booking had closed: it is not announced at all, and its author is told why', async () => {
      await audience(2);
      const id = await scheduled();
      clock.set('2026-12-02T08:00:00Z');
      expect(await app.scheduler.tick()).to.deep.include({ ran: 1 });
      await app.broadcasts.drain();
      expect(announcementsSent()).to.deep.equal([]);
      expect(lastShown(notifier, 'personal-ra-robin')).to.include(
        `I couldn't announce Registration Agent Advanced, 8 Dec (${id}) on Wednesday 25 November 2026, 09:00 (GMT) as scheduled, and booking for it has closed since, so I haven't announced it at all.`,
      );
      expect(readAll(await robin.say('training dates'))).to.include('Not announced: its time, Wednesday 25 November 2026, 09:00 (GMT), passed when I could not send it, and booking has closed since.');
      expect((await store.get(id))?.state).to.equal('scheduled');
    });

    it('cancelled before its time, it is never sent; a job that runs for a cancelled or discarded session does nothing', async () => {
      await audience(2);
      const id = await scheduled();
      const confirm = await robin.say(`cancel session ${id}`);
      expectValidCards(cardsOf(confirm));
      expect(readAll(confirm)).to.include("It hasn't been announced yet (that is set for Wednesday 25 November 2026, 09:00 (GMT)): cancelled, it never will be.");
      const done = readAll(await robin.press(button(confirm, 'Yes, cancel the session')));
      expect(done).to.include(`Registration Agent Advanced, 8 Dec (${id}) is cancelled and no longer listed. It was never announced, and now it won't be: nothing has been sent.`);
      expect(await app.schedule.waiting('session-announce:')).to.deep.equal([]);
      clock.set('2026-11-25T09:00:00Z');
      expect(await app.scheduler.tick()).to.deep.include({ ran: 0 });

      // A job stored for it anyway (or for a discarded draft) finds nothing to announce.
      const shown = await preview();
      const draft = String(button(shown, 'Announce')['session']);
      await robin.press(button(shown, 'Discard'));
      for (const session of [id, draft]) await app.schedule.put({ id: `session-announce:${session}`, kind: 'session-announce', dueAt: '2026-11-25T09:00:00.000Z', payload: { session } });
      expect(await app.scheduler.tick()).to.deep.include({ ran: 2 });
      await app.broadcasts.drain();
      expect(announcementsSent()).to.deep.equal([]);
      expect((await store.get(id))?.state).to.equal('cancelled');
      expect((await store.get(draft))?.state).to.equal('discarded');
      expect(readAll(await robin.say('training dates'))).to.include('There are no training sessions to book just now.');
    });

    it('bad times to announce come back next to their field, and nothing is stored', async () => {
      const cases: readonly (readonly [Record<string, string>, string, string])[] = [
        [{ announceOn: '2026-11-25' }, 'announceTime', 'Give the time to announce it as well, or leave the day empty to announce it when you press Announce.'],
        [{ announceTime: '09:00' }, 'announceOn', 'Give the day to announce it as well, or leave the time empty to announce it when you press Announce.'],
        [{ announceOn: '2026-11-20', announceTime: '09:00' }, 'announceOn', 'This date cannot be in the past.'],
        [
          { announceOn: '2026-11-21', announceTime: '09:00' },
          'announceTime',
          'Saturday 21 November 2026, 09:00 (GMT) has already passed. Choose a time still to come, or leave both empty to announce it when you press Announce.',
        ],
        [{ announceOn: '2026-12-02', announceTime: '09:00' }, 'announceOn', 'Announce it by the last day to book, so that people can book.'],
        [{ bookingDeadline: '2026-12-08', announceOn: '2026-12-08', announceTime: '10:00' }, 'announceTime', 'Announce it before the session starts, Tuesday 8 December 2026, 10:00 (GMT).'],
        [
          { date: '2027-04-10', bookingDeadline: '2027-04-01', announceOn: '2027-03-28', announceTime: '01:30' },
          'announceTime',
          'There is no 01:30 on Sunday 28 March 2027 in the UK: the clocks go forward an hour that night. Choose another time.',
        ],
      ];
      for (const [changes, field, problem] of cases) {
        const replies = await preview(changes);
        expect(readAll(replies)).to.include('Please correct the fields marked below. Nothing has been saved or sent yet.');
        expect(formFields(replies).get(field)?.error, JSON.stringify(changes)).to.equal(problem);
      }
      expect(await store.list({})).to.deep.equal([]);
    });

    it('in summer the time to announce is BST: 09:00 BST is 08:00 UTC, and it goes then', async () => {
      const [amy] = await audience(1);
      const summer = { date: '2027-06-15', bookingDeadline: '2027-06-10', announceOn: '2027-06-01', announceTime: '09:00' };
      const shown = await preview(summer);
      expect(readAll(shown)).to.include('It will be announced on Tuesday 1 June 2027, 09:00 (BST), when you press Schedule.');
      const id = String(button(shown, 'Schedule')['session']);
      expect(readAll(await robin.press(button(shown, 'Schedule')))).to.include('it will be announced on Tuesday 1 June 2027, 09:00 (BST)');
      expect((await app.schedule.waiting(`session-announce:${id}`))[0]?.dueAt).to.equal('2027-06-01T08:00:00.000Z');
      clock.set('2027-06-01T07:59:00Z');
      expect(await app.scheduler.tick()).to.deep.include({ ran: 0 });
      clock.set('2027-06-01T08:00:00Z');
      expect(await app.scheduler.tick()).to.deep.include({ ran: 1 });
      await app.broadcasts.drain();
      const got = sentTo(notifier, `personal-${amy?.userId ?? ''}`);
      expect(got).to.have.length(1);
      expect(got[0]?.text).to.include('When: Tuesday 15 June 2027, 10:00 (BST)');
    });

    it('when its time passes before Schedule is pressed, nothing is scheduled; the preview then offers Announce, which sends it now', async () => {
      const [amy] = await audience(1);
      const shown = await preview(later);
      const id = String(button(shown, 'Schedule')['session']);
      clock.set('2026-11-25T09:05:00Z');
      const late = await robin.press(button(shown, 'Schedule'));
      expect(readAll(late)).to.include(`The time you gave to announce ${id}, Wednesday 25 November 2026, 09:00 (GMT), has passed, so I haven't scheduled it.`);
      expect(readAll(late)).to.include('Press Announce to send it now, or Edit to choose another time.');
      expect(late.flatMap((r) => r.buttons).map((b) => b.title)).to.deep.equal(['Announce', 'Edit', 'Discard']);
      expect(await app.schedule.waiting('session-announce:')).to.deep.equal([]);
      expect(readAll(await robin.press(button(late, 'Announce')))).to.include(`Announced **${id}**`);
      await app.broadcasts.drain();
      expect(sentTo(notifier, `personal-${amy?.userId ?? ''}`)).to.have.length(1);
    });
  });

  describe('booking', () => {
    it('"Book a place" on the announcement books; booking again changes nothing; training dates and my bookings show it', async () => {
      const [amy] = await audience(1);
      if (!amy) throw new Error('no amy');
      await announced();
      const [announcement] = sentTo(notifier, 'personal-user-1');
      const book = announcement?.buttons.find((b) => b.title === 'Book a place')?.data as Record<string, unknown>;
      const booked = await amy.press(book);
      expectValidCards(cardsOf(booked));
      expect(readAll(booked)).to.include('Booked: Registration Agent Advanced');
      expect(readAll(booked)).to.include('You have a place.');
      expect(readAll(booked)).to.include('Places left: 9 of 10');
      expect(readAll(await amy.press(book))).to.include('You already have a place');
      const dates = await amy.say('training dates');
      expectValidCards(cardsOf(dates));
      expect(readAll(dates)).to.include('Training dates');
      expect(readAll(dates)).to.include('You have a place.');
      expect(dates.flatMap((r) => r.buttons).map((b) => b.title)).to.deep.equal(['Cancel my booking']);
      const mine = await amy.say('my bookings');
      expect(readAll(mine)).to.include('Your training bookings');
      expect(readAll(mine)).to.include('When: Tuesday 8 December 2026, 10:00 (GMT)');
      expect(mine.flatMap((r) => r.buttons).map((b) => b.title)).to.deep.equal(['Cancel my booking']);
    });

    it('asking about training in words answers from the knowledge base, whose Training dates button lists the sessions to book', async () => {
      const id = await announced();
      const zoe = new Person(app, 'zoe', 'Zoe Asker');
      const answer = await zoe.say('when is the next RAA training session');
      expect(readAll(answer)).to.include('CIS smartcard training for RA agents and Sponsors');
      const dates = await zoe.pressButton(answer, 'Training dates');
      expect(readAll(dates)).to.include(`Registration Agent Advanced (${id})`);
      expect(dates.flatMap((r) => r.buttons).map((b) => b.title)).to.include('Book a place');
    });

    it('anyone can book from "training dates", and can type "book TS-..." instead of pressing', async () => {
      const id = await announced();
      const zoe = new Person(app, 'zoe', 'Zoe Never-Announced');
      const dates = await zoe.say('training dates');
      expect(readAll(dates)).to.include(`Registration Agent Advanced (${id})`);
      expect(readAll(dates)).to.include('Places left: 10 of 10');
      expect(readAll(await zoe.say(`book ${id.toLowerCase()}`))).to.include('Booked: Registration Agent Advanced');
    });

    it('100 people pressing Book at the same moment for 10 places: exactly 10 booked and 90 on the waiting list; a cancelled place goes to the first waiting, who is told', async () => {
      const id = await announced({ capacity: '10' });
      const people = Array.from({ length: 100 }, (_, i) => new Person(app, `booker-${i + 1}`, `Booker ${i + 1}`));
      const replies = await Promise.all(people.map((p) => p.press({ verb: 'training.act', session: id, action: 'book' })));
      const texts = replies.map(readAll);
      expect(texts.filter((t) => t.includes('Booked: Registration Agent Advanced'))).to.have.length(10);
      expect(texts.filter((t) => t.includes('Full: you are on the waiting list'))).to.have.length(90);
      const session = await store.get(id);
      expect(session?.bookings.filter((b) => b.status === 'booked')).to.have.length(10);
      const firstWaiting = session?.bookings.find((b) => b.status === 'waiting');
      const firstBooked = people.find((p) => p.userId === session?.bookings[0]?.userId);
      if (!firstWaiting || !firstBooked) throw new Error('no bookings');
      const waitingPerson = people.find((p) => p.userId === firstWaiting.userId);
      expect(readAll(await waitingPerson?.say('my bookings') ?? [])).to.include('You are number 1 on the waiting list.');

      notifier.sent.length = 0;
      const cancelled = await firstBooked.press({ verb: 'training.act', session: id, action: 'cancel-booking' });
      expect(readAll(cancelled)).to.include("Done: I've cancelled your place on Registration Agent Advanced, 8 Dec");
      await app.broadcasts.drain();
      const told = sentTo(notifier, `personal-${firstWaiting.userId}`);
      expect(told).to.have.length(1);
      expect(told[0]?.text).to.include("A place came up: you're booked on Registration Agent Advanced");
      expect(told[0]?.text).to.include('You have a place.');
      expect(notifier.sent.filter((s) => s.kind === 'send')).to.have.length(1);
      expect(readAll(await waitingPerson?.say('my bookings') ?? [])).to.include('You have a place.');
      const after = await store.get(id);
      expect(after?.bookings.filter((b) => b.status === 'booked')).to.have.length(10);
      expect(after?.bookings.filter((b) => b.status === 'waiting')).to.have.length(89);
    });

    it('when the bot stopped between giving a freed place and queueing its message, the person is told at the next start, once', async () => {
      const id = await announced({ capacity: '1' });
      const [first, second] = [new Person(app, 'first', 'First Booker'), new Person(app, 'second', 'Second Booker')];
      await first.press({ verb: 'training.act', session: id, action: 'book' });
      await second.press({ verb: 'training.act', session: id, action: 'book' });
      // The store gives the place on, and the process dies before the message is queued.
      const cancelled = await store.cancelBooking(id, 'first', clock.now().toISOString());
      expect(cancelled.kind === 'cancelled' && cancelled.promoted?.booking.userId).to.equal('second');
      notifier.sent.length = 0;
      await app.catchUp();
      await app.catchUp();
      await app.broadcasts.drain();
      const told = sentTo(notifier, 'personal-second');
      expect(told).to.have.length(1);
      expect(told[0]?.text).to.include("A place came up: you're booked on Registration Agent Advanced");
      expect(notifier.sent.filter((s) => s.kind === 'send')).to.have.length(1);
    });

    it('leaving the waiting list moves the others up and gives nobody a place', async () => {
      const id = await announced({ capacity: '1' });
      const [a, b, c] = await audience(3);
      for (const p of [a, b, c]) await p?.press({ verb: 'training.act', session: id, action: 'book' });
      notifier.sent.length = 0;
      expect(readAll((await b?.say(`leave waiting list ${id}`)) ?? [])).to.include("Done: you've left the waiting list");
      expect(readAll((await c?.say('my bookings')) ?? [])).to.include('You are number 1 on the waiting list.');
      await app.broadcasts.drain();
      expect(notifier.sent.filter((s) => s.kind === 'send')).to.deep.equal([]);
      expect(readAll((await b?.say(`cancel booking ${id}`)) ?? [])).to.include('You have no booking on');
    });

    it('after the last day to book, booking is refused with the RA team to call; an earlier booking can still be cancelled', async () => {
      const id = await announced();
      const [amy, ben] = await audience(2);
      await amy?.press({ verb: 'training.act', session: id, action: 'book' });
      clock.set('2026-12-02T00:00:00Z');
      const late = readAll((await ben?.press({ verb: 'training.act', session: id, action: 'book' })) ?? []);
      expect(late).to.include('Booking for Registration Agent Advanced, 8 Dec closed at the end of Tuesday 1 December 2026. If you still need a place, contact NHS Dorset Smartcard Support Team on 01202 541604.');
      expect(readAll((await ben?.say('training dates')) ?? [])).to.include('Booking has closed.');
      expect(readAll((await amy?.press({ verb: 'training.act', session: id, action: 'cancel-booking' })) ?? [])).to.include("I've cancelled your place");
      clock.set('2026-12-08T10:00:00Z');
      expect(readAll((await ben?.say('training dates')) ?? [])).to.include('There are no training sessions to book just now.');
    });

    it('a booking from a channel uses the person\'s personal chat for news about their place, or asks them to book there', async () => {
      const id = await announced();
      const inChannel = new Chat(app, { userId: 'chan-only', conversationType: 'channel', conversationId: '19:c@thread.tacv2' });
      expect(readAll(await inChannel.press({ verb: 'training.act', session: id, action: 'book' }))).to.include('Please book in your personal chat with me');
      expect((await store.get(id))?.bookings).to.deep.equal([]);
    });

    it('forged or stale buttons do nothing harmful', async () => {
      const outsider = new Person(app, 'outsider', 'Mallory');
      expect(readAll(await outsider.press({ verb: 'training.act', session: 'TS-ZZZZZZ', action: 'book' }))).to.include("I can't find a training session TS-ZZZZZZ");
      expect(readAll(await outsider.press({ verb: 'training.act', session: 'not-an-id', action: 'book' }))).to.include('sent data I cannot use');
      const shown = await preview();
      const id = String(button(shown, 'Announce')['session']);
      expect(readAll(await outsider.press({ verb: 'training.act', session: id, action: 'book' }))).to.include("I can't find a training session");
      expect(readAll(await outsider.press({ verb: 'training.act', session: id, action: 'announce', version: 1 }))).to.include('Only members of the RA team running');
      expect((await store.get(id))?.state).to.equal('draft');
    });
  });

  describe('the RA team: attendees, export and cancelling', () => {
    async function bookedSession(): Promise<{ id: string; people: Person[] }> {
      const id = await announced({ capacity: '2' });
      const people = [new Person(app, 'p-1', 'Alex Able'), new Person(app, 'p-2', '=HYPERLINK("x")'), new Person(app, 'p-3', 'Chris [Link](x)')];
      for (const p of people) await p.press({ verb: 'training.act', session: id, action: 'book' });
      return { id, people };
    }

    it('the team sees who is booked and who is waiting, in order; other teams and others cannot', async () => {
      const { id } = await bookedSession();
      const list = await robin.say(`attendees ${id}`);
      expectValidCards(cardsOf(list));
      const text = readAll(list);
      expect(text).to.include('Attendees: Registration Agent Advanced');
      expect(text).to.include('Places: 2 of 2 taken');
      expect(text).to.include('Booked (2)');
      expect(text).to.include('1. Alex Able (booked 2026-11-21 09:30)');
      expect(text).to.include('Waiting list (1), in order');
      expect(text).to.include('1. Chris Linkx (since 2026-11-21 09:30)');
      expect(list.flatMap((r) => r.buttons).map((b) => b.title)).to.deep.equal(['Export the list (CSV)', 'Cancel the session']);
      const kim = new Person(app, 'ra-kim', 'Kim Scw', scwMemberId);
      expect(readAll(await kim.press({ verb: 'training.act', session: id, action: 'attendees' }))).to.include(`Only members of the RA team running ${id} can do that`);
      const outsider = new Person(app, 'outsider', 'Mallory');
      const refused = readAll(await outsider.press({ verb: 'training.act', session: id, action: 'export' }));
      expect(refused).to.include('can do that, so nothing has changed');
      expect(refused).not.to.include('Alex Able');
      const admin = new Person(app, 'ra-admin', 'Ada Admin', adminId);
      expect(readAll(await admin.say(`attendees ${id}`))).to.include('Alex Able');
    });

    it('outside Teams file consent (here no tenant), the export is CSV in the message, formulas defused', async () => {
      const { id } = await bookedSession();
      const text = readAll(await robin.say(`export ${id}`));
      expect(text).to.include(`Attendees for Registration Agent Advanced, 8 Dec (${id}), as CSV:`);
      const csv = /```\n([\s\S]*)```/.exec(text)?.[1];
      expect(csv).to.equal(
        [
          'name,status,waiting position,booked at (UK time),given a place at (UK time)',
          'Alex Able,booked,,2026-11-21 09:30,',
          `"'=HYPERLINK(""x"")",booked,,2026-11-21 09:30,`,
          'Chris [Link](x),waiting,1,2026-11-21 09:30,',
          '',
        ].join('\n'),
      );
    });

    it('in a Teams personal chat the export asks to send a file; accepted, it is uploaded to the URL Teams gives and shown as a file', async () => {
      const { id } = await bookedSession();
      const teamsRobin = new Person(app, 'ra-robin', 'Robin Dorset', dorsetMemberId, { tenantId: 'tenant-1' });
      const offer = await teamsRobin.say(`export ${id}`);
      const consent = offer.flatMap((r) => r.activity.attachments ?? []).find((a) => a.contentType === 'application/vnd.microsoft.teams.card.file.consent');
      expect(consent?.name).to.equal(`attendees-${id}-2026-12-08.csv`);
      expect(consent?.content).to.deep.include({ acceptContext: { session: id }, declineContext: { session: id } });

      const received: { method?: string; headers?: IncomingHttpHeaders; body: string }[] = [];
      const server: Server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          received.push({ method: req.method, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
          res.statusCode = req.url === '/fail' ? 500 : 201;
          res.end();
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = server.address() as AddressInfo;
        const accepted = await teamsRobin.send({
          type: 'invoke',
          name: 'fileConsent/invoke',
          value: {
            type: 'fileUpload',
            action: 'accept',
            context: { session: id },
            uploadInfo: { name: `attendees-${id}-2026-12-08.csv`, uploadUrl: `http://127.0.0.1:${port}/upload/1`, contentUrl: 'https://contoso.sharepoint.invalid/attendees.csv', uniqueId: 'file-1', fileType: 'csv' },
          },
        });
        expect(received).to.have.length(1);
        expect(received[0]?.method).to.equal('PUT');
        expect(received[0]?.body).to.include('Alex Able,booked');
        expect(received[0]?.headers?.['content-range']).to.equal(`bytes 0-${Buffer.byteLength(received[0]?.body ?? '') - 1}/${Buffer.byteLength(received[0]?.body ?? '')}`);
        const info = accepted.flatMap((r) => r.activity.attachments ?? []).find((a) => a.contentType === 'application/vnd.microsoft.teams.card.file.info');
        expect(info).to.deep.include({ contentUrl: 'https://contoso.sharepoint.invalid/attendees.csv', name: `attendees-${id}-2026-12-08.csv` });
        expect(info?.content).to.deep.equal({ uniqueId: 'file-1', fileType: 'csv' });

        const declined = await teamsRobin.send({ type: 'invoke', name: 'fileConsent/invoke', value: { type: 'fileUpload', action: 'decline', context: { session: id } } });
        expect(readAll(declined)).to.include(`OK: I haven't shared the attendee list for ${id}, and nothing was uploaded.`);
        expect(received).to.have.length(1);

        // Someone outside the team cannot get the list by forging an acceptance.
        const forger = new Person(app, 'outsider', 'Mallory', 'aad-outsider', { tenantId: 'tenant-1' });
        const forged = await forger.send({
          type: 'invoke',
          name: 'fileConsent/invoke',
          value: { type: 'fileUpload', action: 'accept', context: { session: id }, uploadInfo: { name: 'x.csv', uploadUrl: `http://127.0.0.1:${port}/upload/2`, contentUrl: 'https://x.invalid/x', uniqueId: 'x', fileType: 'csv' } },
        });
        expect(readAll(forged)).to.include("I can't share that list");
        expect(received).to.have.length(1);

        // OneDrive refusing the upload: the list comes in the message instead.
        const failed = await teamsRobin.send({
          type: 'invoke',
          name: 'fileConsent/invoke',
          value: { type: 'fileUpload', action: 'accept', context: { session: id }, uploadInfo: { name: 'a.csv', uploadUrl: `http://127.0.0.1:${port}/fail`, contentUrl: 'https://x.invalid/a', uniqueId: 'a', fileType: 'csv' } },
        });
        expect(readAll(failed)).to.include("I couldn't upload the file to your OneDrive just now. Here is the list in this message instead:");
        expect(readAll(failed)).to.include('Alex Able,booked');
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    });

    it('cancelling a session asks first; confirmed, everyone booked or waiting is told once, it leaves the list and its reminder is cancelled', async () => {
      const { id, people } = await bookedSession();
      const attendees = await robin.say(`attendees ${id}`);
      const confirm = await robin.press(button(attendees, 'Cancel the session'));
      expectValidCards(cardsOf(confirm));
      expect(readAll(confirm)).to.include('Cancel this session?');
      expect(readAll(confirm)).to.include('2 booked and 1 waiting will be told it is cancelled');
      expect(await store.get(id)).to.deep.include({ state: 'announced' });
      notifier.sent.length = 0;
      const done = readAll(await robin.press(button(confirm, 'Yes, cancel the session')));
      expect(done).to.include(`Registration Agent Advanced, 8 Dec (${id}) is cancelled and no longer listed. I'm telling the 3 people who were booked or waiting`);
      expect(readAll(await robin.press(button(confirm, 'Yes, cancel the session')))).to.include('It was already cancelled');
      await app.broadcasts.drain();
      for (const p of people) {
        const told = sentTo(notifier, `personal-${p.userId}`);
        expect(told, p.userId).to.have.length(1);
        expect(told[0]?.text).to.include('This session has been cancelled.');
        expect(told[0]?.text).to.include("Your booking has been cancelled with it: you don't need to do anything.");
      }
      expect(await app.schedule.waiting(`session-reminder:${id}`)).to.deep.equal([]);
      expect(readAll(await people[0]?.say('training dates') ?? [])).to.include('There are no training sessions to book just now.');
      expect(readAll(await people[0]?.press({ verb: 'training.act', session: id, action: 'book' }) ?? [])).to.include('has been cancelled, so it can\'t be booked');
    });

    it('someone outside the team cannot cancel a session, even with a forged confirmation', async () => {
      const { id } = await bookedSession();
      const kim = new Person(app, 'ra-kim', 'Kim Scw', scwMemberId);
      expect(readAll(await kim.press({ verb: 'training.act', session: id, action: 'confirm-cancel-session', version: 1 }))).to.include('nothing has changed');
      expect((await store.get(id))?.state).to.equal('announced');
    });
  });
});
