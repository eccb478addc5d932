import answerTemplate from './templates/answer.json' with { type: 'json' };
import clarifyTemplate from './templates/clarify.json' with { type: 'json' };
import notFoundTemplate from './templates/notFound.json' with { type: 'json' };
import { bindTemplate, rowsOf, type AdaptiveCardJson } from './render.js';

/** A knowledge-base answer as the answer card shows it. */
export interface AnswerCardData {
  readonly id: string;
  readonly title: string;
  readonly answer: string;
  readonly regional: readonly { readonly area: string; readonly text: string }[];
  readonly areaUnknown: boolean;
  readonly sourceLine: string;
  readonly followUps: readonly { readonly id: string; readonly title: string }[];
  /** The question that led here (already redacted), carried back with feedback. */
  readonly question: string;
  /** Helpful / Not helpful buttons; off when the card is pasted into another chat. */
  readonly feedback: boolean;
  /** The guided flow for this topic, offered as "Walk me through it" (none, or one). */
  readonly walkThrough: readonly { readonly id: string; readonly title: string }[];
  /** The request form the answer offers ("Report a lost, stolen or damaged card"), none or one; ids are `form.<id>`. */
  readonly request?: readonly { readonly id: string; readonly title: string }[];
  /** The reader's own Sponsors, Smartcard Administrators or RA agents the answer tells them to ask (none, or one block). */
  readonly local?: readonly { readonly title: string; readonly text: string }[];
}

/** The answer, its source line, follow-up buttons and Helpful / Not helpful with an optional comment. */
export function renderAnswerCard(data: AnswerCardData): AdaptiveCardJson {
  return bindTemplate(answerTemplate, { ...data, local: data.local ?? [], request: data.request ?? [] });
}

/** Articles offered as buttons: "did you mean" (with "None of these" when there was a question) or a list of common questions. */
export interface ClarifyCardData {
  readonly heading: string;
  readonly detail: string;
  readonly question: string;
  readonly candidates: readonly { readonly id: string; readonly title: string }[];
  /** Guided flows offered as menu buttons (command ids `flow.<id>`). */
  readonly flows?: readonly { readonly id: string; readonly title: string }[];
}

export function renderClarifyCard(data: ClarifyCardData): AdaptiveCardJson {
  return bindTemplate(clarifyTemplate, { ...data, flowRows: rowsOf(data.flows ?? []) });
}

/** What the assistant says when it does not know: who to ask instead. */
export interface NotFoundCardData {
  readonly heading: string;
  readonly detail: string;
  readonly contact: string;
  /** True only when the question really was stored for the RA team. */
  readonly noted: boolean;
  readonly askWorkplace: boolean;
}

export function renderNotFoundCard(data: NotFoundCardData): AdaptiveCardJson {
  return bindTemplate(notFoundTemplate, data);
}
