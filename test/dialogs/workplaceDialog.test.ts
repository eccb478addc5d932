import { expect } from 'chai';
import { MemoryStorage } from 'botbuilder';
import { Chat, readAll, testApp } from '../support/chat.js';

describe('my RA team (workplace dialog)', () => {
  it('when a pharmacy user in Southampton answers by buttons, they get the SCW RA service with its phone number and source', async () => {
    const chat = new Chat(await testApp());
    const kind = await chat.say('set my workplace');
    expect(readAll(kind)).to.include('Where do you work?');
    const area = await chat.pressButton(kind, 'Community pharmacy');
    expect(readAll(area)).to.include('Which area is your workplace in?');
    const team = readAll(await chat.pressButton(area, 'Hampshire or Isle of Wight'));
    expect(team).to.include('South, Central and West CSU RA (smartcard) service');
    expect(team).to.include('Phone: 0300 5610429');
    expect(team).to.include('Your workplace: Community pharmacy, Hampshire or Isle of Wight');
    expect(team).to.include('From All about Smartcards (SCW RA service for South Central pharmacies), reviewed 21 November 2026.');
  });

  it('when a user types their answers in their own words, they are understood', async () => {
    const chat = new Chat(await testApp());
    await chat.say('Set my workplace');
    expect(readAll(await chat.say('surgery'))).to.include('Which area');
    const team = readAll(await chat.say('Weymouth'));
    expect(team).to.include('NHS Dorset Smartcard Support Team');
    expect(team).to.include('Phone: 01202 541604');
    expect(team).to.include('Vespasian House, Barrack Road, Dorchester, DT1 1TG');
  });

  it('when the Dorset email is configured, the Dorset card shows it; with none configured it shows no email line', async () => {
    const configured = new Chat(await testApp({ RA_TEAM_EMAILS: 'dorset=smartcard.support@nhsdorset.nhs.uk' }));
    await configured.say('set my workplace');
    await configured.say('pharmacy');
    expect(readAll(await configured.say('dorset'))).to.include('Email: smartcard.support@nhsdorset.nhs.uk');

    const plain = new Chat(await testApp());
    await plain.say('set my workplace');
    await plain.say('pharmacy');
    expect(readAll(await plain.say('dorset'))).not.to.include('Email:');
  });

  it('when a GP practice is outside the areas the assistant knows, it says so honestly instead of naming the wrong team', async () => {
    const chat = new Chat(await testApp());
    await chat.say('set my workplace');
    await chat.say('gp practice');
    const text = readAll(await chat.say('somewhere else'));
    expect(text).to.include("I don't hold contact details for the RA team that serves your workplace yet");
    expect(text).not.to.include('0300 5610429');
    expect(text).not.to.include('01202 541604');
  });

  it('when a Hampshire GP practice asks, it is not sent to the pharmacy-only SCW service', async () => {
    const chat = new Chat(await testApp());
    await chat.say('set my workplace');
    await chat.say('GP practice');
    expect(readAll(await chat.say('portsmouth'))).not.to.include('0300 5610429');
  });

  it('when a user has told the assistant where they work, asking again shows their team straight away', async () => {
    const storage = new MemoryStorage();
    const app = await testApp({}, storage);
    const chat = new Chat(app);
    await chat.say('set my workplace');
    await chat.say('pharmacy');
    await chat.say('isle of wight');
    const again = readAll(await new Chat(app, { conversationId: 'another-chat' }).say('my ra team'));
    expect(again).to.include('Your RA team');
    expect(again).to.include('0300 5610429');
    expect(again).not.to.include('Where do you work?');
  });

  it('when a user presses "Change where I work", they are asked again and the new answer replaces the old', async () => {
    const chat = new Chat(await testApp());
    await chat.say('set my workplace');
    await chat.say('pharmacy');
    const first = await chat.say('hampshire');
    expect(readAll(await chat.pressButton(first, 'Change where I work'))).to.include('Where do you work?');
    await chat.say('icb');
    await chat.say('dorset');
    expect(readAll(await chat.say('my ra team'))).to.include('ICB or CCG, Dorset');
  });

  it('when an answer is not one of the choices, the question is asked again with the options spelled out', async () => {
    const chat = new Chat(await testApp());
    await chat.say('set my workplace');
    const retry = readAll(await chat.say('a spaceship'));
    expect(retry).to.include("Sorry, I didn't catch that");
    expect(retry).to.include('**GP practice**');
    expect(retry).to.include('Where do you work?');
    expect(readAll(await chat.say('pharmacy'))).to.include('Which area');
  });

  it('when a button from an earlier question is pressed, the user is told and the current question stays open', async () => {
    const chat = new Chat(await testApp());
    const kind = await chat.say('set my workplace');
    await chat.pressButton(kind, 'Community pharmacy');
    const stale = readAll(await chat.pressButton(kind, 'GP practice'));
    expect(stale).to.include('That button belongs to an earlier question');
    expect(stale).to.include('Which area is your workplace in?');
  });

  describe('help, cancel and start over in the middle of the dialog', () => {
    it('when a user types help mid-question, they see the menu and the same question again, and can carry on', async () => {
      const chat = new Chat(await testApp());
      await chat.say('set my workplace');
      await chat.say('pharmacy');
      const help = readAll(await chat.say('help'));
      expect(help).to.include('What I can do');
      expect(help).to.include('Which area is your workplace in?');
      expect(readAll(await chat.say('dorset'))).to.include('NHS Dorset Smartcard Support Team');
    });

    it('when a user types cancel mid-question, the dialog stops, nothing is saved, and the next message starts fresh', async () => {
      const chat = new Chat(await testApp());
      await chat.say('set my workplace');
      await chat.say('pharmacy');
      expect(readAll(await chat.say('cancel'))).to.include("OK, I've stopped that. Nothing was changed.");
      expect(readAll(await chat.say('zzzz qqqq'))).to.include("I don't know that one yet");
      expect(readAll(await chat.say('set my workplace'))).to.include('Where do you work?');
    });

    it('when a user types start over mid-question, the dialog ends and the menu is shown', async () => {
      const chat = new Chat(await testApp());
      await chat.say('set my workplace');
      const text = readAll(await chat.say('start over'));
      expect(text).to.include("OK, let's start again.");
      expect(text).to.include('What I can do');
      expect(readAll(await chat.say('zzzz qqqq'))).to.include("I don't know that one yet");
    });

    it('when a user presses a menu button mid-question, that capability starts instead', async () => {
      const chat = new Chat(await testApp());
      const kind = await chat.say('set my workplace');
      const about = readAll(await chat.press({ verb: 'menu.open', command: 'about' }));
      expect(about).to.include('About Smartcard Assistant');
      expect(readAll(await chat.pressButton(kind, 'GP practice'))).to.include('already been answered or has expired');
    });

    it('when forged card data arrives mid-question, the user gets a clear message and the question again', async () => {
      const chat = new Chat(await testApp());
      await chat.say('set my workplace');
      const text = readAll(await chat.press({ verb: 'menu.open', command: { $ne: null } }));
      expect(text).to.include('button sent data I cannot use');
      expect(text).to.include('Where do you work?');
    });
  });
});
