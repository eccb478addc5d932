import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import type { GraphConfig } from '../../bot/config.js';
import type { Clock } from '../../dialogs/ports.js';
import type { Schedule } from '../../bot/requests/mailOutbox.js';
import { TimerQueue } from './clocks.js';

/**
 * The authority the tests configure (GRAPH_AUTHORITY_URL). MSAL accepts only https authorities, so it is a name
 * that resolves nowhere (.test is reserved): every request MSAL makes goes through `StandInNetworkClient`, which
 * carries it to the loopback stand-in instead. Nothing leaves the machine.
 */
export const standInAuthority = 'https://login.standin.test';
export const testTenant = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
export const testClientId = '11111111-2222-3333-4444-555555555555';
export const testSecret = 'test-client-secret-do-not-log';
export const testSender = 'smartcard-assistant@example.nhs.uk';

/** A Graph answer: a status, and optionally a JSON body and headers. */
export interface Answer {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** One request the stand-in received. */
export interface Received {
  readonly method: string;
  /** Without the query string. */
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/**
 * A loopback stand-in for both Entra (OpenID configuration and the token endpoint of `standInAuthority`) and
 * Graph (`/v1.0/users/{sender}/sendMail`). Graph answers come from `graphAnswers` in turn (202 when it is empty);
 * `hold()` keeps Graph requests waiting until `release()`.
 */
export class GraphStandIn {
  readonly received: Received[] = [];
  readonly graphAnswers: Answer[] = [];
  tokenAnswer: Answer = { status: 200, body: { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: 'test-token' } };
  /** The most Graph requests in flight at once. */
  maxInFlight = 0;
  url = '';
  #inFlight = 0;
  #held: (() => void)[] | undefined;
  #mailWaiters: (() => void)[] = [];
  readonly #server: Server = createServer((request, response) => void this.#answer(request, response));

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.release();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.#server.close((error) => (error ? reject(error) : resolve())));
  }

  /** The `GraphConfig` for this stand-in. */
  config(overrides: Partial<GraphConfig> = {}): GraphConfig {
    return { tenantId: testTenant, clientId: testClientId, clientSecret: testSecret, sender: testSender, baseUrl: this.url, authorityUrl: standInAuthority, ...overrides };
  }

  get tokenRequests(): Received[] {
    return this.received.filter((r) => r.path.endsWith('/oauth2/v2.0/token'));
  }

  get mailRequests(): Received[] {
    return this.received.filter((r) => r.path.endsWith('/sendMail'));
  }

  /** Resolves once a sendMail has arrived (at once if one already has): waits on the request, not on a timer. */
  mailArrived(): Promise<void> {
    if (this.mailRequests.length > 0) return Promise.resolve();
    return new Promise((resolve) => this.#mailWaiters.push(resolve));
  }

  get graphInFlight(): number {
    return this.#inFlight;
  }

  hold(): void {
    this.#held ??= [];
  }

  release(): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const go of held) go();
  }

  clear(): void {
    this.received.length = 0;
    this.graphAnswers.length = 0;
    this.maxInFlight = 0;
  }

  async #answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const path = (request.url ?? '').split('?')[0] ?? '';
    this.received.push({ method: request.method ?? '', path, headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
    if (path.endsWith('/sendMail')) for (const waiter of this.#mailWaiters.splice(0)) waiter();
    const send = (answer: Answer): void => {
      response.writeHead(answer.status, { 'content-type': 'application/json', connection: 'close', ...answer.headers });
      response.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    };
    const tenant = `/${testTenant}`;
    if (request.method === 'GET' && path === `${tenant}/v2.0/.well-known/openid-configuration`) {
      const base = `${standInAuthority}${tenant}`;
      return send({
        status: 200,
        body: {
          issuer: `${base}/v2.0`,
          authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
          token_endpoint: `${base}/oauth2/v2.0/token`,
          jwks_uri: `${base}/discovery/v2.0/keys`,
        },
      });
    }
    if (request.method === 'POST' && path === `${tenant}/oauth2/v2.0/token`) return send(this.tokenAnswer);
    if (request.method === 'POST' && path.startsWith('/v1.0/users/') && path.endsWith('/sendMail')) {
      this.#inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.#inFlight);
      const held = this.#held;
      if (held) await new Promise<void>((resolve) => held.push(resolve));
      this.#inFlight--;
      return send(this.graphAnswers.shift() ?? { status: 202 });
    }
    send({ status: 404, body: { error: 'not_found' } });
  }
}

/**
 * MSAL's injectable network client: carries every request MSAL makes (whatever host it names) to the stand-in,
 * by path, and records the URL MSAL asked for, so a test can see that MSAL asked for nothing else.
 */
export class StandInNetworkClient implements INetworkModule {
  readonly asked: string[] = [];

  constructor(private readonly standIn: GraphStandIn) {}

  sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.#send<T>('GET', url, options);
  }

  sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.#send<T>('POST', url, options);
  }

  async #send<T>(method: string, url: string, options: NetworkRequestOptions | undefined): Promise<NetworkResponse<T>> {
    this.asked.push(`${method} ${url}`);
    const target = new URL(url);
    const response = await fetch(`${this.standIn.url}${target.pathname}${target.search}`, {
      method,
      headers: options?.headers ?? {},
      ...(options?.body === undefined ? {} : { body: options.body }),
    });
    const text = await response.text();
    const headers: Record<string, string> = {};
    response.headers.forEach((value, key) => {
      headers[key] = value;
    });
    return { status: response.status, headers, body: (text ? JSON.parse(text) : {}) as T };
  }
}

/** A clock and a timer that move only when told: `advance` fires whatever falls due, in order. */
export class FakeTime {
  #now: number;
  readonly #timers = new TimerQueue();

  constructor(start: string) {
    this.#now = Date.parse(start);
  }

  readonly clock: Clock = { now: () => new Date(this.#now) };

  readonly schedule: Schedule = (callback, delayMs) => this.#timers.add(this.#now + delayMs, callback);

  /** Milliseconds from now until each timer still waiting. */
  get waiting(): number[] {
    return this.#timers.pending.map((at) => at - this.#now);
  }

  /** Moves time on by `ms`, firing due timers as their moment comes. */
  advance(ms: number): void {
    const until = this.#now + ms;
    for (let due = this.#timers.takeDue(until); due; due = this.#timers.takeDue(until)) {
      this.#now = Math.max(this.#now, due.at);
      due.callback();
    }
    this.#now = until;
  }
}
