import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemoryStorage, type ConversationReference } from 'botbuilder';
import type { Adapter } from 'lowdb';
import { createApp, type App } from '../../bot/app.js';
import { loadConfig } from '../../bot/config.js';
import { maxBodyBytes } from '../../bot/server.js';
import { importContacts, importOdsExtract } from '../../bot/directory/imports.js';
import { AesGcmCipher } from '../../bot/requests/fieldCipher.js';
import { memoryAudience } from '../../bot/storage/lowdbAudience.js';
import { LowdbBroadcasts, type BroadcastsData } from '../../bot/storage/lowdbBroadcasts.js';
import { LowdbContacts, LowdbOrganisations, type ContactsData, type OrganisationsData } from '../../bot/storage/lowdbDirectory.js';
import { LowdbDocument } from '../../bot/storage/lowdbDocument.js';
import { LowdbQuestionLog, type QuestionLogData } from '../../bot/storage/lowdbQuestionLog.js';
import { LowdbDesks, LowdbRequests, type DesksData, type RequestsData } from '../../bot/storage/lowdbRequests.js';
import { memorySchedule } from '../../bot/storage/lowdbSchedule.js';
import { LowdbTraining, type TrainingData } from '../../bot/storage/lowdbTraining.js';
import { cardToText } from '../../cards/flatten.js';
import type { Clock, Logger } from '../../dialogs/ports.js';
import { testNow } from '../support/chat.js';
import { activity, post } from '../support/http.js';
import { RecordingNotifier } from '../support/requests.js';
import { startConnector, type ConnectorStandIn } from '../support/connector.js';

/** An RA admin (`RA_ADMINS`): a member of every RA team. */
export const adminId = '0f1e2d3c-4b5a-4697-8877-665544332211';

/** Someone the bot talks to: who they are and the conversation they write in. */
export interface Person {
  readonly id: string;
  readonly name: string;
  readonly aadObjectId?: string;
  readonly conversation: { readonly id: string; readonly conversationType: 'personal' | 'channel' | 'groupChat'; readonly tenantId?: string };
}

/** What the app answered: the HTTP status and body, with the replies' text and buttons flattened. */
export interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly text: string;
  readonly buttons: readonly { readonly title: string; readonly data: Record<string, unknown> }[];
}

/**
 * The last document a store wrote, kept as written: what a store on disk would hold. `writes` counts writes, so a
 * comparison only serialises a store that was written at all.
 */
class ReadableMemory<T> implements Adapter<T> {
  writes = 0;
  #data: T;

  constructor(initial: T) {
    this.#data = structuredClone(initial);
  }

