// Benchmark: turn speed of the built assistant against a bare botbuilder echo bot (test/bench/echoBot.ts, same server
// stack, same machine), both as child processes, under autocannon with `deliveryMode: "expectReplies"` activities
// (the replies come back in the HTTP body). Three payloads: a FAQ question, a flow step and a directory look-up.
// Targets alternate (echo, assistant, then assistant, echo in the next round) so drift on a shared machine hits both.
//
// Each connection is one user in one conversation for the whole run (its own conversation and user id), as 50 people
// chatting at once: the assistant serialises turns per conversation, so one shared id would measure the queue. The
// flow step: the connection's first turn starts the reader-troubleshooting flow, then every turn is a step, answering
// "not recognised" (to the keyboard question) and "back" (to the first question) in turn. Every reply is checked for
// the text a user would see; a wrong reply is counted, not just a non-2xx.
//
// Environment: BENCH_DURATION seconds per measured run (5), BENCH_ROUNDS (2), BENCH_CONNECTIONS (50),
// BENCH_WARMUP seconds per payload and target before measuring (1), BENCH_CPU_PROF=DIR writes a V8 CPU profile of
// the assistant to DIR. The last line printed is the JSON summary.
import autocannon from 'autocannon';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const duration = Number(process.env['BENCH_DURATION'] ?? 5);
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 2);
const connections = Number(process.env['BENCH_CONNECTIONS'] ?? 50);
const warmup = Number(process.env['BENCH_WARMUP'] ?? 1);
const cpuProfDir = process.env['BENCH_CPU_PROF'];

const root = fileURLToPath(new URL('../../', import.meta.url));
const entry = path.join(root, 'dist/bot/index.js');
const cli = path.join(root, 'dist/bot/cli.js');
const echoEntry = fileURLToPath(new URL('./echoBot.ts', import.meta.url));
const fixtures = fileURLToPath(new URL('../fixtures/directory/', import.meta.url));

type Target = 'echo' | 'assistant';

/** One turn a connection sends: the text, and what the assistant's reply must contain. */
interface Turn {
  readonly text: string;
  readonly expect: string;
}

interface Payload {
  readonly name: string;
  /** The connection's first turn (sets its conversation up). */
  readonly first: Turn;
  /** The turns after it, repeated in order. */
  readonly then: readonly Turn[];
}

const payloads: readonly Payload[] = [
  { name: 'faq', first: faqTurn(), then: [faqTurn()] },
  {
    name: 'flow step',
    first: { text: 'card reader not working', expect: 'What do you see?' },
    then: [
      { text: 'not recognised', expect: 'unplug the keyboard and plug it back in' },
      { text: 'back', expect: 'What do you see?' },
    ],
  },
  { name: 'directory', first: directoryTurn(), then: [directoryTurn()] },
];

function faqTurn(): Turn {
  return { text: 'how do I unlock my smartcard', expect: 'unlock' };
}

function directoryTurn(): Turn {
  return { text: 'who is the sponsor for FA123', expect: 'Alex Example' };
}

interface RunFigures {
  readonly requests: number;
  readonly seconds: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  readonly non2xx: number;
  readonly wrong: number;
}

let runNumber = 0;

/** One autocannon run of `payload` against `url`; every connection its own conversation. */
async function measure(url: string, target: Target, payload: Payload, seconds: number): Promise<RunFigures> {
  const run = ++runNumber;
  let nextConnection = 0;
  let wrong = 0;
  let checked = 0;
  const body = (conversation: string, text: string) =>
    JSON.stringify({
      type: 'message',
      id: `act-${Math.random().toString(36).slice(2)}`,
      channelId: 'msteams',
      serviceUrl: 'http://127.0.0.1:9/',
      deliveryMode: 'expectReplies',
      text,
      from: { id: `29:${conversation}`, name: 'Bench User' },
      recipient: { id: '28:bench-bot', name: 'Smartcard Assistant' },
      conversation: { id: conversation, conversationType: 'personal', isGroup: false, name: '' },
    });
  const check = (turn: Turn) => (status: number, reply: string) => {
    const expected = target === 'echo' ? `echo: ${turn.text}` : turn.expect;
    checked++;
    if (status < 300 && !reply.includes(expected)) wrong++;
  };
  // autocannon clears a connection's context only when its request list wraps round; a list far longer than a
  // connection sends in one run keeps one conversation per connection (wrapping would only start a new one).
  const length = 2 + Math.ceil(seconds * 400);
  const requests: autocannon.Request[] = Array.from({ length }, (_, i) => {
    const turn = i === 0 ? payload.first : (payload.then[(i - 1) % payload.then.length] ?? payload.first);
    return {
      method: 'POST',
      path: '/api/messages',
      headers: { 'content-type': 'application/json' },
      setupRequest: (request: autocannon.Request, context: object) => {
        const state = context as { conversation?: string };
        state.conversation ??= `bench-${run}-${payload.name.replace(' ', '-')}-${nextConnection++}`;
        return { ...request, body: body(state.conversation, turn.text) };
      },
      onResponse: check(turn),
    };
  });
  const result = await autocannon({ url, connections, duration: seconds, requests, timeout: 30 });
  // Guards the reply check itself: no replies checked would make "0 wrong" meaningless.
  if (checked === 0 && result.requests.total > 0) throw new Error('no reply was checked');
  return {
    requests: result.requests.total,
    seconds: result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    wrong,
  };
}

