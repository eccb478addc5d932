import type { CloudAdapter, TurnContext } from 'botbuilder';
import restify from 'restify';
import type { Logger } from '../dialogs/ports.js';
import { KeyedQueue } from './keyedQueue.js';

/** Largest activity accepted; Teams' own limit for a message is far below this. */
export const maxBodyBytes = 256 * 1024;

/**
 * Deepest nesting accepted in an activity; Teams' own are a few levels deep. Replies copy parts of the activity, and
 * writing a reply that carries thousands of levels overflows the stack (a 500).
 */
export const maxDepth = 64;

/** What the HTTP server needs from the composition root. */
export interface ServerDeps {
  readonly adapter: CloudAdapter;
  readonly handleTurn: (context: TurnContext) => Promise<void>;
  readonly logger: Logger;
  readonly version: string;
}

/** The restify server and what graceful shutdown needs from it. */
export interface BotServer {
  readonly server: restify.Server;
  /** Stops accepting turns (new requests get 503) and resolves when the turns in flight have finished. */
  drain(): Promise<void>;
}

/** Routes: POST /api/messages for the Bot Framework, GET /healthz for load balancers. */
export function createServer(deps: ServerDeps): BotServer {
  const server = restify.createServer({ name: 'smartcard-assistant', handleUncaughtExceptions: false });
  server.use(restify.plugins.bodyParser({ maxBodySize: maxBodyBytes, mapParams: false, mapFiles: false }));

  const conversations = new KeyedQueue();
  let inFlight = 0;
  let stopping = false;
  let onIdle: (() => void) | undefined;

  server.get('/healthz', async (_req, res) => {
    res.json(stopping ? 503 : 200, { status: stopping ? 'stopping' : 'ok', version: deps.version });
  });

  server.post('/api/messages', async (req, res) => {
    if (stopping) {
      res.json(503, { error: 'The assistant is restarting. Please try again in a moment.' });
      return;
    }
    const checked = checkActivity(req.body);
    if (!checked.ok) {
      res.json(400, { error: checked.problem });
      return;
    }
    inFlight++;
    try {
      await conversations.run(checked.conversationId, () => deps.adapter.process(req, res, deps.handleTurn));
    } catch (error) {
      deps.logger.error({ err: error }, 'request failed outside a turn');
      if (!res.headersSent) res.json(500, { error: 'internal error' });
    } finally {
      inFlight--;
      if (inFlight === 0) onIdle?.();
    }
  });

  return {
    server,
    drain: () => {
      stopping = true;
      return inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => (onIdle = resolve));
    },
  };
}

/** Checks that a request body can be an activity before the adapter sees it (the adapter answers 500 otherwise). */
function checkActivity(body: unknown): { ok: true; conversationId: string } | { ok: false; problem: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, problem: 'the body must be a JSON activity object' };
  if (deeperThan(body, maxDepth)) return { ok: false, problem: `the activity is nested more than ${maxDepth} levels deep` };
  const { type, channelId, conversation, from, serviceUrl } = body as { type?: unknown; channelId?: unknown; conversation?: unknown; from?: unknown; serviceUrl?: unknown };
  if (typeof type !== 'string' || type.trim() === '') return { ok: false, problem: 'the activity has no "type"' };
  // Bot state is keyed by channel, conversation and sender: without them a turn can neither run nor clear its state.
  const id = idOf(conversation);
  if (!filled(channelId)) return { ok: false, problem: 'the activity has no "channelId"' };
  if (!filled(id)) return { ok: false, problem: 'the activity has no "conversation.id"' };
  if (!filled(idOf(from))) return { ok: false, problem: 'the activity has no "from.id"' };
  // The adapter reads it as a string before any turn starts.
  if (serviceUrl !== undefined && serviceUrl !== null && typeof serviceUrl !== 'string') return { ok: false, problem: 'the activity\'s "serviceUrl" is not a URL' };
  return { ok: true, conversationId: id };
}

/** Whether objects and arrays nest more than `limit` deep; without recursion, as the point is to refuse what would overflow. */
function deeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [item, depth] = next;
    if (typeof item !== 'object' || item === null) continue;
    if (depth > limit) return true;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return false;
}

function idOf(account: unknown): unknown {
  return typeof account === 'object' && account !== null ? (account as { id?: unknown }).id : undefined;
}

function filled(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}
