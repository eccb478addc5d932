import { CardFactory, MessageFactory, type Activity, type StatePropertyAccessor, type TurnContext } from 'botbuilder';
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
import { Faq, type FaqDeps } from './faq.js';
import { classifyInput, normalise, type GlobalCommand, type TurnInput } from './input.js';
import { WorkplaceDialog, type WorkplaceDialogDeps } from './workplaceDialog.js';
import type { FlowResult } from './treeDialog.js';

/** A thing the assistant can do, reachable from the menu (when `inMenu`) and by typing one of `commands`. */
interface Capability extends MenuEntry {
  readonly inMenu: boolean;
  readonly commands: readonly string[];
  start(step: WaterfallStepContext): Promise<DialogTurnResult>;
}

/** What the main dialog needs from the composition root. */
export interface MainDialogDeps extends WorkplaceDialogDeps, FaqDeps {
  readonly version: string;
  /**
   * Guided flows by the id articles name in `flow:`. A question whose article has a registered flow starts
   * the flow; until a flow is registered, its questions are answered by the article.
   */
  readonly flows?: readonly GuidedFlow[];
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
  private readonly flows: readonly GuidedFlow[];

  constructor(private readonly deps: MainDialogDeps) {
    super(MainDialog.id);
    const flows = deps.flows ?? [];
    for (const flow of flows) {
      if (flow.dialog.id !== flow.id) throw new Error(`flow ${flow.id} is registered with a dialog whose id is ${flow.dialog.id}`);
      this.addDialog(flow.dialog);
    }
    this.flows = flows;
    this.faq = new Faq(deps, new Map(flows.map((f) => [f.id, f] as const)));
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
          await step.context.sendActivity(MessageFactory.attachment(CardFactory.adaptiveCard(card)));
          return step.next();
        },
      },
      {
        id: 'my-ra-team',
        title: 'My RA team',
        summary: "Tell me where you work and I'll show you which Registration Authority (RA) team to contact about smartcards.",
        inMenu: true,
        commands: ['my ra team', 'ra team', 'who is my ra team', "who's my ra team", 'find my ra team', 'contact my ra team'],
        start: (step) => step.beginDialog(WorkplaceDialog.id, { mode: 'show' }),
      },
      {
        id: 'workplace',
        title: 'Change where I work',
        summary: 'Tell me again where you work.',
        inMenu: false,
        commands: ['change where i work', 'where i work', 'set my workplace', 'my workplace', 'change my workplace'],
        start: (step) => step.beginDialog(WorkplaceDialog.id, { mode: 'ask' }),
      },
      {
        id: 'about',
        title: 'About and privacy',
        summary: 'Where my answers come from, and how I treat your data.',
        inMenu: true,
        commands: ['about', 'privacy', 'about this assistant', 'about you', 'who are you'],
        start: async (step) => {
          const card = renderAboutCard({ version: this.deps.version, sources: this.deps.sources.titles() });
          await step.context.sendActivity(MessageFactory.attachment(CardFactory.adaptiveCard(card)));
          return step.next();
        },
      },
    ];
    this.commands = new Map([
      ...this.capabilities.flatMap((c) => c.commands.map((w) => [normalise(w), c.id] as const)),
      ...(deps.flows ?? []).flatMap((f) => f.triggers.map((w) => [normalise(w), `flow.${f.id}`] as const)),
    ]);
    this.addDialog(new WorkplaceDialog(deps));
    this.addDialog(new WaterfallDialog(routeId, [this.route.bind(this), this.afterChild.bind(this)]));
    this.initialDialogId = routeId;
  }

  /** The menu entries the help and welcome cards list: only what works today. */
  menu(): MenuEntry[] {
    return this.capabilities.filter((c) => c.inMenu).map(({ id, title, summary }) => ({ id, title, summary }));
  }

  /** The welcome message, sent once when the assistant joins a conversation. */
  welcome(inChannel: boolean): Partial<Activity> {
    return MessageFactory.attachment(CardFactory.adaptiveCard(renderWelcomeCard(this.menu(), { inChannel })));
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
        await this.faq.onCard(inner.context, input.submission);
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
        await this.faq.onCard(step.context, input.submission);
        return step.endDialog();
      case 'text': {
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

  private async sendHelp(context: TurnContext): Promise<void> {
    await context.sendActivity(MessageFactory.attachment(CardFactory.adaptiveCard(renderHelpCard(this.menu()))));
  }
}
