import { stringify } from 'csv-stringify/sync';
import type { AttendeesCardData, SessionCardData, TrainingButton } from '../cards/trainingCards.js';
import { formatLondon, formatLondonDay, londonStamp, londonTimeOfDay, shortLondonDay } from '../knowledge/londonTime.js';
import type { RaTeam } from '../knowledge/raTeams.js';
import type { Audience } from './outreach.js';
import { placesLeft, waitingPosition, type TrainingSession } from './trainingSessions.js';

/** The buttons training cards carry; every press is checked again on the server. */
export type TrainingAction = 'announce' | 'schedule' | 'edit' | 'discard' | 'book' | 'cancel-booking' | 'attendees' | 'export' | 'cancel-session' | 'confirm-cancel-session';

export function button(title: string, session: TrainingSession, action: TrainingAction): TrainingButton {
  return { title, data: { verb: 'training.act', session: session.id, action, version: session.version } };
}

/** "1 hour 30 minutes". */
export function durationText(minutes: number): string {
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  const h = hours === 0 ? '' : `${hours} hour${hours === 1 ? '' : 's'}`;
  const m = rest === 0 ? '' : `${rest} minute${rest === 1 ? '' : 's'}`;
  return [h, m].filter((p) => p !== '').join(' ');
}

/** "Registration Agent Advanced, 31 Mar": a session in a few words, for titles and reports. */
export function sessionTitle(session: TrainingSession): string {
  return `${session.courseTitle}, ${shortLondonDay(session.startsAt)}`;
}

/** Where, as people read it; the online link only for those with a place. */
export function whereText(session: TrainingSession, showLink: boolean): string {
  if (session.venue.kind === 'office') return session.venue.address;
  return showLink ? `Online: [join the session](${session.venue.link})` : 'Online (the link comes with your place)';
}

function placesText(session: TrainingSession): string {
  const left = placesLeft(session);
  return left === 0 ? `None left of ${session.capacity}: you can join the waiting list` : `${left} of ${session.capacity}`;
}

/** The facts every session card shows: course, when (UK time, BST or GMT), how long, where, places, last day to book. */
export function sessionFacts(session: TrainingSession, team: RaTeam | undefined, showLink: boolean): { title: string; value: string }[] {
  return [
    { title: 'Course', value: session.courseTitle },
    { title: 'When', value: formatLondon(session.startsAt) },
    { title: 'How long', value: `${durationText(session.durationMinutes)}, until ${londonTimeOfDay(new Date(Date.parse(session.startsAt) + session.durationMinutes * 60_000).toISOString())}` },
    { title: 'Where', value: whereText(session, showLink) },
    { title: 'Places left', value: placesText(session) },
    { title: 'Book by', value: formatLondonDay(session.bookingDeadline) },
    { title: 'Run by', value: team?.name ?? session.teamId },
  ];
}

const courseIntro: Readonly<Record<string, string>> = {
  'registration-agent-advanced': 'Face-to-face training for RA agents (Registration Agent Advanced). New RA agents need it; existing RA agents are welcome too.',
  sponsor: 'Training for Sponsors. New Sponsors need it; existing Sponsors are welcome too.',
};

/** The heading and lines that introduce a session. */
function introOf(session: TrainingSession): string[] {
  const line = courseIntro[session.course];
  return line ? [line] : [];
}

/** A line under the time when the clocks go back that night and the time given happened twice. */
export function ambiguityNote(session: TrainingSession): string[] {
  return session.ambiguousTime ? [`The clocks go back that night, so ${londonTimeOfDay(session.startsAt).slice(0, 5)} happens twice: this is the first, ${londonTimeOfDay(session.startsAt)}.`] : [];
}

/** The announcement as everyone it goes to sees it, with "Book a place". */
export function announcementCard(session: TrainingSession, team: RaTeam | undefined): SessionCardData {
  return {
    notices: [],
    heading: `Training: ${session.courseTitle}`,
    intro: introOf(session),
    facts: sessionFacts(session, team, false),
    note: session.note,
    status: [],
    after: [...ambiguityNote(session), `Reference ${session.id}. You can also type **book ${session.id}**, or **training dates** to see every session.`],
    buttons: [button('Book a place', session, 'book')],
  };
}

/** How many and who an audience is, for the preview. */
export function audienceText(audience: Audience, teams: readonly RaTeam[], count: number): string {
  const who =
    audience.kind === 'everyone'
      ? 'everyone who uses the assistant'
      : audience.kind === 'sponsors-and-ra-agents'
        ? 'Sponsors and RA agents'
        : audience.kind === 'team'
          ? `everyone in the area of ${teams.find((t) => t.id === audience.teamId)?.name ?? audience.teamId}`
          : `people at ${audience.codes.join(', ')}`;
  if (count === 0) return `It is for ${who}, but nobody like that has talked to me yet, so nobody would be sent it now; it would still be listed under **training dates**.`;
  return `It will go to ${count} ${count === 1 ? 'person' : 'people'}: ${who} who ${count === 1 ? 'has' : 'have'} talked to me and not turned announcements off.`;
}

