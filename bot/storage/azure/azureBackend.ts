import type { Config, StorageConfig } from '../../config.js';
import type { Clock } from '../../../dialogs/ports.js';
import { requestCipher } from '../../requests/requestStore.js';
import { StorageUnavailableError, type Backend } from '../backend.js';
import { AzureBotState } from './botState.js';
import { AzureTables, accountOf, serviceSaid } from './tables.js';
import { openAzureQuestionLog } from './questionLog.js';
import { openAzureDirectory } from './directory.js';
import { openAzureRequests } from './requests.js';
import { openAzureDesks } from './desks.js';
import { openAzureAudience } from './audience.js';
import { openAzureSchedule } from './schedule.js';
import { openAzureBroadcasts } from './broadcasts.js';
import { openAzureTraining } from './training.js';
import { openAzureMailOutbox } from './mailOutbox.js';

/** Every store on one Azure Storage account: bot state in a blob container, the rest in tables under one prefix. */
export function azureBackend(config: Config, storage: Extract<StorageConfig, { kind: 'azure' }>, clock: Clock): Backend {
  const tables = new AzureTables(storage.connectionString, storage.tablePrefix);
  return {
    shared: true,
    botState: async () => {
      const state = new AzureBotState(storage.connectionString, storage.container);
      // The container is made on first use: at start-up, so a wrong account or key is reported now, not in a turn.
      await state.read(['startup-check']).catch((error: unknown) => {
        throw new StorageUnavailableError(`blob container ${storage.container}`, accountOf(storage.connectionString), serviceSaid(error));
      });
      return state;
    },
    questionLog: () => openAzureQuestionLog(tables, config.questionLogDays, () => clock.now()),
    directory: () => openAzureDirectory(tables),
    requests: async () => {
      const { cipher, canSeal } = await requestCipher(config);
      return { store: await openAzureRequests(tables, cipher), canSeal };
    },
    desks: () => openAzureDesks(tables),
    audience: () => openAzureAudience(tables),
    schedule: () => openAzureSchedule(tables),
    broadcasts: () => openAzureBroadcasts(tables),
    training: () => openAzureTraining(tables),
    mailOutbox: () => openAzureMailOutbox(tables, clock),
  };
}
