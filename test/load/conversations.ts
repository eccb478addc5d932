// Many conversations at once against the real app over HTTP, each walking its own 20-turn path through the directory,
// the guided flows, a request form, the FAQ and renewal reminders. Each persona works somewhere different and answers
// differently, so every reply is checked for what THIS conversation should see, and scanned for anything that belongs
// to another one (an organisation, a person, a request reference, the other RA team's number). After the run a second
// app on the same store checks each conversation's organisation and request once more, from what was saved.
// `npm run test:load` runs 200 conversations (test/load/run.ts); `npm test` runs 10 (test/load/conversations.test.ts).
import { randomBytes, randomUUID } from 'node:crypto';
import type { Activity } from 'botbuilder';
import { DateTime } from 'luxon';
import { loadConfig } from '../../bot/config.js';
import { importContacts, importOdsExtract } from '../../bot/directory/imports.js';
import { openBackend } from '../../bot/storage/backend.js';
import { cardToText } from '../../cards/flatten.js';
import type { Logger } from '../../dialogs/ports.js';
import { activity, post, started } from '../support/http.js';

/** The RA teams a persona's organisation can belong to, as replies name them. */
const teams = {
  dorset: { name: 'NHS Dorset Smartcard Support Team', phone: '01202 541604', area: 'Dorset' },
  scw: { name: 'South, Central and West CSU RA (smartcard) service', phone: '0300 5610429', area: 'Hampshire or Isle of Wight' },
} as const;
type TeamId = keyof typeof teams;

type Role = 'sponsor' | 'lsa' | 'ra-agent';

/** One person in one conversation: who they are, where they work, and who the directory lists there. */
export interface Persona {
  readonly index: number;
  /** Three digits, in the persona's codes, names and ids. */
  readonly n: string;
  readonly conversationId: string;
  readonly userId: string;
  readonly aadObjectId: string;
  readonly organisation: {
    readonly code: string;
    readonly name: string;
    readonly kind: 'pharmacy' | 'gp-practice';
    /** False: a valid code the directory does not hold, which the person places by area. */
    readonly inDirectory: boolean;
    readonly team: TeamId;
  };
  /** The local contacts the directory lists at the organisation (none when it is not in the directory). */
  readonly contacts: readonly { readonly role: Role; readonly name: string }[];
}

// A name is a first name and a surname from these lists; no entry is a prefix of another, so one person's name is
// never found inside another's.
const firstNames = ['Ada', 'Bram', 'Cleo', 'Dev', 'Edie', 'Finn', 'Greer', 'Hal', 'Isla', 'Jude', 'Kit', 'Lorn', 'Mae', 'Ned', 'Orla', 'Pip', 'Quin', 'Rhys', 'Suki', 'Tam'];
const surnames = ['Ashdown', 'Birchley', 'Cowdray', 'Dunmore', 'Elstow', 'Fernhill', 'Gatcombe', 'Holloway', 'Ingleby', 'Jessop', 'Kestell', 'Lumley', 'Marchant', 'Nettlefold', 'Oakhurst', 'Pendry', 'Quarrie', 'Rowntree', 'Stallard', 'Tunstall'];
const peoplePerPersona = 2;
/** How many conversations the name lists can tell apart (codes and names have room for 1000). */
export const maxConversations = Math.floor((firstNames.length * surnames.length) / peoplePerPersona);

const pad = (n: number, width: number) => String(n).padStart(width, '0');
const personName = (n: number) => `${firstNames[n % firstNames.length]} ${surnames[Math.floor(n / firstNames.length) % surnames.length]}`;

/**
 * The person in conversation `index` of run `runId`. Organisations rotate through a Dorset pharmacy, a Hampshire
 * pharmacy, a Dorset GP practice and a pharmacy code the directory does not hold (placed in Dorset or Hampshire), each
 * with its own code, name and contacts. Ids carry the run, so a run on a store kept from an earlier one starts afresh.
 */
