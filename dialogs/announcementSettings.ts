import { TurnContext, type Activity, type ConversationReference, type StatePropertyAccessor } from 'botbuilder';
import { renderAnnouncementSettingsCard } from '../cards/announcementSettingsCard.js';
import type { Submission } from '../cards/submission.js';
import type { RaRights } from '../knowledge/raRights.js';
import type { RaTeamDirectory } from '../knowledge/raTeams.js';
import { sendCard } from './cardReply.js';
import type { AudienceMember, AudienceRepository, AudienceRole, AudienceSighting } from './outreach.js';
import { turnLogger, type Clock, type Logger } from './ports.js';
import type { UserProfile } from './userProfile.js';

/** What keeping the audience and its settings needs. */
export interface AnnouncementSettingsDeps {
  readonly audience: AudienceRepository;
  readonly raTeams: RaTeamDirectory;
  readonly rights: RaRights;
  readonly profile: StatePropertyAccessor<UserProfile>;
  readonly clock: Clock;
  readonly logger: Logger;
}

export type AudienceSubmission = Extract<Submission, { verb: 'audience.set' }>;

const stillReaches = 'Messages about your own training bookings and requests, and your certificate renewal reminders, still reach you.';
const notSaved = "Sorry, I couldn't save that just now, so nothing has changed. Please try again in a minute.";

/**
 * Who the assistant can message proactively (the audience) and what they chose: announcements on or off, and the
 * roles some announcements are meant for. Every personal chat is captured after its turn; a capture that fails is
 * logged and never spoils the turn.
 */
export class AnnouncementSettings {
  constructor(private readonly deps: AnnouncementSettingsDeps) {}

  /**
   * Keeps the sender's personal chat and where they work, after the turn's dialog ran (so an organisation saved in
   * this turn counts). Only personal chats: a channel is not where one person's messages go. Never throws.
   */
  async capture(context: TurnContext): Promise<void> {
    if (!isPersonal(context.activity)) return;
    try {
      await this.deps.audience.capture(await this.sightingOf(context), this.deps.clock.now().toISOString());
    } catch (error) {
      // Without the error's details: a store error may quote the data it was writing.
      turnLogger(context, this.deps.logger).warn({ errorName: (error as Error).name }, 'could not keep the sender in the audience');
    }
  }

  /** Forgets the sender: the app was uninstalled or the bot removed from their personal chat. Never throws. */
  async removed(context: TurnContext): Promise<void> {
    if (!isPersonal(context.activity)) return;
    try {
      const known = await this.deps.audience.remove(context.activity.from.id);
      turnLogger(context, this.deps.logger).info({ known }, 'removed from the audience (uninstalled)');
    } catch (error) {
      turnLogger(context, this.deps.logger).warn({ errorName: (error as Error).name }, 'could not remove the sender from the audience');
    }
  }

  /**
   * "forget me": the roles they told go. A choice not to have announcements stays: it is a wish not to be contacted,
   * and forgetting it would start announcements again. Throws when it could not.
   */
  async forget(context: TurnContext): Promise<void> {
    await this.deps.audience.setRoles(context.activity.from.id, []);
  }

  /** "stop announcements". */
  async optOut(context: TurnContext): Promise<void> {
    const saved = await this.setOptedOut(context, true);
    if (saved === 'not-here') return;
    await context.sendActivity(
      saved
        ? `Done: I won't send you announcements (training dates and news from the RA teams). ${stillReaches} Say **start announcements** to have them again.`
        : notSaved,
    );
  }

  /** "start announcements". */
  async optIn(context: TurnContext): Promise<void> {
    const saved = await this.setOptedOut(context, false);
    if (saved === 'not-here') return;
    await context.sendActivity(
      saved
        ? "Done: you'll get announcements from the RA teams here, such as training dates. Say **stop announcements** at any time, or **announcement settings** to tell me if you're a Sponsor or RA agent."
        : notSaved,
    );
  }

  /** "announcement settings": the card with the current choices. */
  async show(context: TurnContext): Promise<void> {
    if (!(await this.known(context))) return;
    let member: AudienceMember | undefined;
    try {
      member = await this.deps.audience.get(context.activity.from.id);
    } catch (error) {
      turnLogger(context, this.deps.logger).error({ err: error }, 'could not read announcement settings');
      await context.sendActivity("Sorry, I can't read your announcement settings just now. Please try again in a minute.");
      return;
    }
    await sendCard(context, this.card(context, member));
  }

