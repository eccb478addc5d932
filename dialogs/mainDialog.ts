import type { Activity, StatePropertyAccessor, TurnContext } from 'botbuilder';
import { cardActivity, sendCard } from './cardReply.js';
import {
  ComponentDialog,
  type Dialog,
  DialogSet,
  DialogTurnStatus,
  WaterfallDialog,
  type DialogContext,
  type DialogState,
  type DialogTurnResult,
  type WaterfallStepContext,
} from 'botbuilder-dialogs';
import { renderAboutCard } from '../cards/aboutCard.js';
import { renderHelpCard, renderWelcomeCard, type MenuEntry } from '../cards/menuCard.js';
import { renderClarifyCard } from '../cards/answerCards.js';
import { mentionsSecret } from '../knowledge/privacy.js';
import type { FlowId } from '../knowledge/articles.js';
import type { Submission } from '../cards/submission.js';
import { codeLikeIn, odsCodeIn, statedCode } from '../knowledge/odsCodes.js';
import { DirectoryActions, type DirectoryActionsDeps, type DirectorySubmission } from './directoryActions.js';
import { Faq, type FaqDeps, type FaqSubmission } from './faq.js';
import { FindContactDialog, type FindContactDeps, type FindContactOptions } from './findContactDialog.js';
import type { RequestDesk, RequestSubmission } from './requestDesk.js';
import type { BroadcastActions, BroadcastSubmission } from './broadcastActions.js';
import { classifyInput, normalise, type GlobalCommand, type TurnInput } from './input.js';
import { WorkplaceDialog, type WorkplaceDialogDeps } from './workplaceDialog.js';
import type { FlowResult } from './treeDialog.js';
import type { AnnouncementSettings, AudienceSubmission } from './announcementSettings.js';
import type { Training } from './training.js';
import { RenewalDialog, statesExpiry, type RenewalSubmission, type Renewals } from './renewals.js';

/** A thing the assistant can do, reachable from the menu (when `inMenu`) and by typing one of `commands`. */
interface Capability extends MenuEntry {
  readonly inMenu: boolean;
  readonly commands: readonly string[];
  start(step: WaterfallStepContext): Promise<DialogTurnResult>;
}

/** What the main dialog needs from the composition root. */
export interface MainDialogDeps extends WorkplaceDialogDeps, FaqDeps, FindContactDeps, DirectoryActionsDeps {
  readonly version: string;
  /**
   * Guided flows by the id articles name in `flow:`. A question whose article has a registered flow starts
   * the flow; until a flow is registered, its questions are answered by the article.
   */
  readonly flows?: readonly GuidedFlow[];
  /** Request forms and the RA desk. */
  readonly requestDesk: RequestDesk;
  /** Announcements on or off, and the roles some are meant for. */
  readonly announcements?: AnnouncementSettings | undefined;
  /** Certificate renewal reminders. */
  readonly renewals?: Renewals | undefined;
  /** The delivery report card's Cancel and Refresh. */
  readonly broadcastActions?: BroadcastActions | undefined;
  /** Training sessions: announcing them, the dates and bookings. */
  readonly training?: Training | undefined;
}

/** A guided flow as the main dialog offers it: its dialog, its title for menus and the phrases that start it. */
export interface GuidedFlow {
  readonly id: FlowId;
  readonly title: string;
  readonly triggers: readonly string[];
  readonly dialog: Dialog;
  /** Whether a question already describes the situation the flow asks about; if not, the article answers and offers the flow. */
  readonly startsFrom: (words: string) => boolean;
}

interface RouteOptions {
  readonly command?: string;
}

const routeId = 'main.route';

/**
 * The root of every conversation: routes each message to a capability and lets help, cancel,
 * start over and menu buttons interrupt any step of any dialog.
 */
export class MainDialog extends ComponentDialog {
  static readonly id = 'main';
  private readonly capabilities: readonly Capability[];
  private readonly commands: ReadonlyMap<string, string>;
  private readonly faq: Faq;
  private readonly directoryActions: DirectoryActions;
  private readonly flows: readonly GuidedFlow[];

