import { MemoryStorage, type Activity, type Storage } from 'botbuilder';
import { LocalConversation } from '../../bot/localConversation.js';
import type { TurnOutcome } from '../../dialogs/outcome.js';
import { createApp, type App, type AppOverrides } from '../../bot/app.js';
import { memoryDirectory } from '../../bot/storage/lowdbDirectory.js';
import { memoryRequestStores } from './requests.js';
import { loadConfig } from '../../bot/config.js';
import { LowdbQuestionLog } from '../../bot/storage/lowdbQuestionLog.js';
import { cardToText } from '../../cards/flatten.js';

/** A reply as a person would read it: its text, and every card's text and button titles flattened. */
export interface Reply {
  readonly activity: Partial<Activity>;
  readonly text: string;
  readonly cards: readonly unknown[];
  readonly buttons: readonly { readonly title: string; readonly data: unknown }[];
}

export const testNow = new Date('2026-11-21T09:30:00Z');

/** A question log on lowdb's in-memory adapter. */
export function memoryQuestionLog(): LowdbQuestionLog {
  return LowdbQuestionLog.inMemory(180, () => testNow);
}

/** Builds the real app (composition root) on in-memory stores, with silent logs and a fixed clock. */
export async function testApp(
  env: Record<string, string> = {},
  storage: Storage = new MemoryStorage(),
  questionLog: LowdbQuestionLog = memoryQuestionLog(),
  overrides: AppOverrides = {},
): Promise<App> {
  // Broadcasts go at the highest rate allowed, so tests that wait for them (`app.broadcasts.drain()`) do not wait on pacing.
  const config = loadConfig({ LOG_LEVEL: 'silent', PORT: '0', DATA_DIR: '/nonexistent-unused', BROADCAST_RATE: '1000', ...env });
  return createApp(config, { storage, questionLog, clock: { now: () => testNow }, directory: memoryDirectory(), ...memoryRequestStores(), inMemory: true, ...overrides });
}

/** One user in one conversation with the bot, driven through the same in-process adapter as the command line. */
export class Chat {
  private readonly conversation: LocalConversation;
  /** The decision the bot recorded on the last turn, when it answered or declined a question. */
  lastOutcome: TurnOutcome | undefined;

  constructor(app: App, who: ConstructorParameters<typeof LocalConversation>[1] = {}) {
    this.conversation = new LocalConversation((context) => app.handleTurn(context), {
      conversationId: 'conv-1',
      userId: 'user-1',
      ...who,
    });
  }

  say(text: string): Promise<Reply[]> {
    return this.send({ type: 'message', text });
  }

  press(data: Record<string, unknown>): Promise<Reply[]> {
    return this.send({ type: 'message', value: data });
  }

  /** Presses the button with this title on the most recent reply that has one. */
  async pressButton(replies: readonly Reply[], title: string, extra: Record<string, unknown> = {}): Promise<Reply[]> {
    const button = [...replies].reverse().flatMap((r) => r.buttons).find((b) => b.title === title);
    if (!button) throw new Error(`no button "${title}" in: ${replies.flatMap((r) => r.buttons.map((b) => b.title)).join(', ')}`);
    return this.press({ ...(button.data as Record<string, unknown>), ...extra });
  }

  async send(activity: Partial<Activity>): Promise<Reply[]> {
    const { replies, outcome } = await this.conversation.send(activity);
    this.lastOutcome = outcome;
    return replies.map(toReply);
  }
}

/** Flattens replies into the text a person would read. */
export function readAll(replies: readonly Reply[]): string {
  return replies.map((r) => r.text).join('\n');
}

/** Every card in these replies. */
export function cardsOf(replies: readonly Reply[]): unknown[] {
  return replies.flatMap((r) => r.cards);
}

function toReply(activity: Partial<Activity>): Reply {
  const cards = (activity.attachments ?? []).filter((a) => a.contentType === 'application/vnd.microsoft.card.adaptive').map((a) => a.content as unknown);
  const flat = cards.map(cardToText);
  const text = [activity.text ?? '', ...flat.map((f) => f.text)].filter((t) => t !== '').join('\n');
  return { activity, text, cards, buttons: flat.flatMap((f) => f.buttons) };
}
