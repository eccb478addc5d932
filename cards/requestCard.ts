import template from './templates/request.json' with { type: 'json' };
import { bindTemplate, type AdaptiveCardJson } from './render.js';

interface Fact {
  readonly title: string;
  readonly value: string;
}

/** A request as the requester or the RA desk sees it: its state, its details, and what can be done next. */
export interface RequestCardData {
  readonly heading: string;
  readonly reference: string;
  /** Carried by the desk's buttons, so a press on an out-of-date card is noticed. */
  readonly version: number;
  /** A warning line in red, or '' for none. */
  readonly urgentText: string;
  readonly intro: readonly string[];
  readonly facts: readonly Fact[];
  /** The form's answers; identity-document numbers masked. */
  readonly details: readonly Fact[];
  readonly checklist: readonly string[];
  readonly history: readonly string[];
  /** Desk buttons that act at once (assign to me, reopen). */
  readonly actions: readonly { readonly title: string; readonly action: string }[];
  /** RA team members the request can be assigned to (those seen on the desk), by AAD object id. */
  readonly assignable?: readonly { readonly title: string; readonly value: string }[];
  /** Desk buttons that need a note first (complete, reject, ask for information). */
  readonly noted: readonly { readonly title: string; readonly label: string; readonly action: string }[];
  /** Card-level buttons (my requests, what I can do); at most five. */
  readonly buttons: readonly { readonly title: string; readonly data: Readonly<Record<string, string>> }[];
}

export function renderRequestCard(data: RequestCardData): AdaptiveCardJson {
  return bindTemplate(template, { ...data, assignable: data.assignable ?? [], buttons: data.buttons.slice(0, 5) });
}
