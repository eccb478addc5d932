import path from 'node:path';
import { z } from 'zod';

/** The validated, frozen configuration of one bot process. */
export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly production: boolean;
  readonly logLevel: LogLevel;
  /** Bot Framework authentication; `appId` undefined means the anonymous local mode. */
  readonly auth: {
    readonly appId: string | undefined;
    readonly appPassword: string | undefined;
    readonly appType: 'MultiTenant' | 'SingleTenant' | 'UserAssignedMSI';
    readonly tenantId: string | undefined;
  };
  /** Milliseconds SIGTERM waits for turns in flight before closing anyway. */
  readonly shutdownGraceMs: number;
  /** Days after which completed and rejected requests lose their personal fields. */
  readonly requestRetentionDays: number;
  /** Days unanswered questions and feedback are kept for the RA team's report. */
  readonly questionLogDays: number;
  /** RA team id to its email address: the seed pages lost the addresses, so they are configuration. */
  readonly raTeamEmails: ReadonlyMap<string, string>;
  /** RA team id to its desk channel id, by configuration (an RA team member can also set it in the channel). */
  readonly raDesks: ReadonlyMap<string, string>;
  /** The Bot Connector service URL for configured desks (Teams gives it on every message; it varies by region). */
  readonly teamsServiceUrl: string | undefined;
  /** AAD object ids with RA-team rights everywhere (every team's members are listed in its data). */
  readonly raAdmins: ReadonlySet<string>;
  /** AES-256 key (32 bytes) for identity-document numbers and dates of birth in requests; undefined outside production uses a development key. */
  readonly requestKey: Buffer | undefined;
  /** The ODS ORD API for codes not in the directory; undefined leaves live look-ups off. */
  readonly odsApi: { readonly baseUrl: string; readonly timeoutMs: number; readonly perSecond: number } | undefined;
  /** Microsoft Graph, for emailing each new request to its RA team's mailbox; undefined leaves email off. */
  readonly graph: GraphConfig | undefined;
  /** Proactive messages (announcements, reminders) sent per second at most, across all conversations. */
  readonly broadcastRate: number;
  /** Where state, requests, bookings and the broadcast queue live: files in DATA_DIR, or Azure Storage shared by several instances. */
  readonly storage: StorageConfig;
}

/** `lowdb`: JSON files in DATA_DIR, for one instance. `azure`: bot state in a blob container, everything else in tables. */
export type StorageConfig =
  | { readonly kind: 'lowdb' }
  | { readonly kind: 'azure'; readonly connectionString: string; readonly tablePrefix: string; readonly container: string };

