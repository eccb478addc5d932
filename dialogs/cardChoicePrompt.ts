import type { TurnContext } from 'botbuilder';
import { sendCard } from './cardReply.js';
import { Prompt, recognizeChoices, type PromptOptions, type PromptRecognizerResult } from 'botbuilder-dialogs';
import { parseSubmission } from '../cards/submission.js';
import { renderQuestionCard } from '../cards/questionCard.js';

/** One answer to a card question, with the words that also count when typed. */
export interface CardChoice {
  readonly value: string;
  readonly title: string;
  readonly synonyms: readonly string[];
}

/** What a CardChoicePrompt asks. */
export interface CardQuestion {
  readonly question: string;
  readonly hint?: string;
  readonly choices: readonly CardChoice[];
}

interface PromptState {
  problem?: 'stale-card' | 'not-understood';
}

/**
 * A multiple-choice question as an Adaptive Card whose buttons and typed words both answer it.
 * Its dialog id travels in each button, so a press on an older card is told apart from an answer.
 */
export class CardChoicePrompt extends Prompt<string> {
  constructor(
    dialogId: string,
    private readonly spec: CardQuestion,
  ) {
    super(dialogId);
  }

  protected async onPrompt(context: TurnContext, state: object, _options: PromptOptions, isRetry: boolean): Promise<void> {
    if (isRetry) {
      const problem = (state as PromptState).problem;
      const titles = this.spec.choices.map((c) => `**${c.title}**`).join(', ');
      await context.sendActivity(
        problem === 'stale-card'
          ? 'That button belongs to an earlier question. Please answer the one below.'
          : `Sorry, I didn't catch that. Press a button or type one of: ${titles}. Or say **cancel**.`,
      );
    }
    const card = renderQuestionCard({
      promptId: this.id,
      question: this.spec.question,
      hint: this.spec.hint ?? 'Press a button, or type your answer.',
      choices: this.spec.choices.map(({ value, title }) => ({ value, title })),
    });
    await sendCard(context, card);
  }

  protected async onRecognize(context: TurnContext, state: object, _options: PromptOptions): Promise<PromptRecognizerResult<string>> {
    const promptState = state as PromptState;
    const { text, value } = context.activity;
    if (value !== undefined && value !== null) {
      const parsed = parseSubmission(value);
      if (parsed.ok && parsed.submission.verb === 'choice.pick') {
        const { prompt, value: picked } = parsed.submission;
        if (prompt === this.id && this.spec.choices.some((c) => c.value === picked)) return { succeeded: true, value: picked };
        promptState.problem = 'stale-card';
        return { succeeded: false };
      }
    }
    promptState.problem = 'not-understood';
    if (typeof text !== 'string' || text.trim() === '') return { succeeded: false };
    const choices = this.spec.choices.map((c) => ({ value: c.value, synonyms: [c.title, c.value, ...c.synonyms] }));
    const [best] = recognizeChoices(text.trim().slice(0, 200), choices, { recognizeOrdinals: true, recognizeNumbers: true });
    return best ? { succeeded: true, value: best.resolution.value } : { succeeded: false };
  }
}
