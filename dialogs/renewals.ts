import type { StatePropertyAccessor, TurnContext } from 'botbuilder';
import { Dialog, WaterfallDialog, type WaterfallStepContext } from 'botbuilder-dialogs';
import { DateTime } from 'luxon';
import { renderAnswerCard } from '../cards/answerCards.js';
import { renderRenewalFormCard, renderRenewalReminderCard } from '../cards/renewalCards.js';
import type { AdaptiveCardJson } from '../cards/render.js';
import type { Submission } from '../cards/submission.js';
import type { AnswerContext, AnswerRenderer } from '../knowledge/answers.js';
import type { Article } from '../knowledge/articles.js';
import { areas, workplaceKinds, type Area, type WorkplaceKind } from '../knowledge/workplace.js';
import { isPersonal } from './announcementSettings.js';
import { articleAnswer } from './articleCard.js';
import { cardActivity, sendCard } from './cardReply.js';
import type { AudienceRepository, Broadcasts, ScheduledJob, ScheduleRepository } from './outreach.js';
import { turnLogger, type Clock, type Logger } from './ports.js';
import type { FlowResult } from './treeDialog.js';
import type { UserProfile } from './userProfile.js';

/** What renewal reminders need from the composition root. */
export interface RenewalsDeps {
  readonly schedule: ScheduleRepository;
  readonly audience: AudienceRepository;
  readonly broadcasts: Broadcasts;
  /** Knowledge-base articles by id: the reminders quote the renewal and expiry answers rather than retyping them. */
  readonly article: (id: string) => Article | undefined;
  readonly answers: AnswerRenderer;
  readonly profile: StatePropertyAccessor<UserProfile>;
  readonly clock: Clock;
  readonly logger: Logger;
}

export type RenewalSubmission = Extract<Submission, { verb: 'renewal.save' | 'renewal.stop' }>;

const zone = 'Europe/London';
/** Reminders go out at 09:00 UK time, GMT or BST as it is that day. */
const reminderHour = 9;

/** When each reminder goes, in days from the expiry date: 90, 30 and 7 before (the self-renewal window), and the day after. */
export const renewalStages = [
  { id: '90', days: -90 },
  { id: '30', days: -30 },
  { id: '7', days: -7 },
  { id: 'expired', days: 1 },
] as const;
export type RenewalStage = (typeof renewalStages)[number]['id'];

/** Certificates last up to three years (NHS England, 2025; older pages say two): a month's margin beyond that. */
const furthest = { years: 3, months: 1 } as const;

const renewArticle = 'certificate-renewal';
const expiredArticle = 'expired-certificates';
const lifetimeArticle = 'certificate-lifetime';

/** A date in someone's words, read in UK order (day before month). */
export type ReadDate =
  | { readonly kind: 'date'; readonly date: string }
  | { readonly kind: 'invalid'; readonly problem: string }
  | { readonly kind: 'none' };

const monthName = '(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\\.?';
const datePatterns: readonly { readonly pattern: RegExp; readonly read: (m: RegExpExecArray) => { text: string; format: string } }[] = [
  { pattern: /\b(\d{4})-(\d{1,2})-(\d{1,2})\b/, read: (m) => ({ text: `${m[1]}-${m[2]}-${m[3]}`, format: 'yyyy-M-d' }) },
  // Not inside a longer run of numbers and dots, such as a version number (2.4.10.0).
  { pattern: /(?<![\d.])(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?![.\d])/, read: (m) => ({ text: `${m[1]}/${m[3]}/${m[4]}`, format: (m[4] ?? '').length === 4 ? 'd/M/yyyy' : 'd/M/yy' }) },
  {
    pattern: new RegExp(`\\b(\\d{1,2})(?:st|nd|rd|th)?\\s+(?:of\\s+)?${monthName},?\\s+(\\d{4})\\b`, 'i'),
    read: (m) => ({ text: `${m[1]} ${shortMonth(m[2])} ${m[3]}`, format: 'd MMM yyyy' }),
  },
  {
    pattern: new RegExp(`\\b${monthName}\\s+(\\d{1,2})(?:st|nd|rd|th)?,?\\s+(\\d{4})\\b`, 'i'),
    read: (m) => ({ text: `${m[2]} ${shortMonth(m[1])} ${m[3]}`, format: 'd MMM yyyy' }),
  },
];
const withoutYear = new RegExp(`\\b\\d{1,2}(?:st|nd|rd|th)?\\s+(?:of\\s+)?${monthName}(?!\\w)|(?<![\\d./])\\d{1,2}/\\d{1,2}(?![/\\d])`, 'i');

