import dotenv from 'dotenv';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Activity } from 'botbuilder';
import { z } from 'zod';
import { cardToText } from '../cards/flatten.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import type { LocalConversation } from './localConversation.js';
import { LowdbQuestionLog } from './storage/lowdbQuestionLog.js';
import { memoryDirectory } from './storage/lowdbDirectory.js';
import { StoreFileError } from './storage/lowdbDocument.js';
import { memoryDesks, memoryRequests } from './storage/lowdbRequests.js';
import { AesGcmCipher } from './requests/fieldCipher.js';
import { randomBytes } from 'node:crypto';
import { KnowledgeError } from '../knowledge/sources.js';
import { buildDirectory } from './directory/directoryFactory.js';
import { importContacts, importOdsExtract } from './directory/imports.js';
import { describeLookup, lookupText } from './directory/lookupReport.js';
import { loadKnowledge } from './knowledgeFiles.js';
import { createLogger } from './logger.js';
import { projectRoot } from './paths.js';
import { describeForm } from '../knowledge/forms.js';
import { masked, requestStatuses, type RequestStatus } from '../dialogs/requests.js';
import { openBackend, type Backend } from './storage/backend.js';

/** One answer as `ask --json` prints it: the contract scripts and the eval rely on. */
export interface AskResult {
  readonly text: string;
  readonly kind: 'answer' | 'clarify' | 'flow' | 'none';
  readonly id: string | null;
  readonly title: string | null;
  readonly confidence: number;
  readonly reply: string;
  readonly suggestions: readonly string[];
}

const usage = `Usage:
  npm run --silent ask -- [--json] "question"            the reply as a person would read it (or as JSON)
  npm run --silent ask -- --json --batch FILE            one JSON result per line for a JSON Lines file of {"text": ...}
  npm run --silent eval -- FILE                           check replies against {"text","kind"?,"mustInclude"?,"mustNotInclude"?} lines
  npm run --silent cli -- report questions [--json]       unanswered and unhelpful questions, newest first
  npm run --silent cli -- directory import-ods FILE [--dry-run]       an NHS ODS extract (epraccur or edispensary CSV)
  npm run --silent cli -- directory import-contacts FILE [--dry-run]  local contacts (ods_code,role,name,email,phone)
  npm run --silent cli -- directory lookup CODE [--json]               an organisation, its RA team and its contacts
  npm run --silent cli -- forms schema --json                          every request form's fields, types, required flags and rules
  npm run --silent cli -- requests list [--json] [--team ID] [--status S] [--form ID]   requests, newest first (ID numbers masked)`;

/** Asks each question in a fresh conversation with the real bot, in process, on throwaway stores. */
export class Asker {
  private count = 0;

  private constructor(private readonly conversationOf: (id: string) => LocalConversation) {}

  // The bot's modules load here, not at the top, so directory imports start without botbuilder (over a second).
  static async open(config: Config): Promise<Asker> {
    const [{ createApp }, { LocalConversation }, { MemoryStorage }] = await Promise.all([import('./app.js'), import('./localConversation.js'), import('botbuilder')]);
    const now = () => new Date();
    // The command line must not add its questions to the RA team's real report.
    const questionLog = LowdbQuestionLog.inMemory(1, now);
    // Questions are answered from the directory already imported into DATA_DIR; none is created by asking.
    const directory = (await (await existingStores(config, ''))?.directory()) ?? memoryDirectory();
    // Asking never files a real request or reaches the audience: requests (with a throwaway key), desks and outreach stores are in memory.
    const requests = { store: memoryRequests(new AesGcmCipher(randomBytes(32))), canSeal: true };
    const app = await createApp(config, { storage: new MemoryStorage(), questionLog, directory, requests, desks: memoryDesks(), noMail: true, inMemory: true });
    return new Asker((conversationId) => new LocalConversation((context) => app.handleTurn(context), { conversationId }));
  }

  async ask(text: string): Promise<AskResult> {
    const conversation = this.conversationOf(`cli-${++this.count}`);
    const { replies, outcome } = await conversation.send({ type: 'message', text });
    return {
      text,
      kind: outcome?.kind ?? 'none',
      id: outcome?.id ?? null,
      title: outcome?.title ?? null,
      confidence: outcome?.confidence ?? 0,
      reply: replies.map(readable).join('\n\n'),
      suggestions: outcome?.suggestions ?? [],
    };
  }
}

/** An activity as plain text: its text, then each card flattened. */
function readable(activity: Partial<Activity>): string {
  const cards = (activity.attachments ?? []).map((a) => cardToText(a.content).text);
  return [activity.text ?? '', ...cards].filter((t) => t !== '').join('\n');
}