  /** Save on the settings card: saved first, confirmed after, and on failure what is really saved is shown again. */
  async onCard(context: TurnContext, submission: AudienceSubmission): Promise<void> {
    if (!(await this.known(context))) return;
    const userId = context.activity.from.id;
    const log = turnLogger(context, this.deps.logger);
    try {
      const member = await this.deps.audience.get(userId);
      if (!member) throw new Error('the member was not kept');
      // A toggle Teams left out keeps what was saved.
      const has = (role: AudienceRole) => member.roles.includes(role);
      const sponsor = submission.sponsor === undefined ? has('sponsor') : submission.sponsor === 'true';
      const raAgent = submission.raAgent === undefined ? has('ra-agent') : submission.raAgent === 'true';
      const optedOut = submission.announcements === undefined ? member.optedOut : submission.announcements === 'false';
      const roles: AudienceRole[] = [...(sponsor ? ['sponsor' as const] : []), ...(raAgent ? ['ra-agent' as const] : [])];
      if (!(await this.deps.audience.setRoles(userId, roles)) || !(await this.deps.audience.setOptedOut(userId, optedOut))) {
        throw new Error('the member was removed while saving');
      }
      const said = roles.length === 0 ? "You haven't told me you're a Sponsor or an RA agent." : `You've told me you're ${roles.map(roleName).join(' and ')}.`;
      await context.sendActivity(
        optedOut
          ? `Saved: no announcements. ${stillReaches} ${said}`
          : `Saved: you'll get announcements here. ${said} Say **announcement settings** to change this.`,
      );
    } catch (error) {
      log.error({ errorName: (error as Error).name }, 'could not save announcement settings');
      const now = await this.deps.audience.get(userId).catch(() => undefined);
      await sendCard(context, this.card(context, now, "Sorry, I couldn't save all of that just now. This is what is saved; please try Save again in a minute."));
    }
  }

  private card(context: TurnContext, member: AudienceMember | undefined, problem = ''): object {
    return renderAnnouncementSettingsCard({
      announcements: !(member?.optedOut ?? false),
      sponsor: member?.roles.includes('sponsor') ?? false,
      raAgent: member?.roles.includes('ra-agent') ?? false,
      raTeamMember: isRaTeamMember(this.deps.rights, context.activity.from.aadObjectId),
      problem,
    });
  }

  private async setOptedOut(context: TurnContext, optedOut: boolean): Promise<boolean | 'not-here'> {
    if (!(await this.known(context))) return 'not-here';
    try {
      return await this.deps.audience.setOptedOut(context.activity.from.id, optedOut);
    } catch (error) {
      turnLogger(context, this.deps.logger).error({ errorName: (error as Error).name }, 'could not save the announcements choice');
      return false;
    }
  }

  /**
   * Settings belong to someone's personal chat: outside it, says where to go (false). In it, makes sure they are
   * known first (a first message may be "unsubscribe"), since the capture of this turn comes after the dialog.
   */
  private async known(context: TurnContext): Promise<boolean> {
    if (!isPersonal(context.activity)) {
      await context.sendActivity('Announcements come to your personal chat with me: say that to me there.');
      return false;
    }
    await this.capture(context);
    return true;
  }

  private async sightingOf(context: TurnContext): Promise<AudienceSighting> {
    const { activity } = context;
    const profile = await this.deps.profile.get(context, {});
    const match = profile.workplace ? this.deps.raTeams.forWorkplace(profile.workplace.kind, profile.workplace.area) : undefined;
    return {
      userId: activity.from.id,
      aadObjectId: activity.from.aadObjectId,
      reference: sendingReference(TurnContext.getConversationReference(activity)),
      organisation: profile.organisation?.code,
      teamId: match?.kind === 'team' ? match.team.id : undefined,
    };
  }
}

/** Personal chats; an activity without a conversation type (some emulators) is treated as one, as the welcome does. */
export function isPersonal(activity: Partial<Pick<Activity, 'conversation'>>): boolean {
  const type = activity.conversation?.conversationType;
  return type === 'personal' || type === undefined;
}

/** Whether someone has RA-team rights (a team's member or an RA admin): they get Sponsor and RA agent announcements. */
export function isRaTeamMember(rights: RaRights, aadObjectId: string | undefined): boolean {
  return rights.teamsOf(aadObjectId).length > 0;
}

/**
 * What a proactive send needs of a reference, and nothing that changes per message (the activity id) or is personal
 * beyond the ids (the user's name), so an unchanged chat compares equal and is not written again.
 */
export function sendingReference(reference: Partial<ConversationReference>): Partial<ConversationReference> {
  const { conversation, bot, user } = reference;
  return {
    channelId: reference.channelId,
    serviceUrl: reference.serviceUrl,
    ...(reference.locale ? { locale: reference.locale } : {}),
    ...(conversation
      ? {
          conversation: {
            id: conversation.id,
            conversationType: conversation.conversationType,
            isGroup: conversation.isGroup,
            name: '',
            ...(conversation.tenantId ? { tenantId: conversation.tenantId } : {}),
          },
        }
      : {}),
    ...(bot ? { bot: { id: bot.id, name: bot.name } } : {}),
    ...(user ? { user: { id: user.id, name: '', ...(user.aadObjectId ? { aadObjectId: user.aadObjectId } : {}) } } : {}),
  };
}

function roleName(role: AudienceRole): string {
  return role === 'sponsor' ? 'a Sponsor' : 'an RA agent';
}
