import { expect } from 'chai';
import { MemoryStorage, type Activity, type TurnContext } from 'botbuilder';
import type { App } from '../../bot/app.js';
import { cardToText } from '../../cards/flatten.js';
import type { RaRequest } from '../../dialogs/requests.js';
import { cardsOf, memoryQuestionLog, readAll, testApp, testNow, type Reply } from '../support/chat.js';
import { expectValidCards, knowledgeWithMembers, RecordingChat, seededDirectory } from '../support/directory.js';
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
const outsider: Who = { userId: 'outsider', name: 'Mallory Outsider', aadObjectId: outsiderId, conversationId: deskThread, conversationType: 'channel' };

/** A chat as one named person that keeps every card the bot sends it. */
class Person extends RecordingChat {
  constructor(
    sent: unknown[],
    app: App,
    private readonly who: Who,
  ) {
    super(sent, app, { userId: who.userId, aadObjectId: who.aadObjectId, conversationId: who.conversationId, conversationType: who.conversationType });
  }

  override send(activity: Partial<Activity>): Promise<Reply[]> {
    return super.send({ from: { id: this.who.userId, name: this.who.name, aadObjectId: this.who.aadObjectId }, ...activity });
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

/** The form card's inputs by id, each with its value and the problem shown under it ('' when none). */
function formFields(replies: readonly Reply[]): Map<string, { value: unknown; error: string }> {
  const card = replies.flatMap((r) => r.cards).at(-1) as { body?: { type?: string; items?: Record<string, unknown>[] }[] } | undefined;
  const fields = new Map<string, { value: unknown; error: string }>();
  for (const container of card?.body ?? []) {
    if (container.type !== 'Container') continue;
    const items = container.items ?? [];
    const input = items.find((i) => typeof i['id'] === 'string');
    if (!input) continue;
    const error = items.find((i) => i['type'] === 'TextBlock' && i['color'] === 'Attention');
    fields.set(String(input['id']), { value: input['value'], error: error ? String(error['text']) : '' });
  }
  return fields;
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
  async function start(options: { stores?: Stores; requests?: Stores['requests'] } = {}): Promise<{
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
  async function filedToDesk(seen: Parameters<typeof begin>[0]) {
    const started = await begin(seen);
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
      expect(fields.get('holderName')).to.deep.equal({ value: '', error: "Card holder's full name is needed." });
      expect(fields.get('noticed')).to.deep.equal({ value: '2026-12-01', error: 'This date cannot be in the future.' });
      expect(fields.get('odsCode')?.value).to.equal('nope!');
      expect(fields.get('odsCode')?.error).to.match(/\S/);
      expect(fields.get('what')).to.deep.equal({ value: 'lost', error: '' });
      expect(fields.get('uuid')).to.deep.equal({ value: '1234 5678 9012', error: '' });
      expect(fields.get('replacement')).to.deep.equal({ value: 'true', error: '' });
      expect(fields.get('details')).to.deep.equal({ value: 'Taken from a bag at the counter.', error: '' });
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
      expect(fields.get('holderName')).to.deep.equal({ value: 'x'.repeat(100), error: 'Keep this to 100 characters.' });
      expect(fields.get('details')).to.deep.equal({ value: 'x'.repeat(1000), error: 'Keep this to 1000 characters.' });
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

    scenario('when telling the requester fails after a desk action, the RA member is told the change is saved but the message failed', async (seen) => {
      const { as, stores, notifier, deskCard, deskCardId } = await filedToDesk(seen);
      notifier.failing = true;
      const text = readAll(await as(admin).pressOn(deskCardId, buttonData(deskCard, 'Assign to me')));
      expect(text).to.include("I couldn't message the requester about RA-000001 just now; the change itself is saved.");
      expect(text).not.to.include(apology);
      expect((await stored(stores)).status).to.equal('assigned');
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
});