  constructor(private readonly deps: MainDialogDeps) {
    super(MainDialog.id);
    const flows = deps.flows ?? [];
    for (const flow of flows) {
      if (flow.dialog.id !== flow.id) throw new Error(`flow ${flow.id} is registered with a dialog whose id is ${flow.dialog.id}`);
      this.addDialog(flow.dialog);
    }
    this.flows = flows;
    // What an answer's `form:` offers: a request form opens; the training session form's readers want the dates.
    const offers = new Map<string, { title: string; command: string }>(deps.requestDesk.forms.map((f) => [f.id, { title: f.title, command: `form.${f.id}` }]));
    if (deps.training) offers.set(deps.training.formId, { title: 'Training dates', command: 'training' });
    this.faq = new Faq(deps, new Map(flows.map((f) => [f.id, f] as const)), offers);
    this.directoryActions = new DirectoryActions(deps);
    this.capabilities = [
      {
        id: 'ask',
        title: 'Ask a question',
        summary: 'Ask about smartcards in your own words: locked cards, renewals, readers, access, forms, lost cards and more.',
        inMenu: true,
        commands: ['ask', 'ask a question', 'question', 'i have a question', 'faq', 'common questions'],
        start: async (step) => {
          await this.faq.invite(step.context);
          return step.next();
        },
      },
      {
        id: 'guides',
        title: 'Step-by-step help',
        summary: 'Walk through a locked card, a card reader problem, a certificate renewal, unlocking a colleague\'s card or printing a new card.',
        inMenu: (deps.flows ?? []).length > 0,
        commands: ['step by step', 'step-by-step help', 'guides', 'troubleshoot', 'troubleshooting', 'walk me through it'],
        start: async (step) => {
          const card = renderClarifyCard({
            heading: 'Step-by-step help',
            detail: "Choose what you need help with. I'll ask a few questions and end with the one thing to do.",
            question: '',
            candidates: [],
            flows: this.flows.map((f) => ({ id: `flow.${f.id}`, title: f.title })),
          });
          await sendCard(step.context, card);
          return step.next();
        },
      },
      {
        id: 'my-ra-team',
        title: 'My RA team',
        summary: "Tell me which organisation you work for and I'll show its Registration Authority (RA) team, Sponsors and Smartcard Administrators.",
        inMenu: true,
        commands: ['my ra team', 'ra team', 'who is my ra team', "who's my ra team", 'find my ra team', 'contact my ra team', 'who do i ring', 'who do i call', 'who do i contact'],
        start: (step) => step.beginDialog(FindContactDialog.id, { mode: 'mine', question: 'my ra team' } satisfies FindContactOptions),
      },
      {
        id: 'find-contact',
        title: 'Find a contact',
        summary: 'Find the Sponsors, Smartcard Administrators, RA agents and RA team for any organisation, by ODS code, name or postcode.',
        inMenu: true,
        commands: ['find a contact', 'find contact', 'directory', 'look up an organisation', 'find an organisation', 'look up a code', 'look up an ods code', 'ods lookup', 'lookup'],
        start: (step) => step.beginDialog(FindContactDialog.id, { mode: 'lookup' } satisfies FindContactOptions),
      },
      {
        id: 'change-organisation',
        title: 'Change my organisation',
        summary: 'Tell me again which organisation you work for.',
        inMenu: false,
        commands: [
          'change my organisation',
          'change my organization',
          'change organisation',
          'set my organisation',
          'my organisation',
          'change my ods code',
        ],
        start: (step) => step.beginDialog(FindContactDialog.id, { mode: 'change' } satisfies FindContactOptions),
      },
      {
        id: 'workplace',
        title: 'Change where I work',
        summary: 'Tell me again what kind of place you work in and its area, for people without one organisation.',
        inMenu: false,
        commands: ['change where i work', 'where i work', 'set my workplace', 'my workplace', 'change my workplace'],
        start: (step) => step.beginDialog(WorkplaceDialog.id, { mode: 'ask' }),
      },
      {
        id: 'forget-me',
        title: 'Forget me',
        summary: 'Clear the organisation and workplace I remember for you.',
        inMenu: false,
        commands: ['forget me', 'forget my details', 'forget about me', 'forget what you know about me', 'delete my details', 'delete my data', 'clear my details', 'forget my organisation'],
        start: async (step) => {
          await this.deps.profile.delete(step.context);
          const outreach = await this.forgetOutreach(step.context);
          await step.context.sendActivity(
            `Done: I've forgotten your organisation and where you work.${outreach} I'll ask again if an answer depends on them. (Questions I couldn't answer are kept for the RA team without your name.)`,
          );
          return step.next();
        },
      },
      {
        id: 'request',
        title: 'Raise a request',
        summary: 'Report a lost card, ask for a new user, record ID checks, change access and more, with a form the RA team works from.',
        inMenu: true,
        commands: ['raise a request', 'request', 'new request', 'forms', 'send a form', 'fill in a form', 'requests'],
        start: async (step) => {
          const card = renderClarifyCard({
            heading: 'Raise a request',
            detail: 'Choose a form. You fill it in here and it goes straight to your RA team, who will tell you here as it moves.',
            question: '',
            candidates: [],
            flows: this.deps.requestDesk.forms.map((f) => ({ id: `form.${f.id}`, title: f.title })),
          });
          await sendCard(step.context, card);
          return step.next();
        },
      },
      {
        id: 'ask-ra-team',
        title: 'Ask the RA team',
        summary: 'Send the RA team a question they will answer here.',
        inMenu: false,
        commands: ['ask the ra team', 'ask ra team', 'question for the ra team', 'ask the smartcard team', 'contact the ra team by message'],
        start: replying((context) => this.deps.requestDesk.openForm(context, 'general-question')),
      },
      {
        id: 'open-requests',
        title: 'Open requests',
        summary: "For RA team members: your team's unfinished requests, urgent first.",
        inMenu: false,
        commands: ['open requests', 'team requests', 'our requests', 'ra requests', 'desk requests', 'requests to do'],
        start: replying((context) => this.deps.requestDesk.openRequests(context, false)),
      },
      {
        id: 'assigned-to-me',
        title: 'Assigned to me',
        summary: 'For RA team members: the open requests assigned to you.',
        inMenu: false,
        commands: ['assigned to me', 'my assigned requests', 'my work', 'requests assigned to me'],
        start: replying((context) => this.deps.requestDesk.openRequests(context, true)),
      },
      {
        id: 'my-requests',
        title: 'My requests',
        summary: 'Where each request you sent stands.',
        inMenu: false,
        commands: ['my requests', 'my request', 'request status', 'where is my request', 'my forms'],
        start: replying((context) => this.deps.requestDesk.myRequests(context)),
      },
      ...(deps.renewals ? renewalCapabilities(deps.renewals) : []),
      ...(deps.training ? trainingCapabilities(deps.training) : []),
      ...(deps.announcements ? announcementCapabilities(deps.announcements) : []),
      {
        id: 'about',
        title: 'About and privacy',
        summary: 'Where my answers come from, and how I treat your data.',
        inMenu: true,
        commands: ['about', 'privacy', 'about this assistant', 'about you', 'who are you'],
        start: async (step) => {
          const card = renderAboutCard({ version: this.deps.version, sources: this.deps.sources.titles() });
          await sendCard(step.context, card);
          return step.next();
        },
      },
    ];
    this.commands = new Map([
      ...this.capabilities.flatMap((c) => c.commands.map((w) => [normalise(w), c.id] as const)),
      ...(deps.flows ?? []).flatMap((f) => f.triggers.map((w) => [normalise(w), `flow.${f.id}`] as const)),
    ]);
    this.addDialog(new WorkplaceDialog(deps));
    this.addDialog(new FindContactDialog(deps));
    if (deps.renewals) this.addDialog(new RenewalDialog(deps.renewals));
    this.addDialog(new WaterfallDialog(routeId, [this.route.bind(this), this.afterChild.bind(this)]));
    this.initialDialogId = routeId;
  }

