import { renderOrganisationCard, type OrganisationCardData } from '../cards/organisationCard.js';
import type { AdaptiveCardJson } from '../cards/render.js';
import type { TeamFinding } from '../knowledge/directory.js';
import { contactRoles, contactRoleTitles, organisationKindTitles, type Contact, type ContactRole, type Organisation } from '../knowledge/organisations.js';
import type { SourceCatalogue } from '../knowledge/sources.js';
import { areaTitle } from '../knowledge/workplace.js';
import { longDay } from '../knowledge/londonTime.js';

/** What the person asked about: one local role, the RA team, or everything. */
export type Focus = ContactRole | 'ra-team' | 'all';

/** The role or team a message asks about ("who is the sponsor for FA123" is about Sponsors). */
export function focusOf(text: string): Focus {
  const t = text.toLowerCase();
  if (/\bid[ -]?checkers?\b/.test(t)) return 'id-checker';
  if (/\bsponsors?\b/.test(t)) return 'sponsor';
  if (/\b(lsas?|(local )?smartcard admin(istrator)?s?)\b/.test(t)) return 'lsa';
  if (/\b((ra|registration authority) agents?|raas?)\b/.test(t)) return 'ra-agent';
  if (/\b(ra team|smartcard team|registration authority|ring|call|phone|number)\b/.test(t)) return 'ra-team';
  return 'all';
}

/** What the view needs besides the organisation. */
export interface DirectoryViewDeps {
  readonly sources: SourceCatalogue;
  readonly raTeamEmails: ReadonlyMap<string, string>;
}

/** How a directory answer is shown. */
export interface ShowOptions {
  readonly focus: Focus;
  readonly intro: readonly string[];
  /** The person may change this organisation's contacts. */
  readonly editable: boolean;
  /** The organisation is already the person's own, so "This is where I work" is not offered. */
  readonly remembered: boolean;
}

/** The directory's answer for an organisation it knows: details, local contacts by role, and the RA team. */
export function organisationCard(
  deps: DirectoryViewDeps,
  organisation: Organisation,
  contacts: readonly Contact[],
  team: TeamFinding,
  options: ShowOptions,
): AdaptiveCardJson {
  const { focus } = options;
  const name = `${organisation.name} (${organisation.code})`;
  const heading =
    focus === 'all' ? name : focus === 'ra-team' ? `RA team for ${name}` : `${contactRoleTitles[focus].many} at ${name}`;
  const closed = organisation.open
    ? []
    : [`ODS lists this organisation as closed${organisation.closedOn ? ` since ${longDay(organisation.closedOn)}` : ''}. If you still work there, check the code with your RA team.`];
  const data: OrganisationCardData = {
    heading,
    intro: [...options.intro, ...closed],
    organisation: {
      title: organisation.name,
      facts: [
        { title: 'ODS code', value: organisation.code },
        { title: 'Type', value: organisationKindTitles[organisation.kind] },
        ...(organisation.address.length > 0 || organisation.postcode
          ? [{ title: 'Address', value: [...organisation.address, organisation.postcode ?? ''].filter(Boolean).map(titleCase).join(', ') }]
          : []),
        { title: 'Status', value: organisation.open ? 'Open' : 'Closed' },
      ],
    },
    groups: contactGroups(contacts, focus, team),
    team: teamSection(deps, team, organisation.code),
    code: organisation.code,
    editable: options.editable,
    actions: [
      ...(options.remembered ? [] : [{ title: 'This is where I work', data: { verb: 'org.remember', code: organisation.code } }]),
      ...(options.editable ? [{ title: 'Add a contact', data: { verb: 'contact.add', code: organisation.code } }] : []),
      { title: 'Look up another', data: { verb: 'menu.open', command: 'find-contact' } },
      { title: 'What I can do', data: { verb: 'menu.open', command: 'help' } },
    ],
    sourceLine: sourceLine(deps, organisation, team),
  };
  return renderOrganisationCard(data);
}

