import { expect } from 'chai';
import { renderAttendeesCard, renderSessionCard, renderSessionListCard } from '../../cards/trainingCards.js';
import { cardToText } from '../../cards/flatten.js';
import type { Booking, TrainingSession } from '../../dialogs/trainingSessions.js';
import { announcementCard, attendeesCard, bookingCard, button, confirmCancelCard, durationText, previewCard, reminderCard, scheduledCard, sessionFacts } from '../../dialogs/trainingView.js';
import { validateCard } from '../support/validateCard.js';

function booking(n: number, status: Booking['status'], name = `Person ${n}`): Booking {
  return { userId: `user-${n}`, name, reference: { conversation: { id: `c-${n}`, isGroup: false, conversationType: 'personal', name: '' } }, status, bookedAt: '2026-11-21T09:30:00.000Z' };
}

function session(changes: Partial<TrainingSession> = {}): TrainingSession {
  return {
    id: 'TS-7KQ2MX',
    version: 3,
    state: 'announced',
    teamId: 'dorset',
    course: 'sponsor',
    courseTitle: 'Sponsor training',
    venue: { kind: 'online', link: `https://teams.microsoft.com/l/meetup-join/${'a'.repeat(400)}` },
    startsAt: '2026-06-30T13:00:00.000Z',
    ambiguousTime: false,
    durationMinutes: 90,
    capacity: 200,
    bookingDeadline: '2026-06-25',
    bookingClosesAt: '2026-06-25T23:00:00.000Z',
    audience: { kind: 'everyone' },
    note: 'N'.repeat(1000),
    fields: {},
    draft: 'd',
    author: { userId: 'ra', name: 'RA', reference: {} },
    createdAt: '2026-05-01T09:00:00.000Z',
    updatedAt: '2026-05-01T09:00:00.000Z',
    bookings: [],
    promotions: 0,
    ...changes,
  };
}

const under28k = (card: object) => expect(Buffer.byteLength(JSON.stringify(card))).to.be.below(28 * 1024);

describe('cards: training sessions', () => {
  it('durations read as people say them', () => {
    expect([15, 60, 90, 120, 181].map(durationText)).to.deep.equal(['15 minutes', '1 hour', '1 hour 30 minutes', '2 hours', '3 hours 1 minute']);
  });

  it('the facts give the UK time with BST, the end time, and keep an online link for those with a place', () => {
    const facts = Object.fromEntries(sessionFacts(session(), undefined, false).map((f) => [f.title, f.value]));
    expect(facts).to.deep.include({ When: 'Tuesday 30 June 2026, 14:00 (BST)', 'How long': '1 hour 30 minutes, until 15:30 (BST)', Where: 'Online (the link comes with your place)', 'Places left': '200 of 200', 'Book by': 'Thursday 25 June 2026' });
    const withLink = Object.fromEntries(sessionFacts(session(), undefined, true).map((f) => [f.title, f.value]));
    expect(withLink['Where']).to.match(/^Online: \[join the session\]\(https:\/\/teams\.microsoft\.com\//);
  });

  it('every session card is valid and under 28 KB with the longest note and link', () => {
    const s = session({ bookings: [booking(1, 'booked')] });
    const scheduled = session({ state: 'scheduled', announceAt: '2026-06-01T08:00:00.000Z' });
    for (const card of [
      announcementCard(s, undefined),
      previewCard(s, undefined, 'It will go to 3 people.'),
      previewCard(s, undefined, 'It will go to 3 people.', { kind: 'later', at: '2026-06-01T08:00:00.000Z' }),
      previewCard(s, undefined, 'It will go to 3 people.', { kind: 'missed', at: '2026-06-01T08:00:00.000Z' }),
      scheduledCard(scheduled, undefined, '2026-05-01T09:00:00.000Z'),
      confirmCancelCard(scheduled, undefined),
      bookingCard(s, undefined, 'user-1', 'Booked: Sponsor training'),
      reminderCard(s, undefined),
      confirmCancelCard(s, undefined),
    ]) {
      const rendered = renderSessionCard(card);
      expect(validateCard(rendered), card.heading).to.deep.equal([]);
      under28k(rendered);
    }
  });

  it('a full session with a long waiting list and the longest names still makes a valid card under 28 KB, pointing to the export for the rest', () => {
    const long = 'W'.repeat(300);
    const bookings = [...Array.from({ length: 200 }, (_, i) => booking(i, 'booked', long)), ...Array.from({ length: 400 }, (_, i) => booking(1000 + i, 'waiting', long))];
    const card = renderAttendeesCard(attendeesCard(session({ bookings }), undefined, true));
    expect(validateCard(card)).to.deep.equal([]);
    under28k(card);
    const text = cardToText(card).text;
    expect(text).to.include('Booked (200)');
    expect(text).to.include('Waiting list (400), in order');
    expect(text).to.match(/\.\.\.and \d+ more: export the list to see everyone\./);
  });

  it('a list of eight sessions, each with five buttons, is valid and under 28 KB', () => {
    const s = session();
    const card = renderSessionListCard({
      heading: 'Training dates',
      intro: ['Times are UK time.'],
      sessions: Array.from({ length: 8 }, () => ({
        title: 'Sponsor training (TS-7KQ2MX)',
        facts: sessionFacts(s, undefined, true),
        status: ['You have a place.'],
        buttons: [button('Book a place', s, 'book'), button('Cancel my booking', s, 'cancel-booking'), button('Attendees', s, 'attendees'), button('Export (CSV)', s, 'export'), button('Cancel the session', s, 'cancel-session')],
      })),
      after: ['You can also type **book TS-...**.'],
    });
    expect(validateCard(card)).to.deep.equal([]);
    under28k(card);
  });

  it('names that look like Markdown links or emphasis are shown without them', () => {
    const office = { kind: 'office', value: 'dorset-poole', title: 'Poole, Canford House', address: 'Canford House, Poole' } as const;
    const card = renderAttendeesCard(attendeesCard(session({ venue: office, bookings: [booking(1, 'booked', '[Click me](https://evil.example) *bold*')] }), undefined, false));
    const text = cardToText(card).text;
    expect(text).to.include('1. Click mehttps://evil.example bold (booked 2026-11-21 09:30)');
    expect(text).not.to.include('](');
  });
});