export function personaFor(index: number, runId: string): Persona {
  if (!Number.isInteger(index) || index < 0 || index >= maxConversations) throw new RangeError(`conversation ${index} is outside 0..${maxConversations - 1}`);
  const n = pad(index, 3);
  const ids = { index, n, conversationId: `load-${runId}-conv-${n}`, userId: `load-${runId}-user-${n}`, aadObjectId: `00000000-0000-4000-8000-${pad(index, 12)}` };
  const first = personName(index * peoplePerPersona);
  const second = personName(index * peoplePerPersona + 1);
  switch (index % 4) {
    case 0:
      return { ...ids, organisation: { code: `FD${n}`, name: `HARBOURSIDE PHARMACY ${n} (FICTIONAL)`, kind: 'pharmacy', inDirectory: true, team: 'dorset' }, contacts: [{ role: 'sponsor', name: first }, { role: 'lsa', name: second }] };
    case 1:
      return { ...ids, organisation: { code: `FH${n}`, name: `DOWNS PHARMACY ${n} (FICTIONAL)`, kind: 'pharmacy', inDirectory: true, team: 'scw' }, contacts: [{ role: 'sponsor', name: first }, { role: 'lsa', name: second }] };
    case 2:
      return { ...ids, organisation: { code: `Y8${pad(index, 4)}`, name: `QUAYSIDE SURGERY ${n} (FICTIONAL)`, kind: 'gp-practice', inDirectory: true, team: 'dorset' }, contacts: [{ role: 'ra-agent', name: first }, { role: 'sponsor', name: second }] };
    default:
      return { ...ids, organisation: { code: `FZ${n}`, name: `FZ${n}`, kind: 'pharmacy', inDirectory: false, team: Math.floor(index / 4) % 2 === 0 ? 'dorset' : 'scw' }, contacts: [] };
  }
}

/** One ODS extract line (27 columns, as NHS Digital publishes them) for a persona's organisation. */
function extractLine(persona: Persona): string {
  const { code, name, team } = persona.organisation;
  const dorset = team === 'dorset';
  const place = dorset ? ['POOLE', 'DORSET', '', 'BH15 1AA'] : ['WINCHESTER', 'HAMPSHIRE', '', 'SO23 9AA'];
  const fields = [code, name, dorset ? 'Y58' : 'Y59', dorset ? 'QVV' : 'QRL', `${persona.index + 1} QUAY ROAD`, '', ...place, '20100401', '', 'A', 'B', dorset ? '11J' : 'D9Y0V', '20100401'];
  return [...fields, ...Array.from({ length: 27 - fields.length }, () => '')].map((f) => `"${f}"`).join(',');
}

/**
 * The app's settings for a run: the store in `dataDir`, or the one STORAGE and its connection string name. Both apps of
 * a run share one request key (Azure requires one); without REQUEST_KEY the run makes its own.
 */
export function loadEnv(dataDir: string, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const passed = ['STORAGE', 'AZURE_STORAGE_CONNECTION_STRING'].flatMap((key) => (env[key] ? [[key, env[key]] as const] : []));
  return { DATA_DIR: dataDir, REQUEST_KEY: env['REQUEST_KEY'] || randomBytes(32).toString('base64'), ...Object.fromEntries(passed) };
}

/**
 * Imports the personas' organisations and contacts into the directory of the configured store, through the same
 * imports the command line runs, before the app opens it. Importing the same records again changes nothing.
 */
export async function seedDirectory(env: Record<string, string>, personas: readonly Persona[]): Promise<void> {
  const config = loadConfig({ LOG_LEVEL: 'silent', ...env });
  const stores = await (await openBackend(config, { now: () => new Date() })).directory();
  const listed = personas.filter((p) => p.organisation.inDirectory);
  const options = { dryRun: false, now: new Date() };
  for (const kind of ['pharmacy', 'gp-practice'] as const) {
    const lines = listed.filter((p) => p.organisation.kind === kind).map(extractLine);
    if (lines.length === 0) continue;
    const report = await importOdsExtract(`${lines.join('\n')}\n`, stores.organisations, options);
    if (!report.ok) throw new Error(`the ${kind} extract did not import: ${JSON.stringify(report.problems)}`);
  }
  const contacts = listed.flatMap((p) => p.contacts.map((c) => `${p.organisation.code},${c.role},${c.name},,`));
  if (contacts.length > 0) {
    const report = await importContacts(`ods_code,role,name,email,phone\n${contacts.join('\n')}\n`, stores, options);
    if (!report.ok) throw new Error(`the contacts did not import: ${JSON.stringify(report.problems)}`);
  }
  await stores.organisations.flush?.();
  await stores.contacts.flush?.();
}

/** What one turn got back: the HTTP status, the replies as a person reads them, and every button on them. */
export interface TurnResult {
  readonly status: number;
  readonly text: string;
  readonly buttons: readonly { readonly title: string; readonly data: unknown }[];
  readonly ms: number;
}

