import { MessageFactory, TurnContext, type StatePropertyAccessor } from 'botbuilder';
import { cardActivity, sendCard } from './cardReply.js';
import { renderFormCard } from '../cards/formCard.js';
import { renderRequestCard, type RequestCardData } from '../cards/requestCard.js';
import type { Submission } from '../cards/submission.js';
import type { Directory } from '../knowledge/directory.js';
import { checkForm, type FormDefinition } from '../knowledge/forms.js';
import type { RaRights } from '../knowledge/raRights.js';
import type { RaTeam } from '../knowledge/raTeams.js';
import { mentionsSecret } from '../knowledge/privacy.js';
import { formCardData } from './formView.js';
import type { AudienceRepository, Broadcasts } from './outreach.js';
import { turnLogger, type Clock, type Logger, type Notifier } from './ports.js';
import { masked, type Actor, type AuditEntry, type DeskRepository, type RaRequest, type RequestRepository, type RequestStatus } from './requests.js';
import type { UserProfile } from './userProfile.js';

/** The card buttons the request desk answers. */
export type RequestSubmission = Extract<Submission, { verb: 'form.open' | 'form.submit' | 'request.act' }>;

/** What filing and working requests needs. */
export interface RequestDeskDeps {
  readonly forms: readonly FormDefinition[];
  readonly requests: RequestRepository;
  readonly desks: DeskRepository;
  /** Desk cards: posted and updated in place, so they need the activity id the send gives back. */
  readonly notifier: Notifier;
  /** Messages to requesters: queued durably, so a Bot Connector failure delays them rather than losing them. */
  readonly broadcasts: Broadcasts;
  /** Where the requester is now: their personal chat as last seen, fresher than the one they filed from. */
  readonly audience: Pick<AudienceRepository, 'get'>;
  readonly directory: Directory;
  readonly rights: RaRights;
  readonly profile: StatePropertyAccessor<UserProfile>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** False in production without REQUEST_KEY: forms holding identity-document numbers are then refused. */
  readonly canSeal: boolean;
  readonly newDraftId: () => string;
  readonly raTeamEmails: ReadonlyMap<string, string>;
  /** The requester's email address, where Teams gives it (the roster); undefined elsewhere. Never throws. */
  readonly emailOf?: ((context: TurnContext) => Promise<string | undefined>) | undefined;
  /** Also emails a new request to its team's mailbox, when Graph is configured; never throws. */
  readonly mailRequest?: ((request: RaRequest, fieldLabels: Readonly<Record<string, string>>) => Promise<boolean>) | undefined;
}

const statusTitles: Readonly<Record<RequestStatus, string>> = {
  open: 'Open: waiting for the RA team',
  assigned: 'Being worked on',
  'awaiting-info': 'Waiting for more information from the requester',
  completed: 'Completed',
  rejected: 'Rejected',
};

/**
 * Files requests from forms and lets the RA team work them: the acknowledgement goes to the requester only after the
 * request is on disk, the request's card goes to its team's desk channel, and each change there is told to the
 * requester. Every desk action is checked on the server against the acting person's RA-team rights.
 */
export class RequestDesk {
  constructor(private readonly deps: RequestDeskDeps) {}

  /** The forms, for the "Raise a request" menu. */
  get forms(): readonly FormDefinition[] {
    return this.deps.forms;
  }

  async onCard(context: TurnContext, submission: RequestSubmission): Promise<void> {
    switch (submission.verb) {
      case 'form.open':
        return this.openForm(context, submission.form);
      case 'form.submit':
        return this.submit(context, submission);
      case 'request.act':
        return this.act(context, submission);
    }
  }

  /** Sends a form's card, with a one-time id so pressing Send twice files once. */
  async openForm(context: TurnContext, formId: string): Promise<void> {
    const form = this.deps.forms.find((f) => f.id === formId);
    if (!form) {
      await context.sendActivity("That form isn't available any more. Say **raise a request** to see the forms there are.");
      return;
    }
    await sendCard(context, renderFormCard({ ...formCardData(form), draft: this.deps.newDraftId() }));
  }

