import { expect } from 'chai';
import { Chat, memoryQuestionLog, readAll, testApp, type Reply } from '../support/chat.js';
import type { LowdbQuestionLog } from '../../bot/storage/lowdbQuestionLog.js';

const buttons = (replies: readonly Reply[]) => replies.flatMap((r) => r.buttons.map((b) => b.title));

describe('answering questions (FAQ)', () => {
  let log: LowdbQuestionLog;
  let chat: Chat;
  beforeEach(async () => {
    log = memoryQuestionLog();
    chat = new Chat(await testApp({}, undefined, log));
  });

  it('when a user asks in their own words, they get the answer card with its source, related answers and feedback buttons', async () => {
    const replies = await chat.say('how do I use self-service unlock to unlock my smartcard myself');
    const text = readAll(replies);
    expect(chat.lastOutcome?.kind).to.equal('answer');
    expect(chat.lastOutcome?.id).to.equal('self-service-unlock');
    expect(text).to.include('15 minutes');
    expect(text).to.match(/From .+, reviewed 21 November 2026\./);
    expect(buttons(replies)).to.include.members(['Helpful', 'Not helpful', 'Send feedback']);
    expect(buttons(replies).length).to.be.greaterThan(3);
  });

  it('when the answer has a request form (a lost card), it offers the form, and pressing it opens the form to fill in', async () => {
    const replies = await chat.say('I lost my smartcard on the bus');
    expect(chat.lastOutcome?.id).to.equal('lost-stolen-card');
    const form = readAll(await chat.pressButton(replies, 'Report a lost, stolen or damaged card'));
    expect(form).to.include('What happened to the card?');
    expect(form).to.include('[Send to the RA team]');
  });

  it('when a user presses a related answer, that article is shown', async () => {
    const first = await chat.say('how do I use self-service unlock to unlock my smartcard myself');
    const related = first.flatMap((r) => r.buttons).find((b) => (b.data as { verb?: string }).verb === 'faq.open');
    expect(related).to.not.equal(undefined);
    const next = await chat.press(related?.data as Record<string, unknown>);
    expect(chat.lastOutcome?.id).to.equal((related?.data as { article: string }).article);
    expect(readAll(next)).to.include('From ');
  });

  it('when a question is vague, the user gets "did you mean" with three choices and "None of these"', async () => {
    const replies = await chat.say("it's not working");
    expect(chat.lastOutcome?.kind).to.equal('clarify');
    expect(readAll(replies)).to.include('Did you mean one of these?');
    expect(chat.lastOutcome?.suggestions).to.have.length(3);
    expect(buttons(replies)).to.include('None of these');
  });

  it('when the user presses "None of these", the question is noted for the RA team and the user told who can help', async () => {
    const replies = await chat.pressButton(await chat.say("it's not working"), 'None of these');
    const text = readAll(replies);
    expect(text).to.include("I don't know that one yet");
    expect(text).to.include("I've noted the question so the RA team can add an answer.");
    const report = await log.report();
    expect(report.map((r) => [r.kind, r.subject])).to.deep.include(['unanswered', "it's not working"]);
  });

  it('when a question is off-topic, nothing is made up: the user is told and the question noted', async () => {
    const text = readAll(await chat.say('book annual leave for next friday'));
    expect(chat.lastOutcome?.kind).to.equal('none');
    expect(text).to.include("I don't know that one yet");
    expect((await log.report())[0]?.subject).to.equal('book annual leave for next friday');
  });

  it('when the question log cannot be written, the user is not told the question was noted', async () => {
    const failing = memoryQuestionLog();
    failing.recordUnanswered = () => Promise.reject(new Error('disk full'));
    const broken = new Chat(await testApp({}, undefined, failing));
    const text = readAll(await broken.say('book annual leave for next friday'));
    expect(text).to.include("I don't know that one yet");
    expect(text).not.to.include("I've noted");
  });

  it('when a user rates an answer helpful, the rating is stored and they are thanked', async () => {
    const replies = await chat.say('how do I use self-service unlock to unlock my smartcard myself');
    expect(readAll(await chat.pressButton(replies, 'Helpful'))).to.include('Thanks for letting me know.');
    expect(await log.report()).to.deep.equal([]);
  });

  it('when a user says an answer was not helpful with a comment, the RA team report shows it, redacted', async () => {
    const replies = await chat.say('how do I use self-service unlock to unlock my smartcard myself');
    const thanks = readAll(await chat.pressButton(replies, 'Send feedback', { comment: 'did not say what to do if my mobile 07700900123 changed' }));
    expect(thanks).to.include("I've passed that on to the RA team");
    const [row] = await log.report();
    expect(row?.kind).to.equal('unhelpful');
    expect(row?.subject).to.equal('self-service-unlock');
    expect(row?.details.join()).to.include('[number] changed');
    expect(row?.details.join()).not.to.include('07700900123');
  });

  it('when saving feedback fails, the user is told it was not saved', async () => {
    const failing = memoryQuestionLog();
    failing.recordFeedback = () => Promise.reject(new Error('disk full'));
    const broken = new Chat(await testApp({}, undefined, failing));
    const replies = await broken.say('how do I use self-service unlock to unlock my smartcard myself');
    expect(readAll(await broken.pressButton(replies, 'Helpful'))).to.include("couldn't save your feedback");
  });

  it('when feedback names an article that no longer exists, the user is told rather than thanked', async () => {
    const text = readAll(await chat.press({ verb: 'feedback.rate', article: 'retired-article', helpful: true }));
    expect(text).to.include("couldn't record your rating");
  });

  it('when a user types their passcode, they are warned and it is never repeated back, and the question is still answered', async () => {
    const replies = await chat.say('my new passcode is 246810, why is the card still locked?');
    const text = readAll(replies);
    expect(text).to.include("Please don't type passcodes");
    expect(text).not.to.include('246810');
    expect(chat.lastOutcome?.kind).to.be.oneOf(['answer', 'clarify']);
  });

  it('when a user types a passcode in the middle of a question, they are warned and the question is asked again', async () => {
    await chat.say('set my workplace');
    const text = readAll(await chat.say('my pin is 1234'));
    expect(text).to.include("Please don't type passcodes");
    expect(text).not.to.include('1234');
    expect(text).to.include('Where do you work?');
  });

  describe('answers that differ by RA team', () => {
    it('when the area is unknown, each area is shown and the user is offered to say where they work', async () => {
      const replies = await chat.say('who do I contact about smartcards');
      const text = readAll(replies);
      expect(chat.lastOutcome?.id).to.equal('ra-team-contacts');
      expect(text).to.include('Dorset');
      expect(text).to.include('Hampshire or Isle of Wight');
      expect(buttons(replies)).to.include('Tell me where I work');
    });

    it('when the question names the area, only that area is shown', async () => {
      const text = readAll(await chat.say('my card was stolen, pharmacy in Southampton'));
      expect(text).to.include('0300 5610429');
      expect(text).not.to.include('01202 541604');
    });

    it('when the user has said where they work, the answer is theirs only', async () => {
      await chat.say('set my workplace');
      await chat.say('gp practice');
      await chat.say('dorset');
      const text = readAll(await chat.say('who do I contact about smartcards'));
      expect(text).to.include('01202 541604');
      expect(text).not.to.include('0300 5610429');
      expect(text).not.to.include('Tell me where I work');
    });

    it('when a Dorset pharmacy user asks what only Hampshire has a part for, they are not given the Hampshire team', async () => {
      await chat.say('set my workplace');
      await chat.say('pharmacy');
      await chat.say('dorset');
      const text = readAll(await chat.say('how do I get SCR access'));
      expect(chat.lastOutcome?.id).to.equal('scr-access');
      expect(text).to.include('Ask your RA team to add the SCR role for your pharmacy: NHS Dorset Smartcard Support Team (01202 541604)');
      expect(text).not.to.include('0300 5610429');
      expect(text).not.to.include('Hampshire or Isle of Wight');
    });
  });

  it('when a user presses "Ask a question", they get examples and the common questions as buttons', async () => {
    const replies = await chat.say('ask a question');
    expect(readAll(replies)).to.include('Type your question in your own words');
    expect(buttons(replies).length).to.be.at.least(3);
  });
});