/** Sends one message (typed text or a card's data) in the persona's conversation and reads the replies. */
export async function turnOver(url: string, persona: Persona, message: { text: string } | { value: unknown }): Promise<TurnResult> {
  const began = performance.now();
  const response = await post(
    url,
    activity({
      id: randomUUID(),
      type: 'message',
      ...message,
      from: { id: persona.userId, name: `Load User ${persona.n}`, aadObjectId: persona.aadObjectId },
      conversation: { id: persona.conversationId, conversationType: 'personal', isGroup: false, name: '' },
    }),
  );
  const ms = performance.now() - began;
  const activities = ((response.body as { activities?: Partial<Activity>[] } | undefined)?.activities ?? []).filter((a) => a.type === 'message');
  const texts: string[] = [];
  const buttons: { title: string; data: unknown }[] = [];
  for (const a of activities) {
    if (a.text) texts.push(a.text);
    for (const attachment of a.attachments ?? []) {
      if (attachment.contentType !== 'application/vnd.microsoft.card.adaptive') continue;
      const flat = cardToText(attachment.content);
      texts.push(flat.text);
      buttons.push(...flat.buttons);
    }
  }
  return { status: response.status, text: texts.join('\n'), buttons, ms };
}

/** What a conversation remembers between its turns: the reference its request was given. */
export interface Memo {
  reference?: string;
}

/** One turn of a walk: typed words, or a button on the last reply (with any inputs filled in), and what must come back. */
export interface Step {
  readonly say?: string;
  readonly press?: string;
  readonly inputs?: Record<string, string>;
  readonly expect: (memo: Memo) => readonly string[];
  /** Reads the request reference from this reply. */
  readonly capturesReference?: boolean;
}

const say = (text: string, ...expected: string[]): Step => ({ say: text, expect: () => expected });
const press = (title: string, ...expected: string[]): Step => ({ press: title, expect: () => expected });

/** The date the persona says its certificates expire: far enough ahead for all three reminders, and its own. */
function expiryOf(persona: Persona, today: DateTime): DateTime {
  return today.plus({ days: 150 + persona.index }).startOf('day');
}

/**
 * The persona's 20 turns and what each must show. Choices vary with the index on independent cycles (unlock path by
 * 3, solved or not by 2, renewal path by 5, FAQ by kind and 8), so neighbours take different paths.
 */
