import { expect } from 'chai';
import type { Activity } from 'botbuilder';
import { Chat, readAll, testApp, type Reply } from '../support/chat.js';
import type { App } from '../../bot/app.js';

const membersAdded = (ids: string[], conversationType = 'personal'): Partial<Activity> => ({
  type: 'conversationUpdate',
  membersAdded: ids.map((id) => ({ id, name: '' })),
  conversation: { id: 'conv-1', conversationType, isGroup: conversationType !== 'personal', name: '' },
});

const buttonTitles = (replies: readonly Reply[]) => replies.flatMap((r) => r.buttons.map((b) => b.title));

describe('conversation core', () => {
  let app: App;
  beforeEach(async () => {
    app = await testApp();
  });

  describe('welcome', () => {
    it('when the assistant is installed in a personal chat, it sends the welcome card with the menu once', async () => {
      const chat = new Chat(app);
      const first = await chat.send({ type: 'installationUpdate', action: 'add' });
      const second = await chat.send(membersAdded(['bot-1', 'user-1']));
      const third = await chat.send(membersAdded(['bot-1', 'user-1']));
      expect(readAll(first)).to.include("Hello, I'm Smartcard Assistant");
      expect(readAll(first)).to.include('never ask for your passcode');
      expect(buttonTitles(first)).to.deep.equal(['Ask a question', 'Step-by-step help', 'My RA team', 'Find a contact', 'Raise a request', 'Certificate reminders', 'Training dates', 'About and privacy']);
      expect(second).to.have.length(0);
      expect(third).to.have.length(0);
    });

    it('when the assistant is added to a team, it welcomes the channel once and tells people to @mention it', async () => {
      const chat = new Chat(app, { conversationType: 'channel' });
      const added = await chat.send(membersAdded(['bot-1'], 'channel'));
      expect(readAll(added)).to.include('@mention me');
      const newColleague = await chat.send(membersAdded(['user-2'], 'channel'));
      expect(newColleague).to.have.length(0);
    });

    it('when the assistant is added to a group chat, it welcomes that chat', async () => {
      const chat = new Chat(app, { conversationType: 'groupChat' });
      expect(readAll(await chat.send(membersAdded(['bot-1'], 'groupChat')))).to.include("Hello, I'm Smartcard Assistant");
    });

    it('when another user joins a team the assistant is not being added to, nobody is welcomed', async () => {
      const chat = new Chat(app, { conversationType: 'channel' });
      expect(await chat.send(membersAdded(['user-3'], 'channel'))).to.have.length(0);
    });
  });

  describe('help and what the assistant does not understand', () => {
    it('when a user types help, the help card lists only what works today, each with a button', async () => {
      const replies = await new Chat(app).say('help');
      expect(readAll(replies)).to.include('What I can do');
      expect(buttonTitles(replies)).to.deep.equal(['Ask a question', 'Step-by-step help', 'My RA team', 'Find a contact', 'Raise a request', 'Certificate reminders', 'Training dates', 'About and privacy']);
    });

    for (const words of ['Help!', 'menu', 'what can you do?', '  HELP  ']) {
      it(`when a user types "${words}", they get the help card`, async () => {
        expect(readAll(await new Chat(app).say(words))).to.include('What I can do');
      });
    }

    it('when a user asks something outside smartcards, the assistant says it does not know and who can help', async () => {
      const replies = await new Chat(app).say('what is the meaning of life');
      const text = readAll(replies);
      expect(text).to.include("I don't know that one yet");
      expect(text).to.include('0300 5610429');
      expect(buttonTitles(replies)).to.include('What I can do');
    });

    it('when a message is only an @mention with no words, the assistant shows what it can do', async () => {
      const text = readAll(await new Chat(app).say('   '));
      expect(text).to.include("I didn't catch a question there");
      expect(text).to.include('What I can do');
    });

    it('when a user types cancel with nothing in progress, the assistant says there is nothing to cancel', async () => {
      expect(readAll(await new Chat(app).say('cancel'))).to.include("There's nothing to cancel");
    });

    it('when a user presses "About and privacy", they see where answers come from and the privacy promise', async () => {
      const chat = new Chat(app);
      const text = readAll(await chat.pressButton(await chat.say('help'), 'About and privacy'));
      expect(text).to.include('About Smartcard Assistant');
      expect(text).to.include('the Dorset Smartcard Support Team page');
      expect(text).to.include('never ask for your passcode');
      expect(text).to.include('Version: 0.1.0');
    });

    it('when a user types "about", they get the same about card, which says what is kept about them and how to clear it', async () => {
      const about = readAll(await new Chat(app).say('about'));
      expect(about).to.include('About Smartcard Assistant');
      expect(about).to.include('Say **forget me** to clear them.');
      expect(about).to.include('Say **stop announcements** to have no announcements.');
    });
  });

  describe('channels and group chats', () => {
    it('when a user @mentions the assistant in a channel, the mention is stripped before the words are read', async () => {
      const chat = new Chat(app, { conversationType: 'channel' });
      const replies = await chat.send({
        type: 'message',
        text: '<at>Smartcard Assistant</at> help',
        entities: [{ type: 'mention', mentioned: { id: 'bot-1', name: 'Smartcard Assistant' }, text: '<at>Smartcard Assistant</at>' }],
      });
      expect(readAll(replies)).to.include('What I can do');
      expect(readAll(replies)).not.to.include("didn't understand");
    });
  });

  describe('forged and stale card data', () => {
    const forged: Record<string, unknown>[] = [
      { verb: 'menu.open' },
      { verb: 'menu.open', command: 42 },
      { verb: 'menu.open', command: '../../etc/passwd' },
      { verb: 'drop.tables' },
      { nothing: 'here' },
      { verb: 'choice.pick', prompt: 'workplace.kind', value: 'x'.repeat(5000) },
    ];
    for (const value of forged) {
      it(`when a card sends ${JSON.stringify(value).slice(0, 60)}, the user gets a clear message and the menu`, async () => {
        const text = readAll(await new Chat(app).press(value));
        expect(text).to.match(/Sorry, the .*button sent data I cannot use|Sorry, the card sent data I do not recognise/);
        expect(text).to.include('What I can do');
      });
    }

    it('when a menu button from an older version names a capability that no longer exists, the user is told and shown the menu', async () => {
      const text = readAll(await new Chat(app).press({ verb: 'menu.open', command: 'retired-feature' }));
      expect(text).to.include('older message');
      expect(text).to.include('What I can do');
    });

    it('when an answer button is pressed on a question that is no longer open, the user is told it has expired', async () => {
      const text = readAll(await new Chat(app).press({ verb: 'choice.pick', prompt: 'workplace.kind', value: 'pharmacy' }));
      expect(text).to.include('already been answered or has expired');
    });
  });
});
