import type { Lookup, TeamFinding } from '../../knowledge/directory.js';
import { contactRoleTitles, type Contact, type Organisation } from '../../knowledge/organisations.js';

/** `directory lookup --json`: the contract scripts and tests rely on. */
export interface LookupReport {
  readonly code: string | null;
  readonly status: 'found' | 'unknown' | 'invalid' | 'locum';
  readonly problem: string | null;
  readonly organisation: Organisation | null;
  /** The RA team, the national fallback (id null), or null when the area cannot be told from the record. */
  readonly raTeam: {
    readonly id: string | null;
    readonly name: string;
    readonly phone: string | null;
    readonly email: string | null;
    readonly offices: readonly string[];
    readonly hours: string | null;
    readonly placedBy: string | null;
  } | null;
  readonly contacts: readonly Omit<Contact, 'confirmedBy'>[];
  /** Whether the record came from the ODS service on this look-up, and what it said when asked. */
  readonly live: 'fetched' | 'off' | 'not-found' | 'unavailable' | null;
}

/** Turns a look-up into the command line's report. */
export function describeLookup(lookup: Lookup, emails: ReadonlyMap<string, string>): LookupReport {
  const empty = { problem: null, organisation: null, raTeam: null, contacts: [], live: null } as const;
  switch (lookup.kind) {
    case 'invalid':
      return { code: null, status: 'invalid', ...empty, problem: lookup.problem };
    case 'locum':
      return { code: lookup.code, status: 'locum', ...empty };
    case 'unknown':
      return { code: lookup.code, status: 'unknown', ...empty, live: lookup.live };
    case 'found':
      return {
        code: lookup.organisation.code,
        status: 'found',
        ...empty,
        organisation: lookup.organisation,
        raTeam: team(lookup.team, emails),
        contacts: lookup.contacts.map(({ confirmedBy: _, ...c }) => c),
        live: lookup.live ? 'fetched' : null,
      };
  }
}

function team(finding: TeamFinding, emails: ReadonlyMap<string, string>): LookupReport['raTeam'] {
  if (!finding) return null;
  const placedBy = finding.placing.by;
  if (finding.kind === 'fallback') return { id: null, name: finding.fallback.name, phone: null, email: null, offices: [], hours: null, placedBy };
  const t = finding.team;
  return { id: t.id, name: t.name, phone: t.phone, email: emails.get(t.id) ?? null, offices: t.offices, hours: t.hours ?? null, placedBy };
}

/** The report as a person reads it in a terminal. */
export function lookupText(report: LookupReport): string {
  if (report.status === 'invalid') return report.problem ?? 'Not an ODS code.';
  if (report.status === 'locum') return `${report.code} is the virtual National Locum Pharmacy organisation: it has no local contacts. Access is given by the RA team.`;
  if (report.status === 'unknown') return `${report.code} is a valid ODS code but is not in the directory (ODS live look-up: ${report.live}).`;
  const org = report.organisation;
  const lines = [`${org?.name} (${report.code})${org?.open ? '' : ' CLOSED'}`, [...(org?.address ?? []), org?.postcode].filter(Boolean).join(', ')];
  lines.push(report.raTeam ? `RA team: ${report.raTeam.name}${report.raTeam.phone ? `, ${report.raTeam.phone}` : ''}${report.raTeam.email ? `, ${report.raTeam.email}` : ''}` : 'RA team: cannot be told (no ICB, sub-ICB or known postcode)');
  if (report.contacts.length === 0) lines.push('No local contacts.');
  for (const c of report.contacts) lines.push(`${contactRoleTitles[c.role].one}: ${c.name}${c.email ? `, ${c.email}` : ''}${c.phone ? `, ${c.phone}` : ''}`);
  return lines.join('\n');
}