export function walkFor(persona: Persona, today: DateTime = DateTime.now().setZone('Europe/London')): Step[] {
  const { index: i, organisation: org } = persona;
  const team = teams[org.team];
  const teamLine = `${team.name} (${team.phone})`;
  const title = `${org.name} (${org.code})`;
  const names = (role: Role) => persona.contacts.filter((c) => c.role === role).map((c) => c.name);
  const everyone = persona.contacts.map((c) => c.name);
  const pharmacy = org.kind === 'pharmacy';
  const ownContacts = org.inDirectory ? [`Your contacts at ${org.name}`, ...everyone] : [];
  const sorry = `Sorry that didn't sort it. Your RA team can help: ${teamLine}`;
  const glad = "Good, glad that's sorted.";

  const organisation: Step[] = org.inDirectory
    ? [
        say(`my ODS code is ${org.code}`, title, "I'll remember this as your organisation", ...everyone, team.name, `Phone: ${team.phone}`),
        pharmacy ? say('who is my sponsor', `Sponsors at ${title}`, ...names('sponsor')) : say('who are our ra agents', `RA Agents at ${title}`, ...names('ra-agent')),
      ]
    : [
        say(`my ODS code is ${org.code}`, `${org.code} is a valid ODS code, but it isn't in my directory`, `Where is ${org.code}?`),
        press(team.area, `RA team for ${org.code}`, "I'll remember this as your organisation", team.name, `You told me ${org.code} is in ${team.area}`),
      ];

  const whoUnlocks = pharmacy ? ['Who can unlock your card in a pharmacy', teamLine, ...ownContacts] : ['Your practice RA agent or Sponsor can unlock it', teamLine, ...ownContacts];
  const unlockPaths: Step[][] = [
    [
      press('Yes, I have it', 'Does your card reader work?'),
      say('yes it works', "Have your smartcard's certificates expired?"),
      press("No, they're still in date", 'Is an allow-listed email address or mobile number on your Care Identity profile'),
      say('yes', 'You can unlock it yourself at digital.nhs.uk/unlock', teamLine, 'Did that solve it?'),
    ],
    [
      say('yes', 'Does your card reader work?'),
      // Where they work is known from their organisation, so the flow goes straight to who can unlock it there.
      press("No, it doesn't work", ...whoUnlocks, 'Did that solve it?'),
      say('back', 'Where do you work?'),
      press(pharmacy ? 'Community pharmacy' : 'GP practice', ...whoUnlocks, 'Did that solve it?'),
    ],
    [
      press('Yes, I have it', 'Does your card reader work?'),
      say('not sure', "Let's check your card reader first", 'What do you see?'),
      press('Card not recognised', 'unplug the keyboard and plug it back in'),
      say('yes it works now', "Good, it's working again", 'Did that solve it?'),
    ],
  ];
  const unlock: Step[] = [
    say('can I unlock my card myself?', 'Do you have your smartcard with you?'),
    ...(unlockPaths[i % 3] ?? []),
    Math.floor(i / 3) % 2 === 0 ? press('Yes, sorted', glad) : say('no', sorry),
  ];

  const token = `load ${persona.conversationId}`;
  const request: Step[] = [
    say('ask the RA team', 'Ask the RA team a question', 'Your question'),
    {
      press: 'Send to the RA team',
      // Half name their organisation on the form; the rest, and codes the directory lacks, are routed by their profile.
      inputs: { question: `Can a locum use our second card reader? (${token})`, ...(org.inDirectory && Math.floor(i / 4) % 2 === 0 ? { odsCode: org.code } : {}) },
      expect: () => ['Sent: RA-', `Saved for ${team.name}`, team.phone],
      capturesReference: true,
    },
    { say: 'my requests', expect: (memo) => ['Your requests, newest first', `**${memo.reference ?? 'no reference'}** Ask the RA team a question`] },
  ];

  const regional = org.team === 'dorset' ? 'Report it to the Smartcard Support Desk immediately: 01202 541604' : 'Your RA team is the SCW RA (smartcard) service: 0300 5610429';
  const faq: Step[] = [
    pharmacy && Math.floor(i / 4) % 2 === 1
      ? say('how do I get SCR access', 'SCR access for pharmacy staff', `Ask your RA team to add the SCR role for your pharmacy: ${teamLine}`, ...(org.inDirectory ? [`Your contacts at ${org.name}`, ...names('sponsor')] : []))
      : say('lost my card on the bus', 'Lost or stolen smartcard', `report it to your RA team immediately** so the card can be cancelled and can no longer be used: ${teamLine}`, regional),
    i % 2 === 0
      ? press('Helpful', 'Thanks for letting me know.')
      : { press: 'Send feedback', inputs: { comment: `It should say more (${token})` }, expect: () => ["Thanks, I've passed that on to the RA team", `If you still need help, contact ${teamLine}`] },
  ];

  const expiry = expiryOf(persona, today);
  const reminder: Step[] = [say(`my certificates expire on ${expiry.toFormat('d LLLL yyyy')}`, `Saved: your certificates expire on ${expiry.toFormat('cccc d LLLL yyyy')}.`)];

  const newCard = ['You need a new card', `tell them why (old card series): ${teamLine}`, 'Did that solve it?'];
  const series = 'What are the first two digits of the number on the back of your card?';
  const happens = 'What happens when you try to renew?';
  const renewalPaths: Step[][] = [
    [say('my renewal keeps failing and my card number starts 02', ...newCard), say('back', series), press('01, 02 or 03', ...newCard), say('no', sorry)],
    [say('my renewal keeps failing and my card number starts 05', ...newCard), say('back', series), press('04, 05 or 06', ...newCard), press('Yes, sorted', glad)],
    [
      say('my renewal keeps failing and my card number starts 08', series),
      press('07 or higher', happens),
      press('It shows an error', 'Cancel the card and reissue the certificates', `**print you a new card**: ${teamLine}`),
      say('no', sorry),
    ],
    [
      say('my renewal keeps failing and my card number starts 09', series),
      say('07 or higher', happens),
      say('it keeps spinning', 'Is your card reader built into your keyboard?'),
      say('yes', 'Keyboard card readers cause the spinning', 'Did that solve it?'),
    ],
    [
      say('renewal not working', "What's the problem with your renewal?"),
      press('No "Renew" option', 'Is your card locked?'),
      say('no', "Your card isn't due for renewal yet", `Contact your RA team: ${teamLine}`),
      press('Yes, sorted', glad),
    ],
  ];

  return [
    ...organisation,
    ...unlock,
    ...request,
    ...faq,
    ...reminder,
    ...(renewalPaths[i % 5] ?? []),
    // Interrupts a flow waiting for "did that solve it?" on some paths; cancels exactly this person's four reminders.
    say('stop renewal reminders', "Done: I've cancelled your certificate renewal reminders (4)."),
    finalCheck(persona),
  ];
}