  /** "my requests": the requester's own, newest first, with where each stands. */
  async myRequests(context: TurnContext): Promise<void> {
    const mine = await this.deps.requests.list({ requesterId: context.activity.from.id });
    if (mine.length === 0) {
      await context.sendActivity("You haven't sent any requests to an RA team from here. Say **raise a request** to send one.");
      return;
    }
    const lines = mine.slice(0, 10).map((r) => `- **${r.reference}** ${r.formTitle}: ${statusTitles[r.status]} (sent ${shortDate(r.createdAt)})`);
    await context.sendActivity(`Your requests, newest first:\n\n${lines.join('\n')}`);
  }

  /** "open requests": for RA team members, the unfinished requests of their teams, urgent first; `mine` keeps those assigned to them. */
  async openRequests(context: TurnContext, mine: boolean): Promise<void> {
    const me = actor(context);
    const teams = this.deps.rights.teamsOf(me.aadObjectId);
    if (teams.length === 0) {
      await context.sendActivity("Only RA team members can see their team's requests. Say **my requests** to see the ones you sent.");
      return;
    }
    const open = (await this.deps.requests.list({ statuses: ['open', 'assigned', 'awaiting-info'] }))
      .filter((r) => teams.includes(r.teamId))
      .filter((r) => !mine || (r.assignee?.aadObjectId !== undefined && r.assignee.aadObjectId.toLowerCase() === me.aadObjectId?.toLowerCase()))
      .sort((a, b) => Number(b.urgent) - Number(a.urgent));
    if (open.length === 0) {
      await context.sendActivity(mine ? 'Nothing is assigned to you that is still open.' : 'No open requests for your team.');
      return;
    }
    // A request whose card is not in its team's desk channel (Teams was down when it was filed) is marked, so it is not missed.
    const hasDesk = new Map(await Promise.all(teams.map(async (t) => [t, t !== null && (await this.deps.desks.get(t)) !== undefined] as const)));
    const lines = open.slice(0, 20).map(
      (r) =>
        `- ${r.urgent ? '**URGENT** ' : ''}**${r.reference}** ${r.formTitle}: ${statusTitles[r.status]}${r.assignee ? ` (${r.assignee.name})` : ''}, sent ${shortDate(r.createdAt)}` +
        (!r.deskCard && hasDesk.get(r.teamId) ? ` (**not in the desk channel**: say **show ${r.reference}** to work on it)` : ''),
    );
    const more = open.length > 20 ? `\n\n...and ${open.length - 20} more.` : '';
    await context.sendActivity(`${mine ? 'Assigned to you' : 'Open requests for your team'}, urgent first:\n\n${lines.join('\n')}${more}\n\nSay **show RA-000123** (with its reference) to see one and act on it.`);
  }

  /** "show ID numbers RA-000123" in a personal chat: the numbers in full, for RA team members, recorded. */
  async revealByText(context: TurnContext, reference: string): Promise<void> {
    const request = await this.deps.requests.get(reference.toUpperCase());
    const me = actor(context);
    if (!request || !this.deps.rights.forTeam(me.aadObjectId, request.teamId)) {
      await context.sendActivity(`I can't show you ${reference.toUpperCase()}: it isn't one of your team's requests.`);
      return;
    }
    if (context.activity.conversation.conversationType !== 'personal') {
      await context.sendActivity(`For privacy I show identity-document numbers only in your personal chat with me: say **show ID numbers ${request.reference}** there.`);
      return;
    }
    await this.reveal(context, request, me);
  }

  /** "show RA-000123": the request's card with its desk buttons, for RA team members. */
  async show(context: TurnContext, reference: string): Promise<void> {
    const request = await this.deps.requests.get(reference.toUpperCase());
    if (!request || !this.deps.rights.forTeam(context.activity.from.aadObjectId, request.teamId)) {
      // The same words whether it does not exist or is not theirs: references are not to be probed.
      await context.sendActivity(`I can't show you ${reference.toUpperCase()}: it isn't one of your team's requests. Say **my requests** for the ones you sent.`);
      return;
    }
    if (request.teamId) await this.deps.desks.notePerson(request.teamId, actor(context));
    await sendCard(context, renderRequestCard(await this.deskCardFor(request)));
  }