  /** The menu entries the help and welcome cards list: only what works today. */
  menu(): MenuEntry[] {
    return this.capabilities.filter((c) => c.inMenu).map(({ id, title, summary }) => ({ id, title, summary }));
  }

  /** The welcome message, sent once when the assistant joins a conversation. */
  welcome(inChannel: boolean): Partial<Activity> {
    return cardActivity(renderWelcomeCard(this.menu(), { inChannel }));
  }

  /** Results for the compose-box search (the Teams message extension). */
  composeResults(context: TurnContext, query: string): Promise<{ title: string; snippet: string; card: object }[]> {
    return this.faq.composeResults(context, query);
  }

  /** Runs one message turn: continues the dialog in progress, or starts the router. */
  async run(context: TurnContext, dialogState: StatePropertyAccessor<DialogState>): Promise<void> {
    const dc = await new DialogSet(dialogState).add(this).createContext(context);
    const result = await dc.continueDialog();
    if (result.status === DialogTurnStatus.empty) await dc.beginDialog(MainDialog.id);
  }

  protected override async onContinueDialog(inner: DialogContext): Promise<DialogTurnResult> {
    const input = classifyInput(inner.context.activity, this.commands);
    switch (input.kind) {
      case 'global':
        return this.interruptWith(inner, input.command);
      case 'command':
        await inner.cancelAllDialogs();
        return inner.beginDialog(routeId, { command: input.command } satisfies RouteOptions);
      case 'bad-card':
        await inner.context.sendActivity(`Sorry, ${input.problem}. It may be from an older message. Here is where we were:`);
        await inner.repromptDialog();
        return { status: DialogTurnStatus.waiting };
      case 'card':
        // A button on an earlier answer (feedback, a related article) is handled, then the open question is asked again.
        await this.onCard(inner.context, input.submission);
        await inner.repromptDialog();
        return { status: DialogTurnStatus.waiting };
      case 'text':
        if (mentionsSecret(input.text)) {
          await inner.context.sendActivity("Please don't type passcodes or unlock codes here: nobody will ever ask you for them. I haven't kept that message.");
          await inner.repromptDialog();
          return { status: DialogTurnStatus.waiting };
        }
        return super.onContinueDialog(inner);
      default:
        return super.onContinueDialog(inner);
    }
  }

