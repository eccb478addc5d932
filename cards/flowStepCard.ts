import template from './templates/flowStep.json' with { type: 'json' };
import { bindTemplate, rowsOf, type AdaptiveCardJson } from './render.js';

/** One step of a guided flow: a question, an answer, a checklist or a hand-off, with the buttons that answer it. */
export interface FlowStepCardData {
  readonly flowTitle: string;
  readonly title: string;
  readonly paragraphs: readonly string[];
  readonly checklist: readonly { readonly id: string; readonly text: string }[];
  readonly stuck: string;
  readonly sourceLine: string;
  /** The question the buttons answer ("Did that solve it?" on a last step). */
  readonly question: string;
  /** Travels in every button so a press on an out-of-date card is recognised. */
  readonly promptId: string;
  readonly choices: readonly { readonly value: string; readonly title: string }[];
  readonly canGoBack: boolean;
}

export function renderFlowStepCard(data: FlowStepCardData): AdaptiveCardJson {
  return bindTemplate(template, { ...data, rows: rowsOf(data.choices) });
}
