import pThrottle from 'p-throttle';
import { z } from 'zod';
import { normalisePostcode } from '../../knowledge/organisations.js';
import type { Organisation, OrganisationFetch, OrganisationKind, OrganisationSource } from '../../knowledge/organisations.js';

/** How to reach the ODS ORD API (domain.md section 10) and how gently to use it. */
export interface OrdClientOptions {
  /** The ORD root, e.g. "https://directory.spineservices.nhs.uk/ORD/2-0-0", with or without a trailing '/'. */
  readonly baseUrl: string;
  /** How long one request may take, from sending it to the end of the body. Default 3000. */
  readonly timeoutMs?: number;
  /** Most requests started in any one second. Default 5, which ORD asks callers to stay under. */
  readonly perSecond?: number;
  /** Only used for `updatedAt`, so tests can pin it. */
  readonly clock?: () => Date;
}

// ORD gives a lone object where there is only one of something (one Role, one Rel), and an array otherwise.
function oneOrMany<T extends z.ZodType>(item: T) {
  return z.union([z.array(item), item]).transform((value): z.output<T>[] => (Array.isArray(value) ? value : [value]));
}

// Only the fields the directory uses are checked; everything else ORD sends is ignored, and ORD leaves out
// empty parts (no County, no Rels for a closed record), so all but the essentials are optional.
const dateSchema = z.object({ Type: z.string(), Start: z.string().optional(), End: z.string().optional() });

const targetSchema = z.object({
  OrgId: z.object({ extension: z.string() }),
  PrimaryRoleId: z.object({ id: z.string() }).optional(),
});

const detailSchema = z.object({
  Organisation: z.object({
    Name: z.string(),
    OrgId: z.object({ extension: z.string().min(1) }),
    Status: z.string(),
    Date: oneOrMany(dateSchema).optional(),
    GeoLoc: z
      .object({
        Location: z
          .object({
            AddrLn1: z.string().optional(),
            AddrLn2: z.string().optional(),
            AddrLn3: z.string().optional(),
            Town: z.string().optional(),
            County: z.string().optional(),
            PostCode: z.string().optional(),
          })
          .optional(),
      })
      .optional(),
    Roles: z
      .object({ Role: oneOrMany(z.object({ id: z.string(), primaryRole: z.boolean().optional(), Status: z.string().optional() })).optional() })
      .optional(),
    Rels: z.object({ Rel: oneOrMany(z.object({ id: z.string(), Status: z.string().optional(), Target: targetSchema })).optional() }).optional(),
  }),
});

type Detail = z.output<typeof detailSchema>['Organisation'];
type Rel = NonNullable<NonNullable<Detail['Rels']>['Rel']>[number];

const kindByPrimaryRole: Readonly<Record<string, OrganisationKind>> = {
  RO182: 'pharmacy',
  RO181: 'pharmacy-hq',
  RO197: 'trust',
  RO198: 'trust-site',
  RO98: 'sub-icb',
  RO261: 'icb',
};

/** A live source of organisations that asks the ODS ORD API, one record per code, within ORD's rate limit. */
export class OrdClient implements OrganisationSource {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly clock: () => Date;
  private readonly throttled: (code: string) => Promise<OrganisationFetch>;

  constructor(options: OrdClientOptions) {
    const { timeoutMs = 3000, perSecond = 5 } = options;
    if (!(timeoutMs > 0)) throw new RangeError(`OrdClient timeoutMs must be more than 0, not ${timeoutMs}`);
    if (!Number.isInteger(perSecond) || perSecond < 1) throw new RangeError(`OrdClient perSecond must be a whole number from 1, not ${perSecond}`);
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = timeoutMs;
    this.clock = options.clock ?? (() => new Date());
    // Strict mode counts over a sliding second; the default windowed mode can start up to twice the limit
    // across the edge of two windows, which would break ORD's "under 5 a second" rule.
    const throttle = pThrottle({ limit: perSecond, interval: 1000, strict: true });
    this.throttled = throttle((code: string) => this.request(code));
  }