const evalLine = z.object({
  text: z.string().min(1),
  kind: z.enum(['answer', 'clarify', 'flow', 'none']).optional(),
  mustInclude: z.array(z.union([z.string(), z.array(z.string()).min(1)])).optional(),
  mustNotInclude: z.array(z.string()).optional(),
});

/** What an eval line got wrong, or an empty list. */
export function evalFailures(expected: z.infer<typeof evalLine>, result: AskResult): string[] {
  const reply = result.reply.toLowerCase();
  const failures: string[] = [];
  if (expected.kind && expected.kind !== result.kind) failures.push(`kind is ${result.kind}, expected ${expected.kind}`);
  for (const need of expected.mustInclude ?? []) {
    const options = typeof need === 'string' ? [need] : need;
    if (!options.some((o) => reply.includes(o.toLowerCase()))) failures.push(`reply lacks ${options.map((o) => JSON.stringify(o)).join(' or ')}`);
  }
  for (const banned of expected.mustNotInclude ?? []) {
    if (reply.includes(banned.toLowerCase())) failures.push(`reply contains ${JSON.stringify(banned)}`);
  }
  return failures;
}

async function readJsonLines<T>(file: string, schema: z.ZodType<T>): Promise<T[]> {
  const lines = (await readFile(file, 'utf8')).split('\n');
  const out: T[] = [];
  const problems: string[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(line) as unknown;
    } catch {
      problems.push(`line ${i + 1}: not JSON`);
      return;
    }
    const parsed = schema.safeParse(json);
    if (parsed.success) out.push(parsed.data);
    else problems.push(`line ${i + 1}: ${parsed.error.issues.map((x) => `${x.path.join('.') || 'line'} ${x.message}`).join('; ')}`);
  });
  if (problems.length > 0) throw new UsageError(`${file} has bad lines:\n${problems.join('\n')}`);
  return out;
}

class UsageError extends Error {}

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [command, ...rest] = argv;
  const flags = new Set(rest.filter((a) => a.startsWith('--')));
  const valued = new Set(['--batch', '--team', '--status', '--form']);
  const words = rest.filter((a, i) => !a.startsWith('--') && !valued.has(rest[i - 1] ?? ''));
  const config = loadConfig({ ...env, LOG_LEVEL: 'silent' });

  if (command === 'ask') {
    const asker = await Asker.open(config);
    const batchIndex = rest.indexOf('--batch');
    if (batchIndex >= 0) {
      const file = rest[batchIndex + 1];
      if (!file) throw new UsageError('--batch needs a file');
      for (const { text } of await readJsonLines(file, z.object({ text: z.string().min(1) }))) {
        console.log(JSON.stringify(await asker.ask(text)));
      }
      return 0;
    }
    const question = words.join(' ').trim();
    if (!question) throw new UsageError('ask needs a question');
    const result = await asker.ask(question);
    console.log(flags.has('--json') ? JSON.stringify(result) : result.reply);
    return 0;
  }

  if (command === 'eval') {
    const file = words[0];
    if (!file) throw new UsageError('eval needs a JSON Lines file');
    const asker = await Asker.open(config);
    let passed = 0;
    let failed = 0;
    for (const expected of await readJsonLines(file, evalLine)) {
      const result = await asker.ask(expected.text);
      const failures = evalFailures(expected, result);
      if (failures.length === 0) passed++;
      else {
        failed++;
        console.log(`FAIL ${JSON.stringify(expected.text)} -> ${result.kind} ${result.id ?? ''} (${result.confidence}): ${failures.join('; ')}`);
      }
    }
    console.log(`${passed} passed, ${failed} failed`);
    return failed === 0 ? 0 : 1;
  }

  if (command === 'report' && words[0] === 'questions') {
    const log = await (await openBackend(config, { now: () => new Date() })).questionLog();
    const rows = await log.report();
    if (flags.has('--json')) {
      console.log(JSON.stringify(rows, null, 2));
      return 0;
    }
    if (rows.length === 0) {
      console.log('No unanswered or unhelpful questions yet.');
      return 0;
    }
    for (const row of rows) {
      const what = row.kind === 'unanswered' ? `unanswered: "${row.subject}"` : `unhelpful answer: ${row.subject}`;
      console.log(`${row.count}x  ${row.lastAt.slice(0, 16).replace('T', ' ')}  ${what}`);
      for (const detail of row.details.slice(0, 3)) console.log(`      ${detail}`);
    }
    return 0;
  }

  if (command === 'directory') return directoryCommand(words, flags, config);

  if (command === 'forms' && words[0] === 'schema') {
    const knowledge = await loadKnowledge(path.join(projectRoot(), 'knowledge', 'data'));
    const schema = { forms: knowledge.forms.map(describeForm) };
    console.log(JSON.stringify(schema, null, 2));
    return 0;
  }

  if (command === 'requests' && words[0] === 'list') {
    const option = (name: string) => {
      const i = rest.indexOf(name);
      return i >= 0 ? rest[i + 1] : undefined;
    };
    const status = option('--status');
    if (status !== undefined && !(requestStatuses as readonly string[]).includes(status)) {
      throw new UsageError(`--status must be one of ${requestStatuses.join(', ')}`);
    }
    // Listing must not create a store (or a development key) where there is none.
    const stores = await existingStores(config, 'requests.json');
    const rows = stores
      ? await (await stores.requests()).store.list({ teamId: option('--team'), statuses: status ? [status as RequestStatus] : undefined, formId: option('--form') })
      : [];
    const shown = rows.map((r) => ({ ...r, fields: Object.fromEntries(Object.entries(r.fields).map(([k, v]) => [k, r.sensitiveFields.includes(k) ? masked(v) : v])) }));
    if (flags.has('--json')) console.log(JSON.stringify(shown, null, 2));
    else if (shown.length === 0) console.log('No requests.');
    else for (const r of shown) console.log(`${r.reference}  ${r.status.padEnd(13)} ${r.urgent ? 'URGENT ' : ''}${r.formTitle}  (${r.teamId ?? 'no RA team'}, ${r.createdAt.slice(0, 16).replace('T', ' ')})`);
    return 0;
  }

  throw new UsageError(command ? `unknown command "${[command, ...words].join(' ')}"` : 'no command given');
}