/**
 * When a draft goes out: on the button (`now`), at the time its author gave (`later`), or on the button after all
 * because the time given has passed (`missed`).
 */
export type AnnounceWhen = { readonly kind: 'now' } | { readonly kind: 'later' | 'missed'; readonly at: string };

/** The announcement as it will be sent, with Announce (or Schedule, for a time to come), Edit and Discard, for its author. */
export function previewCard(session: TrainingSession, team: RaTeam | undefined, reach: string, when: AnnounceWhen = { kind: 'now' }): SessionCardData {
  const card = announcementCard(session, team);
  const link = session.venue.kind === 'online' ? [`Only people with a place are given the link: ${session.venue.link}`] : [];
  const edit = [button('Edit', session, 'edit'), button('Discard', session, 'discard')];
  if (when.kind === 'later') {
    return {
      ...card,
      notices: ['Preview: nothing has been sent yet.'],
      status: [`It will be announced on ${formatLondon(when.at)}, when you press Schedule.`, reach],
      after: [
        ...ambiguityNote(session),
        ...link,
        'It goes to everyone in its audience at that time. Until then only your RA team can see it, under **training dates**, and nobody can book.',
      ],
      buttons: [button('Schedule', session, 'schedule'), ...edit],
    };
  }
  return {
    ...card,
    notices: ['Preview: nothing has been sent yet.', ...(when.kind === 'missed' ? [`The time you gave to announce it, ${formatLondon(when.at)}, has passed.`] : [])],
    status: [reach],
    after: [...ambiguityNote(session), ...link, ...(when.kind === 'missed' ? ['Press Announce to send it now, or Edit to choose another time.'] : [])],
    buttons: [button('Announce', session, 'announce'), ...edit],
  };
}

/** Where a scheduled session's announcement stands at `now`, in one line for its RA team. */
export function scheduleStatus(session: TrainingSession, now: string): string {
  const at = session.announceAt ? formatLondon(session.announceAt) : 'the time given';
  if (now >= session.bookingClosesAt) return `Not announced: its time, ${at}, passed when I could not send it, and booking has closed since.`;
  if (session.announceAt !== undefined && now >= session.announceAt) return `Being announced: it was due on ${at}.`;
  return `Not announced yet: announcement scheduled for ${at}.`;
}

/** A scheduled session as its RA team sees it: the announcement still to go, when it goes, and how to stop it. */
export function scheduledCard(session: TrainingSession, team: RaTeam | undefined, now: string): SessionCardData {
  const card = announcementCard(session, team);
  return {
    ...card,
    notices: [scheduleStatus(session, now)],
    status: ['Nothing has been sent yet, and nobody can book until it is announced.'],
    after: [...ambiguityNote(session), `To stop it, cancel the session: nothing will be sent. Reference ${session.id}.`],
    buttons: [button('Cancel the session', session, 'cancel-session')],
  };
}

/** One person's booking, as they see it: where they stand and how to give it up. */
export function bookingCard(session: TrainingSession, team: RaTeam | undefined, userId: string, heading: string): SessionCardData {
  const position = waitingPosition(session, userId);
  const booked = session.bookings.some((b) => b.userId === userId && b.status === 'booked');
  return {
    notices: [],
    heading,
    intro: [],
    facts: sessionFacts(session, team, booked),
    note: session.note,
    status: [booked ? 'You have a place.' : `You are number ${position} on the waiting list. If a place frees up, it is yours and I will tell you here.`],
    after: [...ambiguityNote(session), booked ? 'If you cannot come, cancel so someone on the waiting list gets your place.' : ''].filter((l) => l !== ''),
    buttons: [button(booked ? 'Cancel my booking' : 'Leave the waiting list', session, 'cancel-booking')],
  };
}

/** The reminder the day before, to everyone with a place. */
export function reminderCard(session: TrainingSession, team: RaTeam | undefined): SessionCardData {
  return {
    notices: [],
    heading: `Reminder: ${session.courseTitle} tomorrow`,
    intro: [],
    facts: sessionFacts(session, team, true).filter((f) => f.title !== 'Places left' && f.title !== 'Book by'),
    note: session.note,
    status: ['You have a place.'],
    after: [...ambiguityNote(session), 'If you cannot come now, cancel so someone on the waiting list can have your place.'],
    buttons: [button('Cancel my booking', session, 'cancel-booking')],
  };
}

