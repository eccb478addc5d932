import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { checkForm, describeForm, parseForms, type FormDefinition } from '../../knowledge/forms.js';
import { parseRaTeams } from '../../knowledge/raTeams.js';
import { KnowledgeError, parseSources } from '../../knowledge/sources.js';
import { officeVenues, optionLists } from '../../knowledge/venues.js';
import { badForm } from '../support/forms.js';

const read = (relative: string) => readFileSync(fileURLToPath(new URL(relative, import.meta.url)), 'utf8');
const sources = parseSources(JSON.parse(read('../../knowledge/data/sources.json')) as unknown);
const raTeams = parseRaTeams(JSON.parse(read('../../knowledge/data/raTeams.json')) as unknown, sources);
const file = { file: 'forms/training-session.yaml', data: parseYaml(read('../../knowledge/forms/training-session.yaml')) as unknown };
const now = new Date('2026-11-21T10:00:00Z');

function sessionForm(): FormDefinition {
  const [form] = parseForms([file], sources, optionLists(raTeams));
  if (!form) throw new Error('no form');
  return form;
}

const valid = { course: 'sponsor', venue: 'online', onlineLink: 'https://teams.microsoft.com/l/meetup-join/abc', date: '2026-12-08', startTime: '14:00', duration: '90', capacity: '25', bookingDeadline: '2026-12-08', audience: 'ods', audienceCodes: 'fa123 y90001' };

