import path from 'node:path';
import type { Storage } from 'botbuilder';
import type { Config } from '../config.js';
import type { Clock, QuestionLog } from '../../dialogs/ports.js';
import type { DeskRepository, RequestRepository } from '../../dialogs/requests.js';
import type { AudienceRepository, ScheduleRepository } from '../../dialogs/outreach.js';
import type { TrainingRepository } from '../../dialogs/trainingSessions.js';
import type { ContactRepository, OrganisationRepository } from '../../knowledge/organisations.js';
import type { BroadcastRepository } from '../broadcast/broadcastRepository.js';
import { requestCipher } from '../requests/requestStore.js';
import { openMailOutbox, type MailOutboxStore } from '../requests/mailOutbox.js';
import { openLowdbStorage } from './lowdbStorage.js';
import { openLowdbQuestionLog } from './lowdbQuestionLog.js';
import { openLowdbDirectory } from './lowdbDirectory.js';
import { openLowdbDesks, openLowdbRequests } from './lowdbRequests.js';
import { openLowdbAudience } from './lowdbAudience.js';
import { openLowdbSchedule } from './lowdbSchedule.js';
import { openLowdbBroadcasts } from './lowdbBroadcasts.js';
import { openLowdbTraining } from './lowdbTraining.js';

/** A store that may hold writes in memory for a moment (lowdb's group commit): `flush` waits for them. */
export interface Flushable {
  flush?(): Promise<void>;
}

/**
 * Opens each store on the configured backend: JSON files in DATA_DIR (lowdb, one instance) or Azure Storage shared
 * by several instances. The app and the CLI open their stores here, so both always use the same data.
 */
export interface Backend {
  /** Other instances may change the stores at any time (Azure): workers look for their work often. */
  readonly shared: boolean;
  botState(): Promise<Storage & Flushable>;
  questionLog(): Promise<QuestionLog & Flushable>;
  directory(): Promise<{ readonly organisations: OrganisationRepository & Flushable & { warm?(): Promise<void> }; readonly contacts: ContactRepository & Flushable }>;
  /** `canSeal`: identity-document numbers can be kept (a key is configured, or a development key outside production). */
  requests(): Promise<{ readonly store: RequestRepository & Flushable; readonly canSeal: boolean }>;
  desks(): Promise<DeskRepository & Flushable>;
  audience(): Promise<AudienceRepository & Flushable>;
  schedule(): Promise<ScheduleRepository & Flushable>;
  broadcasts(): Promise<BroadcastRepository & Flushable>;
  training(): Promise<TrainingRepository & Flushable>;
  /** Request emails waiting to go (opened only when Graph is configured). */
  mailOutbox(): Promise<MailOutboxStore>;
}

export async function openBackend(config: Config, clock: Clock): Promise<Backend> {
  if (config.storage.kind === 'azure') {
    // Loaded only when used: the Azure SDKs add start-up time an embedded deployment does not need.
    return (await import('./azure/azureBackend.js')).azureBackend(config, config.storage, clock);
  }
  return lowdbBackend(config, clock);
}

function lowdbBackend(config: Config, clock: Clock): Backend {
  const file = (name: string) => path.join(config.dataDir, name);
  return {
    shared: false,
    botState: () => openLowdbStorage(file('botState.json')),
    questionLog: () => openLowdbQuestionLog(file('questions.json'), config.questionLogDays, () => clock.now()),
    directory: () => openLowdbDirectory(config.dataDir),
    requests: async () => {
      const { cipher, canSeal } = await requestCipher(config);
      return { store: await openLowdbRequests(file('requests.json'), cipher), canSeal };
    },
    desks: () => openLowdbDesks(file('desks.json')),
    audience: () => openLowdbAudience(file('audience.json')),
    schedule: () => openLowdbSchedule(file('schedule.json')),
    broadcasts: () => openLowdbBroadcasts(file('broadcasts.json')),
    training: () => openLowdbTraining(file('training.json')),
    mailOutbox: () => openMailOutbox(file('outbox.json'), clock),
  };
}

/** The shared store cannot be reached or used at start-up: the account, what was tried and what the service said, never the key. */
export class StorageUnavailableError extends Error {
  override name = 'StorageUnavailableError';
  constructor(what: string, account: string, said: string) {
    super(`Azure Storage account ${account} could not open ${what} (${said}). Check AZURE_STORAGE_CONNECTION_STRING and that the account is reachable from here.`);
  }
}
