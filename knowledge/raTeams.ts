import { z } from 'zod';
import { postcodeDistrict, type Organisation, type OrganisationKind } from './organisations.js';
import { describeIssue, KnowledgeError, type SourceCatalogue } from './sources.js';
import { areas, workplaceKinds, type Area, type WorkplaceKind } from './workplace.js';

const aadObjectId = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be an AAD object id (a GUID)');

const teamSchema = z.object({
  id: z.string().regex(/^[a-z0-9-]+$/),
  name: z.string().min(1),
  serves: z.string().min(1),
  /** Who the team serves in a few words, for a list of teams ("Dorset"). */
  inBrief: z.string().min(1).max(60),
  covers: z.array(z.object({ area: z.enum(areas), workplaces: z.array(z.enum(workplaceKinds)).min(1) })).min(1),
  phone: z.string().regex(/^0\d{3} ?\d{3} ?\d{4}$|^0\d{4} ?\d{6}$/, 'must be a UK phone number like 0300 5610429'),
  offices: z.array(z.string().min(1)),
  /** Opening hours as the team words them; absent when no source gives them. */
  hours: z.string().min(1).optional(),
  notes: z.array(z.string().min(1)),
  /** AAD object ids of the team's members, who may change the local contacts of organisations the team serves. */
  members: z.array(aadObjectId).default([]),
  source: z.string().min(1),
});

/** The codes that place an organisation in an area: ICB and sub-ICB first, postcode districts only as a fallback. */
const areaCodesSchema = z.object({
  icbs: z.array(z.string().regex(/^Q[A-Z0-9]{2}$/, 'ICB codes are Q and two more characters, like QVV')),
  subIcbs: z.array(z.string().regex(/^[A-Z0-9]{3}$|^[A-Z0-9]{5}$/, 'sub-ICB codes are 3 or 5 characters, like 11J or D9Y0V')),
  /** "DT" is the whole postcode area; "BH23" one district. */
  postcodes: z.array(z.string().regex(/^[A-Z]{1,2}(\d[A-Z\d]?)?$/, 'a postcode area (DT) or district (BH23)')),
  source: z.string().min(1),
});

const fileSchema = z.object({
  teams: z.array(teamSchema).min(1),
  areas: z.partialRecord(z.enum(areas), areaCodesSchema),
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
export type AreaCodes = z.infer<typeof areaCodesSchema>;

/** Where an organisation is, and how that was told. */
export interface Placing {
  readonly area: Area;
  readonly by: 'sub-icb' | 'icb' | 'postcode' | 'name';
}

/** The RA team for a workplace, or the fallback when no team in the data serves it. */
export type RaTeamMatch = { readonly kind: 'team'; readonly team: RaTeam } | { readonly kind: 'fallback'; readonly fallback: RaFallback };

/** The RA teams the assistant knows, and the advice for everywhere else. */
export class RaTeamDirectory {
  constructor(
    readonly teams: readonly RaTeam[],
    readonly fallback: RaFallback,
    readonly areaCodes: Partial<Readonly<Record<Area, AreaCodes>>> = {},
  ) {}

  /**
   * The area an organisation is in: by its sub-ICB, then its ICB; by postcode only when neither code places it,
   * since a postcode area can span two ICBs (BH covers Dorset and part of Hampshire). An organisation whose ICB is
   * known but not one of ours is elsewhere; a sub-ICB we do not list falls through to the postcode, as our list
   * may lag a boundary change. Undefined means it cannot be told.
   */
  placeOf(place: { readonly icb?: string | undefined; readonly subIcb?: string | undefined; readonly postcode?: string | undefined }): Placing | undefined {
    const entries = Object.entries(this.areaCodes) as [Area, AreaCodes][];
    const bySub = place.subIcb ? entries.find(([, c]) => c.subIcbs.includes(place.subIcb ?? '')) : undefined;
    if (bySub) return { area: bySub[0], by: 'sub-icb' };
    const byIcb = place.icb ? entries.find(([, c]) => c.icbs.includes(place.icb ?? '')) : undefined;
    if (byIcb) return { area: byIcb[0], by: 'icb' };
    if (place.icb) return { area: 'elsewhere', by: 'icb' };
    const district = place.postcode ? postcodeDistrict(place.postcode) : undefined;
    if (!district) return undefined;
    const postArea = district.replace(/\d.*$/, '');
    const byPostcode = entries.find(([, c]) => c.postcodes.includes(district) || c.postcodes.includes(postArea));
    return byPostcode ? { area: byPostcode[0], by: 'postcode' } : undefined;
  }

  /** The team serving an organisation, with how its area was told; undefined when the area cannot be told. */
  forOrganisation(org: Organisation): (RaTeamMatch & { readonly placing: Placing }) | undefined {
    const placing = this.placeOf(org);
    return placing ? { ...this.forWorkplace(workplaceOf(org.kind), placing.area), placing } : undefined;
  }

  /** Which team serves this kind of workplace in this area. */
  forWorkplace(kind: WorkplaceKind, area: Area): RaTeamMatch {
    const team = this.teams.find((t) => t.covers.some((c) => c.area === area && c.workplaces.includes(kind)));
    return team ? { kind: 'team', team } : { kind: 'fallback', fallback: this.fallback };
  }
}

/** The workplace kind the RA rules treat an organisation kind as. */
export function workplaceOf(kind: OrganisationKind): WorkplaceKind {
  switch (kind) {
    case 'pharmacy':
    case 'pharmacy-hq':
      return 'pharmacy';
    case 'gp-practice':
    case 'prescribing-centre':
      return 'gp-practice';
    case 'icb':
    case 'sub-icb':
      return 'icb';
    default:
      return 'other';
  }
}

/** Validates the RA team file against the schema and the source catalogue; every problem is listed. */
export function parseRaTeams(json: unknown, sources: SourceCatalogue): RaTeamDirectory {
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) throw new KnowledgeError('raTeams', parsed.error.issues.map(describeIssue));
  const { teams, fallback, areas: areaCodes } = parsed.data;
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
  const codeOwner = new Map<string, string>();
  for (const [area, codes] of Object.entries(areaCodes) as [Area, AreaCodes][]) {
    if (area === 'elsewhere') problems.push('areas: "elsewhere" is everywhere not listed, so it has no codes');
    if (!sources.has(codes.source)) problems.push(`areas.${area}: unknown source ${codes.source}`);
    for (const code of [...codes.icbs, ...codes.subIcbs, ...codes.postcodes]) {
      const other = codeOwner.get(code);
      if (other) problems.push(`${code} is in both ${other} and ${area}`);
      codeOwner.set(code, area);
    }
  }
  if (problems.length > 0) throw new KnowledgeError('raTeams', problems);
  return new RaTeamDirectory(teams, fallback, areaCodes);
}
