import type { StatePropertyAccessor, TurnContext } from 'botbuilder';
import { sendCard } from './cardReply.js';
import { Dialog, recognizeChoices, type DialogContext, type DialogInstance, type DialogTurnResult } from 'botbuilder-dialogs';
import { renderFlowStepCard, type FlowStepCardData } from '../cards/flowStepCard.js';
import { parseSubmission } from '../cards/submission.js';
import type { AnswerRenderer } from '../knowledge/answers.js';
import type { KnowledgeBase } from '../knowledge/search.js';
import type { QuestionNode, Tree, TreeNode } from '../knowledge/trees.js';
import { areaNamedIn } from '../knowledge/workplace.js';
import { looksLikeQuestion, normalise } from './input.js';
import { localContacts, type LocalContactsDeps } from './localContacts.js';
import { recordOutcome } from './outcome.js';
import type { UserProfile } from './userProfile.js';

/** What every guided flow needs from the composition root. */
export interface TreeDialogDeps extends LocalContactsDeps {
  readonly kb: KnowledgeBase;
  readonly answers: AnswerRenderer;
  readonly profile: StatePropertyAccessor<UserProfile>;
}

/** Where the user is in a flow: the node on screen, the nodes behind it, and whether we are asking "did that solve it?". */
interface FlowState {
  node: string;
  history: string[];
  askingSolved: boolean;
}

/** How a flow ended: `reroute` means the user asked something new, to be answered as a fresh message. */
export interface FlowResult {
  readonly solved?: boolean;
  readonly reroute?: boolean;
}

/** Options when a flow starts: the words that started it, used to skip questions they already answer. */
export interface TreeDialogOptions {
  readonly question?: string;
}

const solvedChoices = [
  { value: 'yes', title: 'Yes, sorted', synonyms: ['yes', 'yep', 'yeah', 'sorted', 'solved', 'it worked', 'thanks', 'fixed', 'y'] },
  { value: 'no', title: 'No, still stuck', synonyms: ['no', 'nope', 'nah', 'still stuck', 'not solved', "didn't work", 'did not work', 'n'] },
];
const backWords = new Set(['back', 'go back', 'previous', 'undo', 'back please']);
const stateKey = 'flow';

/**
 * Walks one decision tree from the knowledge base: asks its questions (buttons or typed words), skips what the user
 * already told us, shows the leaf it ends at, and asks whether that solved it. One class serves every flow.
 */
export class TreeDialog extends Dialog<TreeDialogOptions> {
  constructor(
    private readonly tree: Tree,
    private readonly deps: TreeDialogDeps,
  ) {
    super(tree.id);
  }

  /** Whether a message already answers the flow's first question, i.e. describes the user's situation. */
  answeredBy(words: string): boolean {
    const start = this.tree.nodes[this.tree.start];
    return start?.kind === 'question' && recogniseIn(words, start.choices) !== undefined;
  }

  override async beginDialog(dc: DialogContext, options?: TreeDialogOptions): Promise<DialogTurnResult> {
    const state: FlowState = { node: this.tree.start, history: [], askingSolved: false };
    dc.activeDialog!.state[stateKey] = state;
    return this.advance(dc, state, options?.question ?? '');
  }

