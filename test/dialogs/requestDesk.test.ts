import { expect } from 'chai';
import { MemoryStorage, type Activity, type TurnContext } from 'botbuilder';
import type { App, AppOverrides } from '../../bot/app.js';
import { memoryBroadcasts } from '../../bot/storage/lowdbBroadcasts.js';
import { cardToText } from '../../cards/flatten.js';
import type { RaRequest } from '../../dialogs/requests.js';
import { cardsOf, memoryQuestionLog, readAll, testApp, testNow, type Reply } from '../support/chat.js';
import { expectValidCards, knowledgeWithMembers, RecordingChat, seededDirectory } from '../support/directory.js';
import { formFields } from '../support/forms.js';
import { memoryRequestStores, type RecordingNotifier } from '../support/requests.js';

const adminId = '3f2b8c1d-5e6a-4b7c-8d9e-0a1b2c3d4e5f';
const scwMemberId = '7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d';
const outsiderId = '11111111-2222-4333-8444-555555555555';
const scwName = 'South, Central and West CSU RA (smartcard) service';
const scwPhone = '0300 5610429';
const lostCardTitle = 'Report a lost, stolen or damaged card';
const requesterConversation = 'conv-1';
const deskThread = '19:desk@thread.tacv2;messageid=1';
const deskChannel = '19:desk@thread.tacv2';
const apology = 'something went wrong on my side';
const notAllowed = 'Only members of the RA team this request went to can act on RA-000001, so nothing has changed.';

/** What a pharmacy user types into the lost-card form (FA123 is a Hampshire pharmacy, served by SCW). */
const lostCardInputs = {
  what: 'stolen',
  holderName: '  Sam Holder ',
  uuid: '1234 5678 9012',
  odsCode: 'fa123',
  noticed: '2026-11-20',
  replacement: 'true',
  details: 'Taken from a bag at the counter.',
};

type Stores = ReturnType<typeof memoryRequestStores>;

/** Someone talking to the bot under their own name, in their own conversation. */
interface Who {
  readonly userId: string;
  readonly name: string;
  readonly aadObjectId: string;
  readonly conversationId: string;
  readonly conversationType: 'personal' | 'groupChat' | 'channel';
}

const requester: Who = { userId: 'user-1', name: 'Sam Requester', aadObjectId: 'aad-requester', conversationId: requesterConversation, conversationType: 'personal' };
const admin: Who = { userId: 'ra-admin', name: 'Robin Admin', aadObjectId: adminId, conversationId: deskThread, conversationType: 'channel' };
const scwMember: Who = { userId: 'ra-member', name: 'Kim Member', aadObjectId: scwMemberId, conversationId: deskThread, conversationType: 'channel' };
// The same RA people in their personal chats with the bot, where identity-document numbers may be shown.
const adminAlone: Who = { ...admin, conversationId: 'personal-robin', conversationType: 'personal' };
const scwMemberAlone: Who = { ...scwMember, conversationId: 'personal-kim', conversationType: 'personal' };
const outsider: Who = { userId: 'outsider', name: 'Mallory Outsider', aadObjectId: outsiderId, conversationId: deskThread, conversationType: 'channel' };

/**
 * A chat as one named person that keeps every card the bot sends it. Each turn ends once the messages it queued for
 * others (the requester's updates, through the send queue) have gone, as they would a moment later in Teams.
 */
class Person extends RecordingChat {
  constructor(
    sent: unknown[],
    private readonly app: App,
    private readonly who: Who,
  ) {
    super(sent, app, { userId: who.userId, aadObjectId: who.aadObjectId, conversationId: who.conversationId, conversationType: who.conversationType });
  }

  override async send(activity: Partial<Activity>): Promise<Reply[]> {
    const replies = await super.send({ from: { id: this.who.userId, name: this.who.name, aadObjectId: this.who.aadObjectId }, ...activity });
    await this.app.broadcasts.drain();
    return replies;
  }

  /** Presses a desk button on the card posted as `replyToId`, as Teams sends it (the card's id in replyToId). */
  pressOn(replyToId: string, data: Record<string, unknown>): Promise<Reply[]> {
    return this.send({ type: 'message', value: data, replyToId });
  }
}

/** The cards in an activity's attachments. */
function cardsIn(activity: Partial<Activity>): unknown[] {
  return (activity.attachments ?? []).filter((a) => a.contentType === 'application/vnd.microsoft.card.adaptive').map((a) => a.content as unknown);
}

/** A card's text and buttons as a person reads them. */
function readCard(card: unknown): { text: string; buttons: { title: string; data: Record<string, unknown> | undefined }[] } {
  const flat = cardToText(card);
  return { text: flat.text, buttons: flat.buttons.map((b) => ({ title: b.title, data: b.data as Record<string, unknown> | undefined })) };
}

/** The data of the submit button with this title on a card (ShowCard buttons carry no data; their inner Submit does). */
function buttonData(card: unknown, title: string): Record<string, unknown> {
  const data = readCard(card).buttons.find((b) => b.title === title && b.data !== undefined)?.data;
  if (!data) throw new Error(`no "${title}" button on: ${readCard(card).buttons.map((b) => b.title).join(', ')}`);
  return data;
}

function sendButton(replies: readonly Reply[]): Record<string, unknown> {
  const data = replies.flatMap((r) => r.buttons).find((b) => b.title === 'Send to the RA team')?.data;
  if (typeof data !== 'object' || data === null) throw new Error('no Send to the RA team button');
  return data as Record<string, unknown>;
}

/** The notifier's sends (and updates) to one conversation. */
function sentTo(notifier: RecordingNotifier, conversationId: string): { kind: string; text: string; cards: unknown[] }[] {
  return notifier.sent
    .filter((s) => s.conversationId === conversationId)
    .map((s) => ({ kind: s.kind, text: [s.activity.text ?? '', ...cardsIn(s.activity).map((c) => readCard(c).text)].join('\n'), cards: cardsIn(s.activity) }));
}

async function stored(stores: Stores, reference = 'RA-000001'): Promise<RaRequest> {
  const request = await stores.requests.store.get(reference);
  if (!request) throw new Error(`${reference} is not stored`);
  return request;
}

