import type { Activity, CloudAdapter, ConversationReference } from 'botbuilder';
import type { Notifier } from '../../dialogs/ports.js';

/** Proactive messages through the Bot Connector, as the bot's own app. */
export class CloudNotifier implements Notifier {
  constructor(
    private readonly adapter: CloudAdapter,
    private readonly appId: string,
  ) {}

  async send(reference: Partial<ConversationReference>, activity: Partial<Activity>): Promise<string | undefined> {
    let id: string | undefined;
    await this.adapter.continueConversationAsync(this.appId, reference, async (context) => {
      id = (await context.sendActivity(activity))?.id;
    });
    return id;
  }

  async update(reference: Partial<ConversationReference>, activityId: string, activity: Partial<Activity>): Promise<void> {
    await this.adapter.continueConversationAsync(this.appId, reference, async (context) => {
      await context.updateActivity({ ...activity, id: activityId });
    });
  }
}
