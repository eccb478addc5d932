import type { StatePropertyAccessor, TurnContext } from 'botbuilder';
import type { Directory } from '../knowledge/directory.js';
import { contactRoleTitles, type ContactRole } from '../knowledge/organisations.js';
import { contactLine } from './directoryView.js';
import type { UserProfile } from './userProfile.js';

/** What showing a reader's own contacts needs. */
export interface LocalContactsDeps {
  readonly directory: Directory;
  readonly profile: StatePropertyAccessor<UserProfile>;
}

/**
 * The reader's own organisation's contacts in the roles an answer tells them to ask, as a titled block for the
 * answer card; none when their organisation is not known or has nobody in those roles.
 */
export async function localContacts(deps: LocalContactsDeps, context: TurnContext, roles: readonly ContactRole[]): Promise<{ title: string; text: string }[]> {
  if (roles.length === 0) return [];
  const organisation = (await deps.profile.get(context, {})).organisation;
  if (!organisation) return [];
  const people = (await deps.directory.contactsOf(organisation.code)).filter((c) => roles.includes(c.role));
  if (people.length === 0) return [];
  const ordered = roles.flatMap((role) => people.filter((c) => c.role === role));
  return [
    {
      title: `Your contacts at ${organisation.name}`,
      text: ordered.map((c) => `- ${contactRoleTitles[c.role].one}: ${contactLine(c)}`).join('\n'),
    },
  ];
}
