import type { ConversationReference } from 'botbuilder';
import type { Audience } from './outreach.js';

/**
 * A training session's life: a draft only its RA team sees (previewed, edited, discarded), perhaps scheduled (to be
 * announced at a set time; still only its team sees it), then announced (people book), and perhaps cancelled. A
 * discarded draft is kept so its form cannot make another by being sent again.
 */
export const sessionStates = ['draft', 'scheduled', 'announced', 'cancelled', 'discarded'] as const;
export type SessionState = (typeof sessionStates)[number];

/** Someone as the assistant knows them in Teams. */
export interface Person {
  readonly userId: string;
  readonly aadObjectId?: string | undefined;
  readonly name: string;
}

/** Where a session is held: one of the RA teams' offices (from their data), or online with a link. */
export type Venue =
  | { readonly kind: 'office'; readonly value: string; readonly title: string; readonly address: string }
  | { readonly kind: 'online'; readonly link: string };

/** One person's place on a session, or their place in its waiting list. */
export interface Booking extends Person {
  /** Their personal chat with the assistant, for telling them about their place. */
  readonly reference: Partial<ConversationReference>;
  readonly status: 'booked' | 'waiting';
  readonly bookedAt: string;
  /** When a freed place was given to them from the waiting list. */
  readonly promotedAt?: string | undefined;
}

/** A face-to-face or online training session run by one RA team. */
export interface TrainingSession {
  /** "TS-7KQ2MX". */
  readonly id: string;
  /** Goes up with every change, so a button on an out-of-date card is noticed. */
  readonly version: number;
  readonly state: SessionState;
  readonly teamId: string;
  /** The course's option value in the form, and its title ("Registration Agent Advanced"). */
  readonly course: string;
  readonly courseTitle: string;
  readonly venue: Venue;
  /** When it starts, UTC ISO; entered and shown as UK time. */
  readonly startsAt: string;
  /** The UK wall-clock time given happened twice (the night the clocks go back); the first, BST, was taken. */
  readonly ambiguousTime: boolean;
  readonly durationMinutes: number;
  readonly capacity: number;
  /** The last day to book, a UK date (YYYY-MM-DD). */
  readonly bookingDeadline: string;
  /** When booking closes, UTC ISO: the end of the last day to book, or the start if that is sooner. */
  readonly bookingClosesAt: string;
  readonly audience: Audience;
  readonly note: string;
  /** The form as its author last sent it, to show it again for editing. */
  readonly fields: Readonly<Record<string, string>>;
  /** The one-time id of the form copy it came from: the same form sent again changes this session, never makes another. */
  readonly draft: string;
  readonly author: Person & { readonly reference: Partial<ConversationReference> };
  readonly createdAt: string;
  readonly updatedAt: string;
  /** When its author asked for it to be announced, UTC ISO (entered as UK time); none to announce on the button. */
  readonly announceAt?: string | undefined;
  /** Who pressed Schedule: the announcement's delivery report goes to them when it is sent. */
  readonly scheduledBy?: (Person & { readonly reference: Partial<ConversationReference> }) | undefined;
  readonly scheduledAt?: string | undefined;
  readonly announcedAt?: string | undefined;
  readonly cancelledAt?: string | undefined;
  /** Booked and waiting, in the order they asked; the waiting list is the waiting ones in this order. */
  readonly bookings: readonly Booking[];
  /** How many times a freed place has gone to the waiting list, numbering the messages that say so. */
  readonly promotions: number;
}

/** A session before the store gives it an id and version. */
export type NewSession = Omit<TrainingSession, 'id' | 'version' | 'bookings' | 'promotions'>;

/** What asking for a place came to. `already`: they had asked before, and nothing changed. */
export type BookResult =
  | { readonly kind: 'booked' | 'waiting'; readonly already: boolean; readonly session: TrainingSession; readonly position: number }
  | { readonly kind: 'refused'; readonly reason: 'missing' | 'not-announced' | 'cancelled' | 'started' | 'closed' };

/** What giving up a place came to; `promoted` is who got the place from the waiting list, and the promotion's number. */
export type CancelBookingResult =
  | {
      readonly kind: 'cancelled';
      readonly was: 'booked' | 'waiting';
      readonly session: TrainingSession;
      readonly promoted?: { readonly booking: Booking & { readonly promotedAt: string }; readonly number: number } | undefined;
    }
  | { readonly kind: 'not-booked' | 'missing' | 'started' };

