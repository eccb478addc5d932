import { expect } from 'chai';
import { MemoryStorage } from 'botbuilder';
import type { App } from '../../bot/app.js';
import { memoryAudience, type AudienceData } from '../../bot/storage/lowdbAudience.js';
import { CopyingMemory } from '../../bot/storage/lowdbDocument.js';
import type { AudienceRepository } from '../../dialogs/outreach.js';
import { Chat, cardsOf, memoryQuestionLog, readAll, testApp } from '../support/chat.js';
import { knowledgeWithMembers, seededDirectory } from '../support/directory.js';
import { memoryLogger } from '../support/memoryLogger.js';
import { validateCard } from '../support/validateCard.js';

/** Counts the audience file's writes. */
class CountingMemory extends CopyingMemory<AudienceData> {
  writes = 0;
  failing = false;
  override write(data: AudienceData): Promise<void> {
    if (this.failing) return Promise.reject(new Error('disk full'));
    this.writes++;
    return super.write(data);
  }
}

const everyone = { kind: 'everyone' } as const;
const nobodyIsRa = () => false;

async function appWith(audience: AudienceRepository, more: Parameters<typeof testApp>[3] = {}): Promise<App> {
  return testApp({}, new MemoryStorage(), memoryQuestionLog(), { audience, ...more });
}

describe('the audience: who can be messaged', () => {
  it('when someone first writes in their personal chat, their chat is kept so announcements can reach them', async () => {
    const app = await testApp();
    const chat = new Chat(app, { userId: 'u-amy', aadObjectId: 'aad-amy', conversationId: 'a:amy' });
    expect(await app.audience.get('u-amy')).to.equal(undefined);
    await chat.say('hello');
    const member = await app.audience.get('u-amy');
    expect(member).to.deep.include({ userId: 'u-amy', aadObjectId: 'aad-amy', optedOut: false, organisation: undefined });
    expect(member?.reference).to.deep.include({ channelId: 'msteams', serviceUrl: 'https://smba.example.invalid/' });
    expect(member?.reference.conversation?.id).to.equal('a:amy');
    // Nothing that changes per message, or the person's name, is kept.
    expect(member?.reference).not.to.have.property('activityId');
    expect(JSON.stringify(member)).not.to.include('Local User');
  });

  it('when they write again the same day from the same chat, the audience file is not rewritten', async () => {
    const adapter = new CountingMemory();
    const app = await appWith(memoryAudience(adapter));
    const chat = new Chat(app, { userId: 'u-amy' });
    await chat.say('hello');
    expect(adapter.writes).to.equal(1);
    await chat.say('how do I renew my smartcard');
    await chat.say('help');
    expect(adapter.writes).to.equal(1);
  });

  it('when they save their organisation, that same turn captures it and the RA team that serves it', async () => {
    const adapter = new CountingMemory();
    const app = await appWith(memoryAudience(adapter), { directory: await seededDirectory() });
    const chat = new Chat(app, { userId: 'u-gp' });
    await chat.say('hello');
    const replies = await chat.say('my ODS code is Y90001');
    expect(readAll(replies)).to.include("I'll remember this as your organisation");
    expect(await app.audience.get('u-gp')).to.deep.include({ organisation: 'Y90001', teamId: 'dorset' });
    expect(adapter.writes).to.equal(2);
    expect((await app.audience.select({ kind: 'team', teamId: 'dorset' }, nobodyIsRa)).map((m) => m.userId)).to.deep.equal(['u-gp']);
    expect((await app.audience.select({ kind: 'ods', codes: ['Y90001'] }, nobodyIsRa)).map((m) => m.userId)).to.deep.equal(['u-gp']);
  });

  it('when the chat moves (a new service URL), the kept reference is refreshed', async () => {
    const app = await testApp();
    const chat = new Chat(app, { userId: 'u-amy' });
    await chat.say('hello');
    await chat.send({ type: 'message', text: 'hello again', serviceUrl: 'https://smba.example.invalid/emea/' });
    expect((await app.audience.get('u-amy'))?.reference.serviceUrl).to.equal('https://smba.example.invalid/emea/');
  });

  it('when someone writes in a channel or group chat, they are not captured there', async () => {
    const app = await testApp();
    await new Chat(app, { userId: 'u-chan', conversationType: 'channel', conversationId: '19:abc@thread.tacv2' }).say('help');
    await new Chat(app, { userId: 'u-group', conversationType: 'groupChat', conversationId: '19:group' }).say('help');
    expect(await app.audience.count()).to.equal(0);
  });

  it('when the app is installed in personal scope, the person is captured before they write', async () => {
    const app = await testApp();
    const replies = await new Chat(app, { userId: 'u-new' }).send({ type: 'installationUpdate', action: 'add' });
    expect(readAll(replies)).not.to.equal('');
    expect((await app.audience.get('u-new'))?.reference.conversation?.id).to.equal('conv-1');
  });

  it('when the app is uninstalled, or the bot removed from their personal chat, they are forgotten', async () => {
    const app = await testApp();
    const amy = new Chat(app, { userId: 'u-amy', conversationId: 'a:amy' });
    const ben = new Chat(app, { userId: 'u-ben', conversationId: 'a:ben' });
    await amy.say('hello');
    await ben.say('hello');
    await amy.send({ type: 'installationUpdate', action: 'remove' });
    await ben.send({ type: 'conversationUpdate', membersRemoved: [{ id: 'bot-1', name: 'Smartcard Assistant' }] });
    expect(await app.audience.get('u-amy')).to.equal(undefined);
    expect(await app.audience.get('u-ben')).to.equal(undefined);
  });

  it('when keeping the audience fails, the person still gets their answer and the log has no personal data', async () => {
    const adapter = new CountingMemory();
    adapter.failing = true;
    const logger = memoryLogger();
    const app = await appWith(memoryAudience(adapter), { logger });
    const replies = await new Chat(app, { userId: 'u-secret', aadObjectId: 'aad-secret' }).say('how do I renew my smartcard');
    expect(readAll(replies)).to.include('Renew your own smartcard');
    const warning = logger.entries.find((e) => e.msg === 'could not keep the sender in the audience');
    expect(warning?.level).to.equal('warn');
    const aboveDebug = JSON.stringify(logger.entries.filter((e) => e.level !== 'debug'));
    expect(aboveDebug).not.to.include('u-secret');
    expect(aboveDebug).not.to.include('aad-secret');
  });
});

