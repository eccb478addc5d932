import { MemoryStorage, TestAdapter, type Activity, type Storage } from 'botbuilder';
import { createApp, type App } from '../../bot/app.js';
import { loadConfig } from '../../bot/config.js';

/** A reply as a person would read it: its text, and every card's text and button titles flattened. */
export interface Reply {
  readonly activity: Partial<Activity>;
  readonly text: string;
  readonly cards: readonly unknown[];
  readonly buttons: readonly { readonly title: string; readonly data: unknown }[];
}

/** Builds the real app (composition root) on an in-memory store, with silent logs and a fixed clock. */
export async function testApp(env: Record<string, string> = {}, storage: Storage = new MemoryStorage()): Promise<App> {
  const config = loadConfig({ LOG_LEVEL: 'silent', PORT: '0', DATA_DIR: '/nonexistent-unused', ...env });
  return createApp(config, { storage, clock: { now: () => new Date('2026-11-21T09:30:00Z') } });
}

/** One user in one conversation with the bot, driven through botbuilder's TestAdapter. */
export class Chat {
  private readonly adapter: TestAdapter;
  private count = 0;

  constructor(
    app: App,
    private readonly options: { conversationType?: 'personal' | 'groupChat' | 'channel'; conversationId?: string; userId?: string } = {},
  ) {
    this.adapter = new TestAdapter((context) => app.handleTurn(context));
  }

  /** Sends typed text, or a card submission when given an object. */
  say(text: string): Promise<Reply[]> {
    return this.send({ type: 'message', text });
  }

  press(data: Record<string, unknown>): Promise<Reply[]> {
    return this.send({ type: 'message', value: data });
  }

  /** Presses the button with this title on the most recent reply that has one. */
  async pressButton(replies: readonly Reply[], title: string): Promise<Reply[]> {
    const button = [...replies].reverse().flatMap((r) => r.buttons).find((b) => b.title === title);
    if (!button) throw new Error(`no button "${title}" in: ${replies.flatMap((r) => r.buttons.map((b) => b.title)).join(', ')}`);
    return this.press(button.data as Record<string, unknown>);
  }

  async send(activity: Partial<Activity>): Promise<Reply[]> {
    const { conversationType = 'personal', conversationId = 'conv-1', userId = 'user-1' } = this.options;
    await this.adapter.processActivity({
      id: `act-${++this.count}`,
      channelId: 'msteams',
      serviceUrl: 'https://smba.example.invalid/',
      from: { id: userId, name: 'Test User', aadObjectId: `aad-${userId}` },
      recipient: { id: 'bot-1', name: 'Smartcard Assistant' },
      conversation: { id: conversationId, conversationType, isGroup: conversationType !== 'personal', name: '' },
      ...activity,
    });
    const replies: Reply[] = [];
    while (this.adapter.activeQueue.length > 0) replies.push(toReply(this.adapter.getNextReply()));
    return replies;
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
  const texts: string[] = activity.text ? [activity.text] : [];
  const buttons: { title: string; data: unknown }[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (typeof node !== 'object' || node === null) return;
    const n = node as Record<string, unknown>;
    if (typeof n['text'] === 'string') texts.push(n['text']);
    if (n['type'] === 'FactSet' && Array.isArray(n['facts'])) {
      for (const f of n['facts'] as { title?: string; value?: string }[]) texts.push(`${f.title ?? ''}: ${f.value ?? ''}`);
    }
    if (typeof n['type'] === 'string' && n['type'].startsWith('Action.') && typeof n['title'] === 'string') {
      buttons.push({ title: n['title'], data: n['data'] });
      texts.push(`[${n['title']}]`);
    }
    for (const [key, value] of Object.entries(n)) if (key !== 'facts' && key !== 'data') walk(value);
  };
  cards.forEach(walk);
  return { activity, text: texts.join('\n'), cards, buttons };
}