  override async continueDialog(dc: DialogContext): Promise<DialogTurnResult> {
    const state = dc.activeDialog!.state[stateKey] as FlowState;
    const { text, value } = dc.context.activity;
    const submitted = value !== undefined && value !== null ? parseSubmission(value) : undefined;
    const typed = typeof text === 'string' ? text.trim() : '';

    if (submitted?.ok && submitted.submission.verb === 'flow.back') {
      if (submitted.submission.prompt !== this.promptId(state)) return this.outOfDate(dc, state);
      return this.back(dc, state);
    }
    if (!submitted && backWords.has(normalise(typed))) return this.back(dc, state);

    const node = this.tree.nodes[state.node];
    const choices = state.askingSolved ? solvedChoices : node?.kind === 'question' ? node.choices : [];
    let picked: string | undefined;
    if (submitted?.ok && submitted.submission.verb === 'choice.pick') {
      if (submitted.submission.prompt !== this.promptId(state)) return this.outOfDate(dc, state);
      const value = submitted.submission.value;
      picked = choices.find((c) => c.value === value)?.value;
    } else if (!submitted) {
      picked = recognise(typed, choices);
    }
    if (!picked && !submitted && looksLikeQuestion(typed) && this.deps.kb.search(typed).kind === 'answer') {
      await dc.context.sendActivity(`That sounds like a new question, so I've stopped "${this.tree.title}".`);
      return dc.endDialog({ reroute: true } satisfies FlowResult);
    }
    if (!picked) {
      const titles = choices.map((c) => `**${c.title}**`).join(', ');
      await dc.context.sendActivity(`Sorry, I didn't catch that. Press a button or type one of: ${titles}. You can also say **back** or **cancel**.`);
      await this.show(dc.context, state);
      return Dialog.EndOfTurn;
    }
    if (state.askingSolved) return this.finish(dc, picked === 'yes');
    const next = (node as QuestionNode).choices.find((c) => c.value === picked)?.next ?? state.node;
    state.history.push(state.node);
    state.node = next;
    return this.advance(dc, state, '');
  }

  override async repromptDialog(context: TurnContext, instance: DialogInstance): Promise<void> {
    await this.show(context, instance.state[stateKey] as FlowState);
  }

  /** Moves through questions the user's words or profile already answer, then shows the node it stops at. */
  private async advance(dc: DialogContext, state: FlowState, words: string): Promise<DialogTurnResult> {
    const profile = await this.deps.profile.get(dc.context, {});
    for (let guard = 0; guard < Object.keys(this.tree.nodes).length; guard++) {
      const node = this.tree.nodes[state.node];
      if (!node) break;
      if (node.kind === 'action') {
        if (node.text) await dc.context.sendActivity(node.text);
        return dc.replaceDialog(node.flow, { question: words } satisfies TreeDialogOptions);
      }
      if (node.kind !== 'question') break;
      const known = knownAnswer(node, profile) ?? (words ? recogniseIn(words, node.choices) : undefined);
      if (!known) break;
      state.history.push(state.node);
      state.node = node.choices.find((c) => c.value === known)?.next ?? state.node;
    }
    const current = this.tree.nodes[state.node];
    state.askingSolved = current !== undefined && current.kind !== 'question';
    recordOutcome(dc.context, { kind: 'flow', id: this.tree.id, title: this.tree.title, confidence: 1, suggestions: [] });
    await this.show(dc.context, state);
    return Dialog.EndOfTurn;
  }

  private async back(dc: DialogContext, state: FlowState): Promise<DialogTurnResult> {
    const previous = state.history.pop();
    if (previous === undefined) await dc.context.sendActivity("This is the first question, so there's nothing to go back to.");
    else {
      state.node = previous;
      state.askingSolved = false;
    }
    await this.show(dc.context, state);
    return Dialog.EndOfTurn;
  }

  private async outOfDate(dc: DialogContext, state: FlowState): Promise<DialogTurnResult> {
    await dc.context.sendActivity('That card is out of date: we have moved on since. Here is where we are now:');
    await this.show(dc.context, state);
    return Dialog.EndOfTurn;
  }

  private async finish(dc: DialogContext, solved: boolean): Promise<DialogTurnResult> {
    const profile = await this.deps.profile.get(dc.context, {});
    await dc.context.sendActivity(
      solved
        ? "Good, glad that's sorted."
        : `Sorry that didn't sort it. Your RA team can help: ${this.deps.answers.myContact({ workplace: profile.workplace })}. Or say **ask the RA team** to send them a question they'll answer here.`,
    );
    return dc.endDialog({ solved } satisfies FlowResult);
  }

  private promptId(state: FlowState): string {
    return `${this.tree.id}.${state.askingSolved ? `${state.node}.solved` : state.node}`;
  }