  /** Makes the channel this message came from the desk of an RA team, for that team's members. */
  async setDesk(context: TurnContext, teamWords: string, teams: readonly RaTeam[]): Promise<void> {
    const words = teamWords.toLowerCase();
    const team = teams.find((t) => words.includes(t.id) || words.includes(t.name.toLowerCase()) || words.includes(t.inBrief.toLowerCase()));
    if (context.activity.conversation?.conversationType !== 'channel') {
      await context.sendActivity('A desk is a Teams channel: say this in the channel where your RA team should receive requests.');
      return;
    }
    if (!team) {
      await context.sendActivity(`Which RA team's desk? Say, for example, **make this the RA desk for ${teams[0]?.id ?? 'dorset'}** (teams: ${teams.map((t) => t.id).join(', ')}).`);
      return;
    }
    if (!this.deps.rights.forTeam(context.activity.from.aadObjectId, team.id)) {
      await context.sendActivity(`Only members of ${team.name} can choose its desk, so nothing has changed.`);
      return;
    }
    const reference = TurnContext.getConversationReference(context.activity);
    // New requests go to the channel itself, not into the thread this was said in.
    const channel = { ...reference, conversation: { ...reference.conversation, id: (reference.conversation?.id ?? '').split(';')[0] ?? '' } } as typeof reference;
    await this.deps.desks.set({ teamId: team.id, reference: channel, setBy: actor(context), setAt: this.now() });
    await this.deps.desks.notePerson(team.id, actor(context));
    await context.sendActivity(`Done: new requests for ${team.name} will arrive in this channel.`);
  }

  private async submit(context: TurnContext, submission: Extract<RequestSubmission, { verb: 'form.submit' }>): Promise<void> {
    const form = this.deps.forms.find((f) => f.id === submission.form);
    if (!form) {
      await context.sendActivity("That form isn't available any more, so nothing was sent. Say **raise a request** to start again.");
      return;
    }
    const checked = checkForm(form, submission.fields, this.deps.clock.now());
    if (!checked.ok) {
      await sendCard(
        context,
        renderFormCard({ ...formCardData(form, checked.values, checked.errors, 'Please correct the fields marked below. Nothing has been sent yet.'), draft: submission.draft ?? this.deps.newDraftId() }),
      );
      return;
    }
    const me = actor(context);
    const email = await this.deps.emailOf?.(context);
    if (submission.draft) {
      const earlier = (await this.deps.requests.list({ requesterId: me.id })).find((r) => r.draft === submission.draft);
      if (earlier) {
        await context.sendActivity(`That form was already sent as **${earlier.reference}**, so I haven't sent it again. Say **my requests** to see where it stands.`);
        return;
      }
    }
    const sensitiveFields = form.fields.filter((f) => f.sensitive && checked.values[f.id] !== undefined).map((f) => f.id);
    if (sensitiveFields.length > 0 && !this.deps.canSeal) {
      await context.sendActivity(
        "I can't accept identity-document numbers yet: this service has no encryption key set up, so nothing was sent. Please give the details to your RA team another way, and tell them the assistant needs its REQUEST_KEY.",
      );
      return;
    }
    const route = await this.route(context, checked.values['odsCode']);
    const now = this.now();
    let filed: RaRequest;
    try {
      filed = await this.deps.requests.file({
        formId: form.id,
        formTitle: form.title,
        status: 'open',
        urgent: checked.urgent,
        requester: email ? { ...me, email } : me,
        organisation: route.organisation,
        teamId: route.team?.id ?? null,
        fields: checked.values,
        sensitiveFields,
        createdAt: now,
        updatedAt: now,
        history: [{ at: now, by: me, action: 'filed' }],
        requesterConversation: TurnContext.getConversationReference(context.activity),
        draft: submission.draft,
      });
    } catch (error) {
      turnLogger(context, this.deps.logger).error({ err: error, form: form.id }, 'request could not be filed');
      await context.sendActivity("Sorry, I couldn't send that just now, so nothing has been sent. Please press **Send to the RA team** again in a minute.");
      return;
    }
    turnLogger(context, this.deps.logger).info({ reference: filed.reference, form: form.id, team: filed.teamId, urgent: filed.urgent }, 'request filed');
    const onDesk = await this.postToDesk(context, filed);
    await this.deps.mailRequest?.(filed, Object.fromEntries(form.fields.map((f) => [f.id, f.label])));
    await sendCard(context, renderRequestCard(this.acknowledgement(form, filed, route.team, onDesk)));
  }

