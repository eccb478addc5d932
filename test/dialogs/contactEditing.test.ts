import { expect } from 'chai';
import { MemoryStorage } from 'botbuilder';
import type { AppOverrides } from '../../bot/app.js';
import type { Contact, ContactRepository } from '../../knowledge/organisations.js';
import { memoryQuestionLog, readAll, testApp, type Reply } from '../support/chat.js';
import { contactButton, expectValidCards, knowledgeWithMembers, RecordingChat, seededDirectory } from '../support/directory.js';
import { memoryLogger } from '../support/memoryLogger.js';

const adminId = '3f2b8c1d-5e6a-4b7c-8d9e-0a1b2c3d4e5f';
const scwMemberId = '7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d';
const refusal = 'Only members of the RA team that serves this organisation can change its contacts';

type Seeded = Awaited<ReturnType<typeof seededDirectory>>;

/** A contact's fields as the stored record has them, for before-and-after comparisons. */
async function contactsOf(directory: Seeded, code: string): Promise<Contact[]> {
  return (await directory.contacts.forOrganisation(code)).sort((a, b) => a.id.localeCompare(b.id));
}

async function idOf(directory: Seeded, code: string, name: string): Promise<string> {
  const contact = (await directory.contacts.forOrganisation(code)).find((c) => c.name === name);
  if (!contact) throw new Error(`no contact ${name} at ${code}`);
  return contact.id;
}

/** The contact form's body: each input by id, with the error text shown right after it (or '' when none). */
function formFields(replies: readonly Reply[]): Map<string, { value: unknown; error: string }> {
  const card = replies.flatMap((r) => r.cards).at(-1) as { body?: Record<string, unknown>[] } | undefined;
  const body = card?.body ?? [];
  const fields = new Map<string, { value: unknown; error: string }>();
  body.forEach((element, i) => {
    if (typeof element['id'] !== 'string') return;
    const next = body[i + 1];
    const error = next && next['type'] === 'TextBlock' && next['color'] === 'Attention' ? String(next['text']) : '';
    fields.set(element['id'], { value: element['value'], error });
  });
  return fields;
}

function buttonTitles(replies: readonly Reply[]): string[] {
  return replies.flatMap((r) => r.buttons.map((b) => b.title));
}

/** The buttons that change contacts, which only the RA team may see. */
function editingButtons(replies: readonly Reply[]): string[] {
  return buttonTitles(replies).filter((t) => ['Add a contact', 'Change', 'Remove', 'Yes, remove'].includes(t));
}