/** The RA team for a code the directory does not know, or an organisation it could not place until asked. */
export function teamCard(deps: DirectoryViewDeps, code: string, team: TeamFinding, intro: readonly string[]): AdaptiveCardJson {
  return renderOrganisationCard({
    heading: `RA team for ${code}`,
    intro,
    groups: [],
    team: teamSection(deps, team, code),
    code,
    editable: false,
    actions: [
      { title: 'Look up another', data: { verb: 'menu.open', command: 'find-contact' } },
      { title: 'What I can do', data: { verb: 'menu.open', command: 'help' } },
    ],
    sourceLine: team ? deps.sources.sourceLine(team.kind === 'team' ? team.team.source : team.fallback.source) : '',
  });
}

/** One line per contact: name, then how to reach them and when the entry was last confirmed. */
export function contactLine(contact: Contact): string {
  const ways = [contact.email, contact.phone].filter(Boolean).join(', ');
  return `**${contact.name}**${ways ? `: ${ways}` : ''} (confirmed ${longDay(contact.confirmedAt.slice(0, 10))})`;
}

function contactGroups(contacts: readonly Contact[], focus: Focus, team: TeamFinding): OrganisationCardData['groups'] {
  const teamName = team?.kind === 'team' ? team.team.name : 'your RA team';
  if (contacts.length === 0) {
    return [
      {
        title: 'Local contacts',
        // The SCW page: "If you are not sure who the Sponsor is in the pharmacy you work in, the RA team can tell you."
        empty: `I don't have this organisation's Sponsors or Smartcard Administrators yet. ${capitalise(teamName)} can tell you who they are.`,
        people: [],
      },
    ];
  }
  const roles: ContactRole[] = focus === 'all' || focus === 'ra-team' ? [...contactRoles] : [focus, ...contactRoles.filter((r) => r !== focus)];
  return roles.flatMap((role) => {
    const people = contacts.filter((c) => c.role === role);
    if (people.length === 0 && role !== focus) return [];
    return [
      {
        title: contactRoleTitles[role].many,
        empty: people.length === 0 ? `None listed. ${capitalise(teamName)} can tell you who they are.` : '',
        people: people.map((c) => ({ id: c.id, name: c.name, text: contactLine(c) })),
      },
    ];
  });
}

function teamSection(deps: DirectoryViewDeps, team: TeamFinding, code: string): OrganisationCardData['team'] {
  if (!team) return undefined;
  const where = placingNote(team, code);
  if (team.kind === 'fallback') {
    return { heading: 'RA team', name: team.fallback.name, serves: team.fallback.serves, facts: [], notes: [...team.fallback.notes, ...where] };
  }
  const { team: t } = team;
  const email = deps.raTeamEmails.get(t.id);
  return {
    heading: 'RA team',
    name: t.name,
    serves: t.serves,
    facts: [
      { title: 'Phone', value: t.phone },
      ...(email ? [{ title: 'Email', value: email }] : []),
      ...t.offices.map((office, i) => ({ title: i === 0 ? 'Offices' : '', value: office })),
      ...(t.hours ? [{ title: 'Hours', value: t.hours }] : []),
    ],
    notes: [...t.notes, ...where],
  };
}

function placingNote(team: NonNullable<TeamFinding>, code: string): string[] {
  const area = areaTitle(team.placing.area);
  switch (team.placing.by) {
    case 'postcode':
      return [`I placed ${code} in ${area} by its postcode. Postcode areas can cross ICB boundaries, so the team will tell you if another team serves it.`];
    case 'name':
      return [team.placing.area === 'elsewhere' ? `You told me ${code} is outside the areas I hold RA teams for.` : `You told me ${code} is in ${area}.`];
    default:
      return [];
  }
}

function sourceLine(deps: DirectoryViewDeps, organisation: Organisation, team: TeamFinding): string {
  const from = organisation.source === 'ord' ? 'the ODS service' : `the ODS ${organisation.source} extract`;
  const org = `Organisation details from ${from} (${longDay(organisation.updatedAt.slice(0, 10))}).`;
  return team ? `${org} ${deps.sources.sourceLine(team.kind === 'team' ? team.team.source : team.fallback.source)}` : org;
}

/** "BOOTS THE CHEMISTS" stays as ODS has it in names; addresses read better in title case. */
function titleCase(text: string): string {
  if (/\d[A-Z]{2}$/.test(text) && text.length <= 8) return text;
  return text.toLowerCase().replace(/\b[a-z]/g, (c) => c.toUpperCase());
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

