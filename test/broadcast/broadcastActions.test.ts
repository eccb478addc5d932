import { expect } from 'chai';
import type { ConversationReference } from 'botbuilder';
import type { App } from '../../bot/app.js';
import type { BroadcastRequest } from '../../dialogs/outreach.js';
import { Chat, readAll, testApp } from '../support/chat.js';
import { RecordingNotifier } from '../support/requests.js';
import { validateCard } from '../support/validateCard.js';

const admin = '11111111-2222-3333-4444-555555555555';
const id = 'announce:TS-ABCD12';

function reference(conversationId: string): Partial<ConversationReference> {
  return { channelId: 'msteams', serviceUrl: 'https://smba.example.invalid/', conversation: { id: conversationId, conversationType: 'personal', isGroup: false, name: '' } };
}

const request: BroadcastRequest = {
  id,
  title: 'Training: Sponsor training, Tuesday 3 December',
  activity: { type: 'message', text: 'Sponsor training is on Tuesday 3 December.' },
  recipients: [1, 2, 3].map((n) => ({ userId: `person-${n}`, reference: reference(`chat-${n}`) })),
  author: { userId: 'author-1', aadObjectId: 'aad-author-1', reference: reference('chat-author') },
};

const press = (action: 'cancel' | 'refresh', broadcast = id) => ({ verb: 'broadcast.act', broadcast, action });

describe('the delivery report card: Cancel and Refresh', () => {
  let app: App;
  let notifier: RecordingNotifier;
  const as = (userId: string, aadObjectId?: string) => new Chat(app, { userId, conversationId: `chat-of-${userId}`, ...(aadObjectId ? { aadObjectId } : {}) });
  const sentToRecipients = () => notifier.sent.filter((s) => s.kind === 'send' && s.conversationId.startsWith('chat-') && s.conversationId !== 'chat-author');

  beforeEach(async () => {
    notifier = new RecordingNotifier();
    app = await testApp({ RA_ADMINS: admin }, undefined, undefined, { notifier });
    await app.broadcasts.queue(request);
  });
  afterEach(async () => {
    await app.stop();
  });

  it('when someone who is neither its author nor an RA admin presses Cancel or Refresh, they are refused plainly and nothing changes', async () => {
    const outsider = as('someone-else', '99999999-8888-7777-6666-555555555555');
    for (const action of ['cancel', 'refresh'] as const) {
      const text = readAll(await outsider.press(press(action)));
      expect(text).to.equal('Only the person who sent this announcement, or an RA admin, can see its delivery report or cancel it. Nothing has changed.');
    }
    const report = await app.broadcasts.report(id);
    expect(report?.cancelledAt).to.equal(undefined);
    expect(report?.counts.pending).to.equal(3);
    await app.broadcasts.drain();
    expect(sentToRecipients()).to.have.length(3);
  });

  it('when the author presses Cancel before the messages go, they are told none will be sent, the card says Cancelled, and nobody gets it', async () => {
    const replies = await as('author-1', 'aad-author-1').press(press('cancel'));
    const text = readAll(replies);
    expect(text).to.include("Cancelled: 3 messages that had not gone yet won't be sent. 0 had already been sent.");
    expect(text).to.include('Delivery report').and.include('Training: Sponsor training, Tuesday 3 December').and.include('Cancelled: nothing more will be sent').and.include('Cancelled: 3');
    expect(replies.flatMap((r) => r.buttons.map((b) => b.title))).to.deep.equal(['Refresh']);
    for (const card of replies.flatMap((r) => r.cards)) expect(validateCard(card)).to.deep.equal([]);
    await app.broadcasts.drain();
    expect(sentToRecipients()).to.have.length(0);
    expect((await app.broadcasts.report(id))?.counts).to.include({ cancelled: 3, pending: 0, sent: 0 });
  });

  it("when an RA admin presses Cancel on someone else's announcement, it is cancelled", async () => {
    const text = readAll(await as('ra-admin', admin).press(press('cancel')));
    expect(text).to.include("Cancelled: 3 messages that had not gone yet won't be sent.");
    expect((await app.broadcasts.report(id))?.cancelledAt).to.be.a('string');
  });

  it('when the author presses Refresh once everything has gone, the card shows it finished with the counts and no Cancel; Cancel then changes nothing', async () => {
    await app.broadcasts.drain();
    const author = as('author-1', 'aad-author-1');
    const refreshed = await author.press(press('refresh'));
    const text = readAll(refreshed);
    expect(text).to.include('Finished: sent to 3 of 3').and.include('Sent: 3').and.include('Failed: 0').and.include('Still to send: 0');
    expect(refreshed.flatMap((r) => r.buttons.map((b) => b.title))).to.deep.equal(['Refresh']);
    expect(readAll(await author.press(press('cancel')))).to.include('That announcement has already gone to everyone: there is nothing left to cancel.');
    expect((await app.broadcasts.report(id))?.cancelledAt).to.equal(undefined);
  });

  it('when the report card was posted to the author, it carries Cancel and Refresh for this broadcast, and pressing its Refresh works', async () => {
    await app.broadcasts.drain();
    const card = notifier.sent.find((s) => s.kind === 'send' && s.conversationId === 'chat-author');
    const content = card?.activity.attachments?.[0]?.content;
    expect(validateCard(content)).to.deep.equal([]);
    const json = JSON.stringify(content);
    expect(json).to.include('"verb":"broadcast.act"').and.include(`"broadcast":"${id}"`).and.include('"action":"cancel"').and.include('"action":"refresh"');
    expect(readAll(await as('author-1', 'aad-author-1').press(press('refresh')))).to.include('Delivery report');
  });

  it('when a button names a broadcast that does not exist, or carries a forged id, the user is told so and nothing changes', async () => {
    const author = as('author-1', 'aad-author-1');
    expect(readAll(await author.press(press('cancel', 'announce:TS-NOPE99')))).to.include("I can't find that announcement's delivery report any more");
    expect(readAll(await author.press(press('cancel', '../../etc/passwd')))).to.include('the "broadcast.act" button sent data I cannot use');
    expect((await app.broadcasts.report(id))?.cancelledAt).to.equal(undefined);
  });
});
