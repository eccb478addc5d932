import type { Activity, CloudAdapter, ConversationReference, TurnContext } from 'botbuilder';
import type { Notifier } from '../../dialogs/ports.js';

/** The retry policy @azure/core-rest-pipeline puts in every Bot Connector client: 3 retries of 429, 5xx and network errors. */
const sdkRetryPolicy = 'defaultRetryPolicy';

/** Proactive messages through the Bot Connector, as the bot's own app. */
export class CloudNotifier implements Notifier {
  constructor(
    private readonly adapter: CloudAdapter,
    private readonly appId: string,
    /**
     * `sdkRetries: false` sends each request once, so a caller that paces and retries by itself (the broadcaster) sees
     * every 429 and 5xx and counts every request. The SDK offers no option for it: its connector client ignores
     * `retryOptions`, so the policy is taken out of that send's own client (a test proves it on loopback HTTP).
     */
    private readonly options: { readonly sdkRetries?: boolean } = {},
  ) {}

  async send(reference: Partial<ConversationReference>, activity: Partial<Activity>): Promise<string | undefined> {
    let id: string | undefined;
    await this.continue(reference, async (context) => {
      id = (await context.sendActivity(activity))?.id;
    });
    return id;
  }

  async update(reference: Partial<ConversationReference>, activityId: string, activity: Partial<Activity>): Promise<void> {
    await this.continue(reference, async (context) => {
      await context.updateActivity({ ...activity, id: activityId });
    });
  }

  /**
   * The adapter hands an error thrown in a proactive turn to its turn-error handler (which would apologise into the
   * recipient's chat and clear their dialog) and resolves: the error is carried out here so the caller sees it.
   */
  private async continue(reference: Partial<ConversationReference>, logic: (context: TurnContext) => Promise<void>): Promise<void> {
    let failure: { readonly error: unknown } | undefined;
    await this.adapter.continueConversationAsync(this.appId, reference, async (context) => {
      try {
        if (this.options.sdkRetries === false) withoutSdkRetries(context.turnState.get(this.adapter.ConnectorClientKey));
        await logic(context);
      } catch (error) {
        failure = { error };
      }
    });
    if (failure) throw failure.error;
  }
}

/** Takes the retry policy out of one connector client's pipeline (the client is made afresh for each proactive turn). */
function withoutSdkRetries(connector: unknown): void {
  const pipeline = (connector as { client?: { pipeline?: { removePolicy?: (options: { name: string }) => unknown[] } } } | undefined)?.client?.pipeline;
  if (typeof pipeline?.removePolicy !== 'function') throw new Error('the Bot Connector client has changed shape: cannot turn off its own retries');
  pipeline.removePolicy({ name: sdkRetryPolicy });
}