/** The first date in a message: "15 January 2027", "15th Jan 2027", "January 15, 2027", "15/01/2027", "15/1/27", "2027-01-15". */
export function readDate(text: string): ReadDate {
  for (const { pattern, read } of datePatterns) {
    const match = pattern.exec(text);
    if (!match) continue;
    const { text: found, format } = read(match);
    // en-US for the month names: en-GB abbreviates September as "Sept".
    const date = DateTime.fromFormat(found, format, { zone, locale: 'en-US' });
    if (!date.isValid) return { kind: 'invalid', problem: `${match[0].trim()} isn't a date: check the day and month (I read dates day first, like 15/01/2027).` };
    return { kind: 'date', date: date.toISODate() ?? '' };
  }
  if (withoutYear.test(text)) return { kind: 'invalid', problem: 'Please give the year too, for example 15 January 2027.' };
  return { kind: 'none' };
}

/**
 * A message that states when the person's certificates expire ("my certificates expire on 15 January 2027", "my card
 * expires 15/01/27"): it names certificates or the card, an expiry, and a date (possibly a wrong one, to be explained).
 */
export function statesExpiry(text: string): boolean {
  return (
    /\b(certs?|certificates?|smart ?cards?|cards?)\b/i.test(text) &&
    /\b(expire[sd]?|expiring|expiry|run(s)? out|ran out|renewal date)\b/i.test(text) &&
    readDate(text).kind !== 'none'
  );
}

/** The date, with the time each reminder goes, as saved. */
interface Planned {
  readonly stage: RenewalStage;
  readonly dueAt: string;
}

/**
 * Certificate renewal reminders: the person says when their certificates expire, and is messaged 90, 30 and 7 days
 * before with the self-renewal steps, and the day after with what to do once they have expired. The reminders are
 * scheduled jobs (`renewal:<user id>:<expiry date>:<stage>`), so they survive restarts; each is sent as a
 * one-person broadcast with id `job:<job id>`, so a job run twice after a crash sends once.
 */
export class Renewals {
  constructor(private readonly deps: RenewalsDeps) {}

  /** "remind me to renew my certificates": the date card, with the reminders already set. */
  async ask(context: TurnContext, problem = ''): Promise<void> {
    if (!(await this.inPersonalChat(context))) return;
    const waiting = await this.waitingFor(context.activity.from.id);
    const expiresOn = waiting[0]?.payload['expiresOn'] ?? '';
    const lifetime = this.deps.article(lifetimeArticle);
    const today = this.today();
    await sendCard(
      context,
      renderRenewalFormCard({
        whereToFind: 'You can see the date in Care Identity Management: it is in your own profile there.',
        sourceLine: lifetime ? this.deps.answers.sourceLine(lifetime) : '',
        current: expiresOn ? `Reminders are set for certificates expiring on ${longDay(expiresOn)}: ${this.listDates(waiting.map(plannedOf))}.` : '',
        expiresOn,
        min: today.minus({ years: 1 }).toISODate() ?? '',
        max: today.plus(furthest).toISODate() ?? '',
        problem,
      }),
    );
  }

