import { TurnContext, type Activity, type ConversationReference, type FileConsentCardResponse } from 'botbuilder';
import { renderFormCard } from '../cards/formCard.js';
import type { Submission } from '../cards/submission.js';
import { renderAttendeesCard, renderSessionCard, renderSessionListCard, type SessionListCardData } from '../cards/trainingCards.js';
import { checkForm, type FormDefinition } from '../knowledge/forms.js';
import { dayBeforeAt, endOfLondonDay, formatLondon, formatLondonDay, londonInstant } from '../knowledge/londonTime.js';
import type { RaRights } from '../knowledge/raRights.js';
import type { RaTeam } from '../knowledge/raTeams.js';
import type { OfficeVenue } from '../knowledge/venues.js';
import { cardActivity, sendCard } from './cardReply.js';
import { formCardData } from './formView.js';
import type { Audience, AudienceRepository, Broadcasts, ScheduledJob, ScheduleRepository } from './outreach.js';
import { turnLogger, type Clock, type Logger } from './ports.js';
import { placesLeft, waitingPosition, type Booking, type NewSession, type Person, type TrainingRepository, type TrainingSession, type Venue } from './trainingSessions.js';
import {
  announcementCard,
  attendeesCard,
  attendeesCsv,
  audienceText,
  bookingCard,
  button,
  confirmCancelCard,
  exportFileName,
  previewCard,
  reminderCard,
  scheduledCard,
  scheduleStatus,
  sessionFacts,
  sessionTitle,
  type AnnounceWhen,
  type TrainingAction,
} from './trainingView.js';
import { isPersonal } from './announcementSettings.js';

/** The card buttons training answers: its own, and the session form's Preview. */
export type TrainingSubmission = Extract<Submission, { verb: 'training.act' }> | Extract<Submission, { verb: 'form.submit' }>;

/** What announcing sessions and taking bookings needs. */
export interface TrainingDeps {
  /** The session form (`purpose: training-session`), from knowledge/forms. */
  readonly form: FormDefinition;
  readonly venues: readonly OfficeVenue[];
  readonly teams: readonly RaTeam[];
  readonly sessions: TrainingRepository;
  readonly broadcasts: Broadcasts;
  readonly audience: AudienceRepository;
  readonly schedule: ScheduleRepository;
  readonly rights: RaRights;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly newDraftId: () => string;
  /** Puts a file at an upload URL Teams gave after the user agreed to receive it; rejects when it could not. */
  readonly uploadFile: (url: string, content: Buffer) => Promise<void>;
}

/** The day-before reminder goes at this UK time. */
export const reminderTime = '10:00';

const sessionIdPattern = /^TS-[A-Z0-9]{4,12}$/;
/** At most this many characters of CSV in a message (Teams takes about 28 KB a message). */
const inlineCsvLimit = 20_000;

/**
 * Training sessions: an RA team member fills in the session form, sees the announcement as it will go out, and
 * announces it (one broadcast, queued once however often Announce is pressed) or schedules it for a time they gave
 * (a stored job that announces it then, late after downtime, never twice); anyone books a place or joins the waiting
 * list; the team sees who is coming, exports the list and can cancel. Every press is checked on the server.
 */
export class Training {
  constructor(private readonly deps: TrainingDeps) {}

  /** The session form's id, so its Preview button comes here rather than to the request desk. */
  get formId(): string {
    return this.deps.form.id;
  }

  async onCard(context: TurnContext, submission: TrainingSubmission): Promise<void> {
    if (submission.verb === 'form.submit') return this.submit(context, submission);
    return this.act(context, submission.session, submission.action, submission.version);
  }

  /** "new training session": the form, for RA team members. */
  async openForm(context: TurnContext): Promise<void> {
    if (this.teamsOf(context).length === 0) return this.notRaTeam(context);
    await sendCard(context, renderFormCard({ ...formCardData(this.deps.form), draft: this.deps.newDraftId() }));
  }

  /**
   * "training dates": every announced session still to come, with what the asker can do about each; for an RA team
   * member, also their teams' sessions scheduled to be announced later, marked so (nobody else sees those).
   */
  async list(context: TurnContext): Promise<void> {
    const me = actor(context);
    const upcoming = (await this.deps.sessions.list({ states: ['announced', 'scheduled'], startsAfter: this.now() })).filter(
      (s) => s.state === 'announced' || this.deps.rights.forTeam(me.aadObjectId, s.teamId),
    );
    if (upcoming.length === 0) {
      const more = this.teamsOf(context).length > 0 ? ' Say **new training session** to announce one.' : ' Your RA team will announce new dates here.';
      await context.sendActivity(`There are no training sessions to book just now.${more}`);
      return;
    }
    const shown = upcoming.slice(0, 8);
    const card: SessionListCardData = {
      heading: 'Training dates',
      intro: ['Times are UK time. Anyone can book any session; when it is full you can join the waiting list.'],
      sessions: shown.map((s) => this.listEntry(s, me)),
      after: [
        ...(upcoming.length > shown.length ? [`${upcoming.length - shown.length} more after these.`] : []),
        'You can also type **book TS-...** with a session\'s reference, or **my bookings**.',
      ],
    };
    await sendCard(context, renderSessionListCard(card));
  }

  /** "my bookings": the sessions still to come that the asker has a place on or is waiting for. */
  async myBookings(context: TurnContext): Promise<void> {
    const me = actor(context);
    const mine = (await this.deps.sessions.list({ states: ['announced'], startsAfter: this.now() })).filter((s) => s.bookings.some((b) => b.userId === me.userId));
    if (mine.length === 0) {
      await context.sendActivity("You haven't booked any training that is still to come. Say **training dates** to see the sessions.");
      return;
    }
    await sendCard(
      context,
      renderSessionListCard({
        heading: 'Your training bookings',
        intro: ['Times are UK time.'],
        sessions: mine.slice(0, 8).map((s) => {
          const position = waitingPosition(s, me.userId);
          return {
            title: `${s.courseTitle} (${s.id})`,
            facts: sessionFacts(s, this.team(s.teamId), position === 0).filter((f) => ['When', 'How long', 'Where'].includes(f.title)),
            status: [position === 0 ? 'You have a place.' : `You are number ${position} on the waiting list.`],
            buttons: [button(position === 0 ? 'Cancel my booking' : 'Leave the waiting list', s, 'cancel-booking')],
          };
        }),
        after: ['Say **training dates** to book another.'],
      }),
    );
  }