  /** The RA team a request goes to: by the organisation in the form, else the requester's own. */
  private async route(context: TurnContext, odsCode: string | undefined): Promise<{ team: RaTeam | undefined; organisation?: { code: string; name?: string } }> {
    const profile = await this.deps.profile.get(context, {});
    const code = odsCode ?? profile.organisation?.code;
    if (code) {
      const lookup = await this.deps.directory.lookup(code);
      if (lookup.kind === 'found') {
        const team = lookup.team?.kind === 'team' ? lookup.team.team : undefined;
        return { team, organisation: { code: lookup.organisation.code, name: lookup.organisation.name } };
      }
    }
    // The person's remembered workplace routes their own requests when no organisation in the directory does.
    const match = !odsCode && profile.workplace ? this.deps.directory.teams.forWorkplace(profile.workplace.kind, profile.workplace.area) : undefined;
    return { team: match?.kind === 'team' ? match.team : undefined, ...(code ? { organisation: { code } } : {}) };
  }

  /** Posts the request's card to its team's desk. */
  private async postToDesk(context: TurnContext, request: RaRequest): Promise<'posted' | 'no-desk' | 'failed'> {
    const desk = request.teamId ? await this.deps.desks.get(request.teamId) : undefined;
    if (!desk) return 'no-desk';
    try {
      const activityId = await this.deps.notifier.send(desk.reference, cardActivity(renderRequestCard(await this.deskCardFor(request))));
      if (activityId) await this.deps.requests.setDeskCard(request.reference, { reference: desk.reference, activityId });
      return 'posted';
    } catch (error) {
      turnLogger(context, this.deps.logger).error({ err: error, reference: request.reference }, 'could not post the request to its desk');
      return 'failed';
    }
  }

  private async act(context: TurnContext, submission: Extract<RequestSubmission, { verb: 'request.act' }>): Promise<void> {
    const request = await this.deps.requests.get(submission.reference);
    const me = actor(context);
    if (submission.action === 'answer') {
      if (request) return this.answer(context, request, submission.note?.trim() ?? '');
      await context.sendActivity(`I can't find ${submission.reference}, so your answer wasn't added.`);
      return;
    }
    // The same words whether the request is missing or not theirs, so a forged button cannot probe references.
    if (!request || !this.deps.rights.forTeam(me.aadObjectId, request.teamId)) {
      await context.sendActivity(`Only members of the RA team this request went to can act on ${submission.reference}, so nothing has changed.`);
      return;
    }
    if (request.teamId) await this.deps.desks.notePerson(request.teamId, me);
    if (submission.action === 'show') {
      await sendCard(context, renderRequestCard(await this.deskCardFor(request)));
      return;
    }
    if (submission.action === 'reveal') {
      // A channel or group chat may hold people outside the team: numbers are shown only in a personal chat.
      if (context.activity.conversation.conversationType !== 'personal') {
        await context.sendActivity(`For privacy I show identity-document numbers only in your personal chat with me: say **show ID numbers ${request.reference}** there.`);
        return;
      }
      return this.reveal(context, request, me);
    }
    if (submission.version !== request.version) {
      await context.sendActivity(`${request.reference} has changed since this card was sent, so I haven't done that. Here it is now:`);
      await sendCard(context, renderRequestCard(await this.deskCardFor(request)));
      return;
    }
    const note = submission.note?.trim() ?? '';
    let assignee = me;
    if (submission.action === 'assign-to') {
      const desk = request.teamId ? await this.deps.desks.get(request.teamId) : undefined;
      const chosen = desk?.people?.find((p) => p.aadObjectId !== undefined && p.aadObjectId === submission.assignTo);
      if (!chosen || !this.deps.rights.forTeam(chosen.aadObjectId, request.teamId)) {
        await context.sendActivity(`I can't assign ${request.reference} to that person: choose a member of the team from the list.`);
        return;
      }
      assignee = chosen;
    }
    const change = transition(request, submission.action === 'assign-to' ? 'assign' : submission.action, note);
    if (typeof change === 'string') {
      await context.sendActivity(change);
      return;
    }
    const entry: AuditEntry = {
      at: this.now(),
      by: me,
      action: change.action,
      from: request.status,
      to: change.status,
      ...(change.action === 'assigned' ? { assignedTo: assignee.name } : {}),
      ...(note ? { note } : {}),
    };
    const updated = await this.deps.requests.update(request.reference, request.version, (r) => ({
      ...r,
      status: change.status,
      assignee: change.status === 'assigned' ? assignee : change.status === 'open' ? undefined : r.assignee,
      updatedAt: entry.at,
      history: [...r.history, entry],
    }));
    if (updated === 'missing' || updated === 'conflict') {
      await context.sendActivity(`${request.reference} was changed by someone else at the same moment, so I haven't done that. Look at its card again.`);
      return;
    }
    // The desk card is updated in place where it was pressed; a requester-side copy is never a desk.
    const card = cardActivity(renderRequestCard(await this.deskCardFor(updated)));
    if (context.activity.replyToId) await context.updateActivity({ ...card, id: context.activity.replyToId }).catch(() => context.sendActivity(card));
    else await context.sendActivity(card);
    await this.tellRequester(context, updated, entry);
  }