  /** A card's Remind me or Stop button. */
  async onCard(context: TurnContext, submission: RenewalSubmission): Promise<void> {
    if (submission.verb === 'renewal.stop') return this.stop(context);
    const said = submission.expiresOn?.trim() ?? '';
    if (said === '') return this.ask(context, 'Choose the date your certificates expire, then press Remind me.');
    return this.save(context, readDate(said), true);
  }

  /** A typed message stating the expiry date. */
  async saveTyped(context: TurnContext, text: string): Promise<void> {
    return this.save(context, readDate(text), false);
  }

  /** "stop renewal reminders": cancels every waiting reminder for this person. */
  async stop(context: TurnContext): Promise<void> {
    let cancelled: number;
    try {
      cancelled = await this.cancelAll(context.activity.from.id);
    } catch (error) {
      turnLogger(context, this.deps.logger).error({ errorName: (error as Error).name }, 'could not cancel renewal reminders');
      await context.sendActivity("Sorry, I couldn't cancel your renewal reminders just now. Please try again in a minute.");
      return;
    }
    await context.sendActivity(
      cancelled === 0
        ? "You have no certificate renewal reminders set. Say **remind me to renew my certificates** to set some."
        : `Done: I've cancelled your certificate renewal reminders (${cancelled}). Say **remind me to renew my certificates** if you want them again.`,
    );
  }

  /** For "forget me": cancels every waiting reminder; how many. Throws when it could not. */
  cancelAll(userId: string): Promise<number> {
    return this.deps.schedule.cancelWaiting(`renewal:${userId}:`, this.deps.clock.now().toISOString());
  }

  /**
   * The handler of `renewal-reminder` jobs: one message to the person, through the broadcaster, to the chat they last
   * wrote from. Someone no longer in the audience (uninstalled, or Teams says gone) gets nothing. Announcement opt-outs
   * do not apply: they asked for this themselves.
   */
  async remind(job: ScheduledJob): Promise<void> {
    const { userId, expiresOn } = job.payload;
    if (!userId || !expiresOn || !DateTime.fromISO(expiresOn, { zone }).isValid) {
      this.deps.logger.warn({ jobKind: job.kind }, 'a renewal reminder job has no person or date; nothing sent');
      return;
    }
    const member = await this.deps.audience.get(userId);
    if (!member) {
      this.deps.logger.info({ jobKind: job.kind }, 'renewal reminder not sent: the person is no longer reachable');
      return;
    }
    const { card, heading } = this.reminderCard(expiresOn, answerContextOf(job.payload));
    await this.deps.broadcasts.queue({
      id: `job:${job.id}`,
      title: 'Certificate renewal reminder',
      // The summary is what the Teams notification shows.
      activity: { ...cardActivity(card), summary: heading },
      recipients: [{ userId, reference: member.reference }],
    });
  }

  /** Jobs of one person's one expiry date are one reminder at different times: only the latest overdue one is sent. */
  static latestOnly(job: ScheduledJob): string {
    return `${job.payload['userId'] ?? job.id}\u0000${job.payload['expiresOn'] ?? ''}`;
  }

  /** The reminder as it reads when sent: days left counted on the day it goes (it may go late), or expired. */
  reminderCard(expiresOn: string, answerContext: AnswerContext): { readonly card: AdaptiveCardJson; readonly heading: string } {
    const left = Math.round(DateTime.fromISO(expiresOn, { zone }).diff(this.today(), 'days').days);
    const expired = left < 0;
    const article = this.deps.article(expired ? expiredArticle : renewArticle);
    const rendered = article ? this.deps.answers.render(article, answerContext) : undefined;
    const day = longDay(expiresOn);
    const heading = expired
      ? 'Your smartcard certificates have expired'
      : left === 0
        ? 'Your smartcard certificates expire today'
        : `Your smartcard certificates expire in ${left} ${left === 1 ? 'day' : 'days'}`;
    const intro = expired
      ? `You told me they expire on ${day}. If you renewed them in time, tell me the new date and ignore this.`
      : `You told me they expire on ${day}. You can renew them yourself until then${left <= 90 ? ', starting now' : ''}: it takes a few minutes.`;
    const card = renderRenewalReminderCard({
      heading,
      expired,
      intro,
      title: article?.title ?? '',
      answer: rendered?.text ?? '',
      regional: rendered?.regional ?? [],
      sourceLine: rendered?.sourceLine ?? '',
      after: "Once you've renewed, press \"I've renewed: new date\" and I'll remind you before the new date.",
    });
    return { card, heading };
  }

