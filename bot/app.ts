import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import {
  CloudAdapter,
  ConversationState,
  TeamsInfo,
  UserState,
  type Storage,
  type TurnContext,
} from 'botbuilder';
import type { DialogState } from 'botbuilder-dialogs';
import { MainDialog } from '../dialogs/mainDialog.js';
import { TreeDialog } from '../dialogs/treeDialog.js';
import { setTurnLogger, turnLogger, type Clock, type Logger, type Notifier, type QuestionLog } from '../dialogs/ports.js';
import type { UserProfile } from '../dialogs/userProfile.js';
import { AssistantBot } from './assistantBot.js';
import { ConfigError, type Config } from './config.js';
import { loadKnowledge } from './knowledgeFiles.js';
import { createLogger } from './logger.js';
import { appVersion, projectRoot } from './paths.js';
import { ReusedClientsAuthentication } from './connectorClients.js';
import { createServer } from './server.js';
import { openBackend } from './storage/backend.js';
import { AnswerRenderer } from '../knowledge/answers.js';
import { ContactBook } from '../knowledge/contactBook.js';
import { RaRights } from '../knowledge/raRights.js';
import type { ContactRepository, OrganisationRepository, OrganisationSource } from '../knowledge/organisations.js';
import { buildDirectory } from './directory/directoryFactory.js';
import { CloudNotifier } from './proactive/cloudNotifier.js';
import type { MailerOverrides } from './requests/graphMailer.js';
import { ConfiguredDesks } from './requests/configuredDesks.js';
import { RequestDesk } from '../dialogs/requestDesk.js';
import type { DeskRepository, RequestRepository } from '../dialogs/requests.js';
import type { AudienceRepository, ScheduleRepository } from '../dialogs/outreach.js';
import { memoryAudience } from './storage/lowdbAudience.js';
import { memorySchedule } from './storage/lowdbSchedule.js';
import { Scheduler } from './scheduler.js';
import { AnnouncementSettings } from '../dialogs/announcementSettings.js';
import { Renewals } from '../dialogs/renewals.js';
import { Broadcaster } from './broadcast/broadcaster.js';
import { memoryBroadcasts } from './storage/lowdbBroadcasts.js';
import type { BroadcastRepository } from './broadcast/broadcastRepository.js';
import { BroadcastActions, broadcastReportActivity } from '../dialogs/broadcastActions.js';
import type { Broadcasts } from '../dialogs/outreach.js';
import { Training } from '../dialogs/training.js';
import type { TrainingRepository } from '../dialogs/trainingSessions.js';
import { officeVenues } from '../knowledge/venues.js';
import { memoryTraining } from './storage/lowdbTraining.js';
import { uploadFile } from './training/fileUpload.js';

/** Replacements for tests: anything not given is built from the config. */
export interface AppOverrides {
  readonly storage?: Storage & { flush?: () => Promise<void> };
  readonly questionLog?: QuestionLog & { flush?: () => Promise<void> };
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly knowledgeDir?: string;
  readonly directory?: {
    readonly organisations: OrganisationRepository & { flush?: () => Promise<void>; warm?: () => Promise<void> };
    readonly contacts: ContactRepository & { flush?: () => Promise<void> };
  };
  /** Stands in for the live ODS service. */
  readonly organisationSource?: OrganisationSource;
  readonly requests?: { readonly store: RequestRepository & { flush?: () => Promise<void> }; readonly canSeal: boolean };
  readonly desks?: DeskRepository;
  /** Stands in for proactive sends through the Bot Connector. */
  readonly notifier?: Notifier;
  /** Leaves request emails off even when Graph is configured (tools that must not send mail). */
  readonly noMail?: boolean;
  /** Stands in for the network under MSAL and the mail worker's timers. */
  readonly mailer?: MailerOverrides;
  /** Keeps the outreach stores (audience, schedule, broadcasts) in memory instead of DATA_DIR: tests and throwaway runs. */
  readonly inMemory?: boolean;
  /** Stands in for the audience store (tests that count or fail its writes). */
  readonly audience?: AudienceRepository & { flush?: () => Promise<void> };
  /** Stands in for the training sessions store (tests that look at what was stored). */
  readonly training?: TrainingRepository & { flush?: () => Promise<void> };
  /** Stands in for the schedule store (tests that restart the app on the same schedule). */
  readonly schedule?: ScheduleRepository & { flush?(): Promise<void> };
  /** Stands in for the broadcast queue's store (tests that fail its writes). */
  readonly broadcastStore?: BroadcastRepository & { flush?(): Promise<void> };
}