/** An app registration allowed to send mail (Mail.Send, application) as `sender`, and where to reach Entra and Graph. */
export interface GraphConfig {
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The mailbox the email is sent from: its address or object id. */
  readonly sender: string;
  /** Graph's origin, without a trailing slash: `https://graph.microsoft.com`. */
  readonly baseUrl: string;
  /** Entra's origin, without a trailing slash: `https://login.microsoftonline.com`; the tenant is added to it. */
  readonly authorityUrl: string;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Thrown when the environment cannot make a Config; `problems` lists every one found. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Configuration is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalText = z.preprocess(blankToUndefined, z.string().trim().optional());
// A bearer token must not cross the network in the clear: plain http only to this machine (the tests' stand-ins).
const loopbackHosts = new Set(['127.0.0.1', 'localhost', '[::1]']);
const parsedUrl = (v: string) => (URL.canParse(v) ? new URL(v) : undefined);
const httpsOrLoopback = (v: string) => {
  const url = parsedUrl(v);
  return !url || url.protocol === 'https:' || loopbackHosts.has(url.hostname);
};
const withoutTrailingSlash = (v: string) => v.replace(/\/+$/, '');
// Unparseable URLs pass these two: the url check has already named them.
const isOrigin = (v: string) => {
  const url = parsedUrl(v);
  return !url || (url.pathname === '/' && url.search === '' && url.hash === '' && url.username === '' && url.password === '');
};
/** The Graph settings that must be set together. */
const graphRequired = ['GRAPH_TENANT_ID', 'GRAPH_CLIENT_ID', 'GRAPH_CLIENT_SECRET', 'GRAPH_SENDER'] as const;

const schema = z.object({
  PORT: z.preprocess(blankToUndefined, z.coerce.number().int().min(0).max(65535).default(3978)),
  HOST: optionalText,
  DATA_DIR: z.preprocess(blankToUndefined, z.string().default('./data')),
  NODE_ENV: z.preprocess(blankToUndefined, z.enum(['development', 'production', 'test']).default('development')),
  LOG_LEVEL: z.preprocess(
    blankToUndefined,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ),
  MicrosoftAppId: z.preprocess(blankToUndefined, z.string().trim().regex(guid, 'must be a GUID (the bot\'s Microsoft App ID)').optional()),
  MicrosoftAppPassword: optionalText,
  MicrosoftAppType: z.preprocess(
    blankToUndefined,
    z.enum(['MultiTenant', 'SingleTenant', 'UserAssignedMSI']).default('MultiTenant'),
  ),
  MicrosoftAppTenantId: z.preprocess(blankToUndefined, z.string().trim().regex(guid, 'must be a GUID (the Entra tenant id)').optional()),
  RA_TEAM_EMAILS: teamList((email) => z.email().safeParse(email).success, 'team-id=address, e.g. dorset=team@example.nhs.uk'),
  // A team's desk channel by configuration: team-id=channel id (19:...@thread.tacv2), for teams that set it up front.
  RA_DESKS: teamList((channel) => /^19:[A-Za-z0-9_.@-]+$/.test(channel), 'team-id=channel id, e.g. dorset=19:abc123@thread.tacv2'),
  TEAMS_SERVICE_URL: z.preprocess(blankToUndefined, z.url({ protocol: /^https$/, error: 'must be the https service URL Teams gives the bot for your tenant, e.g. from a message it received' }).optional()),
  RA_ADMINS: z.preprocess(
    blankToUndefined,
    z
      .string()
      .default('')
      .superRefine((value, ctx) => {
        for (const entry of splitList(value)) {
          if (!guid.test(entry)) ctx.addIssue({ code: 'custom', message: `has "${entry}": each entry must be an AAD object id (a GUID)` });
        }
      }),
  ),
  REQUEST_KEY: z.preprocess(
    blankToUndefined,
    z
      .string()
      .trim()
      .refine((v) => Buffer.from(v, 'base64').length === 32 && /^[A-Za-z0-9+/]+={0,2}$/.test(v), {
        message: 'must be 32 random bytes in base64, e.g. from: node -e "console.log(crypto.randomBytes(32).toString(\'base64\'))"',
      })
      .optional(),
  ),
  ODS_API_URL: z.preprocess(blankToUndefined, z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://directory.spineservices.nhs.uk/ORD/2-0-0' }).optional()),
  ODS_API_TIMEOUT_MS: z.preprocess(blankToUndefined, z.coerce.number().int().min(100).max(30_000).default(3000)),
  // ODS asks callers to stay under 5 requests a second.
  ODS_API_PER_SECOND: z.preprocess(blankToUndefined, z.coerce.number().int().min(1).max(5).default(5)),
  GRAPH_TENANT_ID: z.preprocess(
    blankToUndefined,
    z
      .string()
      .trim()
      .refine((v) => guid.test(v) || /^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(v), 'must be the Entra tenant id (a GUID) or its domain, like contoso.onmicrosoft.com')
      .optional(),
  ),
  GRAPH_CLIENT_ID: z.preprocess(blankToUndefined, z.string().trim().regex(guid, 'must be a GUID (the application id of the app registration that sends the email)').optional()),
  GRAPH_CLIENT_SECRET: optionalText,
  GRAPH_SENDER: z.preprocess(
    blankToUndefined,
    z
      .string()
      .trim()
      .refine((v) => guid.test(v) || z.email().safeParse(v).success, 'must be the address (or object id) of the mailbox the email is sent from')
      .optional(),
  ),
  GRAPH_BASE_URL: z.preprocess(
    blankToUndefined,
    z
      .url({ protocol: /^https?$/, error: 'must be an https URL such as https://graph.microsoft.com' })
      .refine(httpsOrLoopback, 'must be an https URL (plain http is allowed only to this machine)')
      .refine(isOrigin, 'must be just the scheme and host, like https://graph.microsoft.com (/v1.0 is added)')
      .default('https://graph.microsoft.com'),
  ),
  GRAPH_AUTHORITY_URL: z.preprocess(
    blankToUndefined,
    z
      .url({ protocol: /^https$/, error: 'must be an https URL such as https://login.microsoftonline.com (MSAL accepts no other)' })
      .refine(isOrigin, 'must be just the scheme and host, like https://login.microsoftonline.com (GRAPH_TENANT_ID is added)')
      .default('https://login.microsoftonline.com'),
  ),
  REQUEST_RETENTION_DAYS: z.preprocess(blankToUndefined, z.coerce.number().int().min(1).max(3650).default(90)),
  QUESTION_LOG_DAYS: z.preprocess(blankToUndefined, z.coerce.number().int().min(1).max(3650).default(180)),
  // Teams allows a bot about 50 messages a second per tenant; 30 leaves room for replies in conversations.
  BROADCAST_RATE: z.preprocess(blankToUndefined, z.coerce.number().min(0.1).max(1000).default(30)),
  STORAGE: z.preprocess(blankToUndefined, z.enum(['lowdb', 'azure']).default('lowdb')),
  AZURE_STORAGE_CONNECTION_STRING: z.preprocess(
    blankToUndefined,
    z
      .string()
      .trim()
      .refine(
        (v) => v === 'UseDevelopmentStorage=true' || (/(^|;)AccountName=[^;]+/.test(v) && /(^|;)(AccountKey|SharedAccessSignature)=[^;]+/.test(v)),
        // Never echo the value: it holds the account key.
        'must be a storage account connection string (DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...;EndpointSuffix=core.windows.net) from the account\'s Access keys page',
      )
      .optional(),
  ),
  // Letters and digits (Azure table names): several deployments can share one account under different prefixes.
  AZURE_TABLE_PREFIX: z.preprocess(blankToUndefined, z.string().trim().regex(/^[A-Za-z][A-Za-z0-9]{0,40}$/, 'must be a letter then up to 40 letters or digits').default('smartcard')),
  AZURE_BLOB_CONTAINER: z.preprocess(
    blankToUndefined,
    z.string().trim().regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, 'must be a blob container name: 3 to 63 lower-case letters, digits and single hyphens').default('botstate'),
  ),
  SHUTDOWN_GRACE_MS: z.preprocess(blankToUndefined, z.coerce.number().int().min(0).max(120_000).default(10_000)),
});

/**
 * Reads the environment once into a frozen Config. The only reader of process.env in the app.
 * @throws ConfigError listing every problem when the environment is not valid.
 */
export function loadConfig(env: NodeJS.ProcessEnv, cwd: string = process.cwd()): Config {
  const parsed = schema.safeParse(env);
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.') || 'environment'} ${i.message}`)),
    ...crossFieldProblems(env),
    ...graphProblems(env),
  ];
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  const appId = e.MicrosoftAppId;
  return Object.freeze({
    port: e.PORT,
    // Anonymous mode answers only this machine; an authenticated bot listens where its host routes to it.
    host: e.HOST ?? (appId ? '0.0.0.0' : '127.0.0.1'),
    dataDir: path.resolve(cwd, e.DATA_DIR),
    production: e.NODE_ENV === 'production',
    logLevel: e.LOG_LEVEL,
    auth: Object.freeze({
      appId,
      appPassword: e.MicrosoftAppPassword,
      appType: e.MicrosoftAppType,
      tenantId: e.MicrosoftAppTenantId,
    }),
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    questionLogDays: e.QUESTION_LOG_DAYS,
    requestRetentionDays: e.REQUEST_RETENTION_DAYS,
    broadcastRate: e.BROADCAST_RATE,
    storage: Object.freeze(
      e.STORAGE === 'azure' && e.AZURE_STORAGE_CONNECTION_STRING
        ? { kind: 'azure' as const, connectionString: e.AZURE_STORAGE_CONNECTION_STRING, tablePrefix: e.AZURE_TABLE_PREFIX, container: e.AZURE_BLOB_CONTAINER }
        : { kind: 'lowdb' as const },
    ),
    requestKey: e.REQUEST_KEY ? Buffer.from(e.REQUEST_KEY, 'base64') : undefined,
    raAdmins: new Set(splitList(e.RA_ADMINS).map((id) => id.toLowerCase())),
    odsApi: e.ODS_API_URL ? Object.freeze({ baseUrl: e.ODS_API_URL, timeoutMs: e.ODS_API_TIMEOUT_MS, perSecond: e.ODS_API_PER_SECOND }) : undefined,
    raDesks: teamPairs(e.RA_DESKS),
    teamsServiceUrl: e.TEAMS_SERVICE_URL,
    raTeamEmails: teamPairs(e.RA_TEAM_EMAILS),
    graph:
      e.GRAPH_TENANT_ID && e.GRAPH_CLIENT_ID && e.GRAPH_CLIENT_SECRET && e.GRAPH_SENDER
        ? Object.freeze({
            tenantId: e.GRAPH_TENANT_ID,
            clientId: e.GRAPH_CLIENT_ID,
            clientSecret: e.GRAPH_CLIENT_SECRET,
            sender: e.GRAPH_SENDER,
            baseUrl: withoutTrailingSlash(e.GRAPH_BASE_URL),
            authorityUrl: withoutTrailingSlash(e.GRAPH_AUTHORITY_URL),
          })
        : undefined,
  });
}

