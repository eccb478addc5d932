import { DateTime, IANAZone } from 'luxon';

/** Every time the assistant shows or is given is UK time: Europe/London, GMT in winter and BST in summer. */
export const londonZone = 'Europe/London';

/** A wall-clock date and time in London read as an instant, or why it cannot be one. */
export type LondonInstant =
  | {
      readonly ok: true;
      /** The instant, as UTC ISO 8601 ("2026-03-31T09:00:00.000Z"). */
      readonly iso: string;
      readonly zone: 'BST' | 'GMT';
      /**
       * The clocks went back that night, so this wall-clock time happened twice: the first (BST) is taken, and the
       * shown time says so.
       */
      readonly ambiguous: boolean;
    }
  | { readonly ok: false; readonly problem: string };

const dayPattern = /^(\d{4})-(\d{2})-(\d{2})$/;
const timePattern = /^([01]\d|2[0-3]):([0-5]\d)$/;

/**
 * Reads "2026-03-31" and "10:00" as London wall-clock time. A time the clocks skip (01:30 on the last Sunday of March)
 * is refused; one they pass twice (01:30 on the last Sunday of October) is the first, in BST.
 */
export function londonInstant(date: string, time: string): LondonInstant {
  const d = dayPattern.exec(date);
  const t = timePattern.exec(time);
  if (!d || !t) return { ok: false, problem: 'Enter a date like 2026-03-31 and a time like 10:00.' };
  const wall = { year: Number(d[1]), month: Number(d[2]), day: Number(d[3]), hour: Number(t[1]), minute: Number(t[2]) };
  const naive = DateTime.fromObject(wall, { zone: 'utc' });
  if (!naive.isValid) return { ok: false, problem: 'Enter a date like 2026-03-31 and a time like 10:00.' };
  // The offsets in force a day either side bound those possible at this wall time; keep those that give it back.
  const zone = IANAZone.create(londonZone);
  const offsets = [...new Set([zone.offset(naive.toMillis() - 86_400_000), zone.offset(naive.toMillis() + 86_400_000)])];
  const fits = offsets
    .map((offset) => naive.toMillis() - offset * 60_000)
    .filter((ms) => {
      const back = DateTime.fromMillis(ms, { zone: londonZone });
      return back.hour === wall.hour && back.minute === wall.minute && back.day === wall.day;
    })
    .sort((a, b) => a - b);
  const first = fits[0];
  if (first === undefined) {
    const day = DateTime.fromObject({ year: wall.year, month: wall.month, day: wall.day }, { zone: londonZone });
    return {
      ok: false,
      problem: `There is no ${time} on ${day.toFormat('cccc d LLLL yyyy')} in the UK: the clocks go forward an hour that night. Choose another time.`,
    };
  }
  const instant = DateTime.fromMillis(first, { zone: londonZone });
  return { ok: true, iso: instant.toUTC().toISO() ?? '', zone: zoneName(instant), ambiguous: fits.length > 1 };
}

/** "Tuesday 31 March 2026, 10:00 (BST)": an instant as UK time, with whether it is BST or GMT. */
export function formatLondon(iso: string): string {
  const time = DateTime.fromISO(iso, { zone: londonZone });
  return `${time.toFormat('cccc d LLLL yyyy, HH:mm')} (${zoneName(time)})`;
}

/** "11:30 (BST)": the UK time of day at an instant. */
export function londonTimeOfDay(iso: string): string {
  const time = DateTime.fromISO(iso, { zone: londonZone });
  return `${time.toFormat('HH:mm')} (${zoneName(time)})`;
}

/** "Monday 30 March 2026": a London date (YYYY-MM-DD) as words. */
export function formatLondonDay(date: string): string {
  return DateTime.fromISO(date, { zone: londonZone }).toFormat('cccc d LLLL yyyy');
}

// Made once: building a formatter per call showed in the turn profile.
const longDayFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

/** "21 November 2026": a calendar date (YYYY-MM-DD, such as a review or confirmation date) in words. */
export function longDay(date: string): string {
  return longDayFormat.format(new Date(`${date}T00:00:00Z`));
}

/** "21 Nov": a short London date for titles and lists. */
export function shortLondonDay(iso: string): string {
  return DateTime.fromISO(iso, { zone: londonZone }).toFormat('d LLL');
}

/** "2026-11-21 09:30": an instant as London date and time, for exports. */
export function londonStamp(iso: string): string {
  return DateTime.fromISO(iso, { zone: londonZone }).toFormat('yyyy-LL-dd HH:mm');
}

/** The London date (YYYY-MM-DD) at an instant: what "today" is for someone in the UK. */
export function londonDate(at: Date | string): string {
  const time = typeof at === 'string' ? DateTime.fromISO(at, { zone: londonZone }) : DateTime.fromJSDate(at, { zone: londonZone });
  return time.toFormat('yyyy-LL-dd');
}

/** The first instant after a London date ends (midnight starting the next day), as UTC ISO: a deadline "on" that day. */
export function endOfLondonDay(date: string): string {
  return DateTime.fromISO(date, { zone: londonZone }).plus({ days: 1 }).startOf('day').toUTC().toISO() ?? '';
}

/**
 * The day before an instant's London date, at this London wall time (e.g. 10:00), as UTC ISO; on the day the clocks
 * change the wall time is read as `londonInstant` reads it.
 */
export function dayBeforeAt(iso: string, time: string): string | undefined {
  const before = DateTime.fromISO(iso, { zone: londonZone }).minus({ days: 1 }).toFormat('yyyy-LL-dd');
  const at = londonInstant(before, time);
  return at.ok ? at.iso : undefined;
}

function zoneName(time: DateTime): 'BST' | 'GMT' {
  return time.offset === 0 ? 'GMT' : 'BST';
}
