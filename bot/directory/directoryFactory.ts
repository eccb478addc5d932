import { Directory } from '../../knowledge/directory.js';
import type { ContactRepository, OrganisationRepository, OrganisationSource } from '../../knowledge/organisations.js';
import type { RaTeamDirectory } from '../../knowledge/raTeams.js';
import type { Logger } from '../../dialogs/ports.js';
import type { Config } from '../config.js';
import { OrdClient } from './ordClient.js';

/** Builds the directory the same way for the bot and the command line: stores, RA teams, and ODS live when configured. */
export function buildDirectory(
  config: Config,
  teams: RaTeamDirectory,
  stores: { readonly organisations: OrganisationRepository; readonly contacts: ContactRepository },
  logger: Logger,
  live?: OrganisationSource,
): Directory {
  return new Directory({
    ...stores,
    teams,
    live: live ?? (config.odsApi ? new OrdClient(config.odsApi) : undefined),
    events: {
      liveUnavailable: (code, reason) => logger.warn({ code, reason }, 'ODS service unavailable'),
      cacheFailed: (code, error) => logger.error({ code, err: error }, 'could not keep an organisation fetched from ODS'),
    },
  });
}
