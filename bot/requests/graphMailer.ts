import { ClientConfigurationError, ConfidentialClientApplication, LogLevel, ServerError, type INetworkModule } from '@azure/msal-node';
import type { Config, GraphConfig } from '../config.js';
import type { Clock, Logger } from '../../dialogs/ports.js';
import type { RaRequest } from '../../dialogs/requests.js';
import { parseRetryAfter } from '../retryAfter.js';
import {
  MailOutboxWorker,
  MailSendError,
  requestMail,
  type MailContent,
  type MailOutboxStore,
  type MailSender,
  type RetryPolicy,
  type Schedule,
} from './mailOutbox.js';

/** App-only access to Microsoft Graph: the `.default` scope grants what the app registration was consented (Mail.Send). */
export const graphScope = 'https://graph.microsoft.com/.default';

export interface GraphMailerOptions {
  readonly graph: GraphConfig;
  readonly logger: Logger;
  /** How MSAL reaches Entra; MSAL's own HTTP client when undefined. Tests give one that talks to a loopback stand-in. */
  readonly networkClient?: INetworkModule | undefined;
  /** Milliseconds to wait for Graph before counting the attempt as failed (and retrying). */
  readonly timeoutMs?: number | undefined;
}

/**
 * Sends mail as `graph.sender` with Graph's `sendMail`, on an app-only token from MSAL's confidential client
 * (client credentials). MSAL keeps the token in its in-memory cache and asks Entra again only near its expiry.
 *
 * Failures are MailSendErrors: 429, 5xx, time-outs and network faults are passing (retried for a day); other 4xx
 * answers, and Entra refusing the app's credentials, are `permanent` — a configuration fault (a wrong sender, a
 * missing Mail.Send consent, an expired secret) that retrying cannot mend — and the outbox gives up on them after a
 * few attempts, logged at error. A 401 from Graph also makes the next attempt fetch a fresh token.
 */
export class GraphMailer implements MailSender {
  readonly #msal: ConfidentialClientApplication;
  readonly #url: string;
  readonly #timeoutMs: number;
  #freshToken = false;

  constructor(options: GraphMailerOptions) {
    const { graph, logger } = options;
    const msalLog = logger.child({ component: 'msal' });
    this.#msal = new ConfidentialClientApplication({
      auth: {
        clientId: graph.clientId,
        clientSecret: graph.clientSecret,
        authority: `${graph.authorityUrl}/${graph.tenantId}`,
        // Trusting the configured host skips instance discovery (a call to login.microsoftonline.com whatever the
        // authority); the endpoints then come from MSAL's built-in metadata for the Microsoft clouds, or from the
        // authority's own OpenID configuration for any other host.
        knownAuthorities: [new URL(graph.authorityUrl).host],
      },
      system: {
        ...(options.networkClient ? { networkClient: options.networkClient } : {}),
        loggerOptions: {
          piiLoggingEnabled: false,
          logLevel: LogLevel.Warning,
          loggerCallback: (_level, message, containsPii) => {
            if (!containsPii) msalLog.debug({ msal: message }, 'msal');
          },
        },
      },
    });
    this.#url = `${graph.baseUrl}/v1.0/users/${encodeURIComponent(graph.sender)}/sendMail`;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  async send(mail: MailContent): Promise<void> {
    const token = await this.#token();
    let response: Response;
    try {
      response = await fetch(this.#url, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({
          message: {
            subject: mail.subject,
            body: { contentType: 'Text', content: mail.body },
            toRecipients: [{ emailAddress: { address: mail.to } }],
          },
          saveToSentItems: true,
        }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
      throw new MailSendError(timedOut ? `Graph did not answer within ${this.#timeoutMs} ms` : 'Graph could not be reached', false);
    }
    // 202 Accepted is what sendMail answers; any 2xx means Graph took the mail.
    if (response.ok) {
      await response.body?.cancel();
      return;
    }
    const code = await graphErrorCode(response);
    const reason = `Graph answered ${response.status}${code ? ` (${code})` : ''}`;
    if (response.status === 401) this.#freshToken = true;
    const passing = response.status === 408 || response.status === 429 || response.status >= 500;
    throw new MailSendError(reason, !passing, parseRetryAfter(response.headers.get('retry-after') ?? undefined, Date.now()));
  }

  async #token(): Promise<string> {
    let accessToken: string | undefined;
    try {
      const result = await this.#msal.acquireTokenByClientCredential({ scopes: [graphScope], skipCache: this.#freshToken });
      accessToken = result?.accessToken;
    } catch (error) {
      throw tokenFailure(error);
    }
    if (!accessToken) throw new MailSendError('Entra gave no token', false);
    this.#freshToken = false;
    return accessToken;
  }
}

