import { expect } from 'chai';
import { dayBeforeAt, endOfLondonDay, formatLondon, formatLondonDay, londonDate, londonInstant, londonStamp, londonTimeOfDay } from '../../knowledge/londonTime.js';

function instant(date: string, time: string): { iso: string; zone: string; ambiguous: boolean } {
  const read = londonInstant(date, time);
  if (!read.ok) throw new Error(read.problem);
  return read;
}

describe('knowledge: UK time (Europe/London) for training sessions', () => {
  describe('a date and time typed in the UK', () => {
    it('in summer is BST, an hour ahead of UTC, and shown so', () => {
      const at = instant('2026-03-31', '10:00');
      expect(at).to.deep.equal({ ok: true, iso: '2026-03-31T09:00:00.000Z', zone: 'BST', ambiguous: false });
      expect(formatLondon(at.iso)).to.equal('Tuesday 31 March 2026, 10:00 (BST)');
    });

    it('in winter is GMT, the same as UTC, and shown so', () => {
      const at = instant('2026-11-24', '10:00');
      expect(at.iso).to.equal('2026-11-24T10:00:00.000Z');
      expect(formatLondon(at.iso)).to.equal('Tuesday 24 November 2026, 10:00 (GMT)');
    });

    it('on the Saturday before the clocks go forward (last Sunday of March) is still GMT', () => {
      expect(formatLondon(instant('2026-03-28', '10:00').iso)).to.equal('Saturday 28 March 2026, 10:00 (GMT)');
      expect(instant('2026-03-28', '10:00').iso).to.equal('2026-03-28T10:00:00.000Z');
    });

    it('on the Sunday the clocks go forward: 00:59 is GMT, 02:00 is BST', () => {
      expect(instant('2026-03-29', '00:59')).to.include({ iso: '2026-03-29T00:59:00.000Z', zone: 'GMT' });
      expect(instant('2026-03-29', '02:00')).to.include({ iso: '2026-03-29T01:00:00.000Z', zone: 'BST' });
      expect(formatLondon('2026-03-29T01:00:00.000Z')).to.equal('Sunday 29 March 2026, 02:00 (BST)');
    });

    it('refuses a time the clocks skip (01:00 to 01:59 on the last Sunday of March), saying why', () => {
      for (const time of ['01:00', '01:30', '01:59']) {
        const read = londonInstant('2026-03-29', time);
        expect(read.ok, time).to.equal(false);
        if (!read.ok) expect(read.problem).to.equal(`There is no ${time} on Sunday 29 March 2026 in the UK: the clocks go forward an hour that night. Choose another time.`);
      }
    });

    it('takes the first of a time the clocks pass twice (01:30 on the last Sunday of October), in BST, and says it is ambiguous', () => {
      const at = instant('2026-10-25', '01:30');
      expect(at).to.deep.equal({ ok: true, iso: '2026-10-25T00:30:00.000Z', zone: 'BST', ambiguous: true });
      expect(formatLondon(at.iso)).to.equal('Sunday 25 October 2026, 01:30 (BST)');
      // The second 01:30 is an hour later, in GMT.
      expect(formatLondon('2026-10-25T01:30:00.000Z')).to.equal('Sunday 25 October 2026, 01:30 (GMT)');
    });

    it('on the Sunday the clocks go back: 00:30 is BST and 02:00 is GMT, neither ambiguous', () => {
      expect(instant('2026-10-25', '00:30')).to.deep.equal({ ok: true, iso: '2026-10-24T23:30:00.000Z', zone: 'BST', ambiguous: false });
      expect(instant('2026-10-25', '02:00')).to.deep.equal({ ok: true, iso: '2026-10-25T02:00:00.000Z', zone: 'GMT', ambiguous: false });
    });

    it('other years change on their own last Sundays (2027: 28 March and 31 October)', () => {
      expect(londonInstant('2027-03-28', '01:30').ok).to.equal(false);
      expect(instant('2027-03-27', '01:30').zone).to.equal('GMT');
      expect(instant('2027-10-31', '01:30').ambiguous).to.equal(true);
      expect(instant('2027-10-30', '01:30').ambiguous).to.equal(false);
    });

    it('refuses what is not a date and time', () => {
      for (const [date, time] of [['2026-02-30', '10:00'], ['2026-03-31', '24:00'], ['31/03/2026', '10:00'], ['2026-03-31', '10']]) {
        expect(londonInstant(date ?? '', time ?? '').ok, `${date} ${time}`).to.equal(false);
      }
    });
  });

  describe('dates and deadlines', () => {
    it('"today" is the UK date: 23:30 UTC on a summer evening is already tomorrow in the UK', () => {
      expect(londonDate(new Date('2026-06-30T23:30:00Z'))).to.equal('2026-07-01');
      expect(londonDate(new Date('2026-12-31T23:30:00Z'))).to.equal('2026-12-31');
    });

    it('a last day to book ends at UK midnight, in BST or GMT', () => {
      expect(endOfLondonDay('2026-06-30')).to.equal('2026-06-30T23:00:00.000Z');
      expect(endOfLondonDay('2026-11-30')).to.equal('2026-12-01T00:00:00.000Z');
      // The day the clocks go forward is 23 hours long.
      expect(endOfLondonDay('2026-03-29')).to.equal('2026-03-29T23:00:00.000Z');
    });

    it('the day before at 10:00 UK time keeps 10:00 across a change of the clocks', () => {
      // Session Monday 30 March (BST); the day before is Sunday 29 March, already BST by 10:00.
      expect(dayBeforeAt('2026-03-30T09:00:00.000Z', '10:00')).to.equal('2026-03-29T09:00:00.000Z');
      // Session Monday 26 October (GMT); the day before is the Sunday the clocks went back, GMT by 10:00.
      expect(dayBeforeAt('2026-10-26T10:00:00.000Z', '10:00')).to.equal('2026-10-25T10:00:00.000Z');
      // A session just after midnight BST belongs to its UK day, not the UTC one.
      expect(dayBeforeAt('2026-07-01T23:30:00.000Z', '10:00')).to.equal('2026-07-01T09:00:00.000Z');
    });

    it('shows days, times of day and stamps in UK time', () => {
      expect(formatLondonDay('2026-03-30')).to.equal('Monday 30 March 2026');
      expect(londonTimeOfDay('2026-07-01T10:30:00.000Z')).to.equal('11:30 (BST)');
      expect(londonStamp('2026-07-01T23:30:00.000Z')).to.equal('2026-07-02 00:30');
    });
  });
});