/** Starts a server process and resolves with its base URL once it says it listens. */
function startProcess(args: string[], env: Record<string, string>, log: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, args, { cwd: root, env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr?.on('data', (d: Buffer) => log.push(d.toString()));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /listening on (http:\/\/\S+)\/api\/messages/.exec(out);
      if (match?.[1]) resolve({ child, url: match[1] });
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}) before listening:\n${out}\n${log.join('')}`)));
  });
}

const stopped = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });

async function importDirectory(dataDir: string): Promise<void> {
  const run = promisify(execFile);
  // Blank ODS_API_URL, so a developer's .env cannot turn on live ODS look-ups.
  const env = { PATH: process.env['PATH'] ?? '', DATA_DIR: dataDir, ODS_API_URL: '' };
  for (const file of ['epraccur-sample.csv', 'edispensary-sample.csv']) {
    await run(process.execPath, ['--disable-warning=DEP0111', cli, 'directory', 'import-ods', path.join(fixtures, file)], { env, cwd: dataDir });
  }
  await run(process.execPath, ['--disable-warning=DEP0111', cli, 'directory', 'import-contacts', path.join(fixtures, 'contacts-sample.csv')], { env, cwd: dataDir });
}

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sa-bench-turns-'));
const logs: Record<Target, string[]> = { echo: [], assistant: [] };
const children: ChildProcess[] = [];
try {
  await importDirectory(dataDir);
  if (cpuProfDir) mkdirSync(cpuProfDir, { recursive: true });
  const profile = cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(cpuProfDir)}`] : [];
  const assistant = await startProcess(
    ['--disable-warning=DEP0111', ...profile, entry],
    { HOME: dataDir, PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn', ODS_API_URL: '', NODE_ENV: 'development' },
    logs.assistant,
  );
  children.push(assistant.child);
  const echo = await startProcess(['--import', 'tsx', '--disable-warning=DEP0111', echoEntry], { PORT: '0' }, logs.echo);
  children.push(echo.child);
  const urls: Record<Target, string> = { echo: echo.url, assistant: assistant.url };

  console.log(`turns: ${connections} connections, ${duration} s per run, ${rounds} rounds alternating echo and assistant, ${warmup} s warm-up each`);
  for (const payload of payloads) for (const target of ['echo', 'assistant'] as const) if (warmup > 0) await measure(urls[target], target, payload, warmup);

  const runs = new Map<string, RunFigures[]>();
  for (let round = 0; round < rounds; round++) {
    for (const payload of payloads) {
      const order: Target[] = round % 2 === 0 ? ['echo', 'assistant'] : ['assistant', 'echo'];
      for (const target of order) {
        const figures = await measure(urls[target], target, payload, duration);
        const key = `${payload.name}/${target}`;
        runs.set(key, [...(runs.get(key) ?? []), figures]);
      }
    }
  }

  // Throughput over all rounds; p50 the mean of the rounds', p99 the worst round's.
  const combine = (all: RunFigures[]) => {
    const requests = all.reduce((n, r) => n + r.requests, 0);
    const seconds = all.reduce((n, r) => n + r.seconds, 0);
    return {
      perSecond: Math.round(requests / seconds),
      p50: Number((all.reduce((n, r) => n + r.p50, 0) / all.length).toFixed(1)),
      p99: Math.max(...all.map((r) => r.p99)),
      errors: all.reduce((n, r) => n + r.errors, 0),
      non2xx: all.reduce((n, r) => n + r.non2xx, 0),
      wrongReplies: all.reduce((n, r) => n + r.wrong, 0),
    };
  };
  const summary: Record<string, { echo: ReturnType<typeof combine>; assistant: ReturnType<typeof combine>; ratio: number }> = {};
  for (const payload of payloads) {
    const echoFigures = combine(runs.get(`${payload.name}/echo`) ?? []);
    const assistantFigures = combine(runs.get(`${payload.name}/assistant`) ?? []);
    const ratio = Number((assistantFigures.perSecond / echoFigures.perSecond).toFixed(3));
    summary[payload.name] = { echo: echoFigures, assistant: assistantFigures, ratio };
    for (const [target, f] of [['echo', echoFigures], ['assistant', assistantFigures]] as const) {
      console.log(
        `${payload.name.padEnd(10)} ${target.padEnd(9)} ${String(f.perSecond).padStart(6)} req/s  p50 ${String(f.p50).padStart(6)} ms  p99 ${String(f.p99).padStart(5)} ms  errors ${f.errors}  non-2xx ${f.non2xx}  wrong replies ${f.wrongReplies}`,
      );
    }
    console.log(`${payload.name.padEnd(10)} ratio     ${ratio} of the echo bot's throughput`);
  }
  const stateBytes = statSync(path.join(dataDir, 'botState.json'), { throwIfNoEntry: false })?.size ?? 0;
  const assistantLog = logs.assistant.join('');
  const warnings = assistantLog.split('\n').filter((line) => line.trim() !== '').length;
  if (warnings > 0) console.error(`the assistant logged ${warnings} lines at warn or above; the first:\n${assistantLog.split('\n').slice(0, 3).join('\n')}`);
  console.log(JSON.stringify({ connections, durationSeconds: duration, rounds, payloads: summary, assistantLogLines: warnings, botStateBytes: stateBytes }));
} finally {
  await Promise.all(children.map(stopped));
  rmSync(dataDir, { recursive: true, force: true });
}
