import type { Activity, TurnContext } from 'botbuilder';
import { DateTime } from 'luxon';
import { renderBroadcastReportCard, type BroadcastReportCardData } from '../cards/broadcastReportCard.js';
import type { Submission } from '../cards/submission.js';
import type { RaRights } from '../knowledge/raRights.js';
import { cardActivity } from './cardReply.js';
import type { BroadcastReport, Broadcasts } from './outreach.js';
import { turnLogger, type Logger } from './ports.js';

/** The delivery report card's buttons. */
export type BroadcastSubmission = Extract<Submission, { verb: 'broadcast.act' }>;

export interface BroadcastActionsDeps {
  readonly broadcasts: Broadcasts;
  readonly rights: RaRights;
  readonly logger: Logger;
}

/**
 * The delivery report card's Cancel and Refresh. Only the broadcast's author, or an RA admin (`RA_ADMINS`), may use
 * them: checked here on the server for every press, since card data can be forged.
 */
export class BroadcastActions {
  constructor(private readonly deps: BroadcastActionsDeps) {}

  async onCard(context: TurnContext, submission: BroadcastSubmission): Promise<void> {
    const report = await this.deps.broadcasts.report(submission.broadcast);
    if (!report) {
      await context.sendActivity("I can't find that announcement's delivery report any more: finished reports are kept for a while, then removed.");
      return;
    }
    if (!this.mayAct(context, report)) {
      await context.sendActivity('Only the person who sent this announcement, or an RA admin, can see its delivery report or cancel it. Nothing has changed.');
      return;
    }
    if (submission.action === 'refresh') {
      await this.showCard(context, report);
      return;
    }
    if (report.finished) {
      await context.sendActivity(report.cancelledAt ? 'That announcement was already cancelled.' : 'That announcement has already gone to everyone: there is nothing left to cancel.');
      await this.showCard(context, report);
      return;
    }
    const cancelled = await this.deps.broadcasts.cancel(report.id);
    if (!cancelled) {
      await context.sendActivity("I can't find that announcement any more, so there is nothing to cancel.");
      return;
    }
    turnLogger(context, this.deps.logger).info({ title: cancelled.title, counts: cancelled.counts }, 'broadcast cancelled from its report card');
    const { sent, sending, cancelled: stopped } = cancelled.counts;
    await context.sendActivity(
      `Cancelled: ${plural(stopped, 'message')} that had not gone yet won't be sent. ${count(sent)} had already been sent` +
        (sending > 0 ? `, and ${count(sending)} were on their way.` : '.'),
    );
    await this.showCard(context, cancelled);
  }

  private mayAct(context: TurnContext, report: BroadcastReport): boolean {
    const from = context.activity.from;
    const aad = from?.aadObjectId;
    if (report.authorId !== undefined && from?.id === report.authorId) return true;
    if (aad && report.authorAadObjectId && aad.toLowerCase() === report.authorAadObjectId.toLowerCase()) return true;
    // A request no team serves is the admins' alone: this asks "is this person an RA admin".
    return this.deps.rights.forTeam(aad, null);
  }

  /** The card pressed is brought up to date where it is; elsewhere (or if Teams refuses) a new one is sent. */
  private async showCard(context: TurnContext, report: BroadcastReport): Promise<void> {
    const activity = broadcastReportActivity(report);
    const replyTo = context.activity.replyToId;
    if (replyTo) {
      try {
        await context.updateActivity({ ...activity, id: replyTo });
        return;
      } catch {
        // Not a card this bot can update (too old, or another app's): send a fresh one.
      }
    }
    await context.sendActivity(activity);
  }
}

/** The report card message for a broadcast, as its author sees it. */
export function broadcastReportActivity(report: BroadcastReport): Partial<Activity> {
  return cardActivity(renderBroadcastReportCard(reportCardData(report)));
}

export function reportCardData(report: BroadcastReport): BroadcastReportCardData {
  const c = report.counts;
  const left = c.pending + c.sending;
  const done = c.sent + c.failed + c.gone;
  const status = report.cancelledAt
    ? left > 0
      ? `Cancelled: ${count(left)} already on their way, the rest will not be sent`
      : 'Cancelled: nothing more will be sent'
    : report.finished
      ? `Finished: sent to ${count(c.sent)} of ${count(report.total)}`
      : `Sending: ${count(done)} of ${count(report.total)} done`;
  const statusColor = report.cancelledAt ? 'Warning' : report.finished ? (c.failed > 0 ? 'Warning' : 'Good') : 'Default';
  const facts = [
    { title: 'Sent', value: count(c.sent) },
    { title: 'Failed', value: count(c.failed) },
    { title: 'No longer reachable', value: count(c.gone) },
    { title: 'Still to send', value: count(left) },
    ...(report.cancelledAt || c.cancelled > 0 ? [{ title: 'Cancelled', value: count(c.cancelled) }] : []),
    { title: 'Started', value: londonTime(report.createdAt) },
    ...(report.finishedAt ? [{ title: report.cancelledAt ? 'Stopped' : 'Finished', value: londonTime(report.finishedAt) }] : []),
  ];
  const notes = [
    ...(c.gone > 0 ? ['"No longer reachable" means Teams said they have removed the assistant or left: they are taken off the list.'] : []),
    ...(c.failed > 0 ? ['"Failed" messages were tried several times and Teams kept refusing them.'] : []),
    ...(report.finished ? [] : ['This card updates itself while the messages go out; Refresh shows the latest now.']),
  ];
  return { id: report.id, title: report.title, status, statusColor, facts, notes, running: !report.finished };
}

function count(n: number): string {
  return n.toLocaleString('en-GB');
}

function plural(n: number, noun: string): string {
  return `${count(n)} ${noun}${n === 1 ? '' : 's'}`;
}

function londonTime(iso: string): string {
  const time = DateTime.fromISO(iso, { zone: 'Europe/London' });
  return time.isValid ? time.toFormat('d LLL yyyy, HH:mm') : iso;
}