  /** The organisation with this ODS code, 'not-found', or 'unavailable' with a reason; never throws. */
  fetch(code: string): Promise<OrganisationFetch> {
    return this.throttled(code);
  }

  private async request(code: string): Promise<OrganisationFetch> {
    // The timeout starts here, once the throttle lets the request go, so waiting in the queue does not use it up.
    const signal = AbortSignal.timeout(this.timeoutMs);
    let status: number;
    let text: string;
    try {
      const response = await fetch(`${this.baseUrl}/organisations/${encodeURIComponent(code)}`, {
        headers: { Accept: 'application/json' },
        signal,
      });
      status = response.status;
      // Read the body even for errors so the connection can be reused; the signal also covers a stalled body.
      text = await response.text();
    } catch (error) {
      return { kind: 'unavailable', reason: signal.aborted ? `the ODS service did not answer within ${duration(this.timeoutMs)}` : failureReason(error) };
    }
    if (status === 404) return { kind: 'not-found' };
    if (status !== 200) return { kind: 'unavailable', reason: `the ODS service answered with status ${status}` };
    const unreadable: OrganisationFetch = { kind: 'unavailable', reason: 'the ODS service sent data I could not read' };
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return unreadable;
    }
    const parsed = detailSchema.safeParse(body);
    if (!parsed.success) return unreadable;
    return { kind: 'found', organisation: this.organisation(parsed.data.Organisation) };
  }

  private organisation(detail: Detail): Organisation {
    const location = detail.GeoLoc?.Location;
    const roles = detail.Roles?.Role ?? [];
    const activeRels = (detail.Rels?.Rel ?? []).filter((rel) => rel.Status === 'Active');
    const kind = kindOf(roles);
    const closedOn = detail.Date?.find((date) => date.Type === 'Operational')?.End;
    const postcode = location?.PostCode === undefined ? undefined : normalisePostcode(location.PostCode);
    return {
      code: detail.OrgId.extension.toUpperCase(),
      name: detail.Name,
      kind,
      address: [location?.AddrLn1, location?.AddrLn2, location?.AddrLn3, location?.Town, location?.County]
        .map((line) => line?.trim() ?? '')
        .filter((line) => line !== ''),
      postcode,
      icb: targetCode(activeRels.find((rel) => rel.Target.PrimaryRoleId?.id === 'RO261')),
      subIcb: targetCode(activeRels.find((rel) => rel.Target.PrimaryRoleId?.id === 'RO98')),
      // RE6 is "is operated by"; trust sites have one too, but Organisation.parent is the pharmacy head office.
      parent: kind === 'pharmacy' ? targetCode(activeRels.find((rel) => rel.id === 'RE6')) : undefined,
      open: detail.Status === 'Active',
      closedOn: closedOn !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(closedOn) ? closedOn : undefined,
      source: 'ord',
      updatedAt: this.clock().toISOString(),
    };
  }
}

function kindOf(roles: readonly { readonly id: string; readonly primaryRole?: boolean | undefined }[]): OrganisationKind {
  const primary = roles.find((role) => role.primaryRole === true)?.id;
  if (primary === undefined) return 'other';
  // A prescribing cost centre is a GP practice only when it also holds the GP practice role; the role's
  // status does not matter, so a closed practice is still called a practice.
  if (primary === 'RO177') return roles.some((role) => role.id === 'RO76') ? 'gp-practice' : 'prescribing-centre';
  return kindByPrimaryRole[primary] ?? 'other';
}

function targetCode(rel: Rel | undefined): string | undefined {
  return rel?.Target.OrgId.extension.toUpperCase();
}

function duration(ms: number): string {
  if (ms % 1000 !== 0) return `${ms} milliseconds`;
  const seconds = ms / 1000;
  return seconds === 1 ? '1 second' : `${seconds} seconds`;
}

// Node's fetch reports every network failure as TypeError('fetch failed') with the system error as its cause.
function failureReason(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  const code = cause instanceof Error && 'code' in cause ? cause.code : undefined;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'the ODS service address could not be found';
  return 'the ODS service could not be reached';
}