/** Which sessions to list. */
export interface SessionFilter {
  readonly states?: readonly SessionState[] | undefined;
  /** Only those starting after this instant (UTC ISO). */
  readonly startsAfter?: string | undefined;
  readonly draft?: string | undefined;
}

/** The stored sessions and their bookings. Each booking change is one operation, so places hold under concurrency. */
export interface TrainingRepository {
  /** Stores a new session with a fresh id, before resolving; one from a form copy (`draft`) already stored is returned as it is. */
  create(session: NewSession): Promise<TrainingSession>;
  get(id: string): Promise<TrainingSession | undefined>;
  /** Changes a session if it is still at `version`; bookings cannot be changed this way. */
  update(id: string, version: number, change: (session: TrainingSession) => TrainingSession): Promise<TrainingSession | 'conflict' | 'missing'>;
  /** Sessions by start, earliest first. */
  list(filter: SessionFilter): Promise<TrainingSession[]>;
  /** A place while there is one, else the waiting list; the same person asking again changes nothing. */
  book(id: string, person: Omit<Booking, 'status' | 'bookedAt' | 'promotedAt'>, now: string): Promise<BookResult>;
  /** Gives up a place (or leaves the waiting list); a freed place goes to the first waiting, in the same operation. */
  cancelBooking(id: string, userId: string, now: string): Promise<CancelBookingResult>;
}

/** Booked places taken. */
export function bookedCount(session: TrainingSession): number {
  return session.bookings.filter((b) => b.status === 'booked').length;
}

/** Places still free. */
export function placesLeft(session: TrainingSession): number {
  return Math.max(0, session.capacity - bookedCount(session));
}

/** Someone's place in the waiting list, from 1; 0 when they are not waiting. */
export function waitingPosition(session: TrainingSession, userId: string): number {
  return session.bookings.filter((b) => b.status === 'waiting').findIndex((b) => b.userId === userId) + 1;
}

/**
 * The booking rules, applied to a session as stored: the store runs this inside one write, so two people can never
 * take the last place. Returns the changed session (or none, when nothing changes) and the result.
 */
export function bookInto(
  session: TrainingSession | undefined,
  person: Omit<Booking, 'status' | 'bookedAt' | 'promotedAt'>,
  now: string,
): { readonly changed?: TrainingSession; readonly result: BookResult } {
  if (!session) return { result: { kind: 'refused', reason: 'missing' } };
  if (session.state === 'cancelled') return { result: { kind: 'refused', reason: 'cancelled' } };
  if (session.state !== 'announced') return { result: { kind: 'refused', reason: 'not-announced' } };
  const mine = session.bookings.find((b) => b.userId === person.userId);
  if (mine) return { result: { kind: mine.status, already: true, session, position: waitingPosition(session, person.userId) } };
  if (now >= session.startsAt) return { result: { kind: 'refused', reason: 'started' } };
  if (now >= session.bookingClosesAt) return { result: { kind: 'refused', reason: 'closed' } };
  const status = bookedCount(session) < session.capacity ? 'booked' : 'waiting';
  const changed: TrainingSession = {
    ...session,
    version: session.version + 1,
    updatedAt: now,
    bookings: [...session.bookings, { ...person, status, bookedAt: now }],
  };
  return { changed, result: { kind: status, already: false, session: changed, position: waitingPosition(changed, person.userId) } };
}

/** Gives up someone's place and hands it to the first on the waiting list, in one change. */
export function cancelIn(session: TrainingSession | undefined, userId: string, now: string): { readonly changed?: TrainingSession; readonly result: CancelBookingResult } {
  if (!session) return { result: { kind: 'missing' } };
  const mine = session.bookings.find((b) => b.userId === userId);
  if (!mine) return { result: { kind: 'not-booked' } };
  if (now >= session.startsAt && session.state === 'announced') return { result: { kind: 'started' } };
  let bookings = session.bookings.filter((b) => b.userId !== userId);
  let promoted: { booking: Booking & { promotedAt: string }; number: number } | undefined;
  const next = bookings.find((b) => b.status === 'waiting');
  // Only a live session hands on places: a cancelled one has nothing to give.
  if (mine.status === 'booked' && next && session.state === 'announced') {
    const booking = { ...next, status: 'booked' as const, promotedAt: now };
    bookings = bookings.map((b) => (b === next ? booking : b));
    promoted = { booking, number: session.promotions + 1 };
  }
  const changed: TrainingSession = {
    ...session,
    version: session.version + 1,
    updatedAt: now,
    bookings,
    promotions: promoted ? promoted.number : session.promotions,
  };
  return { changed, result: { kind: 'cancelled', was: mine.status, session: changed, promoted } };
}
