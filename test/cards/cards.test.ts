import { expect } from 'chai';
import type { Activity } from 'botbuilder';
import { renderAboutCard } from '../../cards/aboutCard.js';
import { renderHelpCard, renderWelcomeCard } from '../../cards/menuCard.js';
import { renderQuestionCard } from '../../cards/questionCard.js';
import { renderRaTeamCard } from '../../cards/raTeamCard.js';
import { parseSubmission } from '../../cards/submission.js';
import { Chat, cardsOf, testApp, type Reply } from '../support/chat.js';
import { seededDirectory } from '../support/directory.js';
import { validateCard } from '../support/validateCard.js';

const entries = [
  { id: 'my-ra-team', title: 'My RA team', summary: 'Who to contact.' },
  { id: 'about', title: 'About and privacy', summary: 'Sources and privacy.' },
];

describe('cards', () => {
  describe('each renderer produces a card the Adaptive Cards SDK accepts (schema 1.5)', () => {
    const rendered: Record<string, unknown> = {
      'welcome (personal)': renderWelcomeCard(entries, { inChannel: false }),
      'welcome (channel)': renderWelcomeCard(entries, { inChannel: true }),
      help: renderHelpCard(entries),
      about: renderAboutCard({ version: '1.2.3', sources: ['Page one', 'Page two'] }),
      question: renderQuestionCard({ promptId: 'x.y', question: 'Pick one', choices: [{ value: 'a', title: 'A' }] }),
      'question with hint': renderQuestionCard({ promptId: 'x.y', question: 'Pick', hint: 'Or type', choices: [{ value: 'a', title: 'A' }] }),
      'RA team': renderRaTeamCard({
        heading: 'Your RA team',
        name: 'Team',
        serves: 'Everyone',
        facts: [{ title: 'Phone', value: '0300 5610429' }],
        notes: ['A note'],
        sourceLine: 'From a page.',
      }),
      'RA team without facts or notes': renderRaTeamCard({ heading: 'Your RA team', name: 'Team', serves: 'Everyone', facts: [], notes: [], sourceLine: 'From a page.' }),
    };
    for (const [name, card] of Object.entries(rendered)) {
      it(`the ${name} card has zero validation events`, () => {
        expect(validateCard(card)).to.deep.equal([]);
      });
    }
  });

  it('the validator itself reports a broken card, so these tests can fail', () => {
    expect(validateCard({ type: 'AdaptiveCard', version: '1.5', body: [{ type: 'Input.Text' }] }).join()).to.include('unique Id');
    expect(validateCard({ type: 'AdaptiveCard', version: '1.6', body: [] }).join()).to.include('UnsupportedCardVersion');
    expect(validateCard({ type: 'AdaptiveCard', version: '1.5', body: [{ type: 'TextBlock', text: '${name}' }] }).join()).to.include('UnboundTemplate');
  });

  it('every card the bot sends on a tour of all it can do today has zero validation events', async () => {
    const admin = '11111111-2222-3333-4444-555555555555';
    const app = await testApp(
      { RA_TEAM_EMAILS: 'dorset=smartcard.support@nhsdorset.nhs.uk', RA_ADMINS: admin },
      undefined,
      undefined,
      { directory: await seededDirectory() },
    );
    const sent: Reply[] = [];
    const collect = async (turn: Promise<Reply[]>) => {
      const replies = await turn;
      sent.push(...replies);
      return replies;
    };
    const personal = new Chat(app);
    await collect(personal.send({ type: 'conversationUpdate', membersAdded: [{ id: 'bot-1', name: '' }] }));
    await collect(new Chat(app, { conversationType: 'channel', conversationId: 'team' }).send({
      type: 'conversationUpdate',
      membersAdded: [{ id: 'bot-1', name: '' }],
    } satisfies Partial<Activity>));
    const help = await collect(personal.say('help'));
    await collect(personal.pressButton(help, 'About and privacy'));
    for (const [kind, area] of [
      ['pharmacy', 'dorset'],
      ['pharmacy', 'southampton'],
      ['gp', 'elsewhere'],
    ] as const) {
      await collect(personal.say('change where i work'));
      await collect(personal.say('nonsense'));
      await collect(personal.say(kind));
      await collect(personal.say(area));
    }
    await collect(personal.say('my ra team'));
    await collect(personal.say('gibberish'));
    await collect(new Chat(app, { conversationId: 'faq' }).say('ask a question'));
    for (const question of ['card', "it's not working", 'who do I contact about smartcards', 'lost my card', 'what is FFFFF', 'tell me a joke']) {
      await collect(new Chat(app, { conversationId: `faq-${question}` }).say(question));
    }
    // The directory: an organisation with contacts, one without, a search, an unknown code's area, and the RA team's form.
    const directory = new Chat(app, { conversationId: 'directory', aadObjectId: admin });
    for (const said of ['who is the sponsor for FA123', 'FW844', 'find a contact', 'pharmacy', 'none of these', 'FX999', 'BH12 5AG', 'FFFFF', 'sponsor for F12', 'my ods code is Y90001']) {
      await collect(directory.say(said));
    }
    const form = await collect(directory.press({ verb: 'contact.add', code: 'FA123' }));
    await collect(directory.pressButton(form, 'Save', { role: 'lsa', name: 'X', email: 'not-an-email', phone: '12' }));
    await collect(directory.pressButton(form, 'Save', { role: 'lsa', name: 'Jo Newcomer', email: 'jo.newcomer@nhs.net', phone: '' }));
    await collect(directory.say('who is my sponsor'));
    await collect(directory.say('who can unlock my card?'));
    for (const article of app.articleIds()) await collect(new Chat(app, { conversationId: `article-${article}` }).press({ verb: 'faq.open', article }));
    const cards = cardsOf(sent);
    expect(cards.length).to.be.at.least(75);
    const everything = JSON.stringify(cards);
    for (const shown of ['Sponsors at SEAFRONT PHARMACY (FICTIONAL) (FA123)', 'Which of these is it?', 'Where is FX999?', 'Enter a work email address', 'Saved: Jo Newcomer', 'Your contacts at HARBOUR VIEW SURGERY']) {
      expect(everything, shown).to.include(shown);
    }
    for (const card of cards) expect(validateCard(card), JSON.stringify(card).slice(0, 200)).to.deep.equal([]);
  });

  describe('submission parsing (the one place card data is read)', () => {
    it('when a menu button submits, the verb and command come back typed', () => {
      expect(parseSubmission({ verb: 'menu.open', command: 'about' })).to.deep.equal({
        ok: true,
        submission: { verb: 'menu.open', command: 'about' },
      });
    });

    it('when an answer button submits, extra fields Teams adds are ignored', () => {
      const result = parseSubmission({ verb: 'choice.pick', prompt: 'workplace.kind', value: 'pharmacy', msteams: { x: 1 } });
      expect(result).to.deep.equal({ ok: true, submission: { verb: 'choice.pick', prompt: 'workplace.kind', value: 'pharmacy' } });
    });

    const forged: unknown[] = [null, 'text', 42, [], {}, { verb: 'menu.open', command: '' }, { verb: 'menu.open', command: 'A B' }, { verb: 'x' }, { verb: 'choice.pick', prompt: 'p' }];
    for (const value of forged) {
      it(`when ${JSON.stringify(value)} arrives, it is refused with a message a user can read`, () => {
        const result = parseSubmission(value);
        expect(result.ok).to.equal(false);
        if (!result.ok) expect(result.problem).to.match(/button sent data I cannot use|card sent data I do not recognise/);
      });
    }

    it('when a forged verb is very long, the message quotes only the start of it', () => {
      const result = parseSubmission({ verb: 'v'.repeat(10_000) });
      expect(result.ok).to.equal(false);
      if (!result.ok) expect(result.problem.length).to.be.below(100);
    });
  });
});