/** A built app: listen with `start`, stop gracefully with `stop`. */
export interface App {
  readonly adapter: CloudAdapter;
  readonly logger: Logger;
  readonly version: string;
  /** Every knowledge-base article id, so tools can walk them all. */
  articleIds(): string[];
  /** Runs one turn through the bot, for adapters other than the HTTP one (tests drive it with TestAdapter). */
  readonly handleTurn: (context: TurnContext) => Promise<void>;
  /** The people proactive messages can reach. */
  readonly audience: AudienceRepository;
  /** The stored schedule, and the scheduler that runs it (`start` ticks it; tests call `tick` with their clock). */
  readonly schedule: ScheduleRepository;
  readonly scheduler: Scheduler;
  /** The durable proactive send queue; `drain` resolves once everything due now is sent (tests). */
  readonly broadcasts: Broadcasts & { drain(): Promise<void> };
  /** Queues the messages a crash kept from being queued (a place given from a waiting list); `start` runs it. */
  readonly catchUp: () => Promise<void>;
  /** Listens on the configured host and port (port 0 picks a free one); resolves with the base URL. */
  start(): Promise<string>;
  /** Stops accepting requests, finishes the turns in flight, flushes the store and closes the server. */
  stop(): Promise<void>;
}

/** The composition root: builds every part from the config. Does not listen. */
export async function createApp(config: Config, overrides: AppOverrides = {}): Promise<App> {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const root = projectRoot();
  const version = appVersion(root);
  const knowledge = await loadKnowledge(overrides.knowledgeDir ?? path.join(root, 'knowledge', 'data'));
  const unknownTeams = [...config.raTeamEmails.keys()].filter((id) => !knowledge.raTeams.teams.some((t) => t.id === id));
  const unknownDesks = [...config.raDesks.keys()].filter((id) => !knowledge.raTeams.teams.some((t) => t.id === id));
  if (unknownTeams.length > 0 || unknownDesks.length > 0) {
    throw new ConfigError([
      ...unknownTeams.map((id) => `RA_TEAM_EMAILS names "${id}", which is not a team in knowledge/data/raTeams.json`),
      ...unknownDesks.map((id) => `RA_DESKS names "${id}", which is not a team in knowledge/data/raTeams.json`),
    ]);
  }

  const clock = overrides.clock ?? { now: () => new Date() };
  const backend = await openBackend(config, clock);
  const storage = overrides.storage ?? (await backend.botState());
  const questionLog = overrides.questionLog ?? (await backend.questionLog());
  const { organisations, contacts } = overrides.directory ?? (await backend.directory());
  const directory = buildDirectory(config, knowledge.raTeams, { organisations, contacts }, logger, overrides.organisationSource);
  const rights = new RaRights(knowledge.raTeams, config.raAdmins);
  const contactBook = new ContactBook({ organisations, contacts, rights, now: () => clock.now(), newId: randomUUID });
  const conversationState = new ConversationState(storage);
  const userState = new UserState(storage);
  const dialogState = conversationState.createProperty<DialogState>('dialogState');
  const profile = userState.createProperty<UserProfile>('profile');
  const answers = new AnswerRenderer(knowledge.raTeams, config.raTeamEmails, knowledge.sources);
  const flows = knowledge.trees.map((tree) => {
    const dialog = new TreeDialog(tree, { kb: knowledge.kb, answers, profile, directory });
    return { id: tree.id, title: tree.title, triggers: tree.triggers, dialog, startsFrom: (words: string) => dialog.answeredBy(words) };
  });
  const adapter = new CloudAdapter(
    new ReusedClientsAuthentication({
      MicrosoftAppId: config.auth.appId,
      MicrosoftAppPassword: config.auth.appPassword,
      MicrosoftAppType: config.auth.appType,
      MicrosoftAppTenantId: config.auth.tenantId,
    }),
  );
  const { store: requests, canSeal } = overrides.requests ?? (await backend.requests());
  const audience = overrides.audience ?? (overrides.inMemory ? memoryAudience() : await backend.audience());
  const schedule = overrides.schedule ?? (overrides.inMemory ? memorySchedule() : await backend.schedule());
  const scheduler = new Scheduler({ schedule, clock, logger });
  const broadcastStore = overrides.broadcastStore ?? (overrides.inMemory ? memoryBroadcasts() : await backend.broadcasts());
  const desks = new ConfiguredDesks(
    overrides.desks ?? (await backend.desks()),
    config.raDesks,
    config.teamsServiceUrl,
    config.auth.tenantId,
  );
  // msal-node takes a few hundred milliseconds to load: only when Graph is configured.
  const mailer =
    config.graph && !overrides.noMail
      ? await (await import('./requests/graphMailer.js')).openMailer(config, await backend.mailOutbox(), logger, clock, overrides.mailer)
      : undefined;
  // Its own notifier, with the SDK's retries off: the broadcaster paces and retries every request itself.
  const broadcaster = new Broadcaster({
    store: broadcastStore,
    notifier: overrides.notifier ?? new CloudNotifier(adapter, config.auth.appId ?? '', { sdkRetries: false }),
    clock,
    logger,
    rate: config.broadcastRate,
    // Another instance may queue a broadcast: join it within seconds rather than at the next minute.
    idlePollMs: backend.shared ? 3000 : undefined,
    renderReport: broadcastReportActivity,
    onGone: (userId) =>
      audience.remove(userId).then(
        () => undefined,
        (error: unknown) => logger.warn({ errorName: (error as Error).name }, 'could not remove a gone recipient from the audience'),
      ),
  });
  const requestDesk = new RequestDesk({
    // Only request forms: the training session form is the training part's.
    forms: knowledge.forms.filter((f) => f.purpose === 'request'),
    requests,
    desks,
    notifier: overrides.notifier ?? new CloudNotifier(adapter, config.auth.appId ?? ''),
    broadcasts: broadcaster,
    audience,
    directory,
    rights,
    profile,
    clock,
    logger,
    canSeal,
    newDraftId: randomUUID,
    raTeamEmails: config.raTeamEmails,
    mailRequest: mailer ? (request, labels) => mailer.mailRequest(request, labels) : undefined,
    emailOf: teamsEmail,
  });
  const announcements = new AnnouncementSettings({ audience, raTeams: knowledge.raTeams, rights, profile, clock, logger });
  const renewals = new Renewals({ schedule, audience, broadcasts: broadcaster, article: (id) => knowledge.kb.get(id), answers, profile, clock, logger });
  scheduler.on('renewal-reminder', (job) => renewals.remind(job), { latestOnly: Renewals.latestOnly });
  const sessionForm = knowledge.forms.find((f) => f.purpose === 'training-session');
  const trainingStore = overrides.training ?? (overrides.inMemory ? memoryTraining() : await backend.training());
  const training = sessionForm
    ? new Training({
        form: sessionForm,
        venues: officeVenues(knowledge.raTeams),
        teams: knowledge.raTeams.teams,
        sessions: trainingStore,
        broadcasts: broadcaster,
        audience,
        schedule,
        rights,
        clock,
        logger,
        newDraftId: randomUUID,
        uploadFile: (url, content) => uploadFile(url, content),
      })
    : undefined;
  if (training) scheduler.on('session-reminder', (job) => training.onJob(job));
  if (training) scheduler.on('session-announce', (job) => training.onJob(job));
  const catchUp = async () => {
    try {
      const queued = (await training?.resumePromotions()) ?? 0;
      const scheduled = (await training?.resumeScheduled()) ?? 0;
      logger.debug({ queued, scheduled }, 'waiting-list promotions and scheduled announcements checked');
    } catch (error) {
      logger.error({ err: error }, 'could not check the waiting-list promotions and scheduled announcements');
    }
  };
  const main = new MainDialog({
    profile,
    raTeams: knowledge.raTeams,
    sources: knowledge.sources,
    raTeamEmails: config.raTeamEmails,
    clock,
    version,
    kb: knowledge.kb,
    answers,
    questionLog,
    logger,
    flows,
    directory,
    contactBook,
    requestDesk,
    broadcastActions: new BroadcastActions({ broadcasts: broadcaster, rights, logger }),
    announcements,
    renewals,
    training,
  });
  const bot = new AssistantBot({ conversationState, userState, dialogState, main, logger, audience: announcements, fileConsent: training });

  adapter.onTurnError = async (context, error) => {
    const reference = errorReference();
    const log = turnLogger(context, logger);
    log.error({ err: error, reference }, 'turn failed');
    await clearDialog(context, dialogState, conversationState, log);
    try {
      await context.sendActivity(
        `Sorry, something went wrong on my side and I couldn't finish that. I've cleared what we were doing, so you can start again. ` +
          `If it keeps happening, contact your RA team and quote reference ${reference}.`,
      );
    } catch (sendError) {
      log.error({ err: sendError, reference }, 'could not send the apology');
    }
  };

  const handleTurn = async (context: TurnContext) => {
    const { conversation, id, type } = context.activity;
    const log = logger.child({ conversationId: conversation?.id, activityId: id });
    setTurnLogger(context, log);
    const started = performance.now();
    await bot.run(context);
    log.debug({ type, ms: Math.round(performance.now() - started) }, 'turn done');
  };
  const { server, drain } = createServer({ adapter, handleTurn, logger, version });
  let warming: NodeJS.Timeout | undefined;
  let purging: NodeJS.Timeout | undefined;
  // Personal fields of closed requests are kept only for REQUEST_RETENTION_DAYS.
  const purgeRequests = async () => {
    const now = clock.now();
    const before = new Date(now.getTime() - config.requestRetentionDays * 86_400_000).toISOString();
    try {
      const purged = await requests.purgeClosed(before, now.toISOString());
      if (purged > 0) logger.info({ purged }, 'personal fields of closed requests removed');
    } catch (error) {
      logger.error({ err: error }, 'could not remove the personal fields of closed requests');
    }
  };

  return {
    adapter,
    logger,
    version,
    handleTurn,
    audience,
    schedule,
    scheduler,
    broadcasts: broadcaster,
    catchUp,
    articleIds: () => knowledge.articles.map((a) => a.id),
    start: () =>
      new Promise<string>((resolve, reject) => {
        // restify re-emits the http server's errors (EADDRINUSE, EACCES) on itself.
        server.once('error', (error: NodeJS.ErrnoException) => reject(new StartError(listenProblem(error, config))));
        server.listen(config.port, config.host, () => {
          const { address, port } = server.address() as AddressInfo;
          const host = address.includes(':') ? `[${address}]` : address;
          resolve(`http://${host}:${port}`);
          // The name-search index takes a few hundred milliseconds for a whole country: build it once start-up has
          // settled, rather than in someone's first search or while the host is checking that the bot is up.
          mailer?.worker.start();
          void purgeRequests();
          // Catches up on reminders missed while the bot was down, then keeps ticking.
          void scheduler.start();
          void catchUp();
          broadcaster.start();
          purging = setInterval(() => void purgeRequests(), 86_400_000).unref();
          warming = setTimeout(() => {
            organisations.warm?.().catch((error: unknown) => logger.error({ err: error }, 'could not build the organisation search index'));
          }, 3000).unref();
        });
      }),
    stop: async () => {
      clearTimeout(warming);
      clearInterval(purging);
      await mailer?.worker.stop();
      await scheduler.stop();
      const grace = new Promise<void>((resolve) => setTimeout(resolve, config.shutdownGraceMs).unref());
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.race([drain(), grace]);
      server.server.closeAllConnections();
      await closed;
      await broadcaster.stop();
      await broadcastStore.flush?.();
      await storage.flush?.();
      await questionLog.flush?.();
      await organisations.flush?.();
      await contacts.flush?.();
      await requests.flush?.();
      await audience.flush?.();
      await schedule.flush?.();
      await trainingStore.flush?.();
    },
  };
}

