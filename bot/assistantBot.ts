import {
  ActivityTypes,
  CardFactory,
  type Activity,
  TeamsActivityHandler,
  type FileConsentCardResponse,
  type MessagingExtensionQuery,
  type MessagingExtensionResponse,
  TurnContext,
  type ConversationState,
  type StatePropertyAccessor,
  type UserState,
} from 'botbuilder';
import type { DialogState } from 'botbuilder-dialogs';
import type { MainDialog } from '../dialogs/mainDialog.js';
import type { AnnouncementSettings } from '../dialogs/announcementSettings.js';
import type { Training } from '../dialogs/training.js';
import { turnLogger, type Logger } from '../dialogs/ports.js';

/** What the activity handler needs from the composition root. */
export interface AssistantBotDeps {
  readonly conversationState: ConversationState;
  readonly userState: UserState;
  readonly dialogState: StatePropertyAccessor<DialogState>;
  readonly main: MainDialog;
  readonly logger: Logger;
  /** Keeps who can be messaged: every personal chat after its turn, forgotten on uninstall. Never throws. */
  readonly audience?: Pick<AnnouncementSettings, 'capture' | 'removed'>;
  /** Answers Teams' file consent cards (the attendee list export). */
  readonly fileConsent?: Pick<Training, 'fileConsentAccept' | 'fileConsentDecline'> | undefined;
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
      // After the dialog, so an organisation saved in this turn is captured with it.
      await deps.audience?.capture(context);
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
      await deps.audience?.capture(context);
      await next();
    });

    this.onInstallationUpdateRemove(async (context, next) => {
      await deps.audience?.removed(context);
      await next();
    });

    this.onMembersRemoved(async (context, next) => {
      if ((context.activity.membersRemoved ?? []).some((m) => m.id === context.activity.recipient.id)) await deps.audience?.removed(context);
      await next();
    });
  }

  /** The user agreed to receive a file the assistant offered (an attendee list): upload it and show it. */
  protected override async handleTeamsFileConsentAccept(context: TurnContext, response: FileConsentCardResponse): Promise<void> {
    if (this.deps.fileConsent) await this.deps.fileConsent.fileConsentAccept(context, response);
    else await context.sendActivity('That file is no longer available, so nothing was uploaded.');
  }

  protected override async handleTeamsFileConsentDecline(context: TurnContext, response: FileConsentCardResponse): Promise<void> {
    if (this.deps.fileConsent) await this.deps.fileConsent.fileConsentDecline(context, response);
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

  /**
   * The turn's messages go out only once its state is saved, so "Thanks, I'll remember where you work" is never seen
   * when saving it then fails: they are dropped, and the turn-error handler apologises instead.
   */
  override async run(context: TurnContext): Promise<void> {
    const held: Partial<Activity>[] = [];
    let holding = true;
    context.onSendActivities(async (_context, activities, next) => {
      if (!holding || activities.some((a) => a.type !== ActivityTypes.Message)) return next();
      held.push(...activities);
      context.responded = true;
      return activities.map(() => ({ id: '' }));
    });
    try {
      await super.run(context);
      await this.deps.conversationState.saveChanges(context);
      await this.deps.userState.saveChanges(context);
    } finally {
      holding = false;
    }
    if (held.length > 0) await context.sendActivities(held);
  }

  private async welcomeOnce(context: TurnContext): Promise<void> {
    if (await this.welcomed.get(context, false)) return;
    const type = context.activity.conversation?.conversationType;
    await context.sendActivity(this.deps.main.welcome(type === 'channel' || type === 'groupChat'));
    await this.welcomed.set(context, true);
    turnLogger(context, this.deps.logger).info({ conversationType: type ?? 'unknown' }, 'welcomed a new conversation');
  }
}
