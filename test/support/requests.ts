import { randomBytes } from 'node:crypto';
import type { Activity, ConversationReference } from 'botbuilder';
import { AesGcmCipher } from '../../bot/requests/fieldCipher.js';
import { memoryDesks, memoryRequests } from '../../bot/storage/lowdbRequests.js';
import type { Notifier } from '../../dialogs/ports.js';

/** One proactive send or update, as the recording notifier saw it. */
export interface Sent {
  readonly kind: 'send' | 'update';
  readonly conversationId: string;
  readonly activityId?: string | undefined;
  readonly activity: Partial<Activity>;
}

/** Stands in for the Bot Connector's proactive sends: records each one and hands out activity ids. */
export class RecordingNotifier implements Notifier {
  readonly sent: Sent[] = [];
  private count = 0;
  failing = false;

  send(reference: Partial<ConversationReference>, activity: Partial<Activity>): Promise<string | undefined> {
    // As the Bot Connector answers when it is down: a 503, which the send queue retries.
    if (this.failing) return Promise.reject(Object.assign(new Error('the Bot Connector is down'), { statusCode: 503 }));
    const activityId = `proactive-${++this.count}`;
    this.sent.push({ kind: 'send', conversationId: reference.conversation?.id ?? '', activityId, activity });
    return Promise.resolve(activityId);
  }

  update(reference: Partial<ConversationReference>, activityId: string, activity: Partial<Activity>): Promise<void> {
    this.sent.push({ kind: 'update', conversationId: reference.conversation?.id ?? '', activityId, activity });
    return Promise.resolve();
  }
}

/** In-memory requests (with a random key) and desks, and a recording notifier, for tests of the app. */
export function memoryRequestStores(): { requests: { store: ReturnType<typeof memoryRequests>; canSeal: boolean }; desks: ReturnType<typeof memoryDesks>; notifier: RecordingNotifier } {
  return {
    requests: { store: memoryRequests(new AesGcmCipher(randomBytes(32))), canSeal: true },
    desks: memoryDesks(),
    notifier: new RecordingNotifier(),
  };
}