  read(): Promise<T | null> {
    return Promise.resolve(structuredClone(this.#data));
  }

  write(data: T): Promise<void> {
    this.#data = structuredClone(data);
    this.writes++;
    return Promise.resolve();
  }

  get data(): T {
    return this.#data;
  }
}

/** Every store's data at one moment. */
export interface Snapshot {
  readonly stores: ReadonlyMap<string, { readonly writes: number; readonly data: unknown }>;
}

/** The app an attacker meets: the real composition root over HTTP, on in-memory stores the test can read. */
export interface World {
  readonly app: App;
  readonly url: string;
  readonly clock: SteppingClock;
  readonly notifier: RecordingNotifier;
  /** The loopback Bot Connector stand-in: the `serviceUrl` of every activity. */
  readonly connectorUrl: string;
  readonly admin: Person;
  /** Has filed requests, booked a place and is in the audience; not in any RA team. */
  readonly requester: Person;
  /** Not in any RA team, each already known to the bot (in the audience, with bot state). */
  readonly outsiders: readonly Person[];
  /** Not in any RA team, and in the middle of a dialog (asked for an organisation by "find a contact"). */
  readonly midFlow: Person;
  /** The admin in a Teams channel that is an RA desk. */
  readonly adminAtDesk: Person;
  readonly ids: {
    /** RA-000001 assigned, RA-000002 waiting for the requester's answer. */
    readonly requests: readonly { readonly reference: string; readonly version: number }[];
    /** An announced session the requester has booked, and a draft. */
    readonly sessions: readonly { readonly id: string; readonly version: number }[];
    /** A finished announcement and one still pending (due in a year). */
    readonly broadcasts: readonly string[];
    readonly contacts: readonly { readonly code: string; readonly id: string }[];
    readonly teams: readonly string[];
  };
  /** Sends a Teams-shaped activity from this person (the clock moves on a second first). */
  send(person: Person, more: Record<string, unknown>): Promise<Answer>;
  /** POSTs a body as it is, with this content type (none when undefined). */
  postRaw(body: string, contentType: string | undefined): Promise<number>;
  /** The local contacts at an organisation, as stored. */
  contactsAt(code: string): Promise<readonly { readonly id: string; readonly name: string }[]>;
  /** Queues an announcement by the admin that is not due for a year, as the training part would; returns its id. */
  queuePending(id: string): Promise<string>;
  /** Waits until every proactive send due now has gone, so nothing changes the stores in the background. */
  settle(): Promise<void>;
  snapshot(): Snapshot;
  stop(): Promise<void>;
}

/** A clock that moves on a second whenever the test says, so any rewrite of a timestamp shows in the stores. */
export class SteppingClock implements Clock {
  #time = testNow.getTime();

  now(): Date {
    return new Date(this.#time);
  }

  step(): void {
    this.#time += 1000;
  }
}

const fixtures = fileURLToPath(new URL('../fixtures/directory/', import.meta.url));

/** The lost-card form as a requester's card sends it (a stolen card at the fictional Seafront Pharmacy). */
export function lostCard(draft: string): Record<string, unknown> {
  return { verb: 'form.submit', form: 'lost-card', draft, what: 'stolen', holderName: 'Sam Requester', odsCode: 'FA123', noticed: '2026-11-20', replacement: 'true' };
}

/** The training session form's inputs, as an admin fills them in: Sponsor training at Dorchester. */
export const sessionInputs = {
  course: 'sponsor',
  venue: 'dorset-dorchester',
  date: '2026-12-10',
  startTime: '14:00',
  duration: '120',
  capacity: '20',
  bookingDeadline: '2026-12-03',
  audience: 'everyone',
};

/** Builds the app on readable in-memory stores, starts it on a loopback port and sets up a world worth attacking. */
export async function startWorld(options: { readonly logger?: Logger } = {}): Promise<World> {
  const clock = new SteppingClock();
  const memories = new Map<string, ReadableMemory<unknown>>();
  const memory = <T>(name: string, initial: T): ReadableMemory<T> => {
    const adapter = new ReadableMemory<T>(initial);
    memories.set(name, adapter as ReadableMemory<unknown>);
    return adapter;
  };
  const doc = <T>(name: string, initial: T) => LowdbDocument.inMemory<T>(initial, (d) => d, memory(name, initial));
  const botState: Record<string, string> = {};
  const organisations = new LowdbOrganisations(doc<OrganisationsData>('organisations', { organisations: {} }));
  const contacts = new LowdbContacts(doc<ContactsData>('contacts', { contacts: {} }));
  for (const file of ['epraccur-sample.csv', 'edispensary-sample.csv']) {
    const report = await importOdsExtract(await readFile(path.join(fixtures, file), 'utf8'), organisations, { dryRun: false, now: testNow });
    if (!report.ok) throw new Error(`${file} did not import`);
  }
  if (!(await importContacts(await readFile(path.join(fixtures, 'contacts-sample.csv'), 'utf8'), { organisations, contacts }, { dryRun: false, now: testNow })).ok) {
    throw new Error('contacts-sample.csv did not import');
  }
  const notifier = new RecordingNotifier();
  const broadcastStore = new LowdbBroadcasts(doc<BroadcastsData>('broadcasts', { broadcasts: {}, deliveries: {} }));
  const config = loadConfig({ LOG_LEVEL: 'silent', PORT: '0', DATA_DIR: '/nonexistent-unused', BROADCAST_RATE: '1000', RA_ADMINS: adminId });
  const app = await createApp(config, {
    storage: new MemoryStorage(botState),
    questionLog: LowdbQuestionLog.inMemory(180, () => clock.now(), memory<QuestionLogData>('questions', { unanswered: [], feedback: [] })),
    clock,
    directory: { organisations, contacts },
    requests: { store: new LowdbRequests(doc<RequestsData>('requests', { lastSequence: 0, requests: {} }), new AesGcmCipher(randomBytes(32))), canSeal: true },
    desks: new LowdbDesks(doc<DesksData>('desks', { desks: {} })),
    notifier,
    audience: memoryAudience(memory('audience', { members: {} })),
    schedule: memorySchedule(memory('schedule', { jobs: {} })),
    training: new LowdbTraining(doc<TrainingData>('training', { sessions: {} })),
    broadcastStore,
    noMail: true,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const url = await app.start();
  // Where Teams' own calls go (the roster lookup behind a request's email, replies to a turn not asking for them).
  const connector: ConnectorStandIn = await startConnector({ keepBodies: false });

  const send = async (person: Person, more: Record<string, unknown>): Promise<Answer> => {
    clock.step();
    const from = { id: person.id, name: person.name, ...(person.aadObjectId ? { aadObjectId: person.aadObjectId } : {}) };
    const response = await post(url, activity({ serviceUrl: connector.url, from, conversation: { isGroup: person.conversation.conversationType !== 'personal', name: '', ...person.conversation }, ...more }));
    return { ...response, ...flatten(response.body) };
  };
  const say = async (person: Person, text: string) => ok(await send(person, { type: 'message', text }), text);
  const press = async (person: Person, value: Record<string, unknown>) => ok(await send(person, { type: 'message', value }), JSON.stringify(value));

  const personal = (name: string, aadObjectId?: string): Person => ({
    id: `29:${name}`,
    name,
    ...(aadObjectId ? { aadObjectId } : {}),
    conversation: { id: `a:personal-${name}`, conversationType: 'personal', tenantId: 'tenant-1' },
  });
  const admin = personal('ra-admin', adminId);
  const requester = personal('requester', '5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d');
  const outsiders: Person[] = [
    personal('outsider', '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a'),
    personal('no-aad'),
    { id: '29:channel-outsider', name: 'channel-outsider', aadObjectId: 'c0ffee00-1111-4222-8333-444455556666', conversation: { id: '19:open@thread.tacv2;messageid=7', conversationType: 'channel', tenantId: 'tenant-1' } },
    { id: '29:group-outsider', name: 'group-outsider', aadObjectId: 'abcdef01-2345-4678-89ab-cdef01234567', conversation: { id: '19:group@thread.v2', conversationType: 'groupChat', tenantId: 'tenant-1' } },
  ];
  const adminAtDesk: Person = { ...admin, conversation: { id: '19:desk@thread.tacv2;messageid=1', conversationType: 'channel', tenantId: 'tenant-1' } };
  const midFlow = personal('mid-flow', '7e6d5c4b-3a29-4817-a6b5-c4d3e2f1a0b9');
  for (const person of [admin, requester, ...outsiders, adminAtDesk, midFlow]) await say(person, 'hello');
  await say(midFlow, 'find a contact');

  // Each team's desk is the admin's channel, so requests are posted there and the admin is a desk person.
  const teams = ['scw', 'dorset'];
  for (const team of teams) await say(adminAtDesk, `make this the RA desk for ${team}`);

  // RA-000001, assigned (version 2); RA-000002, waiting for the requester's answer (version 2).
  await press(requester, lostCard(randomUUID()));
  await press(requester, lostCard(randomUUID()));
  await press(adminAtDesk, { verb: 'request.act', reference: 'RA-000001', version: 1, action: 'assign' });
  await press(adminAtDesk, { verb: 'request.act', reference: 'RA-000002', version: 1, action: 'ask', askNote: 'Which branch?' });

  // An announced session the requester has booked, and a draft.
  const announced = await draftSession(admin, press, say);
  await press(admin, { verb: 'training.act', session: announced.id, action: 'announce', version: announced.version });
  await press(requester, { verb: 'training.act', session: announced.id, action: 'book' });
  const draft = await draftSession(admin, press, say);

  // An announcement still pending (due in a year): what a forged Cancel would stop.
  const queuePending = async (id: string) => {
    const reference = (p: Person): Partial<ConversationReference> => ({ conversation: { id: p.conversation.id, isGroup: false, conversationType: 'personal', name: '' } });
    await broadcastStore.queue(
      {
        id,
        title: 'Training: pending',
        activity: { type: 'message', text: 'Pending announcement' },
        recipients: [requester, ...outsiders].map((p) => ({ userId: p.id, reference: reference(p) })),
        author: { userId: admin.id, aadObjectId: adminId, reference: reference(admin) },
      },
      new Date(testNow.getTime() + 365 * 86_400_000).toISOString(),
    );
    await app.broadcasts.drain();
    return id;
  };
  const pending = await queuePending('announce:TS-PENDNG');

  const world: World = {
    app,
    url,
    clock,
    notifier,
    admin,
    requester,
    outsiders,
    midFlow,
    adminAtDesk,
    ids: {
      requests: [
        { reference: 'RA-000001', version: 2 },
        { reference: 'RA-000002', version: 2 },
      ],
      sessions: [
        { id: announced.id, version: announced.version },
        { id: draft.id, version: draft.version },
      ],
      broadcasts: [`announce:${announced.id}`, pending],
      contacts: (await contacts.forOrganisation('FA123')).map((c) => ({ code: 'FA123', id: c.id })),
      teams,
    },
    send,
    postRaw: async (body, contentType) => {
      clock.step();
      // Bytes, so fetch adds no content type of its own.
      const bytes = new TextEncoder().encode(body);
      try {
        const response = await fetch(`${url}/api/messages`, { method: 'POST', headers: contentType ? { 'content-type': contentType } : {}, body: bytes });
        await response.arrayBuffer();
        return response.status;
      } catch (error) {
        // The server may answer 413 and close the connection while a body over the limit is still being sent.
        const code = ((error as Error).cause as NodeJS.ErrnoException | undefined)?.code;
        if (bytes.byteLength > maxBodyBytes && (code === 'ECONNRESET' || code === 'EPIPE')) return 413;
        throw error;
      }
    },
    queuePending: (id) => queuePending(id),
    contactsAt: (code) => contacts.forOrganisation(code),
    settle: () => app.broadcasts.drain(),
    snapshot: () => ({
      stores: new Map([
        ...[...memories].map(([name, m]) => [name, { writes: m.writes, data: m.data }] as const),
        // Bot state without its eTags: a store may rewrite an item unchanged, which is no change to the data.
        ['botState', { writes: -1, data: Object.fromEntries(Object.entries(botState).map(([k, v]) => [k, withoutETag(v)])) }],
      ]),
    }),
    connectorUrl: connector.url,
    stop: async () => {
      await app.stop();
      await connector.close();
    },
  };
  return world;
}

/** Creates a draft training session as the admin: the form, then Preview with the inputs. Returns its id and version. */
async function draftSession(
  admin: Person,
  press: (p: Person, v: Record<string, unknown>) => Promise<Answer>,
  say: (p: Person, t: string) => Promise<Answer>,
): Promise<{ id: string; version: number }> {
  const form = await say(admin, 'new training session');
  const preview = form.buttons.find((b) => b.title === 'Preview');
  if (!preview) throw new Error(`no Preview button: ${form.text}`);
  const drafted = await press(admin, { ...preview.data, ...sessionInputs });
  const announce = drafted.buttons.find((b) => b.title === 'Announce');
  const id = announce?.data['session'];
  const version = announce?.data['version'];
  if (typeof id !== 'string') throw new Error(`no Announce button: ${drafted.text}`);
  return { id, version: Number(version ?? 1) };
}

function ok(answer: Answer, what: string): Answer {
  if (answer.status !== 200) throw new Error(`setting up, "${what.slice(0, 80)}" was answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`);
  return answer;
}

function withoutETag(item: string): unknown {
  const parsed = JSON.parse(item) as Record<string, unknown>;
  delete parsed['eTag'];
  return parsed;
}

/** The replies' text and buttons, as a person would read them. */
export function flatten(body: unknown): { text: string; buttons: { title: string; data: Record<string, unknown> }[] } {
  const activities = (body as { activities?: { text?: string; attachments?: { content?: unknown }[] }[] } | undefined)?.activities;
  const list = Array.isArray(activities) ? activities : [];
  const cards = list.flatMap((a) => (Array.isArray(a.attachments) ? a.attachments : []).map((att) => cardToText(att.content)));
  return {
    text: [...list.map((a) => a.text ?? ''), ...cards.map((c) => c.text)].filter((t) => t !== '').join('\n'),
    buttons: cards.flatMap((c) => c.buttons).map((b) => ({ title: b.title, data: (b.data ?? {}) as Record<string, unknown> })),
  };
}

/** The stores that differ between two snapshots, each with where its data first differs. */
export function differences(before: Snapshot, after: Snapshot): string[] {
  const changed: string[] = [];
  for (const [name, was] of before.stores) {
    const now = after.stores.get(name);
    if (!now || (was.writes === now.writes && was.writes >= 0)) continue;
    const a = JSON.stringify(was.data);
    const b = JSON.stringify(now.data);
    if (a === b) continue;
    let i = 0;
    while (i < a.length && a[i] === b[i]) i++;
    changed.push(`${name} changed at ${i}: ...${a.slice(Math.max(0, i - 120), i + 120)}... became ...${b.slice(Math.max(0, i - 120), i + 120)}...`);
  }
  return changed;
}