  private async interruptWith(inner: DialogContext, command: GlobalCommand): Promise<DialogTurnResult> {
    switch (command) {
      case 'help':
        await this.sendHelp(inner.context);
        await inner.context.sendActivity("We were in the middle of something: answer the question above to carry on, or say **cancel**.");
        await inner.repromptDialog();
        return { status: DialogTurnStatus.waiting };
      case 'cancel':
        await inner.context.sendActivity("OK, I've stopped that. Nothing was changed.");
        return inner.cancelAllDialogs();
      case 'start-over':
        await inner.cancelAllDialogs();
        await inner.context.sendActivity("OK, let's start again.");
        await this.sendHelp(inner.context);
        return { status: DialogTurnStatus.cancelled };
    }
  }

  private async route(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const command = (step.options as RouteOptions | undefined)?.command;
    const input: TurnInput = command ? { kind: 'command', command } : classifyInput(step.context.activity, this.commands);
    switch (input.kind) {
      case 'global':
        if (input.command === 'cancel') await step.context.sendActivity("There's nothing to cancel. Here's what I can do:");
        if (input.command === 'start-over') await step.context.sendActivity("OK, let's start again.");
        await this.sendHelp(step.context);
        return step.endDialog();
      case 'command': {
        const capability = this.capabilities.find((c) => c.id === input.command);
        if (capability) return capability.start(step);
        const flow = this.flows.find((f) => `flow.${f.id}` === input.command);
        if (flow) return step.beginDialog(flow.id);
        if (input.command.startsWith('form.')) {
          await this.deps.requestDesk.openForm(step.context, input.command.slice('form.'.length));
          return step.endDialog();
        }
        await step.context.sendActivity("That button is from an older message and doesn't do anything now. Here's what I can do:");
        await this.sendHelp(step.context);
        return step.endDialog();
      }
      case 'card-answer':
        await step.context.sendActivity("That question has already been answered or has expired. Here's what I can do:");
        break;
      case 'bad-card':
        await step.context.sendActivity(`Sorry, ${input.problem}. Here's what I can do:`);
        break;
      case 'card':
        await this.onCard(step.context, input.submission);
        return step.endDialog();
      case 'text': {
        const desk = /^(?:please\s+)?(?:make|set)\s+this(?:\s+channel)?\s+(?:the\s+|as\s+the\s+)?(?:ra\s+)?desk(?:\s+for)?\s*(.*)$/i.exec(input.text);
        if (desk) {
          await this.deps.requestDesk.setDesk(step.context, desk[1] ?? '', this.deps.raTeams.teams);
          return step.endDialog();
        }
        const numbers = /^(?:show|see)\s+(?:the\s+)?id\s+numbers\s+(?:for\s+|on\s+)?(RA-\d{6})$/i.exec(input.text.trim());
        if (numbers?.[1]) {
          await this.deps.requestDesk.revealByText(step.context, numbers[1]);
          return step.endDialog();
        }
        const shown = /^(?:show|open|see)\s+(RA-\d{6})$/i.exec(input.text.trim());
        if (shown?.[1]) {
          await this.deps.requestDesk.show(step.context, shown[1]);
          return step.endDialog();
        }
        if (this.deps.renewals && statesExpiry(input.text)) {
          await this.deps.renewals.saveTyped(step.context, input.text);
          return step.endDialog();
        }
        if (this.deps.training && (await this.deps.training.byText(step.context, input.text))) return step.endDialog();
        const lookup = directoryRequest(input.text);
        if (lookup) return step.beginDialog(FindContactDialog.id, lookup);
        const answer = await this.faq.ask(step.context, input.text);
        if (answer.kind === 'flow') return step.beginDialog(answer.flow, { question: input.text });
        return step.endDialog();
      }
      case 'empty':
        await step.context.sendActivity("I didn't catch a question there. Here's what I can help with:");
        break;
    }
    await this.sendHelp(step.context);
    return step.endDialog();
  }

