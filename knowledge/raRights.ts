import type { Organisation } from './organisations.js';
import type { RaTeamDirectory } from './raTeams.js';

/**
 * Who has RA-team rights: the members a team's data lists, for that team's work, and the configured RA admins
 * (`RA_ADMINS`) for every team's. Object ids are compared without case.
 */
export class RaRights {
  private readonly admins: ReadonlySet<string>;

  constructor(
    private readonly teams: RaTeamDirectory,
    admins: ReadonlySet<string>,
  ) {
    this.admins = new Set([...admins].map((a) => a.toLowerCase()));
  }

  /** A member of this team, or an admin; a request no team serves (null) is the admins' alone. */
  forTeam(aadObjectId: string | undefined, teamId: string | null): boolean {
    if (!aadObjectId) return false;
    const id = aadObjectId.toLowerCase();
    if (this.admins.has(id)) return true;
    const team = teamId === null ? undefined : this.teams.teams.find((t) => t.id === teamId);
    return team?.members.some((m) => m.toLowerCase() === id) ?? false;
  }

  /** Every team this person may act for (null standing for requests no team serves, which admins work). */
  teamsOf(aadObjectId: string | undefined): (string | null)[] {
    return [...this.teams.teams.map((t) => t.id), null].filter((id) => this.forTeam(aadObjectId, id));
  }

  /** Rights over the team that serves this organisation. */
  forOrganisation(aadObjectId: string | undefined, organisation: Organisation): boolean {
    const match = this.teams.forOrganisation(organisation);
    return this.forTeam(aadObjectId, match?.kind === 'team' ? match.team.id : null);
  }
}
