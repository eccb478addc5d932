import * as ACData from 'adaptivecards-templating';

/** An Adaptive Card as JSON, ready for an attachment's `content`. */
export interface AdaptiveCardJson {
  readonly type: 'AdaptiveCard';
  readonly version: string;
  readonly body: readonly unknown[];
  readonly actions?: readonly unknown[];
  readonly [key: string]: unknown;
}

/** Thrown when a template cannot be bound: a programming fault, never user input. */
export class CardTemplateError extends Error {}

// Preparing a template parses every ${...} expression, about a third of a turn's CPU under load: prepare each once.
const prepared = new WeakMap<object, ACData.Template>();

/** Binds a designer-compatible template to its data with adaptivecards-templating. */
export function bindTemplate(template: object, data: object): AdaptiveCardJson {
  let ready = prepared.get(template);
  if (!ready) {
    ready = new ACData.Template(template);
    prepared.set(template, ready);
  }
  const bound: unknown = ready.expand({ $root: data });
  if (typeof bound !== 'object' || bound === null || (bound as { type?: unknown }).type !== 'AdaptiveCard') {
    throw new CardTemplateError('template did not expand to an AdaptiveCard');
  }
  return bound as AdaptiveCardJson;
}

/** Buttons per row: hosts allow few actions in one set, and short rows stay readable on a phone. */
const perRow = 3;

/** Buttons in rows of three, for a card's body (Teams shows at most five card-level buttons). */
export function rowsOf<T>(items: readonly T[]): { items: T[] }[] {
  const rows: { items: T[] }[] = [];
  for (let i = 0; i < items.length; i += perRow) rows.push({ items: items.slice(i, i + perRow) });
  return rows;
}