  /** A flow the user left with a new question hands the same message back to the router. */
  private async afterChild(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const result = step.result as FlowResult | undefined;
    return result?.reroute ? step.replaceDialog(routeId) : step.endDialog();
  }

  private async onCard(context: TurnContext, submission: Submission): Promise<void> {
    // Outreach verbs (training., broadcast., audience., renewal.) are routed here, each to its own part.
    if (submission.verb === 'broadcast.act') {
      if (this.deps.broadcastActions) await this.deps.broadcastActions.onCard(context, submission satisfies BroadcastSubmission);
      else await context.sendActivity("Delivery reports aren't available here.");
      return;
    }
    if (this.deps.training && (submission.verb === 'training.act' || (submission.verb === 'form.submit' && submission.form === this.deps.training.formId))) {
      await this.deps.training.onCard(context, submission);
      return;
    }
    if (submission.verb.startsWith('org.') || submission.verb.startsWith('contact.')) {
      await this.directoryActions.onCard(context, submission as DirectorySubmission);
    } else if (submission.verb.startsWith('form.') || submission.verb.startsWith('request.')) {
      await this.deps.requestDesk.onCard(context, submission as RequestSubmission);
    } else if (submission.verb === 'audience.set' && this.deps.announcements) {
      await this.deps.announcements.onCard(context, submission as AudienceSubmission);
    } else if (submission.verb.startsWith('renewal.') && this.deps.renewals) {
      await this.deps.renewals.onCard(context, submission as RenewalSubmission);
    } else {
      await this.faq.onCard(context, submission as FaqSubmission);
    }
  }

  /** "forget me" also clears announcement settings and roles and cancels renewal reminders; what it could not is said. */
  private async forgetOutreach(context: TurnContext): Promise<string> {
    const done: string[] = [];
    const failed: string[] = [];
    const attempt = async (what: string, work: (() => Promise<unknown>) | undefined) => {
      if (!work) return;
      try {
        await work();
        done.push(what);
      } catch (error) {
        this.deps.logger.error({ errorName: (error as Error).name }, `forget me: could not clear ${what}`);
        failed.push(what);
      }
    };
    const { announcements, renewals } = this.deps;
    await attempt('the roles you told me you hold', announcements && (() => announcements.forget(context)));
    await attempt('your certificate renewal reminders', renewals && (() => renewals.cancelAll(context.activity.from.id)));
    const cleared = done.length > 0 ? ` I've also cleared ${done.join(' and ')}.` : '';
    return failed.length > 0 ? `${cleared} I couldn't clear ${failed.join(' or ')} just now: say **forget me** again in a minute.` : cleared;
  }

  private async sendHelp(context: TurnContext): Promise<void> {
    await sendCard(context, renderHelpCard(this.menu()));
  }
}

/** Certificate renewal reminders: set (a card, or a typed date), and stop. */
function renewalCapabilities(renewals: Renewals): Capability[] {
  return [
    {
      id: 'renewals',
      title: 'Certificate reminders',
      summary: "Tell me when your smartcard certificates expire and I'll remind you to renew them, 90, 30 and 7 days before.",
      inMenu: true,
      commands: [
        'certificate reminders',
        'certificate reminder',
        'renewal reminder',
        'renewal reminders',
        'remind me to renew my certificates',
        'remind me to renew my certs',
        'remind me to renew my smartcard',
        'remind me to renew my card',
        'remind me to renew',
        'change my renewal date',
        'my certificate expiry date',
      ],
      start: (step) => step.beginDialog(RenewalDialog.id),
    },
    {
      id: 'renewals-stop',
      title: 'Stop renewal reminders',
      summary: 'Cancel your certificate renewal reminders.',
      inMenu: false,
      commands: ['stop renewal reminders', 'cancel renewal reminders', 'stop certificate reminders', 'cancel certificate reminders', 'no more renewal reminders'],
      start: replying((context) => renewals.stop(context)),
    },
  ];
}