describe('announcement settings', () => {
  it('when someone says "stop announcements", they are left out of announcements, told what still reaches them, and "start announcements" brings them back', async () => {
    const app = await testApp();
    const chat = new Chat(app, { userId: 'u-amy' });
    const stopped = readAll(await chat.say('stop announcements'));
    expect(stopped).to.include("I won't send you announcements");
    expect(stopped).to.include('your own training bookings');
    expect(stopped).to.include('certificate renewal reminders');
    expect((await app.audience.get('u-amy'))?.optedOut).to.equal(true);
    expect(await app.audience.select(everyone, nobodyIsRa)).to.deep.equal([]);
    expect(readAll(await chat.say('Subscribe'))).to.include("you'll get announcements");
    expect((await app.audience.select(everyone, nobodyIsRa)).map((m) => m.userId)).to.deep.equal(['u-amy']);
    expect(readAll(await chat.say('unsubscribe'))).to.include("I won't send you announcements");
  });

  it('when the choice cannot be saved, they are told nothing changed', async () => {
    const adapter = new CountingMemory();
    const app = await appWith(memoryAudience(adapter));
    const chat = new Chat(app, { userId: 'u-amy' });
    await chat.say('hello');
    adapter.failing = true;
    const replies = readAll(await chat.say('stop announcements'));
    expect(replies).to.include("couldn't save that");
    expect(replies).not.to.include("I won't send you");
  });

  it('when someone opens announcement settings, a valid card shows their choices, and Save stores roles and the toggle before confirming', async () => {
    const app = await testApp();
    const chat = new Chat(app, { userId: 'u-amy' });
    const shown = await chat.say('announcement settings');
    const [card] = cardsOf(shown);
    expect(validateCard(card)).to.deep.equal([]);
    expect(JSON.stringify(card)).to.include(`"title":"I'm a Sponsor"`);
    expect(JSON.stringify(card)).to.include(`"title":"I'm an RA agent"`);
    const saved = readAll(await chat.pressButton(shown, 'Save', { announcements: 'true', sponsor: 'true', raAgent: 'false' }));
    expect(saved).to.include("Saved: you'll get announcements here");
    expect(saved).to.include("You've told me you're a Sponsor");
    expect(await app.audience.get('u-amy')).to.deep.include({ optedOut: false, roles: ['sponsor'] });
    expect((await app.audience.select({ kind: 'sponsors-and-ra-agents' }, nobodyIsRa)).map((m) => m.userId)).to.deep.equal(['u-amy']);

    const off = readAll(await chat.press({ verb: 'audience.set', announcements: 'false', sponsor: 'true', raAgent: 'true' }));
    expect(off).to.include('Saved: no announcements');
    expect(off).to.include('a Sponsor and an RA agent');
    expect(await app.audience.get('u-amy')).to.deep.include({ optedOut: true, roles: ['sponsor', 'ra-agent'] });
    const again = await chat.say('announcement settings');
    const toggles = JSON.stringify(cardsOf(again));
    expect(toggles).to.include('"id":"announcements","title":"Send me announcements","value":"false"');
    expect(toggles).to.include('"id":"sponsor","title":"I\'m a Sponsor","value":"true"');
  });

  it('when the settings cannot be saved, the card comes back with what is really saved and no "Saved"', async () => {
    const adapter = new CountingMemory();
    const app = await appWith(memoryAudience(adapter));
    const chat = new Chat(app, { userId: 'u-amy' });
    await chat.say('hello');
    adapter.failing = true;
    const replies = await chat.press({ verb: 'audience.set', announcements: 'false', sponsor: 'true' });
    expect(readAll(replies)).to.include("couldn't save all of that");
    expect(readAll(replies)).not.to.include('Saved');
    expect(await app.audience.get('u-amy')).to.deep.include({ optedOut: false, roles: [] });
  });

  it('when a forged settings card sends something other than true or false, it is refused', async () => {
    const app = await testApp();
    const chat = new Chat(app, { userId: 'u-amy' });
    const replies = readAll(await chat.press({ verb: 'audience.set', sponsor: 'yes please', announcements: { $gt: '' } }));
    expect(replies).to.include('sent data I cannot use');
    expect((await app.audience.get('u-amy'))?.roles).to.deep.equal([]);
  });

  it('when an RA team member opens the settings, the card says Sponsor and RA agent announcements reach them anyway, and selection includes them', async () => {
    const member = '6d1c6a2e-8f0e-4a51-9c67-2f0f3c1b9a01';
    const knowledge = await knowledgeWithMembers('dorset', [member]);
    try {
      const app = await testApp({}, new MemoryStorage(), memoryQuestionLog(), { knowledgeDir: knowledge.dataDir });
      const replies = await new Chat(app, { userId: 'u-ra', aadObjectId: member }).say('announcement settings');
      expect(readAll(replies)).to.include("You're an RA team member");
      expect(readAll(await new Chat(app, { userId: 'u-other', conversationId: 'c2' }).say('announcement settings'))).not.to.include("You're an RA team member");
    } finally {
      await knowledge.remove();
    }
  });

  it('when asked in a channel, it says settings belong in the personal chat', async () => {
    const app = await testApp();
    const replies = readAll(await new Chat(app, { userId: 'u-chan', conversationType: 'channel', conversationId: '19:abc@thread.tacv2' }).say('stop announcements'));
    expect(replies).to.include('personal chat');
    expect(await app.audience.count()).to.equal(0);
  });

  it('when someone says "forget me", their roles are cleared but their choice of no announcements stays', async () => {
    const app = await testApp();
    const chat = new Chat(app, { userId: 'u-amy' });
    await chat.press({ verb: 'audience.set', announcements: 'false', sponsor: 'true', raAgent: 'false' });
    const forgot = readAll(await chat.say('forget me'));
    expect(forgot).to.include('the roles you told me you hold');
    expect(await app.audience.get('u-amy')).to.deep.include({ optedOut: true, roles: [] });
  });
});
