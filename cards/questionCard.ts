import template from './templates/question.json' with { type: 'json' };
import { bindTemplate, type AdaptiveCardJson } from './render.js';

/** A question with buttons; each button submits `choice.pick` with the prompt's id and the choice's value. */
export interface QuestionCardData {
  readonly promptId: string;
  readonly question: string;
  readonly hint?: string;
  readonly choices: readonly { readonly value: string; readonly title: string }[];
}

/** Renders a multiple-choice question; typed answers are accepted too, so the hint says so. */
export function renderQuestionCard(data: QuestionCardData): AdaptiveCardJson {
  return bindTemplate(template, { ...data, hint: data.hint ?? '' });
}