// Read from the raw strings so these are reported even when another field failed to parse.
function crossFieldProblems(env: NodeJS.ProcessEnv): string[] {
  const text = (key: string) => {
    const value = env[key]?.trim();
    return value ? value : undefined;
  };
  // Configured desks are posted to through a service URL only Teams knows; it cannot be guessed.
  const problems = authProblems(text);
  if (text('RA_DESKS') && !text('TEAMS_SERVICE_URL')) {
    problems.unshift('TEAMS_SERVICE_URL is required when RA_DESKS is set: copy the serviceUrl from a message the bot received in your tenant');
  }
  if (text('STORAGE') === 'azure' && !text('AZURE_STORAGE_CONNECTION_STRING')) {
    problems.push('AZURE_STORAGE_CONNECTION_STRING is required when STORAGE=azure: the storage account\'s connection string (or UseDevelopmentStorage=true for Azurite)');
  }
  // A development key is made per DATA_DIR: instances on other machines could not read each other's sealed fields.
  if (text('STORAGE') === 'azure' && !text('REQUEST_KEY')) {
    problems.push('REQUEST_KEY is required when STORAGE=azure: every instance must seal identity-document numbers with the same key');
  }
  return problems;
}

function authProblems(text: (key: string) => string | undefined): string[] {
  const appId = text('MicrosoftAppId');
  const appType = text('MicrosoftAppType') ?? 'MultiTenant';
  if (!appId) {
    return text('NODE_ENV') === 'production'
      ? ['MicrosoftAppId is required when NODE_ENV=production: without it the bot accepts unauthenticated requests from anyone']
      : [];
  }
  const problems: string[] = [];
  if (appType !== 'UserAssignedMSI' && !text('MicrosoftAppPassword')) {
    problems.push(`MicrosoftAppPassword is required when MicrosoftAppId is set and MicrosoftAppType is ${appType}`);
  }
  if (appType !== 'MultiTenant' && !text('MicrosoftAppTenantId')) {
    problems.push(`MicrosoftAppTenantId is required when MicrosoftAppType is ${appType}`);
  }
  return problems;
}