/** What the RA team sees before a session is cancelled: who will be told, and the button that does it. */
export function confirmCancelCard(session: TrainingSession, team: RaTeam | undefined): SessionCardData {
  const booked = session.bookings.filter((b) => b.status === 'booked').length;
  const waiting = session.bookings.length - booked;
  return {
    notices: ['Cancel this session?'],
    heading: `Training: ${session.courseTitle}`,
    intro: [],
    facts: sessionFacts(session, team, true),
    note: '',
    status: [
      session.state === 'scheduled'
        ? `It hasn't been announced yet${session.announceAt ? ` (that is set for ${formatLondon(session.announceAt)})` : ''}: cancelled, it never will be.`
        : session.bookings.length === 0
          ? 'Nobody has booked yet. It will no longer be listed.'
          : `${booked} booked and ${waiting} waiting will be told it is cancelled, and it will no longer be listed.`,
    ],
    after: ['Nothing has changed yet.'],
    buttons: [button('Yes, cancel the session', session, 'confirm-cancel-session')],
  };
}

function nameOf(name: string): string {
  return name.trim() === '' ? '(no name given)' : name.replace(/[\r\n]+/g, ' ').slice(0, 100);
}

/** A name inside card Markdown: characters that would make a link or emphasis are left out. */
function cardName(name: string): string {
  return nameOf(name.replace(/[[\]()*_`#<>~|\\]/g, ''));
}

/** Who is coming and who is waiting, for the session's RA team. */
export function attendeesCard(session: TrainingSession, team: RaTeam | undefined, canCancel: boolean): AttendeesCardData {
  const booked = session.bookings.filter((b) => b.status === 'booked');
  const waiting = session.bookings.filter((b) => b.status === 'waiting');
  // Each list keeps to a share of the 28 KB a card may take; the rest are in the export.
  const list = (people: typeof booked, what: (b: (typeof booked)[number]) => string) => {
    const lines: string[] = [];
    let bytes = 0;
    for (const [i, b] of people.entries()) {
      const line = `${i + 1}. ${cardName(b.name)} (${what(b)})`;
      bytes += Buffer.byteLength(line) + 2;
      if (bytes > 10_000) break;
      lines.push(line);
    }
    const more = people.length - lines.length;
    return lines.join('\n') + (more > 0 ? `\n\n...and ${more} more: export the list to see everyone.` : '');
  };
  return {
    heading: `Attendees: ${session.courseTitle}`,
    facts: [
      { title: 'When', value: formatLondon(session.startsAt) },
      { title: 'Where', value: whereText(session, true) },
      { title: 'Places', value: `${booked.length} of ${session.capacity} taken` },
      { title: 'Waiting', value: String(waiting.length) },
      { title: 'State', value: stateText(session) },
      { title: 'Run by', value: team?.name ?? session.teamId },
      { title: 'Reference', value: session.id },
    ],
    bookedHeading: `Booked (${booked.length})`,
    booked: booked.length === 0 ? 'Nobody yet.' : list(booked, (b) => `${b.promotedAt ? 'from the waiting list' : 'booked'} ${londonStamp(b.promotedAt ?? b.bookedAt)}`),
    waitingHeading: `Waiting list (${waiting.length}), in order`,
    waiting: waiting.length === 0 ? '' : list(waiting, (b) => `since ${londonStamp(b.bookedAt)}`),
    buttons: [
      button('Export the list (CSV)', session, 'export'),
      ...(canCancel ? [button('Cancel the session', session, 'cancel-session')] : []),
    ],
  };
  function stateText(s: TrainingSession): string {
    if (s.state === 'cancelled') return `Cancelled${s.cancelledAt ? ` ${londonStamp(s.cancelledAt)}` : ''}`;
    if (s.state === 'announced') return `Announced${s.announcedAt ? ` ${londonStamp(s.announcedAt)}` : ''}`;
    if (s.state === 'scheduled') return `Not announced yet: announcement scheduled for ${s.announceAt ? formatLondon(s.announceAt) : 'later'}`;
    return s.state === 'draft' ? 'Draft, not announced' : 'Discarded';
  }
}

/** A cell a spreadsheet would read as a formula ("=HYPERLINK(...)") is kept as text. */
function cell(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** The attendee list as CSV: name, status, place in the waiting list, and when they booked (UK time). */
export function attendeesCsv(session: TrainingSession): string {
  const waiting = session.bookings.filter((b) => b.status === 'waiting');
  const rows = [
    ...session.bookings.filter((b) => b.status === 'booked'),
    ...waiting,
  ].map((b) => [
    cell(nameOf(b.name)),
    b.status,
    b.status === 'waiting' ? String(waiting.indexOf(b) + 1) : '',
    londonStamp(b.bookedAt),
    b.promotedAt ? londonStamp(b.promotedAt) : '',
  ]);
  return stringify(rows, { header: true, columns: ['name', 'status', 'waiting position', 'booked at (UK time)', 'given a place at (UK time)'] });
}

/** A file name for the export: "attendees-TS-7KQ2MX-2026-03-31.csv". */
export function exportFileName(session: TrainingSession): string {
  return `attendees-${session.id}-${londonStamp(session.startsAt).slice(0, 10)}.csv`;
}