  /** The requester's answer to the RA team's question, from their own chat; only the requester may give it. */
  private async answer(context: TurnContext, request: RaRequest, answer: string): Promise<void> {
    if (context.activity.from.id !== request.requester.id) {
      await context.sendActivity(`Only the person who sent ${request.reference} can answer for it, so nothing has changed.`);
      return;
    }
    if (request.status !== 'awaiting-info') {
      await context.sendActivity(`${request.reference} isn't waiting for an answer from you now, so I haven't added that. Say **my requests** to see where it stands.`);
      return;
    }
    if (answer === '') {
      await context.sendActivity('Write your answer in the box first.');
      return;
    }
    if (mentionsSecret(answer)) {
      await context.sendActivity("That looks like a passcode or code: please don't send those to anyone. Your answer wasn't sent; write it again without it.");
      return;
    }
    const entry: AuditEntry = { at: this.now(), by: actor(context), action: 'answered', from: request.status, to: request.assignee ? 'assigned' : 'open', note: answer };
    const updated = await this.deps.requests.update(request.reference, request.version, (r) => ({
      ...r,
      status: r.assignee ? 'assigned' : 'open',
      updatedAt: entry.at,
      history: [...r.history, entry],
    }));
    if (typeof updated === 'string') {
      await context.sendActivity(`${request.reference} changed just as you answered, so your answer wasn't added. Please press **Reply** on the newest message about it.`);
      return;
    }
    await this.refreshDeskCard(context, updated);
    await context.sendActivity(`Thanks: your answer is on ${request.reference} for the RA team.`);
  }

  /** Shows an RA team member the identity-document numbers in full, and records that they were viewed. */
  private async reveal(context: TurnContext, request: RaRequest, me: Actor): Promise<void> {
    const form = this.deps.forms.find((f) => f.id === request.formId);
    const shown = request.sensitiveFields.map((id) => `${form?.fields.find((f) => f.id === id)?.label ?? id}: ${request.fields[id] ?? ''}`);
    if (shown.length === 0) {
      await context.sendActivity(`${request.reference} has no identity-document numbers.`);
      return;
    }
    const entry: AuditEntry = { at: this.now(), by: me, action: 'viewed-sensitive' };
    const updated = await this.deps.requests.update(request.reference, request.version, (r) => ({ ...r, updatedAt: entry.at, history: [...r.history, entry] }));
    if (typeof updated === 'string') {
      await context.sendActivity(`${request.reference} changed just now; press **Show ID numbers** on its newest card.`);
      return;
    }
    await this.refreshDeskCard(context, updated);
    await context.sendActivity(`Identity-document numbers on ${request.reference}, shown to ${me.name} (this viewing is recorded on the request):\n\n${shown.map((line) => `- ${line}`).join('\n')}`);
  }

  /** Updates the request's card on its desk, wherever the change came from. */
  private async refreshDeskCard(context: TurnContext, request: RaRequest): Promise<void> {
    if (!request.deskCard) return;
    try {
      await this.deps.notifier.update(request.deskCard.reference, request.deskCard.activityId, cardActivity(renderRequestCard(await this.deskCardFor(request))));
    } catch (error) {
      turnLogger(context, this.deps.logger).error({ err: error, reference: request.reference }, 'could not update the desk card');
    }
  }