  private async save(context: TurnContext, read: ReadDate, fromCard: boolean): Promise<void> {
    if (!(await this.inPersonalChat(context))) return;
    const refuse = (problem: string) => (fromCard ? this.ask(context, problem) : context.sendActivity(problem).then(() => undefined));
    if (read.kind === 'none') return refuse('I need the date your certificates expire, for example 15 January 2027 or 15/01/2027.');
    if (read.kind === 'invalid') return refuse(read.problem);
    const expiry = DateTime.fromISO(read.date, { zone });
    const today = this.today();
    if (expiry > today.plus(furthest)) {
      return refuse(
        `${longDay(read.date)} is more than three years away, and smartcard certificates last three years at most. Please check the date in Care Identity Management.`,
      );
    }
    if (expiry < today) {
      await context.sendActivity(`${longDay(read.date)} has passed, so your certificates have already expired: there's nothing left to remind you of, and you can't renew them yourself now. This is what to do:`);
      await this.sendArticle(context, expiredArticle);
      return;
    }
    const userId = context.activity.from.id;
    const now = this.deps.clock.now();
    const planned = renewalStages.map((s) => ({ stage: s.id, dueAt: dueAt(read.date, s.days) }));
    const ahead = planned.filter((p) => Date.parse(p.dueAt) > now.getTime());
    const passed = planned.filter((p) => Date.parse(p.dueAt) <= now.getTime());
    const profile = await this.deps.profile.get(context, {});
    try {
      for (const p of ahead) {
        await this.deps.schedule.put({
          id: `renewal:${userId}:${read.date}:${p.stage}`,
          kind: 'renewal-reminder',
          dueAt: p.dueAt,
          payload: {
            userId,
            expiresOn: read.date,
            stage: p.stage,
            // Where they work when they asked, so the reminder names their own RA team.
            ...(profile.workplace ? { workplaceKind: profile.workplace.kind, area: profile.workplace.area } : {}),
          },
        });
      }
      // Reminders for an earlier date are replaced by these.
      for (const earlier of await this.waitingFor(userId)) {
        if (earlier.payload['expiresOn'] !== read.date) await this.deps.schedule.finish(earlier.id, 'cancelled', now.toISOString());
      }
    } catch (error) {
      turnLogger(context, this.deps.logger).error({ errorName: (error as Error).name }, 'could not save renewal reminders');
      await context.sendActivity("Sorry, I couldn't save your reminders just now. Please try again in a minute: say **remind me to renew my certificates**.");
      return;
    }
    turnLogger(context, this.deps.logger).info({ reminders: ahead.length }, 'renewal reminders set');
    const lines = [`Saved: your certificates expire on ${longDay(read.date)}.`];
    const before = ahead.filter((p) => p.stage !== 'expired');
    if (before.length > 0) lines.push(`I'll remind you here at 9am on ${this.listDates(before)}, with how to renew them yourself.`);
    lines.push(`If they run out anyway, I'll tell you what to do on ${dayOf(planned.find((p) => p.stage === 'expired')?.dueAt ?? '')}.`);
    const inWindow = passed.length > 0;
    if (inWindow) {
      const days = Math.round(expiry.diff(today, 'days').days);
      lines.push(
        days === 0
          ? 'They expire **today**, so renew them now: after today only an RA agent can, with you there in person.'
          : `The ${this.listStages(passed)} reminder${passed.length > 1 ? 's have' : ' has'} already passed, so I won't send ${passed.length > 1 ? 'them' : 'it'}: you're in the 90 days when you can renew, so you can do it now.`,
      );
    }
    lines.push('Say **stop renewal reminders** to cancel them.');
    await context.sendActivity(lines.join('\n\n'));
    if (inWindow) await this.sendArticle(context, renewArticle);
  }