/**
 * The configured stores when there is something to read: with lowdb, undefined when DATA_DIR lacks `file` (a command
 * that only reads must not create a store, or a development key, where there is none). Azure Storage is always there.
 */
async function existingStores(config: Config, file: string): Promise<Backend | undefined> {
  if (config.storage.kind === 'lowdb' && !existsSync(path.join(config.dataDir, file))) return undefined;
  return openBackend(config, { now: () => new Date() });
}

async function directoryCommand(words: string[], flags: ReadonlySet<string>, config: Config): Promise<number> {
  const [action, target] = words;
  const dryRun = flags.has('--dry-run');
  if (action === 'import-ods' || action === 'import-contacts') {
    if (!target) throw new UsageError(`directory ${action} needs a file`);
    let text: string;
    try {
      text = await readFile(target, 'utf8');
    } catch (error) {
      console.error(`Cannot read ${target}: ${(error as Error).message}`);
      return 2;
    }
    const stores = await (await openBackend(config, { now: () => new Date() })).directory();
    const now = new Date();
    const report =
      action === 'import-ods'
        ? await importOdsExtract(text, stores.organisations, { dryRun, now })
        : await importContacts(text, stores, { dryRun, now });
    await stores.organisations.flush?.();
    await stores.contacts.flush?.();
    if (!report.ok) {
      console.error(`${target} was not imported, and nothing has changed. Fix these lines and import it again:`);
      for (const p of report.problems) console.error(p.line > 0 ? `  line ${p.line}: ${p.problem}` : `  ${p.problem}`);
      return 1;
    }
    const what = report.kind === 'contacts' ? 'contacts' : `${report.kind} organisations`;
    const verb = report.dryRun ? 'Dry run, nothing written: would add' : 'Imported: added';
    console.log(`${verb} ${report.added}, ${report.dryRun ? 'change' : 'changed'} ${report.changed}, ${report.dryRun ? 'leave' : 'left'} ${report.unchanged} unchanged (${what}).`);
    return 0;
  }
  if (action === 'lookup') {
    if (!target) throw new UsageError('directory lookup needs an ODS code');
    const knowledge = await loadKnowledge(path.join(projectRoot(), 'knowledge', 'data'));
    const stores = (await (await existingStores(config, ''))?.directory()) ?? memoryDirectory();
    const directory = buildDirectory(config, knowledge.raTeams, stores, createLogger('silent'));
    const found = describeLookup(await directory.lookup(target), config.raTeamEmails);
    if (flags.has('--json')) console.log(JSON.stringify(found, null, 2));
    else console.log(lookupText(found));
    return found.status === 'invalid' ? 1 : 0;
  }
  throw new UsageError(`unknown directory command "${words.join(' ')}"`);
}

// Run only as a program, so tests can import Asker and evalFailures.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  dotenv.config({ quiet: true });
  main(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (error instanceof UsageError) console.error(`${error.message}\n\n${usage}`);
      else if (error instanceof ConfigError || error instanceof KnowledgeError || error instanceof StoreFileError) console.error(error.message);
      else console.error(error);
      process.exit(2);
    },
  );
}