// Email is on with all four Graph settings and off with none; some of them is a half-finished set-up, not "off".
function graphProblems(env: NodeJS.ProcessEnv): string[] {
  const missing = graphRequired.filter((key) => !env[key]?.trim());
  if (missing.length === 0 || missing.length === graphRequired.length) return [];
  return [`${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} required when any of ${graphRequired.join(', ')} is set (set all four to email requests to the RA mailboxes, or none)`];
}

/** A `team-id=value,...` setting, each value checked by `valid`; the message shows the shape. */
function teamList(valid: (value: string) => boolean, shape: string) {
  return z.preprocess(
    blankToUndefined,
    z
      .string()
      .default('')
      .superRefine((value, ctx) => {
        for (const entry of splitList(value)) {
          const [team, item, extra] = entry.split('=').map((p) => p.trim());
          if (!team || !item || extra !== undefined || !/^[a-z0-9-]+$/.test(team) || !valid(item)) {
            ctx.addIssue({ code: 'custom', message: `has "${entry}": each entry must be ${shape}` });
          }
        }
      }),
  );
}

/** A checked `team-id=value,...` setting as a map. */
function teamPairs(value: string): Map<string, string> {
  return new Map(splitList(value).map((entry) => entry.split('=').map((p) => p.trim()) as [string, string]));
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}
