// Benchmark: the real bot process broadcasting to 10,000 people through a loopback Bot Connector stand-in that
// enforces a per-second limit (429 + Retry-After) and injects 5xx errors; then again with the bot killed (SIGKILL)
// mid-run and restarted on the same data folder. The last line printed is the JSON summary.
//
// The broadcast is queued into DATA_DIR/broadcasts.json through the store's own `queue` before the bot starts (the
// documented way to hand the bot a broadcast without a conversation); the bot sends it when it starts.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openLowdbBroadcasts, type BroadcastsData } from '../../bot/storage/lowdbBroadcasts.js';
import { startConnector, type ConnectorStandIn } from '../support/connector.js';
import { mulberry32 } from './seeded.js';

const recipients = Number(process.env['BENCH_RECIPIENTS'] ?? 10_000);
const limitPerSecond = Number(process.env['BENCH_LIMIT'] ?? 200);
// BROADCAST_RATE set to the limit itself, as an operator would set it to what Teams allows: the stand-in counts every
// request (5xx and retries included, as Teams does), and the broadcaster's one-second window keeps it from a 429.
const rate = Number(process.env['BENCH_RATE'] ?? limitPerSecond);
const failureShare = 0.01;
const killAtShare = 0.4;
const broadcastId = 'bench:announcement';
const entry = fileURLToPath(new URL('../../dist/bot/index.js', import.meta.url));

async function connector(seed: number): Promise<ConnectorStandIn> {
  const random = mulberry32(seed);
  const statuses = [500, 502, 503, 504];
  return startConnector({
    limitPerSecond,
    keepBodies: false,
    fail: (r) => (r.method === 'POST' && random() < failureShare ? (statuses[Math.floor(random() * statuses.length)] ?? 503) : undefined),
  });
}

async function seed(dataDir: string, serviceUrl: string): Promise<void> {
  const store = await openLowdbBroadcasts(path.join(dataDir, 'broadcasts.json'));
  const reference = (conversationId: string, userId: string) => ({
    channelId: 'msteams',
    serviceUrl,
    conversation: { id: conversationId, conversationType: 'personal', isGroup: false, name: '', tenantId: '00000000-0000-4000-8000-000000000001' },
    user: { id: userId, name: '', aadObjectId: '00000000-0000-4000-8000-000000000002' },
    bot: { id: '28:00000000-0000-4000-8000-000000000003', name: 'Smartcard Assistant' },
  });
  await store.queue(
    {
      id: broadcastId,
      title: 'Training: Registration Agent Advanced, Tuesday 3 December 2026, 10:00 (GMT), Dorchester',
      activity: { type: 'message', text: 'Registration Agent Advanced training is on Tuesday 3 December at Vespasian House, Dorchester. Book a place in Teams.' },
      recipients: Array.from({ length: recipients }, (_, i) => ({ userId: `29:bench-user-${i}`, reference: reference(`a:bench-conversation-${i}`, `29:bench-user-${i}`) })),
      author: { userId: '29:bench-author', reference: reference('a:bench-author', '29:bench-author') },
    },
    new Date().toISOString(),
  );
  await store.flush();
}

function startBot(dataDir: string, log: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--disable-warning=DEP0111', entry], {
    cwd: dataDir,
    env: { PATH: process.env['PATH'] ?? '', HOME: dataDir, PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn', BROADCAST_RATE: String(rate) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr?.on('data', (d: Buffer) => log.push(d.toString()));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (/listening on http/.test(out)) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`the bot exited (${code}) before listening:\n${out}\n${log.join('')}`)));
  });
}

const exited = (child: ChildProcess) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));

/**
 * Unique recipients reached so far, counted as the requests come in: the stand-in shares this process, so polling
 * must stay cheap or it would slow the stand-in's answers (and so the bot) down.
 */
function counter(standIn: ConnectorStandIn): () => number {
  const seenIds = new Set<string>();
  let next = 0;
  return () => {
    for (; next < standIn.received.length; next++) {
      const r = standIn.received[next];
      if (r && r.method === 'POST' && r.conversationId !== 'a:bench-author') seenIds.add(r.conversationId);
    }
    return seenIds.size;
  };
}

function tally(standIn: ConnectorStandIn): { unique: number; duplicates: number; first: number; last: number } {
  const counts = new Map<string, number>();
  let first = Infinity;
  let last = -Infinity;
  for (const r of standIn.received) {
    if (r.method !== 'POST' || r.conversationId === 'a:bench-author') continue;
    counts.set(r.conversationId, (counts.get(r.conversationId) ?? 0) + 1);
    first = Math.min(first, r.at);
    last = Math.max(last, r.at);
  }
  let duplicates = 0;
  for (const n of counts.values()) duplicates += n - 1;
  return { unique: counts.size, duplicates, first, last };
}

