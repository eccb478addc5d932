import {
  CardFactory,
  TeamsActivityHandler,
  type MessagingExtensionQuery,
  type MessagingExtensionResponse,
  TurnContext,
  type ConversationState,
  type StatePropertyAccessor,
  type UserState,
} from 'botbuilder';
import type { DialogState } from 'botbuilder-dialogs';
import type { MainDialog } from '../dialogs/mainDialog.js';
import { turnLogger, type Logger } from '../dialogs/ports.js';

/** What the activity handler needs from the composition root. */
export interface AssistantBotDeps {
  readonly conversationState: ConversationState;
  readonly userState: UserState;
  readonly dialogState: StatePropertyAccessor<DialogState>;
  readonly main: MainDialog;
  readonly logger: Logger;
}

/** Teams activity handler: welcome once per conversation, messages and card submits to the main dialog, state saved each turn. */
export class AssistantBot extends TeamsActivityHandler {
  private readonly welcomed: StatePropertyAccessor<boolean>;

  constructor(private readonly deps: AssistantBotDeps) {
    super();
    this.welcomed = deps.conversationState.createProperty<boolean>('welcomed');

    this.onMessage(async (context, next) => {
      // In channels and group chats the text starts with "<at>Smartcard Assistant</at>"; the dialogs want the words.
      if (context.activity.conversation?.conversationType !== 'personal' && context.activity.text) {
        TurnContext.removeRecipientMention(context.activity);
      }
      await deps.main.run(context, deps.dialogState);
      await next();
    });

    this.onMembersAdded(async (context, next) => {
      const { membersAdded = [], recipient, conversation } = context.activity;
      const botAdded = membersAdded.some((m) => m.id === recipient.id);
      const personal = conversation?.conversationType === 'personal' || conversation?.conversationType === undefined;
      if (botAdded || (personal && membersAdded.length > 0)) await this.welcomeOnce(context);
      await next();
    });

    this.onInstallationUpdateAdd(async (context, next) => {
      await this.welcomeOnce(context);
      await next();
    });
  }

  /** The compose-box search: finds articles from any chat and inserts the chosen answer card. */
  protected override async handleTeamsMessagingExtensionQuery(
    context: TurnContext,
    query: MessagingExtensionQuery,
  ): Promise<MessagingExtensionResponse> {
    const text = query.parameters?.find((p) => p.name === 'query')?.value;
    const results = await this.deps.main.composeResults(context, typeof text === 'string' ? text.slice(0, 200) : '');
    return {
      composeExtension: {
        type: 'result',
        attachmentLayout: 'list',
        attachments: results.map((r) => ({ ...CardFactory.adaptiveCard(r.card), preview: CardFactory.thumbnailCard(r.title, r.snippet) })),
      },
    };
  }

  override async run(context: TurnContext): Promise<void> {
    await super.run(context);
    await this.deps.conversationState.saveChanges(context);
    await this.deps.userState.saveChanges(context);
  }

  private async welcomeOnce(context: TurnContext): Promise<void> {
    if (await this.welcomed.get(context, false)) return;
    const type = context.activity.conversation?.conversationType;
    await context.sendActivity(this.deps.main.welcome(type === 'channel' || type === 'groupChat'));
    await this.welcomed.set(context, true);
    turnLogger(context, this.deps.logger).info({ conversationType: type ?? 'unknown' }, 'welcomed a new conversation');
  }
}
