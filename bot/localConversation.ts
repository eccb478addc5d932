import { TestAdapter, type Activity, type TurnContext } from 'botbuilder';
import { readOutcome, type TurnOutcome } from '../dialogs/outcome.js';

/** What one turn produced: every activity the bot sent, and its decision when it answered a question. */
export interface TurnRecord {
  readonly replies: readonly Partial<Activity>[];
  readonly outcome: TurnOutcome | undefined;
}

/**
 * One user in one conversation with the bot, in process, through botbuilder's TestAdapter: the command line
 * and the tests talk to the real bot this way without HTTP.
 */
export class LocalConversation {
  private readonly adapter: TestAdapter;
  private outcome: TurnOutcome | undefined;
  private count = 0;

  constructor(
    handleTurn: (context: TurnContext) => Promise<void>,
    private readonly who: {
      conversationType?: 'personal' | 'groupChat' | 'channel';
      conversationId?: string;
      userId?: string;
      /** The sender's Entra ID (AAD) object id; defaults to `aad-<userId>`, which is never a GUID. */
      aadObjectId?: string;
    } = {},
  ) {
    this.adapter = new TestAdapter(async (context) => {
      await handleTurn(context);
      this.outcome = readOutcome(context);
    });
  }

  async send(activity: Partial<Activity>): Promise<TurnRecord> {
    const { conversationType = 'personal', conversationId = 'local-conversation', userId = 'local-user', aadObjectId = `aad-${userId}` } = this.who;
    this.outcome = undefined;
    await this.adapter.processActivity({
      id: `act-${++this.count}`,
      channelId: 'msteams',
      serviceUrl: 'https://smba.example.invalid/',
      from: { id: userId, name: 'Local User', aadObjectId },
      recipient: { id: 'bot-1', name: 'Smartcard Assistant' },
      conversation: { id: conversationId, conversationType, isGroup: conversationType !== 'personal', name: '' },
      ...activity,
    });
    const replies: Partial<Activity>[] = [];
    while (this.adapter.activeQueue.length > 0) replies.push(this.adapter.getNextReply());
    return { replies, outcome: this.outcome };
  }
}
