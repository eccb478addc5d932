import attendeesTemplate from './templates/trainingAttendees.json' with { type: 'json' };
import listTemplate from './templates/trainingList.json' with { type: 'json' };
import sessionTemplate from './templates/trainingSession.json' with { type: 'json' };
import { bindTemplate, rowsOf, type AdaptiveCardJson } from './render.js';

interface Fact {
  readonly title: string;
  readonly value: string;
}

/** A button of a training card and the data it submits (a `training.act`). */
export interface TrainingButton {
  readonly title: string;
  readonly data: Readonly<Record<string, string | number>>;
}

/** One session as a card: the announcement people receive, a preview of it, a booking or a confirmation to cancel. */
export interface SessionCardData {
  /** Lines in red above the heading ("Preview: nothing has been sent yet"). */
  readonly notices: readonly string[];
  readonly heading: string;
  readonly intro: readonly string[];
  readonly facts: readonly Fact[];
  /** The RA team's note, or '' for none. */
  readonly note: string;
  /** Where the reader stands ("You have a place."), in bold. */
  readonly status: readonly string[];
  /** Small print under it. */
  readonly after: readonly string[];
  /** Card-level buttons; at most five. */
  readonly buttons: readonly TrainingButton[];
}

export function renderSessionCard(data: SessionCardData): AdaptiveCardJson {
  return bindTemplate(sessionTemplate, { ...data, buttons: data.buttons.slice(0, 5) });
}

/** Several sessions, each with its own buttons: the training dates, or someone's bookings. */
export interface SessionListCardData {
  readonly heading: string;
  readonly intro: readonly string[];
  readonly sessions: readonly { readonly title: string; readonly facts: readonly Fact[]; readonly status: readonly string[]; readonly buttons: readonly TrainingButton[] }[];
  readonly after: readonly string[];
}

export function renderSessionListCard(data: SessionListCardData): AdaptiveCardJson {
  return bindTemplate(listTemplate, { ...data, sessions: data.sessions.map((s) => ({ ...s, rows: rowsOf(s.buttons) })) });
}

/** Who is coming to a session, and who is waiting, for its RA team. */
export interface AttendeesCardData {
  readonly heading: string;
  readonly facts: readonly Fact[];
  readonly bookedHeading: string;
  /** The booked, as a Markdown list (one text block keeps a full session well under the card size limit). */
  readonly booked: string;
  readonly waitingHeading: string;
  /** The waiting list in order, as a numbered Markdown list; '' for none. */
  readonly waiting: string;
  readonly buttons: readonly TrainingButton[];
}

export function renderAttendeesCard(data: AttendeesCardData): AdaptiveCardJson {
  return bindTemplate(attendeesTemplate, { ...data, buttons: data.buttons.slice(0, 5) });
}
