import { z } from 'zod';
import { describeIssue, KnowledgeError, type SourceCatalogue } from './sources.js';
import { areas, workplaceKinds, type Area, type WorkplaceKind } from './workplace.js';

const teamSchema = z.object({
  id: z.string().regex(/^[a-z0-9-]+$/),
  name: z.string().min(1),
  serves: z.string().min(1),
  /** Who the team serves in a few words, for a list of teams ("Dorset"). */
  inBrief: z.string().min(1).max(60),
  covers: z.array(z.object({ area: z.enum(areas), workplaces: z.array(z.enum(workplaceKinds)).min(1) })).min(1),
  phone: z.string().regex(/^0\d{3} ?\d{3} ?\d{4}$|^0\d{4} ?\d{6}$/, 'must be a UK phone number like 0300 5610429'),
  offices: z.array(z.string().min(1)),
  notes: z.array(z.string().min(1)),
  source: z.string().min(1),
});

const fileSchema = z.object({
  teams: z.array(teamSchema).min(1),
  fallback: z.object({
    name: z.string().min(1),
    /** How to name the fallback inside a sentence ("contact ..."). */
    inSentence: z.string().min(1),
    serves: z.string().min(1),
    notes: z.array(z.string().min(1)),
    source: z.string().min(1),
  }),
});

/** An RA team as its data file describes it; emails come from configuration, never from the file. */
export type RaTeam = z.infer<typeof teamSchema>;
export type RaFallback = z.infer<typeof fileSchema>['fallback'];

/** The RA team for a workplace, or the fallback when no team in the data serves it. */
export type RaTeamMatch = { readonly kind: 'team'; readonly team: RaTeam } | { readonly kind: 'fallback'; readonly fallback: RaFallback };

/** The RA teams the assistant knows, and the advice for everywhere else. */
export class RaTeamDirectory {
  constructor(
    readonly teams: readonly RaTeam[],
    readonly fallback: RaFallback,
  ) {}

  /** Which team serves this kind of workplace in this area. */
  forWorkplace(kind: WorkplaceKind, area: Area): RaTeamMatch {
    const team = this.teams.find((t) => t.covers.some((c) => c.area === area && c.workplaces.includes(kind)));
    return team ? { kind: 'team', team } : { kind: 'fallback', fallback: this.fallback };
  }
}

/** Validates the RA team file against the schema and the source catalogue; every problem is listed. */
export function parseRaTeams(json: unknown, sources: SourceCatalogue): RaTeamDirectory {
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) throw new KnowledgeError('raTeams', parsed.error.issues.map(describeIssue));
  const { teams, fallback } = parsed.data;
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const team of teams) {
    if (seen.has(team.id)) problems.push(`duplicate team id ${team.id}`);
    seen.add(team.id);
    if (!sources.has(team.source)) problems.push(`team ${team.id}: unknown source ${team.source}`);
  }
  if (!sources.has(fallback.source)) problems.push(`fallback: unknown source ${fallback.source}`);
  const claimed = new Map<string, string>();
  for (const team of teams) {
    for (const cover of team.covers) {
      for (const kind of cover.workplaces) {
        const key = `${kind} in ${cover.area}`;
        const other = claimed.get(key);
        if (other) problems.push(`${key} is covered by both ${other} and ${team.id}`);
        claimed.set(key, team.id);
      }
    }
  }
  if (problems.length > 0) throw new KnowledgeError('raTeams', problems);
  return new RaTeamDirectory(teams, fallback);
}
