import type { StatePropertyAccessor, TurnContext } from 'botbuilder';
import { sendCard } from './cardReply.js';
import { renderContactFormCard } from '../cards/organisationCard.js';
import type { Submission } from '../cards/submission.js';
import type { ContactBook, ContactChange } from '../knowledge/contactBook.js';
import type { ContactInput } from '../knowledge/contactRules.js';
import type { Directory } from '../knowledge/directory.js';
import { contactRoles, contactRoleTitles, type Contact } from '../knowledge/organisations.js';
import { workplaceOf } from '../knowledge/raTeams.js';
import { organisationCard, type DirectoryViewDeps } from './directoryView.js';
import { turnLogger, type Clock, type Logger } from './ports.js';
import { rememberOrganisation, type UserProfile } from './userProfile.js';

/** The card buttons the directory answers. */
export type DirectorySubmission = Extract<Submission, { verb: `org.${string}` | `contact.${string}` }>;

/** What the directory's buttons need. */
export interface DirectoryActionsDeps extends DirectoryViewDeps {
  readonly directory: Directory;
  readonly contactBook: ContactBook;
  readonly profile: StatePropertyAccessor<UserProfile>;
  readonly clock: Clock;
  readonly logger: Logger;
}

const roleChoices = contactRoles.map((value) => ({ value, title: contactRoleTitles[value].one }));
const noErrors = { role: '', name: '', email: '', phone: '' };

/**
 * Answers the directory card's buttons wherever they are pressed: remember an organisation, and the RA team's
 * add, change and remove of local contacts. Each button carries what it acts on, so every one is checked again
 * here: the card may be old or forged.
 */
export class DirectoryActions {
  constructor(private readonly deps: DirectoryActionsDeps) {}

  async onCard(context: TurnContext, submission: DirectorySubmission): Promise<void> {
    const editor = context.activity.from?.aadObjectId;
    switch (submission.verb) {
      case 'org.remember':
        return this.rememberOrganisation(context, submission.code);
      case 'contact.add': {
        const rights = await this.deps.contactBook.rights(editor, submission.code);
        if (rights !== 'allowed') return this.refuse(context, { ok: false, reason: rights });
        return this.sendForm(context, submission.code, '', { role: 'sponsor', name: '', email: '', phone: '' });
      }
      case 'contact.edit': {
        const rights = await this.deps.contactBook.rights(editor, submission.code);
        if (rights !== 'allowed') return this.refuse(context, { ok: false, reason: rights });
        const contact = (await this.deps.directory.contactsOf(submission.code)).find((c) => c.id === submission.contact);
        if (!contact) return this.refuse(context, { ok: false, reason: 'gone' });
        return this.sendForm(context, submission.code, contact.id, asInput(contact));
      }
      case 'contact.save': {
        const input = { role: submission.role ?? '', name: submission.name ?? '', email: submission.email ?? '', phone: submission.phone ?? '' };
        const change = await this.write(context, () => this.deps.contactBook.save(editor, submission.code, submission.contact || undefined, input));
        if (change === undefined) return;
        if (!change.ok && change.reason === 'invalid') {
          return this.sendForm(context, submission.code, submission.contact, input, { ...noErrors, ...change.errors }, 'Please correct the fields marked below. Nothing has been saved yet.');
        }
        if (!change.ok) return this.refuse(context, change);
        return this.showAfter(context, change, `Saved: ${change.contact.name}, ${contactRoleTitles[change.contact.role].one} at ${change.organisation.code}.`);
      }
      case 'contact.remove': {
        const change = await this.write(context, () => this.deps.contactBook.remove(editor, submission.code, submission.contact));
        if (change === undefined) return;
        if (!change.ok) return this.refuse(context, change);
        return this.showAfter(context, change, `Removed ${change.contact.name} from ${change.organisation.code}.`);
      }
    }
  }

  private async rememberOrganisation(context: TurnContext, code: string): Promise<void> {
    const lookup = await this.deps.directory.lookup(code);
    if (lookup.kind !== 'found') {
      await context.sendActivity("I can't find that organisation in my directory any more, so I haven't changed anything. Say **change my organisation** to choose again.");
      return;
    }
    const { organisation, team } = lookup;
    await rememberOrganisation(this.deps.profile, context, { ...organisation, kind: workplaceOf(organisation.kind), area: team?.placing.area }, this.deps.clock.now());
    await context.sendActivity(
      `Done: I'll use ${organisation.name} (${organisation.code}) as your organisation in my answers. Say **change my organisation** to change it, or **forget me** to clear it.`,
    );
  }

  /** Runs a contact write; a store failure is logged and told as not saved, never as saved. */
  private async write(context: TurnContext, run: () => Promise<ContactChange>): Promise<ContactChange | undefined> {
    try {
      return await run();
    } catch (error) {
      turnLogger(context, this.deps.logger).error({ err: error }, 'contact write failed');
      await context.sendActivity("Sorry, I couldn't save that change just now, so nothing has changed. Please try again in a minute.");
      return undefined;
    }
  }

  private async showAfter(context: TurnContext, change: Extract<ContactChange, { ok: true }>, said: string): Promise<void> {
    const { organisation } = change;
    const contacts = await this.deps.directory.contactsOf(organisation.code);
    const team = this.deps.directory.teams.forOrganisation(organisation);
    const remembered = (await this.deps.profile.get(context, {})).organisation?.code === organisation.code;
    await sendCard(context, organisationCard(this.deps, organisation, contacts, team, { focus: 'all', intro: [said], editable: true, remembered }));
  }

  private async refuse(context: TurnContext, change: Extract<ContactChange, { ok: false }>): Promise<void> {
    const said: Record<Extract<ContactChange, { ok: false }>['reason'], string> = {
      'not-allowed': "Only members of the RA team that serves this organisation can change its contacts, so I haven't changed anything.",
      'no-organisation': "That organisation isn't in my directory any more, so I haven't changed anything.",
      gone: 'That contact has already been removed or changed since the card was sent. Look the organisation up again to see its contacts now.',
      invalid: 'Some of the details were not valid, so nothing was saved.',
    };
    await context.sendActivity(said[change.reason]);
  }

  private async sendForm(context: TurnContext, code: string, contact: string, input: ContactInput, errors = noErrors, problem = ''): Promise<void> {
    await sendCard(
      context,
      renderContactFormCard({
        heading: contact ? `Change a contact at ${code}` : `Add a contact at ${code}`,
        code,
        contact,
        ...input,
        roles: roleChoices,
        problem,
        errors,
      }),
    );
  }
}

function asInput(contact: Contact): ContactInput {
  return { role: contact.role, name: contact.name, email: contact.email ?? '', phone: contact.phone ?? '' };
}