/** Entra's error codes that mean the app registration or its secret is wrong, not that Entra is having a bad day. */
const refusedCodes = new Set(['invalid_client', 'unauthorized_client', 'invalid_request', 'invalid_scope', 'invalid_grant', 'invalid_resource']);

function tokenFailure(error: unknown): MailSendError {
  if (error instanceof ServerError) {
    const status = error.status;
    const refused = status !== undefined ? status >= 400 && status < 500 && status !== 408 && status !== 429 : refusedCodes.has(error.errorCode);
    return new MailSendError(`Entra refused the token request${status ? ` with ${status}` : ''} (${safeCode(error.errorCode) ?? 'no code'})`, refused);
  }
  if (error instanceof ClientConfigurationError) return new MailSendError(`MSAL configuration: ${safeCode(error.errorCode) ?? 'invalid'}`, true);
  const code = error instanceof Error && 'errorCode' in error && typeof error.errorCode === 'string' ? safeCode(error.errorCode) : undefined;
  return new MailSendError(`could not get a token from Entra (${code ?? 'unexpected error'})`, false);
}

/** Graph's `error.code` ("ErrorAccessDenied"): safe to log, unlike its message, which can quote the addresses. */
async function graphErrorCode(response: Response): Promise<string | undefined> {
  try {
    const body: unknown = await response.json();
    const error = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
    const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
    return typeof code === 'string' ? safeCode(code) : undefined;
  } catch {
    return undefined;
  }
}

function safeCode(code: string): string | undefined {
  return /^[A-Za-z0-9_.-]{1,64}$/.test(code) ? code : undefined;
}

/** Email of new requests to their RA teams' mailboxes, durable and retried. */
export interface RequestMailer {
  readonly outbox: MailOutboxStore;
  readonly worker: MailOutboxWorker;
  /**
   * Queues the email for a newly filed request to its team's address in RA_TEAM_EMAILS and has the worker send it.
   * Resolves true once it is in the outbox; false when the team has no address (or it is a national fallback
   * request) or the outbox could not be written — logged, never thrown, so filing the request never fails for it.
   */
  mailRequest(request: RaRequest, fieldLabels?: Readonly<Record<string, string>>): Promise<boolean>;
}

/** For tests: what normally comes from the environment and real time. */
export interface MailerOverrides {
  readonly networkClient?: INetworkModule | undefined;
  readonly schedule?: Schedule | undefined;
  readonly random?: (() => number) | undefined;
  readonly retry?: Partial<RetryPolicy> | undefined;
  readonly timeoutMs?: number | undefined;
}

/** How often an idle worker looks at a shared outbox for mail another instance queued (or left when it died). */
export const sharedOutboxPollMs = 5_000;

/**
 * The mailer on the backend's outbox (`Backend.mailOutbox()`) with its worker, or undefined when Graph is not
 * configured. The caller starts the worker (`worker.start()`) and stops it on shutdown (`await worker.stop()`).
 */
export async function openMailer(
  config: Pick<Config, 'graph' | 'raTeamEmails'>,
  outbox: MailOutboxStore,
  logger: Logger,
  clock: Clock,
  overrides: MailerOverrides = {},
): Promise<RequestMailer | undefined> {
  const graph = config.graph;
  if (!graph) return undefined;
  const sender = new GraphMailer({ graph, logger, networkClient: overrides.networkClient, timeoutMs: overrides.timeoutMs });
  const worker = new MailOutboxWorker({
    outbox,
    sender,
    clock,
    logger,
    schedule: overrides.schedule,
    random: overrides.random,
    retry: overrides.retry,
    idlePollMs: outbox.shared ? sharedOutboxPollMs : undefined,
  });
  if (config.raTeamEmails.size === 0) logger.warn({}, 'GRAPH_ settings are set but RA_TEAM_EMAILS is empty: no request will be emailed');
  return {
    outbox,
    worker,
    async mailRequest(request, fieldLabels) {
      const to = request.teamId === null ? undefined : config.raTeamEmails.get(request.teamId);
      if (!to) {
        logger.info({ reference: request.reference, team: request.teamId }, 'request not emailed: its RA team has no address in RA_TEAM_EMAILS');
        return false;
      }
      try {
        await outbox.enqueue({ reference: request.reference, ...requestMail(request, request.formTitle, to, fieldLabels) });
      } catch (error) {
        logger.error({ err: error, reference: request.reference }, 'could not put the request email in the outbox; it will not be emailed');
        return false;
      }
      void worker.kick();
      return true;
    },
  };
}