describe('changing local contacts (RA team members only)', () => {
  const sent: unknown[] = [];

  function scenario(title: string, body: () => Promise<void>): void {
    it(title, async () => {
      sent.length = 0;
      await body();
      expectValidCards(sent);
    });
  }

  /** The real app on a freshly seeded directory, and a chat as the user with this AAD object id. */
  async function start(
    aadObjectId: string,
    options: { env?: Record<string, string>; overrides?: AppOverrides; directory?: Seeded } = {},
  ): Promise<{ chat: RecordingChat; directory: Seeded }> {
    const directory = options.directory ?? (await seededDirectory());
    const app = await testApp(options.env ?? {}, new MemoryStorage(), memoryQuestionLog(), { directory, ...options.overrides });
    return { chat: new RecordingChat(sent, app, { userId: 'user-1', aadObjectId }), directory };
  }

  describe('a user who is not in the RA team', () => {
    scenario('when a pharmacy user looks up FA123, they see its contacts but no Change, Remove or Add buttons', async () => {
      const { chat } = await start('11111111-2222-4333-8444-555555555555', { env: { RA_ADMINS: adminId } });
      const replies = await chat.say('FA123');
      expect(readAll(replies)).to.include('**Alex Example**');
      expect(editingButtons(replies)).to.deep.equal([]);
    });

    scenario('when they send forged save, remove, add and change payloads, each is refused and the contacts stay as they were', async () => {
      const { chat, directory } = await start('11111111-2222-4333-8444-555555555555', { env: { RA_ADMINS: adminId } });
      const before = await contactsOf(directory, 'FA123');
      const alex = await idOf(directory, 'FA123', 'Alex Example');
      const forged = [
        { verb: 'contact.save', code: 'FA123', contact: '', role: 'sponsor', name: 'Mallory Forger', email: 'mallory@nhs.net', phone: '' },
        { verb: 'contact.save', code: 'FA123', contact: alex, role: 'sponsor', name: 'Mallory Forger', email: '', phone: '' },
        { verb: 'contact.remove', code: 'FA123', contact: alex },
        { verb: 'contact.add', code: 'FA123' },
        { verb: 'contact.edit', code: 'FA123', contact: alex },
      ];
      for (const payload of forged) {
        const replies = await chat.press(payload);
        const text = readAll(replies);
        expect(text, payload.verb).to.include(refusal);
        expect(text, payload.verb).not.to.include('Saved');
        expect(text, payload.verb).not.to.include('Removed');
        expect(replies.flatMap((r) => r.cards), payload.verb).to.deep.equal([]);
      }
      expect(await contactsOf(directory, 'FA123')).to.deep.equal(before);
      const again = readAll(await chat.say('FA123'));
      expect(again).to.include('**Alex Example**: alex.example@nhs.net, 023 9200 0000');
      expect(again).to.include('**Sam Sample**');
      expect(again).to.include('**Jo Placeholder**');
      expect(again).not.to.include('Mallory');
    });
  });

  describe('an RA admin (RA_ADMINS)', () => {
    const env = { RA_ADMINS: adminId };

    scenario('when an admin adds a contact with the form, the reply says Saved and shows the new contact', async () => {
      const { chat, directory } = await start(adminId, { env });
      const card = await chat.say('FA123');
      expect(buttonTitles(card)).to.include.members(['Add a contact', 'Change', 'Remove', 'Yes, remove']);
      const form = await chat.pressButton(card, 'Add a contact');
      expect(readAll(form)).to.include('Add a contact at FA123');
      const saved = readAll(
        await chat.pressButton(form, 'Save', { role: 'ra-agent', name: 'Kim Newcomer', email: 'Kim.Newcomer@nhs.net', phone: '023 9200 0001' }),
      );
      expect(saved).to.include('Saved: Kim Newcomer, RA Agent at FA123.');
      expect(saved).to.include('RA Agents\n**Kim Newcomer**: kim.newcomer@nhs.net, 023 9200 0001 (confirmed 21 November 2026)');
      expect(saved).to.include('**Alex Example**');
      const stored = (await directory.contacts.forOrganisation('FA123')).filter((c) => c.name === 'Kim Newcomer');
      expect(stored.map((c) => ({ role: c.role, confirmedBy: c.confirmedBy }))).to.deep.equal([{ role: 'ra-agent', confirmedBy: adminId }]);
    });

    scenario('when the form has a bad email and a one-letter name, it comes back with the values kept and each problem by its field, and nothing is saved', async () => {
      const { chat, directory } = await start(adminId, { env });
      const before = await contactsOf(directory, 'FA123');
      const form = await chat.pressButton(await chat.say('FA123'), 'Add a contact');
      const again = await chat.pressButton(form, 'Save', { role: 'lsa', name: 'K', email: 'not-an-email', phone: '023 9200 0001' });
      const text = readAll(again);
      expect(text).to.include('Please correct the fields marked below. Nothing has been saved yet.');
      expect(text).not.to.include('Saved:');
      const fields = formFields(again);
      expect(fields.get('name')).to.deep.equal({ value: 'K', error: 'Enter the name, at least 2 characters.' });
      expect(fields.get('email')).to.deep.equal({ value: 'not-an-email', error: 'Enter a work email address like name@nhs.net, or leave it empty.' });
      expect(fields.get('role')).to.deep.equal({ value: 'lsa', error: '' });
      expect(fields.get('phone')).to.deep.equal({ value: '023 9200 0001', error: '' });
      expect(await contactsOf(directory, 'FA123')).to.deep.equal(before);

      // Corrected on the same form, it saves.
      const saved = readAll(await chat.pressButton(again, 'Save', { role: 'lsa', name: 'Kim Newcomer', email: 'kim@nhs.net', phone: '023 9200 0001' }));
      expect(saved).to.include('Saved: Kim Newcomer, Local Smartcard Administrator at FA123.');
    });

    scenario('when an admin changes a contact, the same person is updated in place rather than added twice', async () => {
      const { chat, directory } = await start(adminId, { env });
      const alex = await idOf(directory, 'FA123', 'Alex Example');
      const card = await chat.say('FA123');
      const form = await chat.press(contactButton(card, 'Change', alex));
      expect(readAll(form)).to.include('Change a contact at FA123');
      expect(formFields(form).get('phone')?.value).to.equal('023 9200 0000');
      const saved = readAll(
        await chat.pressButton(form, 'Save', { role: 'sponsor', name: 'Alex Example', email: 'alex.example@nhs.net', phone: '023 9200 0099' }),
      );
      expect(saved).to.include('Saved: Alex Example, Sponsor at FA123.');
      expect(saved).to.include('**Alex Example**: alex.example@nhs.net, 023 9200 0099');
      expect(saved).not.to.include('023 9200 0000');
      expect(saved.match(/\*\*Alex Example\*\*/g)).to.have.length(1);
      const stored = await directory.contacts.forOrganisation('FA123');
      expect(stored).to.have.length(3);
      expect(stored.filter((c) => c.name === 'Alex Example').map((c) => [c.id, c.phone])).to.deep.equal([[alex, '023 9200 0099']]);
    });

    scenario('when an admin removes a contact, it goes; pressing Remove again on the old card says it has already been removed', async () => {
      const { chat, directory } = await start(adminId, { env });
      const sam = await idOf(directory, 'FA123', 'Sam Sample');
      const card = await chat.say('FA123');
      expect(readAll(card)).to.include('Remove Sam Sample from FA123?');
      const removed = readAll(await chat.press(contactButton(card, 'Yes, remove', sam)));
      expect(removed).to.include('Removed Sam Sample from FA123.');
      expect(removed).not.to.include('**Sam Sample**');
      expect(removed).to.include('**Alex Example**');
      expect(await directory.contacts.get(sam)).to.equal(undefined);

      const twice = readAll(await chat.press(contactButton(card, 'Yes, remove', sam)));
      expect(twice).to.include('That contact has already been removed or changed since the card was sent.');
      expect(twice).not.to.include('Removed Sam Sample');
    });

    scenario('when a payload names an organisation the directory does not hold, it is refused politely and nothing changes', async () => {
      const { chat, directory } = await start(adminId, { env });
      const alex = await idOf(directory, 'FA123', 'Alex Example');
      const before = await contactsOf(directory, 'FA123');
      const payloads = [
        { verb: 'contact.save', code: 'FX999', contact: '', role: 'sponsor', name: 'Someone Else', email: '', phone: '' },
        { verb: 'contact.remove', code: 'FX999', contact: alex },
        { verb: 'contact.add', code: 'FX999' },
        { verb: 'contact.edit', code: 'FX999', contact: alex },
      ];
      for (const payload of payloads) {
        const text = readAll(await chat.press(payload));
        expect(text, payload.verb).to.include("I haven't changed anything");
        expect(text, payload.verb).not.to.include('Sorry, something went wrong');
        expect(text, payload.verb).not.to.include('Saved');
      }
      expect(await contactsOf(directory, 'FA123')).to.deep.equal(before);
      expect(await directory.contacts.forOrganisation('FX999')).to.deep.equal([]);
    });

    scenario('when the contacts store fails during a save, the user is told nothing was saved, never "Saved"', async () => {
      const directory = await seededDirectory();
      const failing: ContactRepository = {
        forOrganisation: (code) => directory.contacts.forOrganisation(code),
        get: (id) => directory.contacts.get(id),
        remove: (id) => directory.contacts.remove(id),
        putAll: () => Promise.reject(new Error('disk full')),
      };
      const logger = memoryLogger();
      const { chat } = await start(adminId, {
        env,
        directory,
        overrides: { directory: { organisations: directory.organisations, contacts: failing }, logger },
      });
      const form = await chat.pressButton(await chat.say('FA123'), 'Add a contact');
      const text = readAll(await chat.pressButton(form, 'Save', { role: 'sponsor', name: 'Kim Newcomer', email: '', phone: '' }));
      expect(text).to.include("Sorry, I couldn't save that change just now, so nothing has changed.");
      expect(text).not.to.include('Saved');
      expect(logger.entries.filter((e) => e.level === 'error').map((e) => e.msg)).to.include('contact write failed');
      expect((await directory.contacts.forOrganisation('FA123')).map((c) => c.name)).not.to.include('Kim Newcomer');
    });
  });

  describe('a member of an RA team (raTeams.json members)', () => {
    let knowledge: Awaited<ReturnType<typeof knowledgeWithMembers>>;
    before(async () => {
      knowledge = await knowledgeWithMembers('scw', [scwMemberId]);
    });
    after(async () => {
      await knowledge.remove();
    });

    scenario('when an SCW team member looks up FA123, a Hampshire pharmacy, they may add a contact', async () => {
      const { chat } = await start(scwMemberId, { overrides: { knowledgeDir: knowledge.dataDir } });
      const card = await chat.say('FA123');
      expect(buttonTitles(card)).to.include.members(['Add a contact', 'Change']);
      const form = await chat.pressButton(card, 'Add a contact');
      const saved = readAll(await chat.pressButton(form, 'Save', { role: 'id-checker', name: 'Robin Checker', email: '', phone: '' }));
      expect(saved).to.include('Saved: Robin Checker, RA Agent ID Checker at FA123.');
    });

    scenario('when the same SCW member looks up Y90001, a Dorset practice, they get no buttons to change it and a forged save is refused', async () => {
      const { chat, directory } = await start(scwMemberId, { overrides: { knowledgeDir: knowledge.dataDir } });
      const before = await contactsOf(directory, 'Y90001');
      const card = await chat.say('Y90001');
      expect(readAll(card)).to.include('**Pat Fictional**');
      expect(editingButtons(card)).to.deep.equal([]);
      const pat = await idOf(directory, 'Y90001', 'Pat Fictional');
      const saved = readAll(await chat.press({ verb: 'contact.save', code: 'Y90001', contact: pat, role: 'sponsor', name: 'Pat Changed', email: '', phone: '' }));
      expect(saved).to.include(refusal);
      const removed = readAll(await chat.press({ verb: 'contact.remove', code: 'Y90001', contact: pat }));
      expect(removed).to.include(refusal);
      expect(await contactsOf(directory, 'Y90001')).to.deep.equal(before);
    });
  });
});
