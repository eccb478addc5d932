import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Activity } from 'botbuilder';
import { expect } from 'chai';
import { importContacts, importOdsExtract } from '../../bot/directory/imports.js';
import { memoryDirectory } from '../../bot/storage/lowdbDirectory.js';
import type { Organisation } from '../../knowledge/organisations.js';
import { Chat, cardsOf, testNow, type Reply } from './chat.js';
import { validateCard } from './validateCard.js';

const fixtures = fileURLToPath(new URL('../fixtures/directory/', import.meta.url));
const knowledgeRoot = fileURLToPath(new URL('../../knowledge/', import.meta.url));

/**
 * An in-memory directory holding the fictional fixture organisations (FA123 Seafront Pharmacy, Y90001 Harbour View
 * Surgery, FW844, FQ001, the closed Y90003, the Leeds Y90004 and more) and their local contacts.
 */
export async function seededDirectory(): Promise<ReturnType<typeof memoryDirectory>> {
  const directory = memoryDirectory();
  const options = { dryRun: false, now: testNow };
  for (const file of ['epraccur-sample.csv', 'edispensary-sample.csv']) {
    const report = await importOdsExtract(await readFile(path.join(fixtures, file), 'utf8'), directory.organisations, options);
    if (!report.ok) throw new Error(`${file} did not import: ${JSON.stringify(report.problems)}`);
  }
  const report = await importContacts(await readFile(path.join(fixtures, 'contacts-sample.csv'), 'utf8'), directory, options);
  if (!report.ok) throw new Error(`contacts-sample.csv did not import: ${JSON.stringify(report.problems)}`);
  return directory;
}

/**
 * A copy of the knowledge folder (data, articles, flows, forms) in a temporary folder, with these AAD object ids listed
 * as members of the RA team `teamId`. Returns the copy's data folder, for `overrides.knowledgeDir`.
 */
export async function knowledgeWithMembers(teamId: string, members: readonly string[]): Promise<{ dataDir: string; remove: () => Promise<void> }> {
  const root = await mkdtemp(path.join(tmpdir(), 'smartcard-knowledge-'));
  for (const folder of ['data', 'articles', 'flows', 'forms']) await cp(path.join(knowledgeRoot, folder), path.join(root, folder), { recursive: true });
  const file = path.join(root, 'data', 'raTeams.json');
  const json = JSON.parse(await readFile(file, 'utf8')) as { teams: { id: string; members?: string[] }[] };
  const team = json.teams.find((t) => t.id === teamId);
  if (!team) throw new Error(`no team ${teamId} in raTeams.json`);
  team.members = [...members];
  await writeFile(file, JSON.stringify(json, null, 2));
  return { dataDir: path.join(root, 'data'), remove: () => rm(root, { recursive: true, force: true }) };
}

/** A Chat that keeps every card the bot sends, so a scenario can check them all at its end. */
export class RecordingChat extends Chat {
  constructor(
    private readonly sent: unknown[],
    ...args: ConstructorParameters<typeof Chat>
  ) {
    super(...args);
  }

  override async send(activity: Partial<Activity>): Promise<Reply[]> {
    const replies = await super.send(activity);
    this.sent.push(...cardsOf(replies));
    return replies;
  }
}

/** Fails with the card's heading and problems when any card is not one Teams can show. */
export function expectValidCards(cards: readonly unknown[]): void {
  for (const card of cards) {
    const heading = JSON.stringify(card).slice(0, 160);
    expect(validateCard(card), `card ${heading}`).to.deep.equal([]);
  }
}

/** The buttons on these replies with this title whose data acts on this contact. */
export function contactButton(replies: readonly Reply[], title: string, contactId: string): Record<string, unknown> {
  const button = replies
    .flatMap((r) => r.buttons)
    .find((b) => b.title === title && (b.data as Record<string, unknown> | undefined)?.['contact'] === contactId);
  if (!button) throw new Error(`no "${title}" button for contact ${contactId}`);
  return button.data as Record<string, unknown>;
}

/** A made-up organisation; the last address line is the town, as ODS extracts give it. */
export function organisation(code: string, name: string, town: string, postcode: string | undefined, more: Partial<Organisation> = {}): Organisation {
  const pharmacy = code.startsWith('F');
  return {
    code,
    name,
    kind: pharmacy ? 'pharmacy' : 'gp-practice',
    address: ['1 TEST STREET', town],
    postcode,
    open: true,
    source: pharmacy ? 'edispensary' : 'epraccur',
    updatedAt: '2026-03-02T07:30:00.000Z',
    ...more,
  };
}