  private async sendArticle(context: TurnContext, id: string): Promise<void> {
    const article = this.deps.article(id);
    if (!article) return;
    const profile = await this.deps.profile.get(context, {});
    await sendCard(
      context,
      renderAnswerCard({
        ...articleAnswer(this.deps.answers, article, profile),
        followUps: [],
        question: '',
        feedback: false,
        walkThrough: [],
      }),
    );
  }

  private async inPersonalChat(context: TurnContext): Promise<boolean> {
    if (isPersonal(context.activity)) return true;
    await context.sendActivity('Renewal reminders come to your personal chat with me: say that to me there.');
    return false;
  }

  private waitingFor(userId: string): Promise<ScheduledJob[]> {
    return this.deps.schedule.waiting(`renewal:${userId}:`);
  }

  private today(): DateTime {
    return DateTime.fromJSDate(this.deps.clock.now(), { zone }).startOf('day');
  }

  private listDates(planned: readonly Planned[]): string {
    return listOf(planned.map((p) => `${dayOf(p.dueAt)}${p.stage === 'expired' ? ' (if they have expired)' : ` (${p.stage} days before)`}`));
  }

  private listStages(planned: readonly Planned[]): string {
    return listOf(planned.map((p) => `${p.stage}-day`));
  }
}

/** Asks for the expiry date and takes a typed answer; anything else is handed back to the router as a new message. */
export class RenewalDialog extends WaterfallDialog {
  static readonly id = 'renewals';

  constructor(renewals: Renewals) {
    super(RenewalDialog.id, [
      async (step: WaterfallStepContext) => {
        await renewals.ask(step.context);
        return isPersonal(step.context.activity) ? Dialog.EndOfTurn : step.endDialog();
      },
      async (step: WaterfallStepContext) => {
        const text = step.context.activity.text ?? '';
        // Only a short reply with a date in it ("15/01/2027", "on the 15th of January 2027") is the answer; anything else
        // (a new question) goes back to the router.
        const answer = readDate(text).kind !== 'none' && (statesExpiry(text) || text.trim().split(/\s+/).length <= 6);
        if (!answer) return step.endDialog({ reroute: true } satisfies FlowResult);
        await renewals.saveTyped(step.context, text);
        return step.endDialog();
      },
    ]);
  }
}

/** The 09:00 UK time `days` from a date, as UTC ISO; luxon keeps the wall time across BST and GMT. */
export function dueAt(date: string, days: number): string {
  return DateTime.fromISO(date, { zone }).plus({ days }).set({ hour: reminderHour, minute: 0, second: 0, millisecond: 0 }).toUTC().toISO() ?? '';
}

function plannedOf(job: ScheduledJob): Planned {
  const stage = renewalStages.find((s) => s.id === job.payload['stage'])?.id ?? 'expired';
  return { stage, dueAt: job.dueAt };
}

function answerContextOf(payload: Readonly<Record<string, string>>): AnswerContext {
  const kind = workplaceKinds.find((k) => k === payload['workplaceKind']);
  const area = areas.find((a) => a === payload['area']);
  return kind && area ? { workplace: { kind: kind satisfies WorkplaceKind, area: area satisfies Area } } : {};
}

function longDay(date: string): string {
  return DateTime.fromISO(date, { zone }).toFormat('cccc d LLLL yyyy');
}

function dayOf(iso: string): string {
  return DateTime.fromISO(iso, { zone }).toFormat('cccc d LLLL yyyy');
}

function shortMonth(name: string | undefined): string {
  const lower = (name ?? '').slice(0, 3).toLowerCase();
  return lower.charAt(0).toUpperCase() + lower.slice(1);
}

function listOf(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1) ?? ''}`;
}
