import os from 'node:os';
import path from 'node:path';
import { MemoryStorage, type Activity, type Storage } from 'botbuilder';
import { createApp, type App } from '../../bot/app.js';
import { loadConfig } from '../../bot/config.js';
import { memoryDirectory } from '../../bot/storage/lowdbDirectory.js';
import { memoryRequestStores } from './requests.js';
import type { Logger } from '../../dialogs/ports.js';
import { memoryQuestionLog } from './chat.js';

/** The real app listening on a free loopback port, on in-memory stores unless told otherwise. */
export async function started(env: Record<string, string> = {}, storage?: Storage, logger?: Logger): Promise<{ app: App; url: string }> {
  const config = loadConfig({ LOG_LEVEL: 'silent', PORT: '0', DATA_DIR: path.join(os.tmpdir(), 'unused'), ...env });
  const app = await createApp(config, {
    questionLog: memoryQuestionLog(),
    ...(storage ? { storage } : {}),
    ...(logger ? { logger } : {}),
    // The directory lives in DATA_DIR only when a test names one.
    ...(env['DATA_DIR'] ? {} : { directory: memoryDirectory(), ...memoryRequestStores(), inMemory: true }),
  });
  return { app, url: await app.start() };
}

/** Starts the real app (in-memory stores) before a suite and stops it after; read `url` inside the tests. */
export function appForSuite(): { readonly url: string } {
  const handle = { url: '', app: undefined as App | undefined };
  before(async () => {
    const { app, url } = await started({}, new MemoryStorage());
    handle.app = app;
    handle.url = url;
  });
  after(async () => {
    await handle.app?.stop();
  });
  return handle;
}

/** A Teams-shaped activity that asks for its replies in the HTTP response body. */
export function activity(overrides: Partial<Activity> & Record<string, unknown>): Record<string, unknown> {
  return {
    id: `act-${Math.random().toString(36).slice(2)}`,
    channelId: 'msteams',
    serviceUrl: 'http://127.0.0.1:9/',
    deliveryMode: 'expectReplies',
    from: { id: 'user-1', name: 'Test User' },
    recipient: { id: 'bot-1', name: 'Smartcard Assistant' },
    conversation: { id: 'http-conv-1', conversationType: 'personal' },
    ...overrides,
  };
}

/** POSTs to /api/messages; resolves with the status and the parsed body (or raw text). */
export async function post(baseUrl: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${baseUrl}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    // Not JSON: keep the text.
  }
  return { status: response.status, body: parsed };
}

/** The text of every reply in an expectReplies response, with card text flattened. */
export function replyText(body: unknown): string {
  const activities = (body as { activities?: unknown[] } | undefined)?.activities ?? [];
  return JSON.stringify(activities);
}