function stored(dataDir: string): BroadcastsData {
  return JSON.parse(readFileSync(path.join(dataDir, 'broadcasts.json'), 'utf8')) as BroadcastsData;
}

async function until(done: () => boolean, what: string, limitMs = 15 * 60_000, everyMs = 200): Promise<void> {
  const end = performance.now() + limitMs;
  while (!done()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Waits until everyone has received it, then until every delivery has its outcome in the file. */
async function finished(dataDir: string, child: ChildProcess, reached: () => number): Promise<void> {
  const alive = () => {
    if (child.exitCode !== null) throw new Error('the bot stopped during the run');
  };
  await until(() => (alive(), reached() >= recipients), 'every recipient to be reached');
  // Reading the (large) file is slow: only once the sending is over.
  await until(() => {
    alive();
    try {
      return stored(dataDir).broadcasts[broadcastId]?.finishedAt !== undefined;
    } catch {
      return false;
    }
  }, 'the broadcast to finish', 60_000, 1000);
}

function states(dataDir: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const d of stored(dataDir).deliveries[broadcastId] ?? []) counts[d.state] = (counts[d.state] ?? 0) + 1;
  return counts;
}

// Run 1: straight through.
const plainDir = mkdtempSync(path.join(os.tmpdir(), 'sa-bench-broadcast-'));
const plainLog: string[] = [];
const plainConnector = await connector(1);
await seed(plainDir, plainConnector.url);
const plainBot = await startBot(plainDir, plainLog);
await finished(plainDir, plainBot, counter(plainConnector));
plainBot.kill('SIGTERM');
await exited(plainBot);
const plain = tally(plainConnector);
const plainStates = states(plainDir);
const achievedPerSecond = plain.unique / ((plain.last - plain.first) / 1000);
console.log(
  `run 1: ${plain.unique} of ${recipients} received in ${((plain.last - plain.first) / 1000).toFixed(1)} s at the stand-in (limit ${limitPerSecond}/s, BROADCAST_RATE ${rate}); ` +
    `${plainConnector.seen} requests, ${plainConnector.throttled} answered 429, ${plainConnector.failed} injected 5xx; stored outcomes ${JSON.stringify(plainStates)}`,
);
await plainConnector.close();

// Run 2: killed mid-run, restarted on the same data folder.
const crashDir = mkdtempSync(path.join(os.tmpdir(), 'sa-bench-broadcast-crash-'));
const crashLog: string[] = [];
const crashConnector = await connector(2);
await seed(crashDir, crashConnector.url);
const reachedInCrashRun = counter(crashConnector);
const doomed = await startBot(crashDir, crashLog);
await until(() => reachedInCrashRun() >= recipients * killAtShare, 'the kill point', 15 * 60_000, 20);
doomed.kill('SIGKILL');
await exited(doomed);
const atKill = states(crashDir);
const inFlightAtKill = atKill['sending'] ?? 0;
const receivedAtKill = reachedInCrashRun();
const restarted = await startBot(crashDir, crashLog);
await finished(crashDir, restarted, reachedInCrashRun);
restarted.kill('SIGTERM');
await exited(restarted);
const crash = tally(crashConnector);
console.log(
  `run 2: killed with SIGKILL after ${receivedAtKill} received; the file then held ${JSON.stringify(atKill)}; after the restart ${crash.unique} of ${recipients} received, ` +
    `${crash.duplicates} twice; ${crashConnector.throttled} answered 429, ${crashConnector.failed} injected 5xx; stored outcomes ${JSON.stringify(states(crashDir))}`,
);
await crashConnector.close();

const problems = [...plainLog, ...crashLog].join('').split('\n').filter((l) => /"level":(50|60)/.test(l));
if (problems.length > 0) console.log(`errors logged by the bot:\n${problems.slice(0, 5).join('\n')}`);
rmSync(plainDir, { recursive: true, force: true });
rmSync(crashDir, { recursive: true, force: true });

console.log(
  JSON.stringify({
    recipients,
    limitPerSecond,
    achievedPerSecond: Math.round(achievedPerSecond * 10) / 10,
    ratio: Math.round((achievedPerSecond / limitPerSecond) * 1000) / 1000,
    lost: recipients - plain.unique,
    duplicates: plain.duplicates,
    afterCrash: { lost: recipients - crash.unique, duplicates: crash.duplicates, inFlightAtKill },
  }),
);