/** The sender's email from the Teams roster; outside Teams (the Playground, tests) there is none. */
async function teamsEmail(context: TurnContext): Promise<string | undefined> {
  if (context.activity.channelId !== 'msteams' || !context.activity.conversation?.tenantId) return undefined;
  try {
    return (await TeamsInfo.getMember(context, context.activity.from.id)).email ?? undefined;
  } catch {
    return undefined;
  }
}

/** Thrown when the bot cannot start for a reason outside its configuration files, such as a port in use. */
export class StartError extends Error {
  override name = 'StartError';
}

function listenProblem(error: NodeJS.ErrnoException, config: Config): string {
  const where = `${config.host}:${config.port}`;
  if (error.code === 'EADDRINUSE') return `port ${config.port} on ${config.host} is already in use: stop the other process or set PORT`;
  if (error.code === 'EACCES') return `not allowed to listen on ${where}: choose a PORT above 1024 or run with the right permissions`;
  if (error.code === 'EADDRNOTAVAIL') return `HOST ${config.host} is not an address of this machine`;
  return `cannot listen on ${where}: ${error.message}`;
}

/** A short reference a user can quote to the RA team, matching the error in the log. */
function errorReference(): string {
  const alphabet = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
  return 'SA-' + [...randomBytes(6)].map((b) => alphabet[b % alphabet.length]).join('');
}

// A poisoned dialog stack must not trap the user in a loop: drop it, keep the rest of the conversation state.
async function clearDialog(
  context: TurnContext,
  dialogState: ReturnType<ConversationState['createProperty']>,
  conversationState: ConversationState,
  logger: Logger,
): Promise<void> {
  try {
    await dialogState.delete(context);
    await conversationState.saveChanges(context, true);
  } catch (error) {
    logger.error({ err: error }, 'could not clear the dialog state; deleting the conversation state');
    // Inside the promise, so a throw before it starts (no conversation id) is caught too: this handler must not throw.
    await Promise.resolve()
      .then(() => conversationState.delete(context))
      .catch((e: unknown) => logger.error({ err: e }, 'could not delete the conversation state'));
  }
}