  /**
   * Typed forms of the buttons: "book TS-7KQ2MX", "cancel booking TS-7KQ2MX", "attendees TS-7KQ2MX", "export
   * TS-7KQ2MX", "cancel session TS-7KQ2MX", "show TS-7KQ2MX". False when the words are none of these.
   */
  async byText(context: TurnContext, text: string): Promise<boolean> {
    const said = text.trim().replace(/\s+/g, ' ');
    const patterns: readonly (readonly [RegExp, TrainingAction | 'show'])[] = [
      [/^book(?: a)?(?: place)?(?: on| for)? (TS-[A-Z0-9]{4,12})$/i, 'book'],
      [/^(?:cancel|drop)(?: my)? (?:booking|place)(?: on| for)? (TS-[A-Z0-9]{4,12})$/i, 'cancel-booking'],
      [/^leave(?: the)? waiting list(?: on| for)? (TS-[A-Z0-9]{4,12})$/i, 'cancel-booking'],
      [/^(?:attendees|who(?:'s| is) coming|attendee list)(?: to| for| on)? (TS-[A-Z0-9]{4,12})$/i, 'attendees'],
      [/^export(?: the)?(?: attendees| attendee list| list)?(?: for| of)? (TS-[A-Z0-9]{4,12})$/i, 'export'],
      [/^cancel(?: the)? session (TS-[A-Z0-9]{4,12})$/i, 'cancel-session'],
      [/^(?:show|open|see) (TS-[A-Z0-9]{4,12})$/i, 'show'],
    ];
    for (const [pattern, action] of patterns) {
      const id = pattern.exec(said)?.[1]?.toUpperCase();
      if (!id) continue;
      if (action === 'show') await this.show(context, id);
      else await this.act(context, id, action, undefined);
      return true;
    }
    return false;
  }

  /** Runs training's scheduled jobs: a scheduled announcement, or the day-before reminder. Safe to run again. */
  async onJob(job: ScheduledJob): Promise<void> {
    if (job.kind === 'session-announce') return this.announceWhenDue(job);
    return this.remind(job);
  }

  /** The day-before reminder: one message to everyone with a place at this moment (not those waiting). */
  private async remind(job: ScheduledJob): Promise<void> {
    const id = job.payload['session'] ?? '';
    const session = sessionIdPattern.test(id) ? await this.deps.sessions.get(id) : undefined;
    if (!session || session.state !== 'announced' || this.now() >= session.startsAt) {
      this.deps.logger.info({ job: job.id, session: id }, 'session reminder not needed: the session is gone, cancelled or started');
      return;
    }
    const booked = session.bookings.filter((b) => b.status === 'booked');
    if (booked.length === 0) return;
    const { queued } = await this.deps.broadcasts.queue({
      id: `job:${job.id}`,
      title: `Reminder: ${sessionTitle(session)}`,
      activity: cardActivity(renderSessionCard(reminderCard(session, this.team(session.teamId)))),
      recipients: booked.map((b) => ({ userId: b.userId, reference: b.reference })),
    });
    this.deps.logger.info({ session: session.id, recipients: booked.length, queued }, 'session reminder queued');
  }

  /** The user agreed to receive the attendee list as a file in Teams: upload it where Teams said, then show the file. */
  async fileConsentAccept(context: TurnContext, response: FileConsentCardResponse): Promise<void> {
    const session = await this.sessionFromConsent(response);
    if (!session || !this.deps.rights.forTeam(context.activity.from.aadObjectId, session.teamId)) {
      await context.sendActivity("I can't share that list: it isn't one of your team's sessions. Nothing was uploaded.");
      return;
    }
    const upload = response.uploadInfo;
    if (!upload?.uploadUrl || !upload.contentUrl || !upload.name) {
      await context.sendActivity("Teams didn't tell me where to put the file, so nothing was uploaded. Here is the list in this message instead:");
      await this.sendInlineCsv(context, session);
      return;
    }
    try {
      await this.deps.uploadFile(upload.uploadUrl, Buffer.from(attendeesCsv(session), 'utf8'));
    } catch (error) {
      turnLogger(context, this.deps.logger).error({ err: error, session: session.id }, 'could not upload the attendee list');
      await context.sendActivity("I couldn't upload the file to your OneDrive just now. Here is the list in this message instead:");
      await this.sendInlineCsv(context, session);
      return;
    }
    turnLogger(context, this.deps.logger).info({ session: session.id }, 'attendee list uploaded');
    await context.sendActivity({
      attachments: [
        {
          contentType: 'application/vnd.microsoft.teams.card.file.info',
          contentUrl: upload.contentUrl,
          name: upload.name,
          content: { uniqueId: upload.uniqueId, fileType: upload.fileType },
        },
      ],
    });
  }

  async fileConsentDecline(context: TurnContext, response: FileConsentCardResponse): Promise<void> {
    const session = await this.sessionFromConsent(response);
    await context.sendActivity(`OK: I haven't shared the attendee list${session ? ` for ${session.id}` : ''}, and nothing was uploaded.`);
  }

  private async act(context: TurnContext, id: string, action: TrainingAction, version: number | undefined): Promise<void> {
    const session = await this.deps.sessions.get(id);
    switch (action) {
      case 'book':
        return this.book(context, id, session);
      case 'cancel-booking':
        return this.cancelBooking(context, id);
      default:
        break;
    }
    // The RA team's buttons: the same words whether the session is missing or another team's, so ids cannot be probed.
    if (!session || session.state === 'discarded' || !this.deps.rights.forTeam(context.activity.from.aadObjectId, session.teamId)) {
      await context.sendActivity(`Only members of the RA team running ${id} can do that, so nothing has changed.`);
      return;
    }
    switch (action) {
      case 'announce':
        return this.announce(context, session, version);
      case 'schedule':
        return this.schedule(context, session, version);
      case 'edit':
        return this.edit(context, session);
      case 'discard':
        return this.discard(context, session);
      case 'attendees':
        // Nobody can book a scheduled session yet: its team sees what will go out, and when.
        if (session.state === 'scheduled') await sendCard(context, renderSessionCard(scheduledCard(session, this.team(session.teamId), this.now())));
        else await sendCard(context, renderAttendeesCard(attendeesCard(session, this.team(session.teamId), this.cancellable(session))));
        return;
      case 'export':
        return this.export(context, session);
      case 'cancel-session':
        if (!this.cancellable(session)) {
          await context.sendActivity(session.state === 'draft' ? `${id} hasn't been announced: press **Discard** on its preview instead.` : `${id} can't be cancelled now: it has ${session.state === 'cancelled' ? 'already been cancelled' : 'already started'}.`);
          return;
        }
        await sendCard(context, renderSessionCard(confirmCancelCard(session, this.team(session.teamId))));
        return;
      case 'confirm-cancel-session':
        return this.cancelSession(context, session);
    }
  }

  private async submit(context: TurnContext, submission: Extract<TrainingSubmission, { verb: 'form.submit' }>): Promise<void> {
    const teams = this.teamsOf(context);
    if (teams.length === 0) return this.notRaTeam(context);
    const draft = submission.draft ?? this.deps.newDraftId();
    const checked = checkForm(this.deps.form, submission.fields, this.deps.clock.now());
    if (!checked.ok) return this.formAgain(context, checked.values, checked.errors, draft);
    const read = this.readSession(checked.values, teams);
    if (!read.ok) return this.formAgain(context, checked.values, read.errors, draft);
    const me = actor(context);
    const now = this.now();
    const earlier = (await this.deps.sessions.list({ draft }))[0];
    let session: TrainingSession | 'conflict' | 'missing';
    if (earlier) {
      if (!this.deps.rights.forTeam(me.aadObjectId, earlier.teamId)) return this.notRaTeam(context);
      if (earlier.state === 'discarded') {
        await context.sendActivity('That draft was discarded, so nothing has changed. Say **new training session** to start a new one.');
        return;
      }
      if (earlier.state !== 'draft') {
        const was = earlier.state === 'scheduled' ? 'scheduled to be announced' : 'announced';
        await context.sendActivity(`That session was already ${was} as **${earlier.id}**, so it can't be changed now. To change it, cancel it (say **cancel session ${earlier.id}**) and announce a new one.`);
        return;
      }
      session = await this.deps.sessions.update(earlier.id, earlier.version, (s) => ({ ...s, ...read.session, updatedAt: now }));
    } else {
      const reference = TurnContext.getConversationReference(context.activity);
      session = await this.deps.sessions.create({ ...read.session, state: 'draft', draft, author: { ...me, reference }, createdAt: now, updatedAt: now });
    }
    if (typeof session === 'string') {
      await context.sendActivity('That draft was changed somewhere else at the same moment, so I have left it as it was. Press **Edit** on its newest preview.');
      return;
    }
    turnLogger(context, this.deps.logger).info({ session: session.id, team: session.teamId, edited: earlier !== undefined }, 'training session drafted');
    await this.preview(context, session);
  }

  /** The checked form read as a session: the time in UK time, the venue and its team, the audience; or each problem. */
  private readSession(
    values: Readonly<Record<string, string>>,
    teams: readonly string[],
  ): { ok: true; session: Omit<NewSession, 'state' | 'draft' | 'author' | 'createdAt' | 'updatedAt'> } | { ok: false; errors: Record<string, string> } {
    const errors: Record<string, string> = {};
    const value = (id: string) => values[id] ?? '';
    const start = londonInstant(value('date'), value('startTime'));
    if (!start.ok) errors['startTime'] = start.problem;
    else if (start.iso <= this.now()) errors['startTime'] = `${formatLondon(start.iso)} has already passed. Choose a time still to come.`;
    let venue: Venue | undefined;
    let teamId: string | undefined;
    const office = this.deps.venues.find((v) => v.value === value('venue'));
    const runBy = value('runBy');
    if (office) {
      venue = { kind: 'office', value: office.value, title: office.title, address: office.address };
      teamId = office.teamId;
      if (!teams.includes(office.teamId)) errors['venue'] = `${office.title} is ${this.team(office.teamId)?.name ?? office.teamId}'s office: only that team can run sessions there.`;
      else if (runBy !== '' && runBy !== office.teamId) errors['runBy'] = `A session at ${office.title} is run by ${this.team(office.teamId)?.name ?? office.teamId}: leave this empty or choose it.`;
    } else {
      venue = { kind: 'online', link: value('onlineLink') };
      if (runBy !== '') {
        teamId = runBy;
        if (!teams.includes(runBy)) errors['runBy'] = "You aren't a member of that RA team: choose your own.";
      } else if (teams.length === 1) teamId = teams[0];
      else errors['runBy'] = 'You are in more than one RA team: choose which one runs this session.';
    }
    const announceAt = this.readAnnounceTime(value('announceOn'), value('announceTime'), start.ok ? start.iso : undefined, errors);
    const audience = audienceOf(values);
    if (Object.keys(errors).length > 0 || !start.ok || !teamId) return { ok: false, errors };
    const deadlineEnd = endOfLondonDay(value('bookingDeadline'));
    const course = this.deps.form.fields.find((f) => f.id === 'course');
    const courseTitle = (course?.type === 'choice' ? course.options.find((o) => o.value === value('course'))?.title : undefined) ?? value('course');
    return {
      ok: true,
      session: {
        teamId,
        course: value('course'),
        courseTitle,
        venue,
        startsAt: start.iso,
        ambiguousTime: start.ambiguous,
        durationMinutes: Number(value('duration')),
        capacity: Number(value('capacity')),
        bookingDeadline: value('bookingDeadline'),
        // Booking closes at the end of the last day to book, or when the session starts if that is sooner.
        bookingClosesAt: deadlineEnd < start.iso ? deadlineEnd : start.iso,
        audience,
        note: value('note'),
        // Explicitly none when the edited form has no time, so the earlier draft's time does not linger.
        announceAt,
        fields: values,
      },
    };
  }

  /**
   * "Announce on" and "at", both or neither, as UK time: an instant still to come and before the session starts (the
   * form's rule keeps the day on or before the last day to book). Problems go next to the field at fault.
   */
  private readAnnounceTime(day: string, time: string, startsAt: string | undefined, errors: Record<string, string>): string | undefined {
    if (day === '' && time === '') return undefined;
    if (time === '') {
      errors['announceTime'] = 'Give the time to announce it as well, or leave the day empty to announce it when you press Announce.';
      return undefined;
    }
    if (day === '') {
      errors['announceOn'] = 'Give the day to announce it as well, or leave the time empty to announce it when you press Announce.';
      return undefined;
    }
    const at = londonInstant(day, time);
    if (!at.ok) errors['announceTime'] = at.problem;
    else if (at.iso <= this.now()) errors['announceTime'] = `${formatLondon(at.iso)} has already passed. Choose a time still to come, or leave both empty to announce it when you press Announce.`;
    else if (startsAt !== undefined && at.iso >= startsAt) errors['announceTime'] = `Announce it before the session starts, ${formatLondon(startsAt)}.`;
    else return at.iso;
    return undefined;
  }

  private async formAgain(context: TurnContext, values: Readonly<Record<string, string>>, errors: Readonly<Record<string, string>>, draft: string): Promise<void> {
    await sendCard(
      context,
      renderFormCard({ ...formCardData(this.deps.form, values, errors, 'Please correct the fields marked below. Nothing has been saved or sent yet.'), draft }),
    );
  }

  private async preview(context: TurnContext, session: TrainingSession): Promise<void> {
    const reach = (await this.deps.audience.select(session.audience, this.isRaAgent)).length;
    const card = previewCard(session, this.team(session.teamId), audienceText(session.audience, this.deps.teams, reach), this.announceWhen(session));
    await sendCard(context, renderSessionCard(card));
  }

  /** When a draft would go out: on the button, at the time given, or on the button because that time has passed. */
  private announceWhen(session: TrainingSession): AnnounceWhen {
    if (session.announceAt === undefined) return { kind: 'now' };
    return session.announceAt > this.now() ? { kind: 'later', at: session.announceAt } : { kind: 'missed', at: session.announceAt };
  }

  private async edit(context: TurnContext, session: TrainingSession): Promise<void> {
    if (session.state === 'scheduled') {
      await context.sendActivity(`${session.id} is scheduled to be announced${session.announceAt ? ` on ${formatLondon(session.announceAt)}` : ''}, so it can't be edited. To change it, cancel it (say **cancel session ${session.id}**; nothing has been sent) and make a new one.`);
      return;
    }
    if (session.state !== 'draft') {
      await context.sendActivity(`${session.id} has been ${session.state === 'cancelled' ? 'cancelled' : 'announced'}, so it can't be edited. To change it, cancel it and announce a new one.`);
      return;
    }
    await sendCard(
      context,
      renderFormCard({ ...formCardData(this.deps.form, session.fields, {}, `Change what you need and press ${this.deps.form.submitTitle ?? 'Preview'} again. Nothing has been sent yet.`), draft: session.draft }),
    );
  }

  private async discard(context: TurnContext, session: TrainingSession): Promise<void> {
    if (session.state !== 'draft') {
      await context.sendActivity(`${session.id} has been ${session.state === 'scheduled' ? 'scheduled' : 'announced'}, so it can't be discarded. Say **cancel session ${session.id}** to cancel it.`);
      return;
    }
    const changed = await this.deps.sessions.update(session.id, session.version, (s) => ({ ...s, state: 'discarded', updatedAt: this.now() }));
    if (typeof changed === 'string') {
      await context.sendActivity(`${session.id} changed just now, so I haven't discarded it. Look at its newest preview.`);
      return;
    }
    await context.sendActivity('Discarded: nothing was sent. Say **new training session** to start again.');
  }

  /** Announces once: marks it announced, queues one broadcast (by id, so a second press queues nothing) and the reminder. */
  private async announce(context: TurnContext, session: TrainingSession, version: number | undefined): Promise<void> {
    let current = session;
    if (current.state === 'draft') {
      if (version !== undefined && version !== current.version) {
        await context.sendActivity(`${current.id} has changed since that preview, so I haven't announced it. Here it is now:`);
        return this.preview(context, current);
      }
      const when = this.announceWhen(current);
      if (when.kind === 'later') {
        await context.sendActivity(`${current.id} is set to be announced on ${formatLondon(when.at)}, so I haven't announced it now. Press **Schedule** for that, or **Edit** and clear the time to announce it now:`);
        return this.preview(context, current);
      }
      if (this.now() >= current.bookingClosesAt) {
        await context.sendActivity(`Booking for ${current.id} would already be closed (the last day to book, or the start, has passed), so I haven't announced it. Press **Edit** to change the dates.`);
        return;
      }
      const at = this.now();
      const changed = await this.deps.sessions.update(current.id, current.version, (s) => ({ ...s, state: 'announced', announcedAt: at, updatedAt: at }));
      if (changed === 'missing') return this.notRaTeam(context);
      // Pressed twice at once: the other press announced it; carry on as a repeat, which queues nothing new.
      current = changed === 'conflict' ? ((await this.deps.sessions.get(current.id)) ?? current) : changed;
      if (current.state === 'draft') {
        await context.sendActivity(`${current.id} changed just now, so I haven't announced it. Here it is now:`);
        return this.preview(context, current);
      }
    }
    if (current.state === 'scheduled') {
      await context.sendActivity(`${current.id} is scheduled to be announced${current.announceAt ? ` on ${formatLondon(current.announceAt)}` : ''} and will go then. To stop it, say **cancel session ${current.id}**.`);
      return;
    }
    if (current.state !== 'announced') {
      await context.sendActivity(`${current.id} has been ${current.state}, so it can't be announced.`);
      return;
    }
    const author = { ...actor(context), reference: TurnContext.getConversationReference(context.activity) };
    const { recipients, total, queued } = await this.sendAnnouncement(current, author);
    turnLogger(context, this.deps.logger).info({ session: current.id, recipients: total, queued }, 'training session announced');
    const where = `It is listed under **training dates** for anyone to book. Say **attendees ${current.id}** to see who is coming.`;
    if (recipients === 0) {
      await context.sendActivity(`Announced **${current.id}**. Nobody in its audience has talked to me yet, so nobody was sent it. ${where}`);
    } else if (queued) {
      await context.sendActivity(`Announced **${current.id}**: it is going to ${total} ${total === 1 ? 'person' : 'people'}, a few a second. I'll post a delivery report here as it goes. ${where}`);
    } else {
      await context.sendActivity(`**${current.id}** was already announced, to ${total} ${total === 1 ? 'person' : 'people'}, so I haven't sent it again. ${where}`);
    }
  }

  /**
   * Schedules a draft's announcement for the time its author gave: marks it scheduled (version-checked, so a stale
   * preview schedules nothing), then stores the job; says so only after both writes. Pressed again, it stores the
   * job again (the same id replaces it), which also mends a job write that failed after the first.
   */
  private async schedule(context: TurnContext, session: TrainingSession, version: number | undefined): Promise<void> {
    let current = session;
    let repeat = current.state === 'scheduled';
    if (current.state === 'draft') {
      if (version !== undefined && version !== current.version) {
        await context.sendActivity(`${current.id} has changed since that preview, so I haven't scheduled it. Here it is now:`);
        return this.preview(context, current);
      }
      const when = this.announceWhen(current);
      if (when.kind !== 'later') {
        await context.sendActivity(
          when.kind === 'missed'
            ? `The time you gave to announce ${current.id}, ${formatLondon(when.at)}, has passed, so I haven't scheduled it. Press **Announce** to send it now, or **Edit** to choose another time:`
            : `${current.id} has no time to announce it later, so there is nothing to schedule. Press **Announce** to send it now, or **Edit** to give a time:`,
        );
        return this.preview(context, current);
      }
      const at = this.now();
      const by = { ...actor(context), reference: TurnContext.getConversationReference(context.activity) };
      const changed = await this.deps.sessions.update(current.id, current.version, (s) => ({ ...s, state: 'scheduled', scheduledBy: by, scheduledAt: at, updatedAt: at }));
      if (changed === 'missing') return this.notRaTeam(context);
      // Pressed twice at once: the other press scheduled it; this one carries on as a repeat.
      repeat = changed === 'conflict';
      current = changed === 'conflict' ? ((await this.deps.sessions.get(current.id)) ?? current) : changed;
      if (current.state === 'draft') {
        await context.sendActivity(`${current.id} changed just now, so I haven't scheduled it. Here it is now:`);
        return this.preview(context, current);
      }
    }
    if (current.state !== 'scheduled' || current.announceAt === undefined) {
      await context.sendActivity(
        current.state === 'announced'
          ? `${current.id} has already been announced, so there is nothing to schedule. Say **attendees ${current.id}** to see who is coming.`
          : `${current.id} has been ${current.state}, so it can't be scheduled.`,
      );
      return;
    }
    try {
      await this.deps.schedule.put(announceJob(current));
    } catch (error) {
      // Marked scheduled but with no job: the next press, or the next start, stores it.
      turnLogger(context, this.deps.logger).error({ err: error, session: current.id }, 'could not store the scheduled announcement');
      await context.sendActivity(`I couldn't finish scheduling ${current.id} just now: press **Schedule** again in a moment. Nothing has been sent.`);
      return;
    }
    turnLogger(context, this.deps.logger).info({ session: current.id, announceAt: current.announceAt, repeat }, 'training session announcement scheduled');
    const when = formatLondon(current.announceAt);
    await context.sendActivity(
      repeat
        ? `**${current.id}** is already scheduled to be announced on ${when}, so nothing has changed. To stop it, say **cancel session ${current.id}**.`
        : `Scheduled **${current.id}**: it will be announced on ${when} to everyone in its audience then, and I'll post a delivery report here as it goes. ` +
            `Until then only your RA team sees it, under **training dates**. To stop it, say **cancel session ${current.id}**.`,
    );
  }

  /**
   * A scheduled announcement is due (perhaps late, after downtime): marks the session announced, then does what the
   * Announce button does, with the report to whoever scheduled it. Run again after a crash, it queues nothing new:
   * the broadcast's id is the session's. A cancelled or discarded session's job does nothing.
   */
  private async announceWhenDue(job: ScheduledJob): Promise<void> {
    const id = job.payload['session'] ?? '';
    let session = sessionIdPattern.test(id) ? await this.deps.sessions.get(id) : undefined;
    if (!session || (session.state !== 'scheduled' && session.state !== 'announced')) {
      this.deps.logger.info({ session: id, state: session?.state }, 'scheduled announcement not sent: the session is gone, cancelled or discarded');
      return;
    }
    const at = this.now();
    if (session.state === 'scheduled') {
      if (at >= session.bookingClosesAt) return this.tellTooLate(job, session);
      for (let tries = 0; tries < 5 && session.state === 'scheduled'; tries++) {
        const changed: TrainingSession | 'conflict' | 'missing' = await this.deps.sessions.update(session.id, session.version, (s) => ({ ...s, state: 'announced', announcedAt: at, updatedAt: at }));
        if (changed === 'missing') return;
        session = changed === 'conflict' ? ((await this.deps.sessions.get(id)) ?? session) : changed;
      }
      // Still scheduled: the scheduler retries the job later.
      if (session.state === 'scheduled') throw new Error('the session kept changing while it was being announced');
      if (session.state !== 'announced') {
        this.deps.logger.info({ session: id, state: session.state }, 'scheduled announcement not sent: the session was cancelled meanwhile');
        return;
      }
    }
    const { total, queued } = await this.sendAnnouncement(session, session.scheduledBy ?? session.author);
    this.deps.logger.info({ session: id, recipients: total, queued, lateMs: Date.parse(at) - Date.parse(job.dueAt) }, 'scheduled training session announced');
  }

  /** The bot was down past the whole booking window: announcing now would offer places nobody can book, so say so. */
  private async tellTooLate(job: ScheduledJob, session: TrainingSession): Promise<void> {
    const to = session.scheduledBy ?? session.author;
    const { queued } = await this.deps.broadcasts.queue({
      id: `job:${job.id}`,
      title: `Not announced: ${sessionTitle(session)}`,
      activity: {
        type: 'message',
        text:
          `I couldn't announce ${sessionTitle(session)} (${session.id}) on ${formatLondon(job.dueAt)} as scheduled, and booking for it has closed since, ` +
          `so I haven't announced it at all. Say **cancel session ${session.id}** to take it off your team's list, or make a new session with later dates.`,
      },
      recipients: [{ userId: to.userId, reference: to.reference }],
    });
    this.deps.logger.warn({ session: session.id, queued }, 'scheduled announcement not sent: booking closed before it could go');
  }

  /**
   * Queues the announcement to its audience as it is now (once: the broadcast id is the session's) with the report to
   * `author`, and schedules the reminder. A cancellation that came in while it was being queued stops it again.
   */
  private async sendAnnouncement(
    session: TrainingSession,
    author: Person & { readonly reference: Partial<ConversationReference> },
  ): Promise<{ recipients: number; total: number; queued: boolean }> {
    const recipients = await this.deps.audience.select(session.audience, this.isRaAgent);
    let total = 0;
    let queued = false;
    if (recipients.length > 0) {
      const result = await this.deps.broadcasts.queue({
        id: `announce:${session.id}`,
        title: `Training: ${sessionTitle(session)}`,
        activity: cardActivity(renderSessionCard(announcementCard(session, this.team(session.teamId)))),
        recipients: recipients.map((r) => ({ userId: r.userId, reference: r.reference })),
        author: { userId: author.userId, aadObjectId: author.aadObjectId, reference: author.reference },
      });
      total = result.report.total;
      queued = result.queued;
      // Cancelling marks the session first and stops its broadcast after: one of the two sees the other.
      if (queued && (await this.deps.sessions.get(session.id))?.state === 'cancelled') await this.deps.broadcasts.cancel(`announce:${session.id}`);
    }
    await this.scheduleReminder(session);
    return { recipients: recipients.length, total, queued };
  }

  /** Stores again the job of every session still scheduled: one whose job write failed or was lost is announced anyway. */
  async resumeScheduled(): Promise<number> {
    let stored = 0;
    for (const session of await this.deps.sessions.list({ states: ['scheduled'], startsAfter: this.now() })) {
      // A job already run stays run (put is refused), so this never announces twice.
      if (session.announceAt !== undefined && (await this.deps.schedule.put(announceJob(session)))) stored++;
    }
    return stored;
  }

  /** The day-before reminder, at 10:00 UK time; none when that time has already passed. */
  private async scheduleReminder(session: TrainingSession): Promise<void> {
    const dueAt = dayBeforeAt(session.startsAt, reminderTime);
    if (!dueAt || dueAt <= this.now()) return;
    await this.deps.schedule.put({ id: `session-reminder:${session.id}`, kind: 'session-reminder', dueAt, payload: { session: session.id } });
  }

  private async book(context: TurnContext, id: string, session: TrainingSession | undefined): Promise<void> {
    if (!session || session.state === 'draft' || session.state === 'scheduled' || session.state === 'discarded') {
      await context.sendActivity(`I can't find a training session ${id} to book. Say **training dates** to see the sessions you can book.`);
      return;
    }
    const me = actor(context);
    const reference = await this.personalReference(context);
    if (!reference) {
      await context.sendActivity('Please book in your personal chat with me, so I can tell you about your place there. Say **training dates** there.');
      return;
    }
    const result = await this.deps.sessions.book(id, { ...me, reference }, this.now());
    const team = this.team(session.teamId);
    if (result.kind === 'refused') {
      const said: Record<typeof result.reason, string> = {
        missing: `I can't find a training session ${id} to book. Say **training dates** to see the sessions you can book.`,
        'not-announced': `I can't find a training session ${id} to book. Say **training dates** to see the sessions you can book.`,
        cancelled: `${sessionTitle(session)} has been cancelled, so it can't be booked. Say **training dates** to see the others.`,
        started: `${sessionTitle(session)} has already started, so it can't be booked. Say **training dates** to see the others.`,
        closed: `Booking for ${sessionTitle(session)} closed at the end of ${formatLondonDay(session.bookingDeadline)}. If you still need a place, contact ${team ? `${team.name} on ${team.phone}` : 'the RA team'}.`,
      };
      await context.sendActivity(said[result.reason]);
      return;
    }
    turnLogger(context, this.deps.logger).info({ session: id, outcome: result.kind, already: result.already }, 'training booking');
    const heading =
      result.kind === 'booked'
        ? result.already
          ? `You already have a place: ${result.session.courseTitle}`
          : `Booked: ${result.session.courseTitle}`
        : result.already
          ? `You are already on the waiting list: ${result.session.courseTitle}`
          : `Full: you are on the waiting list for ${result.session.courseTitle}`;
    await sendCard(context, renderSessionCard(bookingCard(result.session, team, me.userId, heading)));
  }

  private async cancelBooking(context: TurnContext, id: string): Promise<void> {
    const me = actor(context);
    const result = await this.deps.sessions.cancelBooking(id, me.userId, this.now());
    if (result.kind !== 'cancelled') {
      await context.sendActivity(
        result.kind === 'started' ? `${id} has already started, so your booking stays as it is.` : `You have no booking on ${id}, so there was nothing to cancel. Say **my bookings** to see yours.`,
      );
      return;
    }
    const session = result.session;
    turnLogger(context, this.deps.logger).info({ session: id, was: result.was, promoted: result.promoted !== undefined }, 'training booking cancelled');
    if (result.promoted) {
      await this.tellPromoted(session, result.promoted.booking).catch((error: unknown) =>
        // The place is theirs either way, in their "my bookings"; the message is queued again at the next start.
        turnLogger(context, this.deps.logger).error({ err: error, session: session.id }, 'could not queue the message to the person given a place'),
      );
    }
    await context.sendActivity(
      result.was === 'booked'
        ? `Done: I've cancelled your place on ${sessionTitle(session)} (${formatLondon(session.startsAt)}).${session.state === 'announced' ? ' Say **training dates** to book another.' : ''}`
        : `Done: you've left the waiting list for ${sessionTitle(session)}.`,
    );
  }

  /**
   * Tells the person a freed place went to. The message's id comes from the stored booking, so it is queued once
   * however often this runs: after each cancellation, and at start-up for any the process died before queueing.
   */
  private async tellPromoted(session: TrainingSession, booking: Booking & { readonly promotedAt: string }): Promise<void> {
    const card = bookingCard(session, this.team(session.teamId), booking.userId, `A place came up: you're booked on ${session.courseTitle}`);
    await this.deps.broadcasts.queue({
      id: `promote:${session.id}:${booking.userId}:${booking.promotedAt}`,
      title: `Place given from the waiting list: ${sessionTitle(session)}`,
      activity: cardActivity(renderSessionCard(card)),
      recipients: [{ userId: booking.userId, reference: booking.reference }],
    });
  }

  /** Queues any place-came-up message a crash kept from being queued; those already queued are not sent again. */
  async resumePromotions(): Promise<number> {
    let queued = 0;
    for (const session of await this.deps.sessions.list({ states: ['announced'], startsAfter: this.now() })) {
      for (const booking of session.bookings) {
        if (booking.status !== 'booked' || booking.promotedAt === undefined) continue;
        await this.tellPromoted(session, { ...booking, promotedAt: booking.promotedAt });
        queued++;
      }
    }
    return queued;
  }

  private async export(context: TurnContext, session: TrainingSession): Promise<void> {
    if (!filesPossible(context.activity)) return this.sendInlineCsv(context, session);
    const csv = Buffer.from(attendeesCsv(session), 'utf8');
    await context.sendActivity({
      attachments: [
        {
          contentType: 'application/vnd.microsoft.teams.card.file.consent',
          name: exportFileName(session),
          content: {
            description: `Attendees and waiting list for ${sessionTitle(session)} (${session.id})`,
            sizeInBytes: csv.length,
            acceptContext: { session: session.id },
            declineContext: { session: session.id },
          },
        },
      ],
    });
  }

  private async sendInlineCsv(context: TurnContext, session: TrainingSession): Promise<void> {
    const csv = attendeesCsv(session);
    const cut = csv.length > inlineCsvLimit ? `${csv.slice(0, csv.lastIndexOf('\n', inlineCsvLimit) + 1)}` : csv;
    const more = cut.length < csv.length ? '\n\nThe list was too long for one message: this is its start. Ask for it in your personal chat with me in Teams to get the whole file.' : '';
    await context.sendActivity(`Attendees for ${sessionTitle(session)} (${session.id}), as CSV:\n\n\`\`\`\n${cut}\`\`\`${more}`);
  }

  private async cancelSession(context: TurnContext, session: TrainingSession): Promise<void> {
    const at = this.now();
    let current = session;
    const live = (s: TrainingSession) => s.state === 'announced' || s.state === 'scheduled';
    if (live(current)) {
      if (at >= current.startsAt) {
        await context.sendActivity(`${current.id} has already started, so it can't be cancelled.`);
        return;
      }
      // Bookings move the version on, and so does a scheduled announcement going out: neither stops the cancellation.
      for (let tries = 0; tries < 5 && live(current); tries++) {
        const changed = await this.deps.sessions.update(current.id, current.version, (s) => ({ ...s, state: 'cancelled', cancelledAt: at, updatedAt: at }));
        if (changed === 'missing') break;
        current = changed === 'conflict' ? ((await this.deps.sessions.get(current.id)) ?? current) : changed;
      }
    }
    if (current.state !== 'cancelled') {
      await context.sendActivity(current.state === 'draft' ? `${current.id} hasn't been announced: press **Discard** on its preview instead.` : `I couldn't cancel ${current.id} just now; nothing has changed. Please try again.`);
      return;
    }
    // Its scheduled announcement and its reminder will not go, and what is left of a sent announcement is not sent.
    await this.deps.schedule.finish(`session-announce:${current.id}`, 'cancelled', at);
    await this.deps.schedule.cancelWaiting(`session-reminder:${current.id}`, at);
    await this.deps.broadcasts.cancel(`announce:${current.id}`);
    const told = current.bookings.map((b) => ({ userId: b.userId, reference: b.reference }));
    let queued = false;
    if (told.length > 0) {
      const team = this.team(current.teamId);
      const card = {
        notices: ['This session has been cancelled.'],
        heading: `Cancelled: ${current.courseTitle}`,
        intro: [],
        facts: sessionFacts(current, team, false).filter((f) => ['Course', 'When', 'Where', 'Run by'].includes(f.title)),
        note: '',
        status: ["Your booking has been cancelled with it: you don't need to do anything."],
        after: ['Say **training dates** to book another session.'],
        buttons: [],
      };
      queued = (
        await this.deps.broadcasts.queue({
          id: `cancel:${current.id}`,
          title: `Cancelled: ${sessionTitle(current)}`,
          activity: cardActivity(renderSessionCard(card)),
          recipients: told,
          author: { userId: context.activity.from.id, aadObjectId: context.activity.from.aadObjectId, reference: TurnContext.getConversationReference(context.activity) },
        })
      ).queued;
    }
    turnLogger(context, this.deps.logger).info({ session: current.id, told: told.length, queued }, 'training session cancelled');
    const what = `${sessionTitle(current)} (${current.id}) is cancelled and no longer listed.`;
    await context.sendActivity(
      told.length === 0
        ? current.announcedAt === undefined
          ? `${what} It was never announced, and now it won't be: nothing has been sent.`
          : `${what} Nobody had booked.`
        : session.state === 'cancelled' && !queued
          ? `${what} It was already cancelled, and the ${told.length} ${told.length === 1 ? 'person' : 'people'} booked or waiting were told then.`
          : `${what} I'm telling the ${told.length} ${told.length === 1 ? 'person' : 'people'} who were booked or waiting; a delivery report will follow here.`,
    );
  }

  /** "show TS-...": the team sees who is coming; anyone else sees the session and where they stand. */
  private async show(context: TurnContext, id: string): Promise<void> {
    const session = await this.deps.sessions.get(id);
    const me = actor(context);
    const team = session ? this.team(session.teamId) : undefined;
    if (session && session.state !== 'discarded' && this.deps.rights.forTeam(me.aadObjectId, session.teamId)) {
      if (session.state === 'draft') return this.preview(context, session);
      if (session.state === 'scheduled') {
        await sendCard(context, renderSessionCard(scheduledCard(session, team, this.now())));
        return;
      }
      await sendCard(context, renderAttendeesCard(attendeesCard(session, team, this.cancellable(session))));
      return;
    }
    if (!session || (session.state !== 'announced' && session.state !== 'cancelled')) {
      await context.sendActivity(`I can't find a training session ${id}. Say **training dates** to see the sessions.`);
      return;
    }
    if (session.bookings.some((b) => b.userId === me.userId) && session.state === 'announced') {
      await sendCard(context, renderSessionCard(bookingCard(session, team, me.userId, `Training: ${session.courseTitle}`)));
      return;
    }
    const card = announcementCard(session, team);
    await sendCard(context, renderSessionCard(session.state === 'cancelled' ? { ...card, notices: ['This session has been cancelled.'], buttons: [] } : card));
  }

  private listEntry(session: TrainingSession, me: Person): SessionListCardData['sessions'][number] {
    const team = this.team(session.teamId);
    if (session.state === 'scheduled') {
      // Only its own RA team is shown a scheduled session (see list).
      return {
        title: `${session.courseTitle} (${session.id})`,
        facts: sessionFacts(session, team, true).filter((f) => f.title !== 'Course' && f.title !== 'Places left'),
        status: [`${scheduleStatus(session, this.now())} Only your RA team sees it until it is announced.`],
        buttons: [button('Show', session, 'attendees'), button('Cancel the session', session, 'cancel-session')],
      };
    }
    const position = waitingPosition(session, me.userId);
    const booked = session.bookings.some((b) => b.userId === me.userId && b.status === 'booked');
    const open = this.now() < session.bookingClosesAt;
    const status = booked ? 'You have a place.' : position > 0 ? `You are number ${position} on the waiting list.` : open ? '' : 'Booking has closed.';
    const mine = booked || position > 0 ? [button(booked ? 'Cancel my booking' : 'Leave the waiting list', session, 'cancel-booking')] : [];
    const bookable = !booked && position === 0 && open ? [button(placesLeft(session) > 0 ? 'Book a place' : 'Join the waiting list', session, 'book')] : [];
    const theirs = this.deps.rights.forTeam(me.aadObjectId, session.teamId) ? [button('Attendees', session, 'attendees'), button('Export (CSV)', session, 'export')] : [];
    return {
      title: `${session.courseTitle} (${session.id})`,
      facts: sessionFacts(session, team, booked).filter((f) => f.title !== 'Course'),
      status: status === '' ? [] : [status],
      buttons: [...bookable, ...mine, ...theirs],
    };
  }

  /** Where to tell someone about their place: this chat when it is their personal one, else their personal chat as last seen. */
  private async personalReference(context: TurnContext): Promise<Partial<ConversationReference> | undefined> {
    if (isPersonal(context.activity)) return TurnContext.getConversationReference(context.activity);
    return (await this.deps.audience.get(context.activity.from.id))?.reference;
  }

  private async sessionFromConsent(response: FileConsentCardResponse): Promise<TrainingSession | undefined> {
    const context: unknown = response.context;
    const id = typeof context === 'object' && context !== null ? (context as { session?: unknown }).session : undefined;
    return typeof id === 'string' && sessionIdPattern.test(id) ? this.deps.sessions.get(id) : undefined;
  }

  private cancellable(session: TrainingSession): boolean {
    return (session.state === 'announced' || session.state === 'scheduled') && this.now() < session.startsAt;
  }

  /** The RA teams this person may run sessions for (admins: every team). */
  private teamsOf(context: TurnContext): string[] {
    return this.deps.rights.teamsOf(context.activity.from.aadObjectId).filter((t): t is string => t !== null);
  }

  private readonly isRaAgent = (aadObjectId: string | undefined): boolean => this.deps.rights.teamsOf(aadObjectId).length > 0;

  private team(id: string): RaTeam | undefined {
    return this.deps.teams.find((t) => t.id === id);
  }

  private async notRaTeam(context: TurnContext): Promise<void> {
    await context.sendActivity('Only RA team members can announce training sessions, so nothing has been saved. Say **training dates** to see the sessions you can book.');
  }

  private now(): string {
    return this.deps.clock.now().toISOString();
  }
}

/** The stored job that announces a scheduled session at its time; the id is the session's, so storing it again replaces it. */
function announceJob(session: TrainingSession): Omit<ScheduledJob, 'state' | 'doneAt'> {
  return { id: `session-announce:${session.id}`, kind: 'session-announce', dueAt: session.announceAt ?? session.startsAt, payload: { session: session.id } };
}

function actor(context: TurnContext): Person {
  const from = context.activity.from;
  return { userId: from.id, aadObjectId: from.aadObjectId, name: from.name ?? '' };
}

/** The audience the form chose; the form's own checks have made sure the fields it needs are there. */
function audienceOf(values: Readonly<Record<string, string>>): Audience {
  switch (values['audience']) {
    case 'team':
      return { kind: 'team', teamId: values['audienceTeam'] ?? '' };
    case 'ods':
      return { kind: 'ods', codes: (values['audienceCodes'] ?? '').split(',').filter((c) => c !== '') };
    case 'sponsors-and-ra-agents':
      return { kind: 'sponsors-and-ra-agents' };
    default:
      return { kind: 'everyone' };
  }
}

/**
 * Teams asks the user before a bot puts a file in their OneDrive, and only in a personal chat. Elsewhere (channels,
 * the Agents Playground and other local stand-ins, other channels) the list goes in the message.
 */
function filesPossible(activity: Partial<Activity>): boolean {
  if (activity.channelId !== 'msteams' || !isPersonal(activity) || !activity.conversation?.tenantId) return false;
  try {
    const host = new URL(activity.serviceUrl ?? '').hostname;
    return !['localhost', '127.0.0.1', '[::1]', '::1'].includes(host);
  } catch {
    return false;
  }
}