/** Training dates and bookings for everyone; announcing a session for RA team members. */
function trainingCapabilities(training: Training): Capability[] {
  return [
    {
      id: 'training',
      title: 'Training dates',
      summary: 'RA agent and Sponsor training sessions: see the dates and book a place.',
      inMenu: true,
      commands: ['training dates', 'training', 'training sessions', 'training courses', 'upcoming training', 'book training', 'book a training session', 'ra training', 'sponsor training'],
      start: replying((context) => training.list(context)),
    },
    {
      id: 'my-bookings',
      title: 'My bookings',
      summary: 'The training sessions you have booked or are waiting for, and cancelling them.',
      inMenu: false,
      commands: ['my bookings', 'my booking', 'my training', 'my training bookings', 'my places'],
      start: replying((context) => training.myBookings(context)),
    },
    {
      id: 'new-training-session',
      title: 'New training session',
      summary: 'For RA team members: announce a training session and take bookings.',
      inMenu: false,
      commands: ['new training session', 'announce training', 'announce a training session', 'new training', 'create a training session', 'add a training session'],
      start: replying((context) => training.openForm(context)),
    },
  ];
}

/** Announcements off and on, and the settings card. */
function announcementCapabilities(announcements: AnnouncementSettings): Capability[] {
  return [
    {
      id: 'announcements',
      title: 'Announcement settings',
      summary: "Choose whether RA teams' announcements (training dates and news) reach you, and tell me if you're a Sponsor or RA agent.",
      inMenu: false,
      commands: ['announcement settings', 'announcements', 'my announcements', 'notification settings', 'announcement preferences'],
      start: replying((context) => announcements.show(context)),
    },
    {
      id: 'announcements-off',
      title: 'Stop announcements',
      summary: 'No more announcements; your own bookings, requests and reminders still reach you.',
      inMenu: false,
      commands: ['stop announcements', 'unsubscribe', 'turn off announcements', 'no more announcements', 'opt out', 'opt out of announcements', 'mute announcements'],
      start: replying((context) => announcements.optOut(context)),
    },
    {
      id: 'announcements-on',
      title: 'Start announcements',
      summary: "Have RA teams' announcements again.",
      inMenu: false,
      commands: ['start announcements', 'subscribe', 'turn on announcements', 'opt in', 'opt in to announcements', 'resubscribe'],
      start: replying((context) => announcements.optIn(context)),
    },
  ];
}

/** A capability that only replies: it does its work and the router's turn ends. */
function replying(reply: (context: TurnContext) => Promise<void>): Capability['start'] {
  return async (step) => {
    await reply(step.context);
    return step.next();
  };
}

const roleWords = /\b(sponsors?|lsas?|smartcard admin(istrator)?s?|ra agents?|id checkers?|ra team|smartcard team)\b/i;
// "who is my sponsor", "find our LSA": the role is what is asked for, not just mentioned ("my sponsor is away, who else...").
const askingForOwn =
  /\b(who('?s| is| are)|find|contact|ring|call|phone|email|details (of|for)|name of)\s+(is\s+|are\s+)?(my|our)\s+(local\s+)?(sponsors?|lsas?|smartcard admin(istrator)?s?|ra agents?|id checkers?|ra team|smartcard team)\b/i;

/**
 * A message the directory answers rather than the FAQ: one naming an ODS code with a role ("who's the sponsor for
 * FA123"), stating the person's code ("my ODS code is FA123"), or asking for their own contacts ("who is my sponsor").
 */
export function directoryRequest(text: string): FindContactOptions | undefined {
  const stated = statedCode(text);
  // A mistyped code next to a role ("sponsor for F12") is the directory's to explain, not the FAQ's.
  const code = stated ?? odsCodeIn(text) ?? (roleWords.test(text) ? codeLikeIn(text) : undefined);
  const mine = /\b(my|our)\b/i.test(text);
  if (stated && mine) return { mode: 'mine', question: text };
  if (code && (stated || roleWords.test(text) || text.trim().toUpperCase() === code)) return { mode: 'lookup', question: text };
  if (/\b(don'?t|do not) know (my|our|the) (ods|organisation|organization|practice|pharmacy) code\b/i.test(text)) return { mode: 'change', question: text };
  if (!code && askingForOwn.test(text)) return { mode: 'mine', question: text };
  return undefined;
}