/** "my ra team" at the end: the organisation and RA team this person gave at the start, and its people. */
function finalCheck(persona: Persona): Step {
  const { organisation: org } = persona;
  const team = teams[org.team];
  return org.inDirectory
    ? say('my ra team', `RA team for ${org.name} (${org.code})`, team.name, `Phone: ${team.phone}`, ...persona.contacts.map((c) => c.name))
    : say('my ra team', `RA team for ${org.code}`, team.name, `Phone: ${team.phone}`, `You told me ${org.code} is in ${team.area}`);
}

/** What, after the run, a fresh app on the same store must show each person: their organisation and their one request. */
function verificationFor(persona: Persona): Step[] {
  return [finalCheck(persona), { say: 'my requests', expect: (memo) => ['Your requests, newest first', `**${memo.reference ?? 'no reference'}** Ask the RA team a question`] }];
}

const markers = {
  code: /\b(?:F[DHZ]\d{3}|Y8\d{4})\b/g,
  organisation: /\b(?:HARBOURSIDE PHARMACY|DOWNS PHARMACY|QUAYSIDE SURGERY) (\d{3})\b/g,
  person: new RegExp(`\\b(?:${firstNames.join('|')}) (?:${surnames.join('|')})\\b`, 'g'),
  reference: /\bRA-\d{6}\b/g,
};

/** Whatever in a reply belongs to another conversation: codes, organisations, people, references, the other team's number. */
function foreignIn(text: string, persona: Persona, memo: Memo): string[] {
  const found: string[] = [];
  for (const [code] of text.matchAll(markers.code)) if (code !== persona.organisation.code) found.push(code);
  for (const [name, n] of text.matchAll(markers.organisation)) if (n !== persona.n) found.push(name);
  const mine = new Set(persona.contacts.map((c) => c.name));
  for (const [name] of text.matchAll(markers.person)) if (!mine.has(name)) found.push(name);
  for (const [reference] of text.matchAll(markers.reference)) if (reference !== memo.reference) found.push(reference);
  for (const [id, other] of Object.entries(teams)) if (id !== persona.organisation.team && text.includes(other.phone)) found.push(other.phone);
  return [...new Set(found)];
}

/** One conversation's run: its turn times, and what went wrong (a transport error, or a reply that was not its own). */
export interface WalkResult {
  readonly latencies: number[];
  errors: number;
  failure?: string;
}

/** Walks the steps in order, stopping at the first turn that fails (later turns would only fail after it). */
export async function walk(url: string, persona: Persona, steps: readonly Step[], memo: Memo): Promise<WalkResult> {
  const result: WalkResult = { latencies: [], errors: 0 };
  let last: TurnResult | undefined;
  for (const [n, step] of steps.entries()) {
    const what = step.say !== undefined ? `"${step.say}"` : `[${step.press ?? ''}]`;
    const where = `${persona.conversationId} turn ${n + 1} ${what}`;
    let message: { text: string } | { value: unknown };
    if (step.press !== undefined) {
      const button = last?.buttons.find((b) => b.title === step.press);
      if (!button || typeof button.data !== 'object' || button.data === null) {
        result.failure = `${where}: no such button; the last reply had ${last?.buttons.map((b) => b.title).join(', ') || 'none'}`;
        return result;
      }
      message = { value: { ...button.data, ...step.inputs } };
    } else {
      message = { text: step.say ?? '' };
    }
    let turn: TurnResult;
    try {
      turn = await turnOver(url, persona, message);
    } catch (error) {
      result.errors++;
      result.failure = `${where}: ${(error as Error).message}`;
      return result;
    }
    result.latencies.push(turn.ms);
    if (turn.status !== 200 || turn.text.includes('something went wrong on my side')) {
      result.errors++;
      result.failure = `${where}: HTTP ${turn.status}: ${turn.text.slice(0, 300)}`;
      return result;
    }
    if (step.capturesReference) memo.reference = /Sent: (RA-\d{6})/.exec(turn.text)?.[1];
    const missing = step.expect(memo).filter((text) => !turn.text.includes(text));
    const foreign = foreignIn(turn.text, persona, memo);
    if (missing.length > 0 || foreign.length > 0) {
      result.failure = `${where}: ${[missing.length > 0 ? `missing ${JSON.stringify(missing)}` : '', foreign.length > 0 ? `another conversation's ${JSON.stringify(foreign)}` : ''].filter(Boolean).join('; ')}\n--- reply ---\n${turn.text.slice(0, 1500)}`;
      return result;
    }
    last = turn;
  }
  return result;
}

