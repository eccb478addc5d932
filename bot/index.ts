import dotenv from 'dotenv';
import { createApp, StartError } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { KnowledgeError } from '../knowledge/sources.js';
import { StoreFileError } from './storage/lowdbDocument.js';
import { StorageUnavailableError } from './storage/backend.js';

dotenv.config({ quiet: true });

try {
  const config = loadConfig(process.env);
  const app = await createApp(config);
  const url = await app.start();
  const where =
    config.storage.kind === 'azure' ? `Azure Storage: tables ${config.storage.tablePrefix}*, container ${config.storage.container}` : config.dataDir;
  const mode = config.auth.appId ? `Bot Framework app ${config.auth.appId}` : 'anonymous local mode, for the Agents Playground';
  console.log(`Smartcard Assistant ${app.version} listening on ${url}/api/messages (${mode}; data in ${where})`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.logger.info({ signal }, 'stopping: finishing turns in flight');
    app.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        app.logger.error({ err: error }, 'unclean stop');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('unhandledRejection', (reason) => app.logger.error({ err: reason }, 'unhandled rejection'));
} catch (error) {
  if (error instanceof ConfigError || error instanceof KnowledgeError || error instanceof StartError || error instanceof StoreFileError || error instanceof StorageUnavailableError) {
    console.error(`Smartcard Assistant cannot start.\n${error.message}`);
    process.exit(2);
  }
  throw error;
}