  /**
   * Tells the requester what changed, in their own chat, through the send queue: it retries while Teams is down.
   * The id is the request's version after the change, so a turn run again cannot tell them twice.
   */
  private async tellRequester(context: TurnContext, request: RaRequest, entry: AuditEntry): Promise<void> {
    const log = turnLogger(context, this.deps.logger);
    const said: Record<AuditEntry['action'], string> = {
      filed: 'has been sent',
      assigned: `is being worked on by ${request.assignee?.name ?? entry.by.name}`,
      asked: 'needs more information from you',
      answered: 'has your answer',
      completed: 'has been completed',
      rejected: 'was not accepted',
      reopened: 'has been reopened',
      'viewed-sensitive': 'was viewed',
    };
    const text = `Update on **${request.reference}** (${request.formTitle}): it ${said[entry.action]}.${entry.note ? `\n\n${entry.action === 'asked' ? 'The RA team asks' : 'Note from the RA team'}: ${entry.note}` : ''}`;
    // A question comes with a box to answer it in, from the requester's own chat.
    const message = entry.action === 'asked' ? cardActivity(renderRequestCard(this.question(request, entry.note ?? ''))) : MessageFactory.text(text);
    try {
      const reference = (await this.whereIs(request.requester.id, log)) ?? request.requesterConversation;
      if (!reference) return;
      await this.deps.broadcasts.queue({
        id: `request:${request.reference}:${request.version}`,
        title: `Update on ${request.reference}`,
        activity: message,
        recipients: [{ userId: request.requester.id, reference }],
      });
    } catch (error) {
      log.error({ err: error, reference: request.reference }, 'could not queue the message to the requester');
      await context.sendActivity(`I couldn't message the requester about ${request.reference} just now; the change itself is saved.`);
    }
  }

  /** The requester's personal chat as last seen, or undefined (not seen since, or the audience can't be read). */
  private async whereIs(userId: string, log: Logger): Promise<RaRequest['requesterConversation']> {
    try {
      return (await this.deps.audience.get(userId))?.reference;
    } catch (error) {
      // The chat they filed from still reaches them.
      log.warn({ err: error }, 'could not read the audience; telling the requester where they filed from');
      return undefined;
    }
  }

  private question(request: RaRequest, asked: string): RequestCardData {
    return {
      heading: `${request.reference}: the RA team asks`,
      reference: request.reference,
      version: request.version,
      urgentText: '',
      intro: [asked, 'Reply here. Please leave out passcodes and anything about patients.'],
      facts: [{ title: 'Request', value: request.formTitle }],
      details: [],
      checklist: [],
      history: [],
      actions: [],
      noted: [{ title: 'Reply', label: 'Your answer', action: 'answer' }],
      buttons: [{ title: 'My requests', data: { verb: 'menu.open', command: 'my-requests' } }],
    };
  }

  private acknowledgement(form: FormDefinition, request: RaRequest, team: RaTeam | undefined, onDesk: 'posted' | 'no-desk' | 'failed'): RequestCardData {
    const phone = team ? `${team.phone}${this.deps.raTeamEmails.get(team.id) ? ` or ${this.deps.raTeamEmails.get(team.id) ?? ''}` : ''}` : '';
    const where = team
      ? onDesk === 'posted'
        ? `Sent to ${team.name}. You'll get a message here each time it moves.`
        : onDesk === 'failed'
          ? `Saved for ${team.name}, but I couldn't put it on their desk just now, so please also tell them: ${phone}.`
          : `Saved for ${team.name}, but their desk isn't set up in Teams yet, so please also tell them: ${phone}.`
      : "I don't hold an RA team for this organisation, so it has gone to the assistant's RA administrators. Please also contact your local RA team.";
    return {
      heading: `Sent: ${request.reference}`,
      reference: request.reference,
      version: request.version,
      urgentText: request.urgent ? 'Marked urgent.' : '',
      intro: [where, form.next.trim(), ...(request.urgent && team ? [`Because it is urgent, also phone ${team.name} now: ${phone}.`] : [])],
      facts: [
        { title: 'Reference', value: request.reference },
        { title: 'Request', value: request.formTitle },
        { title: 'Status', value: statusTitles[request.status] },
      ],
      details: [],
      checklist: form.checklist ?? [],
      history: [],
      actions: [],
      noted: [],
      buttons: [
        { title: 'My requests', data: { verb: 'menu.open', command: 'my-requests' } },
        { title: 'What I can do', data: { verb: 'menu.open', command: 'help' } },
      ],
    };
  }

