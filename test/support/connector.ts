import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ConversationReference } from 'botbuilder';

/** A request the stand-in accepted (answered 2xx). */
export interface ConnectorRequest {
  readonly method: string;
  /** The URL path, decoded. */
  readonly path: string;
  /** The conversation it was for, from the path. */
  readonly conversationId: string;
  /** For an update (PUT), the activity replaced. */
  readonly activityId?: string | undefined;
  /** The activity, when bodies are kept. */
  readonly body?: { text?: string; attachments?: { content: unknown }[] } | undefined;
  /** performance.now() when it was answered. */
  readonly at: number;
}

/** What the stand-in did with one request, before it answers. */
export interface Incoming {
  readonly method: string;
  readonly path: string;
  readonly conversationId: string;
  /** Requests seen so far, this one included (throttled ones too). */
  readonly count: number;
}

export interface ConnectorStandInOptions {
  /** Requests served in any one-second window at most; beyond it the answer is 429 with Retry-After. */
  readonly limitPerSecond?: number | undefined;
  /** Chooses a failure (a status such as 503, with an optional Retry-After) for a request, or undefined to accept it. */
  readonly fail?: ((request: Incoming) => { readonly status: number; readonly retryAfter?: string } | number | undefined) | undefined;
  /** Keeps each accepted request's body (tests); the bench keeps none. */
  readonly keepBodies?: boolean | undefined;
}

/** A loopback stand-in for the Bot Connector: what the bot's proactive sends and updates reach in tests and the bench. */
export interface ConnectorStandIn {
  readonly url: string;
  /** Accepted requests, in order. */
  readonly received: ConnectorRequest[];
  /** Every request seen, however answered. */
  readonly seen: number;
  /** Requests answered 429 because of the limit. */
  readonly throttled: number;
  /** performance.now() of each 429. */
  readonly throttledAt: readonly number[];
  /** Requests answered with an injected failure. */
  readonly failed: number;
  /**
   * Resolves once the accepted requests satisfy `done` (checked as each arrives), for sends made by another process
   * on its own clock; rejects after `withinMs`, with what had arrived.
   */
  until(done: (received: readonly ConnectorRequest[]) => boolean, withinMs: number): Promise<void>;
  close(): Promise<void>;
}

const activityPath = /^\/v3\/conversations\/([^/]+)\/activities(?:\/([^/]+))?\/?$/;

/** Starts the stand-in on a free loopback port. */
export async function startConnector(options: ConnectorStandInOptions = {}): Promise<ConnectorStandIn> {
  const received: ConnectorRequest[] = [];
  const window: number[] = [];
  let seen = 0;
  let throttled = 0;
  const throttledAt: number[] = [];
  let failed = 0;
  let ids = 0;
  const waiters = new Set<() => void>();

  const answer = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
    res.end(text);
  };

  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      seen++;
      const path = decodeURIComponent((req.url ?? '').split('?')[0] ?? '');
      const match = activityPath.exec(path);
      const method = req.method ?? '';
      if (!match) return answer(res, 404, { error: { code: 'NotFound', message: 'not a conversation activity' } });
      const conversationId = match[1] ?? '';
      const now = performance.now();
      if (options.limitPerSecond !== undefined) {
        while (window.length > 0 && (window[0] as number) <= now - 1000) window.shift();
        if (window.length >= options.limitPerSecond) {
          throttled++;
          throttledAt.push(now);
          // Whole seconds, as the header's delay-seconds form allows: until the oldest request leaves the window.
          const seconds = Math.max(1, Math.ceil(((window[0] as number) + 1000 - now) / 1000));
          return answer(res, 429, { error: { code: 'TooManyRequests', message: 'slow down' } }, { 'retry-after': String(seconds) });
        }
        window.push(now);
      }
      const failure = options.fail?.({ method, path, conversationId, count: seen });
      if (failure !== undefined) {
        failed++;
        const { status, retryAfter } = typeof failure === 'number' ? { status: failure, retryAfter: undefined } : failure;
        return answer(res, status, { error: { code: 'Injected', message: `injected ${status}` } }, retryAfter === undefined ? {} : { 'retry-after': retryAfter });
      }
      let body: ConnectorRequest['body'];
      if (options.keepBodies !== false) {
        try {
          body = chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as ConnectorRequest['body']) : undefined;
        } catch {
          return answer(res, 400, { error: { code: 'BadArgument', message: 'not JSON' } });
        }
      }
      const activityId = method === 'PUT' ? match[2] : undefined;
      received.push({ method, path, conversationId, activityId, body, at: now });
      for (const check of waiters) check();
      answer(res, method === 'PUT' ? 200 : 201, { id: activityId ?? `activity-${++ids}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    received,
    get seen() {
      return seen;
    },
    get throttled() {
      return throttled;
    },
    throttledAt,
    get failed() {
      return failed;
    },
    until: (done, withinMs) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`not received within ${withinMs} ms; received ${received.length}: ${received.slice(-5).map((r) => `${r.method} ${r.path}`).join(', ')}`));
        }, withinMs);
        const check = () => {
          if (!done(received)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A personal chat with the bot, reached through the stand-in at `serviceUrl`. */
export function personalReference(serviceUrl: string, conversationId: string): Partial<ConversationReference> {
  return {
    channelId: 'msteams',
    serviceUrl,
    conversation: { id: conversationId, conversationType: 'personal', isGroup: false, name: '' },
    user: { id: `user-${conversationId}`, name: '' },
    bot: { id: 'bot-1', name: 'Smartcard Assistant' },
  };
}