  /** Sends the card for the current node. */
  private async show(context: TurnContext, state: FlowState): Promise<void> {
    const node = this.tree.nodes[state.node];
    if (!node) return;
    const profile = await this.deps.profile.get(context, {});
    const described = this.describe(node, profile, context.activity.text ?? '');
    const roles = node.kind === 'answer' || node.kind === 'handoff' ? node.contacts : [];
    const local = (await localContacts(this.deps, context, roles)).map((block) => `**${block.title}**\n${block.text}`);
    const card = renderFlowStepCard({
      ...described,
      paragraphs: [...described.paragraphs, ...local],
      flowTitle: this.tree.title,
      promptId: this.promptId(state),
      canGoBack: state.history.length > 0,
    });
    await sendCard(context, card);
  }

  private describe(node: TreeNode, profile: UserProfile, said: string): Omit<FlowStepCardData, 'flowTitle' | 'promptId' | 'canGoBack'> {
    const context = { workplace: profile.workplace, namedArea: areaNamedIn(said) };
    const fill = (text: string) => this.deps.answers.fill(text, context);
    const solved = { question: 'Did that solve it?', choices: solvedChoices.map(({ value, title }) => ({ value, title })) };
    const empty = { paragraphs: [] as string[], checklist: [] as { id: string; text: string }[], stuck: '', sourceLine: '' };
    switch (node.kind) {
      case 'question':
        return { ...empty, title: fill(node.text), paragraphs: node.hint ? [fill(node.hint)] : [], question: '', choices: node.choices.map(({ value, title }) => ({ value, title })) };
      case 'answer': {
        const article = node.article ? this.deps.kb.get(node.article) : undefined;
        const rendered = article ? this.deps.answers.render(article, context) : undefined;
        const paragraphs = [
          ...(node.text ? [fill(node.text)] : []),
          ...(rendered ? [rendered.text, ...rendered.regional.map((r) => `**${r.area}:** ${r.text}`)] : []),
        ];
        return { ...empty, title: node.title, paragraphs, sourceLine: rendered?.sourceLine ?? '', ...solved };
      }
      case 'checklist':
        return {
          ...empty,
          title: node.title,
          paragraphs: node.intro ? [fill(node.intro)] : [],
          checklist: node.items.map((text, i) => ({ id: `step-${i + 1}`, text: `${i + 1}. ${fill(text)}` })),
          stuck: `If a step fails: ${fill(node.ifStuck)}`,
          ...solved,
        };
      case 'handoff':
        return { ...empty, title: node.title, paragraphs: [fill(node.text), `Your RA team: ${this.deps.answers.myContact(context)}.`], ...solved };
      case 'action':
        return { ...empty, title: node.text ?? '', question: '', choices: [] };
    }
  }
}

/** The choice a user's profile already answers, when the question asks for it. */
function knownAnswer(node: QuestionNode, profile: UserProfile): string | undefined {
  const skip = node.skipWith;
  if (!skip || !profile.workplace) return undefined;
  if (skip.field === 'workplace.kind') return skip.values[profile.workplace.kind];
  return skip.values[profile.workplace.area];
}

/** A typed answer: the one choice whose title, value or synonym it matches (ordinals such as "the first one" too). */
function recognise(text: string, choices: readonly { value: string; title: string; synonyms?: readonly string[] }[]): string | undefined {
  if (text === '') return undefined;
  const options = choices.map((c) => ({ value: c.value, synonyms: [c.title, c.value, ...(c.synonyms ?? [])] }));
  const [best] = recognizeChoices(text.slice(0, 200), options, { recognizeOrdinals: true, recognizeNumbers: true });
  return best?.resolution.value;
}

/** The one choice a longer message already answers ("my renewal keeps failing" answers "What happens?"), or none when it is unclear. */
function recogniseIn(words: string, choices: QuestionNode['choices']): string | undefined {
  const said = ` ${normalise(words).replace(/[^a-z0-9' ]/g, ' ')} `;
  const matches = choices.filter((c) => c.synonyms.some((s) => s.length >= 3 && said.includes(` ${normalise(s)} `)));
  return matches.length === 1 ? matches[0]?.value : undefined;
}
