import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { loadKnowledge, type Knowledge } from '../../bot/knowledgeFiles.js';
import { pathsToLeaves, type Tree, type TreeNode } from '../../knowledge/trees.js';
import { Chat, cardsOf, readAll, testApp } from '../support/chat.js';
import { validateCard } from '../support/validateCard.js';
import type { App } from '../../bot/app.js';

const knowledge: Knowledge = await loadKnowledge(fileURLToPath(new URL('../../knowledge/data', import.meta.url)));

/** What the user sees when a flow reaches this leaf: an answer's title, or the next flow's title. */
function leafSignature(leaf: TreeNode): string {
  if (leaf.kind === 'action') return knowledge.trees.find((t) => t.id === leaf.flow)?.title ?? leaf.flow;
  if (leaf.kind === 'question') throw new Error('not a leaf');
  return leaf.title;
}

/** The words a person might type for a choice: its first synonym, else its title. */
function typedFor(tree: Tree, nodeId: string, value: string): string {
  const node = tree.nodes[nodeId];
  const choice = node?.kind === 'question' ? node.choices.find((c) => c.value === value) : undefined;
  return choice?.synonyms[0] ?? choice?.title ?? value;
}

describe('guided flows (every leaf of every tree, by clicks and by typing)', () => {
  let app: App;
  before(async () => {
    app = await testApp();
  });

  for (const tree of knowledge.trees) {
    describe(`flow ${tree.id}`, () => {
      for (const path of pathsToLeaves(tree)) {
        const leaf = tree.nodes[path.leaf] as TreeNode;
        const route = path.choices.map((c) => c.value).join(' > ') || '(start)';
        it(`clicking ${route} reaches "${path.leaf}"`, async () => {
          const chat = new Chat(app, { conversationId: `click-${tree.id}-${path.leaf}` });
          let replies = await chat.press({ verb: 'menu.open', command: `flow.${tree.id}` });
          const seen = [...replies];
          for (const step of path.choices) {
            replies = await chat.press({ verb: 'choice.pick', prompt: `${tree.id}.${step.node}`, value: step.value });
            seen.push(...replies);
          }
          expect(readAll(replies)).to.include(leafSignature(leaf));
          for (const card of cardsOf(seen)) expect(validateCard(card)).to.deep.equal([]);
          if (leaf.kind !== 'action') {
            expect(readAll(replies)).to.include('Did that solve it?');
            expect(readAll(await chat.press({ verb: 'choice.pick', prompt: `${tree.id}.${path.leaf}.solved`, value: 'yes' }))).to.include('glad');
          }
        });

        it(`typing ${path.choices.map((c) => `"${typedFor(tree, c.node, c.value)}"`).join(', ') || 'nothing'} reaches "${path.leaf}"`, async () => {
          const chat = new Chat(app, { conversationId: `type-${tree.id}-${path.leaf}` });
          let replies = await chat.press({ verb: 'menu.open', command: `flow.${tree.id}` });
          for (const step of path.choices) replies = await chat.say(typedFor(tree, step.node, step.value));
          expect(readAll(replies)).to.include(leafSignature(leaf));
          if (leaf.kind !== 'action') {
            const stillStuck = readAll(await chat.say('no'));
            expect(stillStuck).to.include("Sorry that didn't sort it. Your RA team can help");
          }
        });
      }
    });
  }

  describe('talking to a flow', () => {
    const tree = knowledge.trees.find((t) => t.id === 'card-printing') as Tree;

    it('when the answer fits no choice, the question is asked again with the options spelled out', async () => {
      const chat = new Chat(app, { conversationId: 'refit' });
      await chat.press({ verb: 'menu.open', command: 'flow.card-printing' });
      const text = readAll(await chat.say('purple elephants'));
      expect(text).to.include("Sorry, I didn't catch that");
      expect(text).to.include(tree.title);
    });

    it('when the user says back, the previous question comes back; at the first question they are told', async () => {
      const chat = new Chat(app, { conversationId: 'back' });
      await chat.press({ verb: 'menu.open', command: 'flow.card-printing' });
      expect(readAll(await chat.say('back'))).to.include("This is the first question");
      await chat.say('new user');
      const again = readAll(await chat.say('back'));
      expect(again).to.include("Is the card for a new user you've just created");
    });

    it('when a button on an old card is pressed after the flow moved on, the user is told and shown the current step', async () => {
      const chat = new Chat(app, { conversationId: 'stale' });
      await chat.press({ verb: 'menu.open', command: 'flow.card-printing' });
      await chat.say('new user');
      const stale = readAll(await chat.press({ verb: 'choice.pick', prompt: 'card-printing.new-or-replacement', value: 'replacement' }));
      expect(stale).to.include('That card is out of date');
      expect(stale).to.include('Have you created their profile in CIS');
    });

    it('when the user asks a new question in the middle of a flow, the flow stops and the question is answered', async () => {
      const chat = new Chat(app, { conversationId: 'new-question' });
      await chat.press({ verb: 'menu.open', command: 'flow.card-printing' });
      const text = readAll(await chat.say('where do I find the UUID on my smartcard?'));
      expect(text).to.include('so I\'ve stopped "' + tree.title + '"');
      expect(chat.lastOutcome).to.deep.include({ kind: 'answer', id: 'smartcard-uuid' });
      expect(readAll(await chat.say('help'))).not.to.include("Is the card for a new user you've just created");
    });

    it('an answer that is not a question is never taken for a new one', async () => {
      const chat = new Chat(app, { conversationId: 'not-new' });
      await chat.press({ verb: 'menu.open', command: 'flow.card-printing' });
      expect(readAll(await chat.say('the smartcard uuid thing'))).to.include("Sorry, I didn't catch that");
    });

    it('help and cancel work in the middle of a flow', async () => {
      const chat = new Chat(app, { conversationId: 'interrupt' });
      await chat.press({ verb: 'menu.open', command: 'flow.card-printing' });
      const help = readAll(await chat.say('help'));
      expect(help).to.include('What I can do');
      expect(help).to.include("Is the card for a new user you've just created");
      expect(readAll(await chat.say('cancel'))).to.include("OK, I've stopped that.");
    });

    it('when a question starts a flow, the words already given answer its questions', async () => {
      const chat = new Chat(app, { conversationId: 'prefill' });
      const text = readAll(await chat.say("I created a new user in CIS but I can't issue their card"));
      expect(chat.lastOutcome?.kind).to.equal('flow');
      expect(text).to.include('Have you created their profile in CIS');
      expect(text).not.to.include("Is the card for a new user you've just created");
    });
  });

  describe('plain-word journeys (no clicks)', () => {
    const journey = async (id: string, lines: string[]) => {
      const chat = new Chat(app, { conversationId: `journey-${id}` });
      let text = '';
      for (const line of lines) text = readAll(await chat.say(line));
      return text;
    };

    it('"can I unlock my card myself?" with the card, a working reader, valid certificates and an email on the profile ends at self-service unlock', async () => {
      const text = await journey('eligible', ['can I unlock my card myself?', 'yes', 'yes it works', 'no', 'yes']);
      expect(text).to.include('digital.nhs.uk/unlock');
      expect(text).to.include('15 minutes');
    });

    it('a pharmacy worker with no email on their profile is told who in the pharmacy can unlock it', async () => {
      const text = await journey('pharmacy', ['can I unlock my card myself?', 'yes', 'yes', 'no', 'no email on my profile', 'I work in a pharmacy']);
      expect(text).to.include('Who can unlock your card in a pharmacy');
      expect(text).to.include('pharmacist with your store on their smartcard');
      expect(text).to.include('0300 5610429');
    });

    it('a locum GP is told the practice they work at next can unlock it', async () => {
      const text = await journey('locum', ['can I unlock my card myself?', 'yep', 'yeah', 'nope', 'no', "I'm a locum GP"]);
      expect(text).to.include('The practice you work at next can unlock it');
    });

    it('"my renewal keeps failing and my card number starts 02" ends at "you need a new card" and how to get one', async () => {
      const text = await journey('renewal-02', ['my renewal keeps failing and my card number starts 02']);
      expect(text.toLowerCase()).to.include('you need a new card');
      expect(text).to.include('ask your RA team to print you a new card');
    });

    it('a user who has said where they work is not asked again, and sees only their own RA team', async () => {
      const chat = new Chat(app, { conversationId: 'journey-known' });
      await chat.say('set my workplace');
      await chat.say('pharmacy');
      await chat.say('southampton');
      let text = '';
      for (const line of ['can I unlock my card myself?', 'yes', 'yes', 'no', 'no']) text = readAll(await chat.say(line));
      expect(text).to.include('Who can unlock your card in a pharmacy');
      expect(text).not.to.include('Where do you work?');
      expect(text).to.include('0300 5610429');
      expect(text).not.to.include('01202 541604');
    });
  });
});
