import { expect } from 'chai';
import { MemoryStorage, type Activity } from 'botbuilder';
import { createApp, type App, type AppOverrides } from '../../bot/app.js';
import { loadConfig } from '../../bot/config.js';
import { memoryDirectory } from '../../bot/storage/lowdbDirectory.js';
import { cardToText } from '../../cards/flatten.js';
import { memoryQuestionLog, testNow, type Reply } from '../support/chat.js';
import { FakeClock } from '../support/clocks.js';
import { activity, post } from '../support/http.js';
import { memoryRequestStores } from '../support/requests.js';

/**
 * The real app over HTTP, on in-memory stores unless given: a failed turn reaches the app's own turn-error handler, as
 * it does in Teams (in-process test adapters have their own).
 */
export async function serve(env: Record<string, string>, overrides: AppOverrides): Promise<{ app: App; url: string }> {
  const config = loadConfig({ LOG_LEVEL: 'silent', PORT: '0', DATA_DIR: '/nonexistent-unused', BROADCAST_RATE: '1000', ...env });
  const app = await createApp(config, {
    storage: new MemoryStorage(),
    questionLog: memoryQuestionLog(),
    clock: new FakeClock(testNow),
    directory: memoryDirectory(),
    ...memoryRequestStores(),
    inMemory: true,
    ...overrides,
  });
  return { app, url: await app.start() };
}

/** Someone talking to the bot (in their personal chat unless told), over HTTP; replies come back in the response (expectReplies). */
export class Person {
  constructor(
    private readonly url: string,
    readonly userId: string,
    readonly name: string,
    readonly aadObjectId = `aad-${userId}`,
    readonly conversationId = `personal-${userId}`,
    readonly conversationType: 'personal' | 'channel' = 'personal',
  ) {}

  /** Sent with every activity (a `serviceUrl`, say). */
  extra: Partial<Activity> = {};

  say(text: string): Promise<Reply[]> {
    return this.send({ type: 'message', text });
  }

  async pressButton(replies: readonly Reply[], title: string, extra: Record<string, unknown> = {}): Promise<Reply[]> {
    const button = [...replies].reverse().flatMap((r) => r.buttons).find((b) => b.title === title);
    if (!button) throw new Error(`no button "${title}" in: ${replies.flatMap((r) => r.buttons.map((b) => b.title)).join(', ')}`);
    return this.send({ type: 'message', value: { ...(button.data as Record<string, unknown>), ...extra } });
  }

  async send(partial: Partial<Activity>): Promise<Reply[]> {
    const { status, body } = await post(
      this.url,
      activity({
        from: { id: this.userId, name: this.name, aadObjectId: this.aadObjectId },
        conversation: { id: this.conversationId, conversationType: this.conversationType, isGroup: this.conversationType !== 'personal', name: '' },
        ...this.extra,
        ...partial,
      }),
    );
    expect(status).to.equal(200);
    return ((body as { activities?: Partial<Activity>[] } | undefined)?.activities ?? []).map(toReply);
  }
}

function toReply(sent: Partial<Activity>): Reply {
  const cards = (sent.attachments ?? []).filter((a) => a.contentType === 'application/vnd.microsoft.card.adaptive').map((a) => a.content as unknown);
  const flat = cards.map(cardToText);
  const text = [sent.text ?? '', ...flat.map((f) => f.text)].filter((t) => t !== '').join('\n');
  return { activity: sent, text, cards, buttons: flat.flatMap((f) => f.buttons) };
}