describe('knowledge: the training session form', () => {
  it('is a training-session form, not a request, with Preview as its button, citing the Dorset page', () => {
    const form = sessionForm();
    expect(form).to.deep.include({ purpose: 'training-session', submitTitle: 'Preview' });
    expect(form.sources).to.deep.equal(['seed:003_c45da186c03acc84.txt']);
    expect(describeForm(form)).to.deep.include({ purpose: 'training-session' });
  });

  it('its venues are the RA teams\' offices from raTeams.json, then Online: the Dorset page\'s Poole and Dorchester', () => {
    const venue = sessionForm().fields.find((f) => f.id === 'venue');
    expect(venue?.type === 'choice' ? venue.options : []).to.deep.equal([
      { value: 'dorset-poole', title: 'Poole, Canford House' },
      { value: 'dorset-dorchester', title: 'Dorchester, Vespasian House' },
      { value: 'online', title: 'Online' },
    ]);
    expect(officeVenues(raTeams).map((v) => [v.value, v.teamId, v.address])).to.deep.equal([
      ['dorset-poole', 'dorset', 'Canford House, Discovery Court, 551-553 Wallisdown Road, Poole, BH12 5AG'],
      ['dorset-dorchester', 'dorset', 'Vespasian House, Barrack Road, Dorchester, DT1 1TG'],
    ]);
  });

  it('a form reading options from data cannot be loaded without that data', () => {
    expect(() => parseForms([file], sources)).to.throw(KnowledgeError, 'venue.optionsFrom offices needs the RA team data');
  });

  it('accepts a good session and stores numbers, times and links in one form', () => {
    const check = checkForm(sessionForm(), { ...valid, startTime: '9:05', duration: '090', onlineLink: 'https://Teams.Microsoft.com/l/x' }, now);
    expect(check.ok, JSON.stringify(check)).to.equal(true);
    if (check.ok) expect(check.values).to.deep.include({ startTime: '09:05', duration: '90', onlineLink: 'https://teams.microsoft.com/l/x', audienceCodes: 'FA123,Y90001' });
  });

  for (const [field, typed, problem] of [
    ['startTime', '25:00', 'Enter a time on the 24-hour clock, like 09:30 or 14:00.'],
    ['startTime', 'noon', 'Enter a time on the 24-hour clock, like 09:30 or 14:00.'],
    ['duration', '10', 'Enter a whole number from 15 to 480.'],
    ['duration', '1.5', 'Enter a whole number from 15 to 480.'],
    ['capacity', '201', 'Enter a whole number from 1 to 200.'],
    ['capacity', '-3', 'Enter a whole number from 1 to 200.'],
    ['onlineLink', 'http://teams.microsoft.com/x', 'Enter the full link, starting with https://'],
    ['onlineLink', 'https://localhost/x', 'Enter the full link, starting with https://'],
    ['onlineLink', 'https://user:pw@example.org/x', 'Enter the full link, starting with https://'],
    ['onlineLink', 'javascript:alert(1)', 'Enter the full link, starting with https://'],
    ['audienceCodes', 'F12', "can't be a pharmacy code"],
    ['date', '2026-11-20', 'This date cannot be in the past.'],
  ] as const) {
    it(`refuses ${field} "${typed}"`, () => {
      const check = checkForm(sessionForm(), { ...valid, [field]: typed }, now);
      expect(check.ok).to.equal(false);
      if (!check.ok) expect(check.errors[field]).to.include(problem);
    });
  }

  it('needs a link only online, a team only for one team\'s area, and codes only for organisations', () => {
    const atPoole = checkForm(sessionForm(), { ...valid, venue: 'dorset-poole', onlineLink: '', audience: 'everyone', audienceCodes: '' }, now);
    expect(atPoole.ok).to.equal(true);
    const noTeam = checkForm(sessionForm(), { ...valid, audience: 'team', audienceCodes: '' }, now);
    expect(noTeam.ok ? {} : noTeam.errors).to.deep.equal({ audienceTeam: "Which RA team's area is needed." });
  });

  it('the last day to book may be the day of the session, not after it', () => {
    expect(checkForm(sessionForm(), { ...valid, bookingDeadline: '2026-12-08' }, now).ok).to.equal(true);
    const late = checkForm(sessionForm(), { ...valid, bookingDeadline: '2026-12-09' }, now);
    expect(late.ok ? {} : late.errors).to.deep.equal({ bookingDeadline: "The last day to book can't be after the session." });
  });

  it('a day to announce it later is optional, not in the past, and no later than the last day to book', () => {
    expect(checkForm(sessionForm(), { ...valid, bookingDeadline: '2026-12-01', announceOn: '2026-12-01', announceTime: '9:00' }, now).ok).to.equal(true);
    const past = checkForm(sessionForm(), { ...valid, announceOn: '2026-11-20', announceTime: '09:00' }, now);
    expect(past.ok ? {} : past.errors).to.deep.equal({ announceOn: 'This date cannot be in the past.' });
    const late = checkForm(sessionForm(), { ...valid, bookingDeadline: '2026-12-01', announceOn: '2026-12-02', announceTime: '09:00' }, now);
    expect(late.ok ? {} : late.errors).to.deep.equal({ announceOn: 'Announce it by the last day to book, so that people can book.' });
    const schema = describeForm(sessionForm()) as { fields: { id: string; type: string; required: boolean }[] };
    expect(schema.fields.filter((f) => f.id.startsWith('announce')).map((f) => [f.id, f.type, f.required])).to.deep.equal([
      ['announceOn', 'date', false],
      ['announceTime', 'time', false],
    ]);
  });

  it('"today" is the UK day: at 23:30 UTC on 30 June it is already 1 July in the UK, so 30 June is past', () => {
    const summer = { ...valid, date: '2027-07-10', bookingDeadline: '2027-06-30' };
    const check = checkForm(sessionForm(), summer, new Date('2027-06-30T23:30:00Z'));
    expect(check.ok ? {} : check.errors).to.deep.equal({ bookingDeadline: 'This date cannot be in the past.' });
  });

  it('a number field needs min below max; a written choice needs two options', () => {
    const bad = badForm([
      { id: 'places', type: 'number', label: 'Places', min: 10, max: 5 },
      { id: 'pick', type: 'choice', label: 'Pick', options: [{ value: 'a', title: 'A' }] },
    ]);
    expect(() => parseForms([{ file: 'forms/bad.yaml', data: bad }], sources))
      .to.throw(KnowledgeError)
      .that.satisfies((e: KnowledgeError) => e.message.includes('places: min must be below max') && e.message.includes('pick needs 2 to 20 options'));
  });
});