describe('raising requests and working them on the RA desk', () => {
  let knowledge: Awaited<ReturnType<typeof knowledgeWithMembers>>;
  const sent: unknown[] = [];

  before(async () => {
    knowledge = await knowledgeWithMembers('scw', [scwMemberId]);
  });
  after(async () => {
    await knowledge.remove();
  });

  /** The real app (RA_ADMINS = the admin, scw's members = the member) on the seeded directory and in-memory stores. */
  async function start(options: { stores?: Stores; requests?: Stores['requests']; overrides?: AppOverrides } = {}): Promise<{
    app: App;
    stores: Stores;
    notifier: RecordingNotifier;
    updates: Partial<Activity>[];
    as: (who: Who) => Person;
  }> {
    const stores = options.stores ?? memoryRequestStores();
    const updates: Partial<Activity>[] = [];
    const built = await testApp({ RA_ADMINS: adminId }, new MemoryStorage(), memoryQuestionLog(), {
      directory: await seededDirectory(),
      knowledgeDir: knowledge.dataDir,
      ...stores,
      ...(options.requests ? { requests: options.requests } : {}),
      ...options.overrides,
    });
    // TestAdapter drops updates to activities of earlier turns: watch them on the turn instead, as Teams would show them.
    const app: App = {
      ...built,
      handleTurn: (context: TurnContext) => {
        context.onUpdateActivity(async (_context, activity, next) => {
          updates.push(activity);
          await next();
        });
        return built.handleTurn(context);
      },
    };
    return { app, stores, notifier: stores.notifier, updates, as: (who) => new Person(sent, app, who) };
  }

  /** Every card that reached Teams in a scenario (replies, proactive posts, in-place updates) must be one Teams can show. */
  function scenario(title: string, body: (seen: { notifiers: RecordingNotifier[]; updates: Partial<Activity>[][] }) => Promise<void>): void {
    it(title, async () => {
      sent.length = 0;
      const seen = { notifiers: [] as RecordingNotifier[], updates: [] as Partial<Activity>[][] };
      await body(seen);
      expectValidCards([...sent, ...seen.notifiers.flatMap((n) => n.sent.flatMap((s) => cardsIn(s.activity))), ...seen.updates.flat().flatMap(cardsIn)]);
    });
  }

  /** start(), with its notifier and updates checked at the end of the scenario. */
  async function begin(seen: { notifiers: RecordingNotifier[]; updates: Partial<Activity>[][] }, options: Parameters<typeof start>[0] = {}) {
    const started = await start(options);
    seen.notifiers.push(started.notifier);
    seen.updates.push(started.updates);
    return started;
  }

  /** Opens the lost-card form from the menu, as the requester. */
  async function openLostCardForm(person: Person): Promise<Reply[]> {
    return person.pressButton(await person.say('raise a request'), lostCardTitle);
  }

  /** SCW's desk set by the admin, and a stolen-card report filed to it; the desk card as posted. */
  async function filedToDesk(seen: Parameters<typeof begin>[0], options: Parameters<typeof start>[0] = {}) {
    const started = await begin(seen, options);
    await started.as(admin).say('make this the RA desk for scw');
    const sam = started.as(requester);
    await sam.pressButton(await openLostCardForm(sam), 'Send to the RA team', lostCardInputs);
    const post = started.notifier.sent.find((s) => s.kind === 'send' && s.conversationId === deskChannel);
    if (!post?.activityId) throw new Error('the request was not posted to the desk');
    const card = cardsIn(post.activity)[0];
    started.notifier.sent.length = 0;
    return { ...started, deskCard: card, deskCardId: post.activityId };
  }

  /** The card the last in-place update put on the desk. */
  function lastUpdate(updates: readonly Partial<Activity>[]): unknown {
    const update = updates.at(-1);
    if (!update) throw new Error('the desk card was not updated');
    return cardsIn(update)[0];
  }

  describe('choosing a form', () => {
    scenario('when a user says "raise a request", they see one button per form, and the lost-card button opens that form with a one-time draft id on Send', async (seen) => {
      const { as } = await begin(seen);
      const sam = as(requester);
      const menu = await sam.say('raise a request');
      expect(readAll(menu)).to.include('Choose a form.');
      const formButtons = menu.flatMap((r) => r.buttons).filter((b) => String((b.data as { command?: unknown }).command).startsWith('form.'));
      expect(formButtons).to.have.length(9);
      expect(formButtons.map((b) => b.title)).to.include(lostCardTitle);

      const form = await sam.pressButton(menu, lostCardTitle);
      const text = readAll(form);
      expect(text).to.include(lostCardTitle);
      expect(text).to.include('Stolen and lost cards are urgent');
      expect([...formFields(form).keys()]).to.deep.equal(['what', 'holderName', 'uuid', 'odsCode', 'noticed', 'replacement', 'details']);
      const send = sendButton(form);
      expect(send['verb']).to.equal('form.submit');
      expect(send['form']).to.equal('lost-card');
      expect(send['draft']).to.match(/^[a-f0-9-]{36}$/);

      const again = sendButton(await openLostCardForm(sam));
      expect(again['draft'], 'each copy of the form has its own draft id').not.to.equal(send['draft']);
    });

    scenario('when a user with no requests types "my requests", they are told there are none and how to send one', async (seen) => {
      const { as } = await begin(seen);
      expect(readAll(await as(requester).say('my requests'))).to.equal("You haven't sent any requests to an RA team from here. Say **raise a request** to send one.");
    });
  });

  describe('filing a lost-card report', () => {
    scenario('when a valid stolen-card report is sent and SCW has no desk yet, the reply is "Sent: RA-000001", marked urgent, with SCW\'s phone number, and the request is stored normalised', async (seen) => {
      const { as, stores, notifier } = await begin(seen);
      const sam = as(requester);
      const form = await openLostCardForm(sam);
      const ack = await sam.pressButton(form, 'Send to the RA team', lostCardInputs);
      const text = readAll(ack);
      expect(text).to.include('Sent: RA-000001');
      expect(text).to.include('Marked urgent.');
      expect(text, "the desk's call to act is not the requester's").not.to.include('URGENT');
      expect(text).to.include(`Saved for ${scwName}, but their desk isn't set up in Teams yet, so please also tell them: ${scwPhone}.`);
      expect(text).to.include(`Because it is urgent, also phone ${scwName} now: ${scwPhone}.`);
      expect(text).to.include('Status: Open: waiting for the RA team');
      expect(notifier.sent, 'no desk, so nothing is posted').to.deep.equal([]);

      const all = await stores.requests.store.list({});
      expect(all).to.have.length(1);
      const request = all[0] as RaRequest;
      expect(request.reference).to.equal('RA-000001');
      expect(request.formId).to.equal('lost-card');
      expect(request.status).to.equal('open');
      expect(request.teamId).to.equal('scw');
      expect(request.urgent).to.equal(true);
      expect(request.requester).to.include({ id: 'user-1', aadObjectId: 'aad-requester', name: 'Sam Requester' });
      expect(request.organisation?.code).to.equal('FA123');
      expect(request.draft).to.equal(sendButton(form)['draft']);
      expect(request.requesterConversation?.conversation?.id).to.equal(requesterConversation);
      expect(request.fields).to.deep.equal({
        what: 'stolen',
        holderName: 'Sam Holder',
        uuid: '123456789012',
        odsCode: 'FA123',
        noticed: '2026-11-20',
        replacement: 'true',
        details: 'Taken from a bag at the counter.',
      });
      expect(request.history.map((h) => h.action)).to.deep.equal(['filed']);
      expect(request.createdAt).to.equal(testNow.toISOString());

      const mine = readAll(await sam.say('my requests'));
      expect(mine).to.include('Your requests, newest first:');
      expect(mine).to.include(`**RA-000001** ${lostCardTitle}: Open: waiting for the RA team (sent 21 Nov, 09:30)`);
    });

    scenario('when the holder name is missing, the date is in the future and the ODS code is not one, the same form comes back with the values kept and each problem by its field, and nothing is stored', async (seen) => {
      const { as, stores } = await begin(seen);
      const sam = as(requester);
      const form = await openLostCardForm(sam);
      const draft = sendButton(form)['draft'];
      const again = await sam.pressButton(form, 'Send to the RA team', { ...lostCardInputs, what: 'lost', holderName: '', noticed: '2026-12-01', odsCode: 'nope!' });
      const text = readAll(again);
      expect(text).to.include('Please correct the fields marked below. Nothing has been sent yet.');
      expect(text).not.to.include('Sent:');
      expect(text).to.include(lostCardTitle);
      const fields = formFields(again);
      expect(fields.get('holderName')).to.deep.include({ value: '', error: "Card holder's full name is needed." });
      expect(fields.get('noticed')).to.deep.include({ value: '2026-12-01', error: 'This date cannot be in the future.' });
      expect(fields.get('odsCode')?.value).to.equal('nope!');
      expect(fields.get('odsCode')?.error).to.match(/\S/);
      expect(fields.get('what')).to.deep.include({ value: 'lost', error: '' });
      expect(fields.get('uuid')).to.deep.include({ value: '1234 5678 9012', error: '' });
      expect(fields.get('replacement')).to.deep.include({ value: 'true', error: '' });
      expect(fields.get('details')).to.deep.include({ value: 'Taken from a bag at the counter.', error: '' });
      expect(sendButton(again)['draft'], 'the same form, so the same draft').to.equal(draft);
      expect(await stores.requests.store.list({})).to.deep.equal([]);

      // Corrected on the returned card, it is sent once.
      const ack = readAll(await sam.pressButton(again, 'Send to the RA team', { ...lostCardInputs, what: 'lost' }));
      expect(ack).to.include('Sent: RA-000001');
      expect((await stores.requests.store.list({})).map((r) => r.fields['what'])).to.deep.equal(['lost']);
    });

    scenario('when Send is pressed twice on the same card, the request is filed once and the second reply names the first reference', async (seen) => {
      const { as, stores } = await begin(seen);
      const sam = as(requester);
      const form = await openLostCardForm(sam);
      expect(readAll(await sam.pressButton(form, 'Send to the RA team', lostCardInputs))).to.include('Sent: RA-000001');
      const second = readAll(await sam.pressButton(form, 'Send to the RA team', lostCardInputs));
      expect(second).to.include("That form was already sent as **RA-000001**, so I haven't sent it again.");
      expect(second).not.to.include('Sent: RA-000002');
      expect((await stores.requests.store.list({})).map((r) => r.reference)).to.deep.equal(['RA-000001']);

      // A fresh copy of the form is a new request.
      expect(readAll(await sam.pressButton(await openLostCardForm(sam), 'Send to the RA team', lostCardInputs))).to.include('Sent: RA-000002');
    });
  });

  describe('forged and stale card data', () => {
    scenario('when a button names a form that does not exist, the user is told it is not available and nothing is stored', async (seen) => {
      const { as, stores } = await begin(seen);
      const sam = as(requester);
      expect(readAll(await sam.press({ verb: 'form.open', form: 'no-such-form' }))).to.include("That form isn't available any more.");
      expect(readAll(await sam.press({ verb: 'menu.open', command: 'form.no-such-form' }))).to.include("That form isn't available any more.");
      const submitted = readAll(await sam.press({ verb: 'form.submit', form: 'no-such-form', ...lostCardInputs }));
      expect(submitted).to.include("That form isn't available any more, so nothing was sent.");
      expect(submitted).not.to.include('Sent:');
      expect(await stores.requests.store.list({})).to.deep.equal([]);
    });

    scenario('when a submit carries __proto__ and constructor keys, it files only the form\'s own fields and pollutes nothing', async (seen) => {
      const { as, stores } = await begin(seen);
      const sam = as(requester);
      const forged = JSON.parse(
        JSON.stringify({ verb: 'form.submit', form: 'lost-card', ...lostCardInputs }).replace(
          /^\{/,
          '{"__proto__":{"polluted":"yes","teamId":"dorset"},"constructor":{"prototype":{"polluted":"yes"}},"teamId":"dorset","status":"completed",',
        ),
      ) as Record<string, unknown>;
      expect(Object.keys(forged)).to.include.members(['__proto__', 'constructor']);
      const text = readAll(await sam.press(forged));
      expect(text).to.include('Sent: RA-000001');
      expect(text).not.to.include(apology);
      const request = await stored(stores);
      expect(Object.keys(request.fields).sort()).to.deep.equal(['details', 'holderName', 'noticed', 'odsCode', 'replacement', 'uuid', 'what']);
      expect(request.teamId).to.equal('scw');
      expect(request.status).to.equal('open');
      expect(({} as Record<string, unknown>)['polluted']).to.equal(undefined);
      expect(Object.getPrototypeOf(request.fields)).to.equal(Object.prototype);
    });

    scenario('when a submit carries a 100 kB string, the form comes back cut to size with a problem, and nothing is stored', async (seen) => {
      const { as, stores } = await begin(seen);
      const sam = as(requester);
      const huge = 'x'.repeat(100_000);
      const replies = await sam.press({ verb: 'form.submit', form: 'lost-card', ...lostCardInputs, holderName: huge, details: huge, notAField: huge, constructor: huge });
      const text = readAll(replies);
      expect(text).not.to.include(apology);
      expect(text).to.include('Nothing has been sent yet.');
      const fields = formFields(replies);
      expect(fields.get('holderName')).to.deep.include({ value: 'x'.repeat(100), error: 'Keep this to 100 characters.' });
      expect(fields.get('details')).to.deep.include({ value: 'x'.repeat(1000), error: 'Keep this to 1000 characters.' });
      expect(JSON.stringify(cardsOf(replies)).length).to.be.below(28 * 1024);
      expect(await stores.requests.store.list({})).to.deep.equal([]);
    });

    scenario('when a desk button sends a malformed reference, the user is told the button sent data it cannot use, and nothing changes', async (seen) => {
      const { as, stores } = await begin(seen);
      await as(requester).pressButton(await openLostCardForm(as(requester)), 'Send to the RA team', lostCardInputs);
      const before = await stored(stores);
      const ra = as(admin);
      for (const reference of ['RA-1', '../RA-000001', '__proto__', 'RA-0000001']) {
        const text = readAll(await ra.press({ verb: 'request.act', reference, version: 1, action: 'assign' }));
        expect(text, reference).to.include('the "request.act" button sent data I cannot use');
      }
      expect(await stored(stores)).to.deep.equal(before);
    });
  });

  describe('choosing the RA desk', () => {
    scenario('when an RA admin says "make this the RA desk for scw" in a channel, it is confirmed and kept for the channel itself, not the thread', async (seen) => {
      const { as, stores } = await begin(seen);
      const text = readAll(await as(admin).say('make this the RA desk for scw'));
      expect(text).to.equal(`Done: new requests for ${scwName} will arrive in this channel.`);
      const desk = await stores.desks.get('scw');
      expect(desk?.reference.conversation?.id).to.equal(deskChannel);
      expect(desk?.setBy.aadObjectId).to.equal(adminId);
    });

    scenario('when a member of the SCW team says it, it is confirmed too', async (seen) => {
      const { as, stores } = await begin(seen);
      expect(readAll(await as(scwMember).say('make this the RA desk for scw'))).to.include(`Done: new requests for ${scwName}`);
      expect((await stores.desks.get('scw'))?.reference.conversation?.id).to.equal(deskChannel);
    });

    scenario('when someone outside the team says it, they are refused and no desk is set', async (seen) => {
      const { as, stores } = await begin(seen);
      expect(readAll(await as(outsider).say('make this the RA desk for scw'))).to.equal(`Only members of ${scwName} can choose its desk, so nothing has changed.`);
      expect(await stores.desks.get('scw')).to.equal(undefined);
    });

    scenario('when an admin says it in a personal chat, they are told a desk must be a channel and no desk is set', async (seen) => {
      const { as, stores } = await begin(seen);
      const text = readAll(await as({ ...admin, conversationId: 'admin-personal', conversationType: 'personal' }).say('make this the RA desk for scw'));
      expect(text).to.include('A desk is a Teams channel');
      expect(await stores.desks.get('scw')).to.equal(undefined);
    });

    scenario('when SCW has a desk, a filed request is posted to the desk channel and the acknowledgement says it was sent to SCW', async (seen) => {
      const { as, stores, notifier } = await begin(seen);
      await as(admin).say('make this the RA desk for scw');
      const sam = as(requester);
      const ack = readAll(await sam.pressButton(await openLostCardForm(sam), 'Send to the RA team', lostCardInputs));
      expect(ack).to.include('Sent: RA-000001');
      expect(ack).to.include(`Sent to ${scwName}. You'll get a message here each time it moves.`);
      expect(ack).to.include(`Because it is urgent, also phone ${scwName} now: ${scwPhone}.`);
      expect(ack).not.to.include("desk isn't set up");

      expect(notifier.sent.map((s) => [s.kind, s.conversationId])).to.deep.include(['send', deskChannel]);
      expect(notifier.sent.some((s) => s.conversationId.includes('messageid'))).to.equal(false);
      const posted = sentTo(notifier, deskChannel).find((s) => s.kind === 'send');
      expect(posted?.text).to.include(`RA-000001: ${lostCardTitle}`);
      expect(posted?.text).to.include('URGENT');
      expect(posted?.text).to.include('Assigned to: Nobody yet');
      expect(posted?.text).to.include('From: Sam Requester');
      expect(posted?.text).to.include("Card holder's full name: Sam Holder");
      expect(posted?.text).to.include('[Assign to me]');
      const deskSend = notifier.sent.find((s) => s.kind === 'send' && s.conversationId === deskChannel);
      expect((await stored(stores)).deskCard?.activityId).to.equal(deskSend?.activityId);
    });
  });

  describe('working a request on the desk', () => {
    scenario('when an admin presses Assign to me on the posted desk card, it is assigned to them, the card updates in place and the requester is told', async (seen) => {
      const { as, stores, notifier, updates, deskCard, deskCardId } = await filedToDesk(seen);
      const robin = as(admin);
      const replies = await robin.pressOn(deskCardId, buttonData(deskCard, 'Assign to me'));
      expect(readAll(replies)).not.to.include('has changed since this card was sent');
      expect(cardsOf(replies), 'updated in place, not posted again').to.deep.equal([]);

      const request = await stored(stores);
      expect(request.status).to.equal('assigned');
      expect(request.assignee).to.include({ id: 'ra-admin', aadObjectId: adminId, name: 'Robin Admin' });
      expect(request.history.map((h) => [h.action, h.from, h.to])).to.deep.equal([
        ['filed', undefined, undefined],
        ['assigned', 'open', 'assigned'],
      ]);

      expect(updates.map((u) => u.id)).to.deep.equal([deskCardId]);
      const updated = readCard(lastUpdate(updates));
      expect(updated.text).to.include('Status: Being worked on');
      expect(updated.text).to.include('Assigned to: Robin Admin');
      expect(updated.buttons.map((b) => b.title)).not.to.include('Assign to me');

      const told = sentTo(notifier, requesterConversation);
      expect(told.map((t) => t.kind)).to.deep.equal(['send']);
      expect(told[0]?.text).to.equal(`Update on **RA-000001** (${lostCardTitle}): it is being worked on by Robin Admin.`);
    });

    scenario('when the requester has written since from a new personal chat (the app reinstalled), the update goes to that chat, not the one they filed from', async (seen) => {
      const { as, stores, notifier, deskCard, deskCardId } = await filedToDesk(seen);
      const newChat = 'conv-1-reinstalled';
      expect(readAll(await as({ ...requester, conversationId: newChat }).say('my requests'))).to.include('**RA-000001**');
      await as(admin).pressOn(deskCardId, buttonData(deskCard, 'Assign to me'));
      expect((await stored(stores)).requesterConversation?.conversation?.id, 'the request still holds where it was filed from').to.equal(requesterConversation);
      expect(sentTo(notifier, requesterConversation)).to.deep.equal([]);
      expect(sentTo(notifier, newChat).map((t) => t.text)).to.deep.equal([`Update on **RA-000001** (${lostCardTitle}): it is being worked on by Robin Admin.`]);
    });

    scenario('when a desk action is pressed without replyToId, the changed card is sent as a reply instead', async (seen) => {
      const { as, stores, updates, deskCard } = await filedToDesk(seen);
      const replies = await as(admin).press(buttonData(deskCard, 'Assign to me'));
      expect((await stored(stores)).status).to.equal('assigned');
      expect(updates).to.deep.equal([]);
      expect(readAll(replies)).to.include('Status: Being worked on');
    });

    scenario('when an admin completes a request, a note is needed first; with one it is completed and the requester gets the note; a closed request must be reopened before anything else', async (seen) => {
      const { as, stores, notifier, updates, deskCard, deskCardId } = await filedToDesk(seen);
      const robin = as(admin);
      await robin.pressOn(deskCardId, buttonData(deskCard, 'Assign to me'));
      const assignedCard = lastUpdate(updates);
      notifier.sent.length = 0;

      const before = await stored(stores);
      const noNote = readAll(await robin.pressOn(deskCardId, { ...buttonData(assignedCard, 'Complete'), completeNote: '   ' }));
      expect(noNote).to.equal('Write a note first: the requester sees it.');
      expect(await stored(stores)).to.deep.equal(before);
      expect(notifier.sent).to.deep.equal([]);

      const note = 'Card cancelled; replacement ready to collect at the office.';
      await robin.pressOn(deskCardId, { ...buttonData(assignedCard, 'Complete'), completeNote: note });
      const completed = await stored(stores);
      expect(completed.status).to.equal('completed');
      expect(completed.history.at(-1)).to.include({ action: 'completed', from: 'assigned', to: 'completed', note });
      const completedCard = readCard(lastUpdate(updates));
      expect(completedCard.text).to.include('Status: Completed');
      expect(completedCard.text).not.to.include('URGENT');
      expect(completedCard.buttons.map((b) => b.title)).to.deep.equal(['Reopen']);
      const told = sentTo(notifier, requesterConversation);
      expect(told.map((t) => t.text)).to.deep.equal([`Update on **RA-000001** (${lostCardTitle}): it has been completed.\n\nNote from the RA team: ${note}`]);

      // Acting on the closed request (a forged Reject with the current version) asks for a reopen first.
      const closed = await stored(stores);
      const again = readAll(await robin.pressOn(deskCardId, { verb: 'request.act', reference: 'RA-000001', version: closed.version, action: 'reject', note: 'No.' }));
      expect(again).to.equal('RA-000001 is already completed. Reopen it first.');
      expect(await stored(stores)).to.deep.equal(closed);

      await robin.pressOn(deskCardId, buttonData(lastUpdate(updates), 'Reopen'));
      const reopened = await stored(stores);
      expect(reopened.status).to.equal('open');
      expect(reopened.assignee).to.equal(undefined);
      expect(readCard(lastUpdate(updates)).text).to.include('Status: Open: waiting for the RA team');
      expect(sentTo(notifier, requesterConversation).at(-1)?.text).to.equal(`Update on **RA-000001** (${lostCardTitle}): it has been reopened.`);

      const mine = readAll(await as(requester).say('my requests'));
      expect(mine).to.include(`**RA-000001** ${lostCardTitle}: Open: waiting for the RA team`);
    });

    scenario('when a button from an out-of-date card is pressed, the user is told it has changed, is shown it as it is now, and nothing changes', async (seen) => {
      const { as, stores, notifier, updates, deskCard, deskCardId } = await filedToDesk(seen);
      const robin = as(admin);
      await robin.pressOn(deskCardId, buttonData(deskCard, 'Assign to me'));
      notifier.sent.length = 0;
      const before = await stored(stores);
      const updatesBefore = updates.length;

      // The card as first posted still offers Complete at its old version.
      const replies = await robin.pressOn(deskCardId, { ...buttonData(deskCard, 'Complete'), completeNote: 'Done.' });
      const text = readAll(replies);
      expect(text).to.include('RA-000001 has changed since this card was sent, so I haven\'t done that. Here it is now:');
      expect(text).to.include('Status: Being worked on');
      expect(text).to.include('Assigned to: Robin Admin');
      expect(await stored(stores)).to.deep.equal(before);
      expect(notifier.sent).to.deep.equal([]);
      expect(updates).to.have.length(updatesBefore);
    });

    scenario('when someone outside the RA team presses any desk action, each is refused and the request is unchanged, version and history included', async (seen) => {
      const { as, stores, notifier, updates, deskCard, deskCardId } = await filedToDesk(seen);
      const mallory = as(outsider);
      const before = await stored(stores);
      for (const action of ['assign', 'complete', 'reject', 'ask', 'reopen']) {
        const text = readAll(await mallory.pressOn(deskCardId, { verb: 'request.act', reference: 'RA-000001', version: before.version, action, note: 'Forged.' }));
        expect(text, action).to.equal(notAllowed);
      }
      expect(readAll(await mallory.pressOn(deskCardId, buttonData(deskCard, 'Assign to me')))).to.equal(notAllowed);
      expect(await stored(stores)).to.deep.equal(before);
      expect(notifier.sent).to.deep.equal([]);
      expect(updates).to.deep.equal([]);
    });

    scenario('when a member of the SCW team assigns an SCW request, it is assigned to them', async (seen) => {
      const { as, stores, deskCard, deskCardId } = await filedToDesk(seen);
      await as(scwMember).pressOn(deskCardId, buttonData(deskCard, 'Assign to me'));
      expect((await stored(stores)).assignee?.aadObjectId).to.equal(scwMemberId);
    });
  });

  describe('a request no RA team serves', () => {
    scenario('when the organisation has no RA team (a Leeds practice), it goes to the RA administrators: an SCW member cannot act on it, an admin can', async (seen) => {
      const { as, stores, notifier } = await begin(seen);
      await as(admin).say('make this the RA desk for scw');
      notifier.sent.length = 0;
      const sam = as(requester);
      const ack = readAll(await sam.pressButton(await openLostCardForm(sam), 'Send to the RA team', { ...lostCardInputs, odsCode: 'Y90004' }));
      expect(ack).to.include('Sent: RA-000001');
      expect(ack).to.include("I don't hold an RA team for this organisation, so it has gone to the assistant's RA administrators.");
      expect(ack).not.to.include(scwName);
      const request = await stored(stores);
      expect(request.teamId).to.equal(null);
      expect(request.organisation?.code).to.equal('Y90004');
      expect(notifier.sent, 'no team, so no desk post').to.deep.equal([]);

      const before = await stored(stores);
      const refused = readAll(await as(scwMember).press({ verb: 'request.act', reference: 'RA-000001', version: before.version, action: 'assign' }));
      expect(refused).to.equal(notAllowed);
      expect(await stored(stores)).to.deep.equal(before);

      await as(admin).press({ verb: 'request.act', reference: 'RA-000001', version: before.version, action: 'assign' });
      const assigned = await stored(stores);
      expect(assigned.status).to.equal('assigned');
      expect(assigned.assignee?.aadObjectId).to.equal(adminId);
    });
  });

  describe('when Teams or the store fails', () => {
    scenario('when the desk post fails at filing, the request is still stored and acknowledged, with the phone advice', async (seen) => {
      const { as, stores, notifier } = await begin(seen);
      await as(admin).say('make this the RA desk for scw');
      notifier.failing = true;
      const sam = as(requester);
      const ack = readAll(await sam.pressButton(await openLostCardForm(sam), 'Send to the RA team', lostCardInputs));
      expect(ack).to.include('Sent: RA-000001');
      expect(ack).not.to.include(apology);
      expect(ack).to.include(`Saved for ${scwName}, but I couldn't put it on their desk just now, so please also tell them: ${scwPhone}`);
      expect(ack).not.to.include(`Sent to ${scwName}.`);
      const request = await stored(stores);
      expect(request.status).to.equal('open');
      expect(request.deskCard).to.equal(undefined);
    });

    scenario('when Teams is down as a desk action tells the requester, the message waits in the send queue and reaches them once Teams is back', async (seen) => {
      // A clock the test moves, so the queue's retry comes due without waiting.
      let now = testNow;
      const { as, app, stores, notifier, deskCard, deskCardId } = await filedToDesk(seen, { overrides: { clock: { now: () => now } } });
      notifier.failing = true;
      const text = readAll(await as(admin).pressOn(deskCardId, buttonData(deskCard, 'Assign to me')));
      expect(text, 'queued, so nothing is lost: no warning').not.to.include("I couldn't message the requester");
      expect(text).not.to.include(apology);
      const assigned = await stored(stores);
      expect(assigned.status).to.equal('assigned');
      expect(sentTo(notifier, requesterConversation)).to.deep.equal([]);
      const waiting = await app.broadcasts.report(`request:RA-000001:${assigned.version}`);
      expect(waiting?.counts).to.include({ pending: 1, sent: 0, failed: 0 });

      notifier.failing = false;
      now = new Date(testNow.getTime() + 60_000);
      await app.broadcasts.drain();
      const told = sentTo(notifier, requesterConversation);
      expect(told.map((t) => t.text)).to.deep.equal([`Update on **RA-000001** (${lostCardTitle}): it is being worked on by Robin Admin.`]);
      expect((await app.broadcasts.report(`request:RA-000001:${assigned.version}`))?.counts).to.include({ pending: 0, sent: 1 });
    });

    scenario('when the send queue cannot be written as a desk action tells the requester, the RA member is told the change is saved but the requester was not told', async (seen) => {
      // The real queue, except that queueing fails (a full disk).
      const broken = memoryBroadcasts();
      broken.queue = () => Promise.reject(new Error('disk full'));
      const { as, stores, notifier, deskCard, deskCardId } = await filedToDesk(seen, { overrides: { broadcastStore: broken } });
      const text = readAll(await as(admin).pressOn(deskCardId, buttonData(deskCard, 'Assign to me')));
      expect(text).to.include("I couldn't message the requester about RA-000001 just now; the change itself is saved.");
      expect(text).not.to.include(apology);
      expect((await stored(stores)).status).to.equal('assigned');
      expect(sentTo(notifier, requesterConversation)).to.deep.equal([]);
    });

    scenario('when the request store cannot write, the user is told nothing has been sent, and never "Sent:"', async (seen) => {
      const stores = memoryRequestStores();
      const real = stores.requests.store;
      // The real store, except that writing a new request fails (a full disk).
      const broken = new Proxy(real, {
        get: (target, key, receiver): unknown => (key === 'file' ? () => Promise.reject(new Error('disk full')) : Reflect.get(target, key, receiver)),
      });
      const { as, notifier } = await begin(seen, { stores, requests: { store: broken, canSeal: true } });
      await as(admin).say('make this the RA desk for scw');
      notifier.sent.length = 0;
      const sam = as(requester);
      const text = readAll(await sam.pressButton(await openLostCardForm(sam), 'Send to the RA team', lostCardInputs));
      expect(text).to.include("Sorry, I couldn't send that just now, so nothing has been sent.");
      expect(text).not.to.include('Sent:');
      expect(text).not.to.include(apology);
      expect(notifier.sent).to.deep.equal([]);
      expect(await real.list({})).to.deep.equal([]);
      expect(readAll(await sam.say('my requests'))).to.include("You haven't sent any requests");
    });
  });

  describe('answering the RA team, seeing ID numbers, and the desk lists', () => {
    const question = 'Which office should the replacement card go to?';
    const answerText = 'The Southampton office, please.';
    const modifyUserTitle = "Change a user's details (Modify User)";
    const dateOfBirth = '1980-05-14';
    const passportNumber = 'AB1234567';
    const licenceNumber = 'HOLDE801144AB9CD';
    const notYourRequest = (reference: string) => `I can't show you ${reference}: it isn't one of your team's requests. Say **my requests** for the ones you sent.`;
    const notAMember = "Only RA team members can see their team's requests. Say **my requests** to see the ones you sent.";
    /** Someone else in their own personal chat with the bot, who did not send the request. */
    const colleague: Who = { userId: 'user-2', name: 'Pat Colleague', aadObjectId: 'aad-colleague', conversationId: 'conv-2', conversationType: 'personal' };

    /** What an SCW pharmacy's sponsor types into the Modify User form: only the date of birth changes (FA123 is served by SCW). */
    const modifyUserInputs = { holderName: 'Alex Holder', uuid: '1234 5678 9012', odsCode: 'FA123', newDateOfBirth: dateOfBirth };

    /** An ID checker's record: a passport, a driving licence and a water bill (no organisation, so it goes to the RA admins). */
    const idChecksInputs = {
      fullName: 'Alex Holder',
      dateOfBirth,
      seenInPerson: 'true',
      doc1Type: 'passport',
      doc1PassportCountry: 'United Kingdom',
      doc1PassportNumber: passportNumber,
      doc1PassportExpiry: '2030-01-31',
      doc2Type: 'driving-licence',
      doc2LicenceNumber: licenceNumber,
      doc3Type: 'address',
      doc3AddressIssuer: 'Wessex Water',
      doc3AddressDate: '2026-10-01',
    };

    /** The Action.ShowCard with this title anywhere on a card, as Teams holds it. */
    function showCard(node: unknown, title: string): { card: { body: Record<string, unknown>[]; actions: Record<string, unknown>[] } } | undefined {
      if (Array.isArray(node)) {
        for (const item of node) {
          const found = showCard(item, title);
          if (found) return found;
        }
        return undefined;
      }
      if (typeof node !== 'object' || node === null) return undefined;
      const n = node as Record<string, unknown>;
      if (n['type'] === 'Action.ShowCard' && n['title'] === title) return n as unknown as ReturnType<typeof showCard>;
      for (const value of Object.values(n)) {
        const found = showCard(value, title);
        if (found) return found;
      }
      return undefined;
    }

    /** The proactive sends to the requester's chat, each with its card (if any) and activity id. */
    function toRequester(notifier: RecordingNotifier): { activityId: string; card: unknown; text: string }[] {
      return notifier.sent
        .filter((s) => s.kind === 'send' && s.conversationId === requesterConversation)
        .map((s) => ({ activityId: s.activityId ?? '', card: cardsIn(s.activity)[0], text: [s.activity.text ?? '', ...cardsIn(s.activity).map((c) => readCard(c).text)].join('\n') }));
    }

    /** The notifier's in-place updates of the desk card. */
    function deskUpdates(notifier: RecordingNotifier): { conversationId: string; activityId: string | undefined; card: unknown }[] {
      return notifier.sent.filter((s) => s.kind === 'update').map((s) => ({ conversationId: s.conversationId, activityId: s.activityId, card: cardsIn(s.activity)[0] }));
    }

    /** Files a request with this form from the menu, as this person, with these inputs. */
    async function file(person: Person, formTitle: string, inputs: Record<string, unknown>): Promise<string> {
      return readAll(await person.pressButton(await person.pressButton(await person.say('raise a request'), formTitle), 'Send to the RA team', inputs));
    }

    /** The admin presses Ask for information on the desk card with this question; the question card as it reached the requester. */
    async function ask(started: Awaited<ReturnType<typeof filedToDesk>>, cardOnDesk: unknown): Promise<{ activityId: string; card: unknown; text: string }> {
      started.notifier.sent.length = 0;
      await started.as(admin).pressOn(started.deskCardId, { ...buttonData(cardOnDesk, 'Ask for information'), askNote: question });
      const told = toRequester(started.notifier);
      expect(told, 'the requester gets the one question card').to.have.length(1);
      return told[0] as { activityId: string; card: unknown; text: string };
    }

    scenario('when an admin asks for information on an assigned request, the requester gets the question with a Reply box; their answer puts it back to being worked on, shows on the desk card, and they are thanked', async (seen) => {
      const started = await filedToDesk(seen);
      const { as, stores, notifier, updates, deskCard, deskCardId } = started;
      await as(admin).pressOn(deskCardId, buttonData(deskCard, 'Assign to me'));
      const asked = await ask(started, lastUpdate(updates));

      const waiting = await stored(stores);
      expect(waiting.status).to.equal('awaiting-info');
      expect(waiting.assignee?.aadObjectId).to.equal(adminId);
      expect(waiting.history.at(-1)).to.include({ action: 'asked', from: 'assigned', to: 'awaiting-info', note: question });
      expect(readCard(lastUpdate(updates)).text).to.include('Status: Waiting for more information from the requester');

      // The requester's message is a card with the question and a box to answer it in.
      expect(asked.card, 'an Adaptive Card').not.to.equal(undefined);
      const card = readCard(asked.card);
      expect(card.text).to.include('RA-000001: the RA team asks');
      expect(card.text).to.include(question);
      expect(card.text).to.include(`Request: ${lostCardTitle}`);
      const reply = showCard(asked.card, 'Reply');
      if (!reply) throw new Error('no Reply show-card on the question');
      expect(reply.card.body.map((input) => input['id'])).to.deep.equal(['answerNote']);
      expect(reply.card.actions).to.have.length(1);
      expect(reply.card.actions[0]?.['data']).to.deep.equal({ verb: 'request.act', reference: 'RA-000001', version: waiting.version, action: 'answer' });

      notifier.sent.length = 0;
      const updatesBefore = updates.length;
      const sam = as(requester);
      const thanks = await sam.pressOn(asked.activityId, { ...buttonData(asked.card, 'Reply'), answerNote: `  ${answerText} ` });
      expect(readAll(thanks)).to.equal('Thanks: your answer is on RA-000001 for the RA team.');

      const answered = await stored(stores);
      expect(answered.status).to.equal('assigned');
      expect(answered.assignee?.aadObjectId, 'still with the admin who asked').to.equal(adminId);
      expect(answered.history.map((h) => h.action)).to.deep.equal(['filed', 'assigned', 'asked', 'answered']);
      expect(answered.history.at(-1)).to.include({ action: 'answered', from: 'awaiting-info', to: 'assigned', note: answerText });
      expect(answered.history.at(-1)?.by).to.include({ id: 'user-1', aadObjectId: 'aad-requester', name: 'Sam Requester' });

      // The desk card changes through the notifier (the press came from the requester's chat, not the desk).
      expect(updates, 'nothing in the requester\'s chat is rewritten').to.have.length(updatesBefore);
      const refreshed = deskUpdates(notifier);
      expect(refreshed.map((u) => [u.conversationId, u.activityId])).to.deep.equal([[deskChannel, deskCardId]]);
      const onDesk = readCard(refreshed[0]?.card);
      expect(onDesk.text).to.include('Status: Being worked on');
      expect(onDesk.text).to.include('Assigned to: Robin Admin');
      expect(onDesk.text).to.include(`Sam Requester: answered (${answerText})`);
      expect(toRequester(notifier), 'the thanks is the reply; nothing is pushed to the requester as well').to.deep.equal([]);

      // Pressing Reply again, now that nothing is asked, is refused.
      const before = await stored(stores);
      const again = readAll(await sam.pressOn(asked.activityId, { ...buttonData(asked.card, 'Reply'), answerNote: 'And one more thing.' }));
      expect(again).to.equal("RA-000001 isn't waiting for an answer from you now, so I haven't added that. Say **my requests** to see where it stands.");
      expect(await stored(stores)).to.deep.equal(before);
      expect(deskUpdates(notifier)).to.have.length(1);
    });

    scenario('when a question is asked on an unassigned request, the answer puts it back to open; an answer from anyone else, an empty one, one with a passcode, or one when nothing was asked is refused and changes nothing', async (seen) => {
      const started = await filedToDesk(seen);
      const { as, stores, notifier, updates, deskCard } = started;
      const sam = as(requester);
      const answerData = { verb: 'request.act', reference: 'RA-000001', version: (await stored(stores)).version, action: 'answer' };

      // Nothing asked yet.
      const unasked = await stored(stores);
      expect(readAll(await sam.press({ ...answerData, answerNote: answerText }))).to.equal(
        "RA-000001 isn't waiting for an answer from you now, so I haven't added that. Say **my requests** to see where it stands.",
      );
      expect(await stored(stores)).to.deep.equal(unasked);

      const asked = await ask(started, deskCard);
      const waiting = await stored(stores);
      expect(waiting.status).to.equal('awaiting-info');
      expect(waiting.assignee).to.equal(undefined);
      notifier.sent.length = 0;
      const updatesBefore = updates.length;
      const replyData = buttonData(asked.card, 'Reply');

      // Someone other than the requester: the admin on the desk, a colleague in their own chat, an outsider.
      const othersRefusal = 'Only the person who sent RA-000001 can answer for it, so nothing has changed.';
      for (const who of [admin, colleague, outsider]) {
        expect(readAll(await as(who).press({ ...replyData, answerNote: answerText })), who.name).to.equal(othersRefusal);
      }

      // The requester with an empty box, or none at all (Teams leaves out an untouched input).
      expect(readAll(await sam.pressOn(asked.activityId, { ...replyData, answerNote: '   ' }))).to.equal('Write your answer in the box first.');
      expect(readAll(await sam.pressOn(asked.activityId, replyData))).to.equal('Write your answer in the box first.');

      // The requester with a passcode in the answer: refused, not repeated, not kept.
      const secret = await sam.pressOn(asked.activityId, { ...replyData, answerNote: 'my passcode is 246810' });
      expect(readAll(secret)).to.equal("That looks like a passcode or code: please don't send those to anyone. Your answer wasn't sent; write it again without it.");
      expect(readAll(secret)).not.to.include('246810');

      expect(await stored(stores)).to.deep.equal(waiting);
      expect(JSON.stringify(await stores.requests.store.list({}))).not.to.include('246810');
      expect(notifier.sent).to.deep.equal([]);
      expect(updates).to.have.length(updatesBefore);

      // Then a proper answer: back to open, with nobody assigned.
      expect(readAll(await sam.pressOn(asked.activityId, { ...replyData, answerNote: answerText }))).to.equal('Thanks: your answer is on RA-000001 for the RA team.');
      const answered = await stored(stores);
      expect(answered.status).to.equal('open');
      expect(answered.assignee).to.equal(undefined);
      expect(answered.history.at(-1)).to.include({ action: 'answered', from: 'awaiting-info', to: 'open', note: answerText });
      const onDesk = readCard(deskUpdates(notifier).at(-1)?.card);
      expect(onDesk.text).to.include('Status: Open: waiting for the RA team');
      expect(onDesk.text).to.include(`Sam Requester: answered (${answerText})`);
      expect(onDesk.text).not.to.include('246810');
      expect(readAll(await sam.say('my requests'))).to.include(`**RA-000001** ${lostCardTitle}: Open: waiting for the RA team`);
    });

    scenario('when a request holds an identity-document number, the desk card masks it and offers Show ID numbers: an RA member sees it in full and the viewing is recorded; an outsider is refused and sees nothing', async (seen) => {
      const { as, stores, notifier, updates } = await begin(seen);
      await as(admin).say('make this the RA desk for scw');
      notifier.sent.length = 0;
      expect(await file(as(requester), modifyUserTitle, modifyUserInputs)).to.include('Sent: RA-000001');
      const filed = await stored(stores);
      expect(filed.formId).to.equal('modify-user');
      expect(filed.teamId).to.equal('scw');
      expect(filed.sensitiveFields).to.deep.equal(['newDateOfBirth']);
      expect(filed.fields['newDateOfBirth']).to.equal(dateOfBirth);

      const post = notifier.sent.find((s) => s.kind === 'send' && s.conversationId === deskChannel);
      if (!post?.activityId) throw new Error('the request was not posted to the desk');
      const deskCardId = post.activityId;
      const deskCard = cardsIn(post.activity)[0];
      const posted = readCard(deskCard);
      expect(posted.text).to.include('Correct date of birth: ****5-14');
      expect(posted.text).to.include('Smartcard number (UUID): 123456789012');
      expect(posted.buttons.map((b) => b.title)).to.include('Show ID numbers');
      expect(buttonData(deskCard, 'Show ID numbers')).to.deep.include({ verb: 'request.act', reference: 'RA-000001', action: 'reveal' });
      notifier.sent.length = 0;

      // An outsider pressing it on the desk is refused, sees nothing, and nothing is recorded.
      const before = await stored(stores);
      const refused = readAll(await as(outsider).pressOn(deskCardId, buttonData(deskCard, 'Show ID numbers')));
      expect(refused).to.equal('Only members of the RA team this request went to can act on RA-000001, so nothing has changed.');
      expect(refused).not.to.include(dateOfBirth);
      expect(await stored(stores)).to.deep.equal(before);
      expect(notifier.sent).to.deep.equal([]);

      // Pressed in the channel, where people outside the team may read replies, it only says where to ask.
      const inChannel = readAll(await as(scwMember).pressOn(deskCardId, buttonData(deskCard, 'Show ID numbers')));
      expect(inChannel).to.equal('For privacy I show identity-document numbers only in your personal chat with me: say **show ID numbers RA-000001** there.');
      expect(await stored(stores)).to.deep.equal(before);

      // An SCW member sees it in full in their personal chat, in a reply.
      const shown = await as(scwMemberAlone).say('show ID numbers RA-000001');
      expect(cardsOf(shown), 'the numbers come as text, never on a card').to.deep.equal([]);
      const text = readAll(shown);
      expect(text).to.include('Identity-document numbers on RA-000001, shown to Kim Member (this viewing is recorded on the request):');
      expect(text).to.include(`- Correct date of birth: ${dateOfBirth}`);
      expect(text).not.to.include('Alex Holder');

      const viewed = await stored(stores);
      expect(viewed.status, 'viewing changes nothing else').to.equal('open');
      expect(viewed.assignee).to.equal(undefined);
      expect(viewed.history.map((h) => h.action)).to.deep.equal(['filed', 'viewed-sensitive']);
      expect(viewed.history.at(-1)?.by).to.include({ name: 'Kim Member', aadObjectId: scwMemberId });
      expect(viewed.fields['newDateOfBirth']).to.equal(dateOfBirth);

      // The desk card is updated through the notifier, still masked, with the viewing in its history.
      expect(updates).to.deep.equal([]);
      const refreshed = deskUpdates(notifier);
      expect(refreshed.map((u) => [u.conversationId, u.activityId])).to.deep.equal([[deskChannel, deskCardId]]);
      const onDesk = readCard(refreshed[0]?.card);
      expect(onDesk.text).to.include('Kim Member: viewed-sensitive');
      expect(onDesk.text).to.include('Correct date of birth: ****5-14');
      expect(onDesk.buttons.map((b) => b.title)).to.include('Show ID numbers');
      expect(toRequester(notifier), 'the requester is not told of a viewing').to.deep.equal([]);

      // Working it on from the refreshed card keeps the button and the mask.
      await as(admin).pressOn(deskCardId, buttonData(refreshed[0]?.card, 'Assign to me'));
      const assigned = readCard(lastUpdate(updates));
      expect(assigned.text).to.include('Assigned to: Robin Admin');
      expect(assigned.text).to.include('Correct date of birth: ****5-14');
      expect(assigned.buttons.map((b) => b.title)).to.include('Show ID numbers');

      // No card the bot sent anywhere (replies, desk posts, in-place updates) carries the full date.
      const everyCard = [deskCard, ...sent, ...notifier.sent.flatMap((s) => cardsIn(s.activity)), ...updates.flatMap(cardsIn)];
      expect(JSON.stringify(everyCard)).not.to.include(dateOfBirth);
    });

    scenario('when a request has no identity-document numbers, its desk card has no Show ID numbers, and a forged reveal records nothing', async (seen) => {
      const { as, stores, notifier, updates, deskCard, deskCardId } = await filedToDesk(seen);
      expect(readCard(deskCard).buttons.map((b) => b.title)).not.to.include('Show ID numbers');
      const before = await stored(stores);
      const text = readAll(await as(adminAlone).pressOn(deskCardId, { verb: 'request.act', reference: 'RA-000001', version: before.version, action: 'reveal' }));
      expect(text).to.equal('RA-000001 has no identity-document numbers.');
      expect(await stored(stores)).to.deep.equal(before);
      expect(notifier.sent).to.deep.equal([]);
      expect(updates).to.deep.equal([]);
    });

    scenario('when ID checks go to the RA administrators, "show RA-000001" gives an admin the masked card, and Show ID numbers on it lists every number in full; an SCW member can neither see nor reveal it', async (seen) => {
      const { as, stores, notifier } = await begin(seen);
      const ack = await file(as(requester), 'Record ID checks (Create User)', idChecksInputs);
      expect(ack).to.include('Sent: RA-000001');
      const filed = await stored(stores);
      expect(filed.teamId).to.equal(null);
      expect([...filed.sensitiveFields].sort()).to.deep.equal(['dateOfBirth', 'doc1PassportNumber', 'doc2LicenceNumber']);

      const robin = as(admin);
      const shown = await robin.say('show RA-000001');
      const card = cardsOf(shown)[0];
      const onCard = readCard(card);
      expect(onCard.text).to.include('RA-000001: Record ID checks (Create User)');
      expect(onCard.text).to.include('Date of birth: ****5-14');
      expect(onCard.text).to.include('Document 1, passport: number: ****4567');
      expect(onCard.text).to.include('Document 2, driving licence: number, in capitals: ****B9CD');
      expect(onCard.text).to.include('Document 3, proof of address: who issued it: Wessex Water');
      for (const secret of [dateOfBirth, passportNumber, licenceNumber]) expect(JSON.stringify(cardsOf(shown))).not.to.include(secret);

      // An SCW member: not their team's, so the same words as for a reference that does not exist, and a forged reveal is refused.
      const kim = as(scwMember);
      expect(readAll(await kim.say('show RA-000001'))).to.equal(notYourRequest('RA-000001'));
      const before = await stored(stores);
      const refused = readAll(await kim.press(buttonData(card, 'Show ID numbers')));
      expect(refused).to.equal('Only members of the RA team this request went to can act on RA-000001, so nothing has changed.');
      expect(await stored(stores)).to.deep.equal(before);

      const revealed = readAll(await as(adminAlone).press(buttonData(card, 'Show ID numbers')));
      expect(revealed).to.include('shown to Robin Admin');
      expect(revealed).to.include(`- Date of birth: ${dateOfBirth}`);
      expect(revealed).to.include(`- Document 1, passport: number: ${passportNumber}`);
      expect(revealed).to.include(`- Document 2, driving licence: number, in capitals: ${licenceNumber}`);
      expect(revealed).not.to.include('Wessex Water');
      const viewed = await stored(stores);
      expect(viewed.history.at(-1)).to.include({ action: 'viewed-sensitive' });
      expect(viewed.history.at(-1)?.by).to.include({ name: 'Robin Admin', aadObjectId: adminId });
      expect(notifier.sent, 'no desk, so no card to update').to.deep.equal([]);
    });

    scenario('when RA team members say "open requests" or "assigned to me", they see their teams\' unfinished requests, urgent first, with references; others are told only RA team members can', async (seen) => {
      const { as, stores } = await begin(seen);
      const robin = as(admin);
      const kim = as(scwMember);
      await robin.say('make this the RA desk for scw');
      const sam = as(requester);
      // Filed urgent first, so the store's newest-first order alone would put the routine one on top.
      expect(await file(sam, lostCardTitle, lostCardInputs)).to.include('Sent: RA-000001');
      expect(await file(sam, lostCardTitle, { ...lostCardInputs, odsCode: 'Y90004' })).to.include('Sent: RA-000002');
      expect(await file(sam, lostCardTitle, { ...lostCardInputs, what: 'damaged' })).to.include('Sent: RA-000003');
      expect(await file(sam, lostCardTitle, { ...lostCardInputs, what: 'damaged' })).to.include('Sent: RA-000004');
      expect((await stores.requests.store.list({})).map((r) => [r.reference, r.teamId, r.urgent]).sort()).to.deep.equal([
        ['RA-000001', 'scw', true],
        ['RA-000002', null, true],
        ['RA-000003', 'scw', false],
        ['RA-000004', 'scw', false],
      ]);

      expect(readAll(await kim.say('assigned to me'))).to.equal('Nothing is assigned to you that is still open.');

      // Kim takes RA-000003 and Robin RA-000001, both from "show"; Robin completes RA-000004.
      await kim.press(buttonData(cardsOf(await kim.say('show RA-000003'))[0], 'Assign to me'));
      await robin.press(buttonData(cardsOf(await robin.say('show ra-000001'))[0], 'Assign to me'));
      await robin.press({ ...buttonData(cardsOf(await robin.say('show RA-000004'))[0], 'Complete'), completeNote: 'Cancelled; new card printed.' });
      expect((await stored(stores, 'RA-000003')).assignee?.aadObjectId).to.equal(scwMemberId);
      expect((await stored(stores, 'RA-000001')).assignee?.aadObjectId).to.equal(adminId);
      expect((await stored(stores, 'RA-000004')).status).to.equal('completed');

      const line = (text: string, reference: string) => text.split('\n').find((l) => l.includes(`**${reference}**`)) ?? '';
      const listed = (text: string) => (text.match(/RA-\d{6}/g) ?? []).filter((r) => r !== 'RA-000123');
      const all = readAll(await robin.say('open requests'));
      expect(all.split('\n')[0]).to.equal('Open requests for your team, urgent first:');
      expect(listed(all).slice(0, 2).sort(), 'the two urgent ones first').to.deep.equal(['RA-000001', 'RA-000002']);
      expect(listed(all).slice(2), 'then the routine one; not the completed one').to.deep.equal(['RA-000003']);
      expect(line(all, 'RA-000001')).to.equal(`- **URGENT** **RA-000001** ${lostCardTitle}: Being worked on (Robin Admin), sent 21 Nov, 09:30`);
      expect(line(all, 'RA-000002')).to.equal(`- **URGENT** **RA-000002** ${lostCardTitle}: Open: waiting for the RA team, sent 21 Nov, 09:30`);
      expect(line(all, 'RA-000003')).to.equal(`- **RA-000003** ${lostCardTitle}: Being worked on (Kim Member), sent 21 Nov, 09:30`);
      expect(all).to.include('Say **show RA-000123** (with its reference) to see one and act on it.');

      // Kim sees SCW's only: not the one no team serves.
      expect(listed(readAll(await kim.say('open requests')))).to.deep.equal(['RA-000001', 'RA-000003']);

      const kims = readAll(await kim.say('assigned to me'));
      expect(kims.split('\n')[0]).to.equal('Assigned to you, urgent first:');
      expect(listed(kims)).to.deep.equal(['RA-000003']);
      expect(listed(readAll(await robin.say('assigned to me')))).to.deep.equal(['RA-000001']);

      // Not RA team members: the outsider on the desk channel, and the requester in their own chat.
      for (const who of [outsider, requester]) {
        for (const words of ['open requests', 'assigned to me']) {
          const text = readAll(await as(who).say(words));
          expect(text, `${who.name}: ${words}`).to.equal(notAMember);
          expect(text).not.to.match(/RA-\d{6}/);
        }
      }
    });

    scenario('when "show RA-000001" is said, a member of its team gets its desk card with live buttons; an outsider, or any reference that does not exist, gets the same refusal', async (seen) => {
      const { as, stores, notifier } = await begin(seen);
      await as(admin).say('make this the RA desk for scw');
      const sam = as(requester);
      expect(await file(sam, lostCardTitle, lostCardInputs)).to.include('Sent: RA-000001');
      notifier.sent.length = 0;

      const kim = as(scwMember);
      const shown = await kim.say('show RA-000001');
      const cards = cardsOf(shown);
      expect(cards).to.have.length(1);
      const card = readCard(cards[0]);
      expect(card.text).to.include(`RA-000001: ${lostCardTitle}`);
      expect(card.text).to.include('URGENT');
      expect(card.text).to.include('Status: Open: waiting for the RA team');
      expect(card.text).to.include("Card holder's full name: Sam Holder");
      expect(card.buttons.map((b) => b.title)).to.include.members(['Assign to me', 'Complete', 'Reject', 'Ask for information']);
      expect(notifier.sent, 'shown to the member, not posted to the desk again').to.deep.equal([]);

      // Its buttons work.
      await kim.press(buttonData(cards[0], 'Assign to me'));
      expect((await stored(stores)).assignee?.aadObjectId).to.equal(scwMemberId);

      // The same words whether the request is not theirs or does not exist: references cannot be probed.
      const before = await stored(stores);
      const mallory = as(outsider);
      const notTheirs = await mallory.say('show RA-000001');
      const missing = await mallory.say('show RA-000099');
      expect(readAll(notTheirs)).to.equal(notYourRequest('RA-000001'));
      expect(readAll(missing)).to.equal(notYourRequest('RA-000099'));
      expect(readAll(await kim.say('show RA-000099'))).to.equal(notYourRequest('RA-000099'));
      expect(readAll(await as(requester).say('show RA-000001')), 'not even the requester gets the desk card').to.equal(notYourRequest('RA-000001'));
      expect(cardsOf([...notTheirs, ...missing])).to.deep.equal([]);
      expect(readAll(notTheirs)).not.to.include('Sam');
      expect(await stored(stores)).to.deep.equal(before);
    });
  });

  describe('assigning to someone else', () => {
    scenario('when a colleague has worked the desk, the admin can assign a request to them from the card; the requester hears who has it, and a forged choice of an outsider is refused', async (seen) => {
      const { as, stores, notifier, deskCardId } = await filedToDesk(seen);
      // Kim uses the desk once (looks a request up), so the bot knows Kim as one of the team.
      await as(scwMember).say('show RA-000001');
      const card = cardsOf(await as(admin).say('show RA-000001'))[0];
      const assign = buttonData(card, 'Assign');
      expect(assign).to.include({ verb: 'request.act', action: 'assign-to' });
      const choices = JSON.stringify(card);
      expect(choices).to.include('Kim Member').and.include(scwMemberId);

      const before = await stored(stores);
      const forged = readAll(await as(admin).pressOn(deskCardId, { ...assign, assignTo: outsiderId }));
      expect(forged).to.equal("I can't assign RA-000001 to that person: choose a member of the team from the list.");
      expect(await stored(stores)).to.deep.equal(before);

      notifier.sent.length = 0;
      await as(admin).pressOn(deskCardId, { ...assign, assignTo: scwMemberId });
      const assigned = await stored(stores);
      expect(assigned.status).to.equal('assigned');
      expect(assigned.assignee).to.include({ name: 'Kim Member', aadObjectId: scwMemberId });
      expect(assigned.history.at(-1)).to.include({ action: 'assigned', assignedTo: 'Kim Member' });
      expect(assigned.history.at(-1)?.by).to.include({ name: 'Robin Admin' });
      const told = notifier.sent.filter((s) => s.conversationId === requesterConversation).map((s) => s.activity.text ?? '');
      expect(told.join('\n')).to.include('is being worked on by Kim Member');
    });
  });
});