/** Counts what the app logs as errors and warnings (their messages only: log fields may hold personal data). */
function countingLogger(counts: { errors: number; warnings: number; messages: Set<string> }): Logger {
  const logger: Logger = {
    error: (_fields, msg) => {
      counts.errors++;
      counts.messages.add(`error: ${msg ?? ''}`);
    },
    warn: (_fields, msg) => {
      counts.warnings++;
      counts.messages.add(`warn: ${msg ?? ''}`);
    },
    info: () => undefined,
    debug: () => undefined,
    child: () => logger,
  };
  return logger;
}

/** The figures of a run, and every conversation that did not end where it should. */
export interface LoadReport {
  readonly conversations: number;
  readonly turns: number;
  readonly errors: number;
  /** Conversations with a wrong reply, a transport error, or a wrong answer from the fresh app afterwards. */
  readonly failures: readonly string[];
  readonly loggedErrors: number;
  readonly loggedWarnings: number;
  readonly logMessages: readonly string[];
  readonly wallSeconds: number;
  readonly turnsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** Of this process, which runs both the app and the clients. */
  readonly peakRssMb: number;
  /** Conversations whose organisation and request a second app on the same store showed correctly. */
  readonly verified: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/**
 * Seeds the directory, starts the real app on the store in `dataDir` (or STORAGE's), runs `conversations` walks at
 * once over HTTP, then stops it and has a second app on the same store show each person's organisation and request.
 */
export async function runLoad(options: { readonly conversations: number; readonly dataDir: string; readonly env?: NodeJS.ProcessEnv }): Promise<LoadReport> {
  const runId = randomBytes(4).toString('hex');
  const personas = Array.from({ length: options.conversations }, (_, i) => personaFor(i, runId));
  const env = loadEnv(options.dataDir, options.env);
  await seedDirectory(env, personas);
  const counts = { errors: 0, warnings: 0, messages: new Set<string>() };
  const memos = personas.map((): Memo => ({}));

  const first = await started(env, undefined, countingLogger(counts));
  const began = performance.now();
  let results: WalkResult[];
  try {
    results = await Promise.all(personas.map((persona, i) => walk(first.url, persona, walkFor(persona), memos[i] ?? {})));
  } finally {
    await first.app.stop();
  }
  const wallSeconds = (performance.now() - began) / 1000;

  // Only conversations that finished their walk have something to check.
  const finished = personas.flatMap((persona, i) => (results[i]?.failure === undefined ? [{ persona, memo: memos[i] ?? {} }] : []));
  const second = await started(env, undefined, countingLogger(counts));
  let checks: WalkResult[];
  try {
    checks = await Promise.all(finished.map(({ persona, memo }) => walk(second.url, persona, verificationFor(persona), memo)));
  } finally {
    await second.app.stop();
  }

  const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const turns = latencies.length;
  return {
    conversations: personas.length,
    turns,
    errors: [...results, ...checks].reduce((sum, r) => sum + r.errors, 0),
    failures: [...results, ...checks].flatMap((r) => (r.failure === undefined ? [] : [r.failure])),
    loggedErrors: counts.errors,
    loggedWarnings: counts.warnings,
    logMessages: [...counts.messages],
    wallSeconds,
    turnsPerSecond: turns / wallSeconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? 0,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    verified: checks.filter((c) => c.failure === undefined).length,
  };
}

/** The figures as lines to print. */
export function describeLoad(report: LoadReport): string {
  const ms = (n: number) => `${n.toFixed(1)} ms`;
  return [
    `conversations: ${report.conversations} at once; ${report.verified} ended at their own outcome, checked again by a fresh app on the same store`,
    `turns: ${report.turns}`,
    `errors: ${report.errors} (HTTP or transport), wrong replies: ${report.failures.length}, logged errors: ${report.loggedErrors}, logged warnings: ${report.loggedWarnings}`,
    `wall time: ${report.wallSeconds.toFixed(2)} s`,
    `turns per second: ${report.turnsPerSecond.toFixed(1)}`,
    `turn latency: p50 ${ms(report.p50)}, p99 ${ms(report.p99)}, max ${ms(report.max)}`,
    `peak RSS: ${report.peakRssMb.toFixed(0)} MB (this process: the app and all the clients)`,
  ].join('\n');
}
