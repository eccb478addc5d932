import formTemplate from './templates/renewalForm.json' with { type: 'json' };
import reminderTemplate from './templates/renewalReminder.json' with { type: 'json' };
import { bindTemplate, type AdaptiveCardJson } from './render.js';

/** The card asking when someone's certificates expire. */
export interface RenewalFormCardData {
  /** Where the date is shown (Care Identity Management), from the knowledge base. */
  readonly whereToFind: string;
  /** The source line of the article that says so. */
  readonly sourceLine: string;
  /** The reminders already set, in words; empty when none are. */
  readonly current: string;
  /** The date filled in (YYYY-MM-DD), or empty. */
  readonly expiresOn: string;
  /** The earliest and latest dates the picker offers (YYYY-MM-DD); the server checks again. */
  readonly min: string;
  readonly max: string;
  /** Why the last date was refused; empty for none. */
  readonly problem: string;
}

/** Asks for the expiry date with a date picker; "Remind me" sends `renewal.save`, "Stop" `renewal.stop`. */
export function renderRenewalFormCard(data: RenewalFormCardData): AdaptiveCardJson {
  return bindTemplate(formTemplate, data);
}

/** One renewal reminder: how long is left (or that they expired) and the knowledge-base answer on what to do. */
export interface RenewalReminderCardData {
  readonly heading: string;
  readonly expired: boolean;
  readonly intro: string;
  /** The article's title, answer, regional parts and source line, as the answer card shows them. */
  readonly title: string;
  readonly answer: string;
  readonly regional: readonly { readonly area: string; readonly text: string }[];
  readonly sourceLine: string;
  /** What to do once renewed, or to stop the reminders. */
  readonly after: string;
}

export function renderRenewalReminderCard(data: RenewalReminderCardData): AdaptiveCardJson {
  return bindTemplate(reminderTemplate, { ...data, headingColor: data.expired ? 'Attention' : 'Default' });
}