  /** The desk card, with the team members the request can be assigned to. */
  private async deskCardFor(request: RaRequest): Promise<RequestCardData> {
    const desk = request.teamId ? await this.deps.desks.get(request.teamId) : undefined;
    const people = (desk?.people ?? []).filter((p) => this.deps.rights.forTeam(p.aadObjectId, request.teamId));
    return this.deskCard(request, people);
  }

  private deskCard(request: RaRequest, people: readonly Actor[] = []): RequestCardData {
    const form = this.deps.forms.find((f) => f.id === request.formId);
    const closed = request.status === 'completed' || request.status === 'rejected';
    return {
      heading: `${request.reference}: ${request.formTitle}`,
      reference: request.reference,
      version: request.version,
      urgentText: request.urgent && !closed ? 'URGENT: act on this at once' : '',
      intro: [],
      facts: [
        { title: 'Status', value: statusTitles[request.status] },
        { title: 'Assigned to', value: request.assignee?.name ?? 'Nobody yet' },
        { title: 'From', value: request.requester.name },
        ...(request.organisation ? [{ title: 'Organisation', value: `${request.organisation.name ?? ''} (${request.organisation.code})`.trim() }] : []),
        { title: 'Sent', value: shortDate(request.createdAt) },
      ],
      details: (form?.fields ?? [])
        .filter((f) => request.fields[f.id] !== undefined)
        .map((f) => {
          const value = request.fields[f.id] ?? '';
          return { title: f.label, value: request.sensitiveFields.includes(f.id) ? masked(value) : readable(value) };
        }),
      checklist: [],
      history: request.history.map((h) => `${shortDate(h.at)} ${h.by.name}: ${h.assignedTo ? `assigned to ${h.assignedTo}` : h.action}${h.note ? ` (${h.note})` : ''}`),
      actions: [
        ...(closed ? [{ title: 'Reopen', action: 'reopen' }] : request.assignee ? [] : [{ title: 'Assign to me', action: 'assign' }]),
        ...(request.sensitiveFields.length > 0 ? [{ title: 'Show ID numbers', action: 'reveal' }] : []),
      ],
      noted: closed
        ? []
        : [
            { title: 'Complete', label: 'What was done (the requester sees this)', action: 'complete' },
            { title: 'Reject', label: 'Why (the requester sees this)', action: 'reject' },
            { title: 'Ask for information', label: 'Your question for the requester', action: 'ask' },
          ],
      assignable: closed
        ? []
        : people.filter((p) => p.aadObjectId !== request.assignee?.aadObjectId).map((p) => ({ title: p.name, value: p.aadObjectId ?? '' })),
      buttons: [],
    };
  }

  private now(): string {
    return this.deps.clock.now().toISOString();
  }
}

/** What a desk action does to a request, or why it cannot. */
function transition(request: RaRequest, action: 'assign' | 'complete' | 'reject' | 'ask' | 'reopen', note: string): { status: RequestStatus; action: AuditEntry['action'] } | string {
  const closed = request.status === 'completed' || request.status === 'rejected';
  if (action === 'reopen') return closed ? { status: 'open', action: 'reopened' } : `${request.reference} is not closed, so there is nothing to reopen.`;
  if (closed) return `${request.reference} is already ${request.status}. Reopen it first.`;
  if (action === 'assign') return { status: 'assigned', action: 'assigned' };
  if (note === '') return 'Write a note first: the requester sees it.';
  if (action === 'complete') return { status: 'completed', action: 'completed' };
  if (action === 'reject') return { status: 'rejected', action: 'rejected' };
  return { status: 'awaiting-info', action: 'asked' };
}

function actor(context: TurnContext): Actor {
  const { id, aadObjectId, name } = context.activity.from;
  return { id, aadObjectId, name: name || 'Someone' };
}

function readable(value: string): string {
  return value === 'true' ? 'Yes' : value === 'false' ? 'No' : value;
}

function shortDate(iso: string): string {
  return new Date(iso).toLocaleString('en-GB', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', timeZone: 'Europe/London' });
}
