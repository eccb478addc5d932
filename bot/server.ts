import type { CloudAdapter, TurnContext } from 'botbuilder';
import restify from 'restify';
import type { Logger } from '../dialogs/ports.js';
import { KeyedQueue } from './keyedQueue.js';

/** Largest activity accepted; Teams' own limit for a message is far below this. */
export const maxBodyBytes = 256 * 1024;

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
  const { type, conversation } = body as { type?: unknown; conversation?: unknown };
  if (typeof type !== 'string' || type.trim() === '') return { ok: false, problem: 'the activity has no "type"' };
  const id = typeof conversation === 'object' && conversation !== null ? (conversation as { id?: unknown }).id : undefined;
  return { ok: true, conversationId: typeof id === 'string' ? id : '' };
}
