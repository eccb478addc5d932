import { spawn, type ChildProcessByStdio } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import dotenv from 'dotenv';
import { projectRoot } from '../paths.js';

// `npm run playground`: the built bot plus the Microsoft 365 Agents Playground pointed at it, stopped together.

const pollEveryMs = 100;
const readyWithinMs = 30_000;
// Longer than the bot's default SHUTDOWN_GRACE_MS, so a clean drain is never cut short.
const stopWithinMs = 15_000;

// The playground starts its bundled Application Insights even with --disable-telemetry; it would probe Azure IMDS (169.254.169.254).
const playgroundTelemetryOff: Readonly<Record<string, string>> = Object.freeze({
  APPLICATION_INSIGHTS_NO_STATSBEAT: 'true',
  APPLICATIONINSIGHTS_CONFIGURATION_CONTENT: JSON.stringify({
    disableAppInsights: true,
    disableStatsbeat: true,
    enableAutoCollectHeartbeat: false,
    enableSendLiveMetrics: false,
    noDiagnosticChannel: true,
    // Anything that still gets sent goes to a closed loopback port rather than to Azure.
    endpointUrl: 'http://127.0.0.1:9',
  }),
});

class StartError extends Error {}

interface Child {
  readonly name: string;
  readonly process: ChildProcessByStdio<null, Readable, null>;
  /** Resolves with a description of how the child ended. */
  readonly ended: Promise<string>;
  running: boolean;
}

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new StartError(`${name} must be a port number from 1 to 65535, not "${raw}".`);
  }
  return port;
}

function startChild(name: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv, cwd: string): Child {
  // Own process group: Ctrl+C reaches only this script, which then stops each child once and in order.
  const proc = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  const child: Child = {
    name,
    process: proc,
    running: true,
    ended: new Promise((resolve) => {
      proc.once('error', (error) => {
        child.running = false;
        resolve(`could not be started: ${error.message}`);
      });
      proc.once('exit', (code, signal) => {
        child.running = false;
        resolve(signal ? `was killed by ${signal}` : `exited with code ${code ?? 'unknown'}`);
      });
    }),
  };
  return child;
}

/** Signals the child's whole process group, so helpers it started go too. */
function signalGroup(child: Child, signal: NodeJS.Signals): void {
  if (!child.running || child.process.pid === undefined) return;
  try {
    process.kill(-child.process.pid, signal);
  } catch {
    // Already gone between the check and the kill.
  }
}

async function stopChild(child: Child): Promise<void> {
  if (!child.running) return;
  signalGroup(child, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), stopWithinMs);
  await child.ended;
  clearTimeout(timer);
}

/** Polls until `url` answers 2xx, the deadline passes, or `abort` fires (a child died). */
async function waitUntilAnswers(what: string, url: string, abort: AbortSignal): Promise<void> {
  const deadline = Date.now() + readyWithinMs;
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.any([abort, AbortSignal.timeout(2_000)]) });
      await response.body?.cancel();
      if (response.ok) return;
    } catch {
      // Not listening yet; try again below.
    }
    if (abort.aborted) throw new StartError(`stopped waiting for ${what}`);
    if (Date.now() > deadline) throw new StartError(`${what} did not answer ${url} within ${readyWithinMs / 1000} s.`);
    await delay(pollEveryMs, undefined, { signal: abort }).catch(() => undefined);
  }
}

async function main(): Promise<number> {
  const root = projectRoot();
  // The bot reads .env itself; reading it here too keeps both agreeing on PORT.
  dotenv.config({ quiet: true });
  const botPort = portFromEnv('PORT', 3978);
  const playgroundPort = portFromEnv('PLAYGROUND_PORT', 56150);
  const endpoint = `http://127.0.0.1:${botPort}/api/messages`;
  // Out of the working tree (the playground's default is ./devTools); a caller may choose the place.
  const logFile =
    process.env['M365_AGENTS_PLAYGROUND_LOGFILE'] || path.join(os.tmpdir(), `m365agentsplayground-${playgroundPort}.log`);

  const children: Child[] = [];
  const failed = new AbortController();
  let stopping = false;
  let exitCode = 0;

  const stopAll = async (code: number, message?: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    failed.abort();
    if (message) console.error(message);
    // Playground first: it would otherwise log connection errors while the bot drains.
    for (const child of [...children].reverse()) await stopChild(child);
  };
  const watch = (child: Child, other: string) => {
    children.push(child);
    void child.ended.then((how) => {
      if (stopping) return;
      const hint = child.name === 'playground' ? ` Its log: ${logFile}` : '';
      void stopAll(1, `The ${child.name} ${how} unexpectedly; stopping the ${other}.${hint}`);
    });
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stopAll(0));
  // Last resort if this script dies of an error: never leave a child listening.
  process.on('exit', () => children.forEach((child) => signalGroup(child, 'SIGKILL')));

  try {
    const botArgs = ['--disable-warning=DEP0111', path.join(root, 'dist/bot/index.js')];
    const bot = startChild('bot', process.execPath, botArgs, process.env, process.cwd());
    bot.process.stdout.pipe(process.stdout);
    watch(bot, 'playground');
    await waitUntilAnswers('the bot', `http://127.0.0.1:${botPort}/healthz`, failed.signal);

    const playground = startChild(
      'playground',
      path.join(root, 'node_modules/.bin/teamsapptester'),
      ['start', '-e', endpoint, '--disable-telemetry', '-p', String(playgroundPort)],
      // BROWSER=none: otherwise it spawns xdg-open and exits 1 where there is none.
      { ...process.env, ...playgroundTelemetryOff, TEAMSAPPTESTER_BROWSER: 'none', M365_AGENTS_PLAYGROUND_LOGFILE: logFile },
      process.cwd(),
    );
    watch(playground, 'bot');
    // It silently moves to another port when the asked one is taken, so learn the real one from what it prints.
    const listening = new Promise<number>((resolve) => {
      const lines = createInterface({ input: playground.process.stdout });
      lines.on('line', (line) => {
        const match = /^Listening on (\d+)$/.exec(line.trim());
        if (match?.[1]) resolve(Number(match[1]));
        else if (!/is being launched for you/.test(line)) console.log(line);
      });
    });
    const actualPort = await Promise.race([listening, playground.ended.then(() => playgroundPort)]);
    await waitUntilAnswers('the Agents Playground', `http://localhost:${actualPort}/`, failed.signal);
    if (actualPort !== playgroundPort) console.error(`Port ${playgroundPort} was taken, so the playground listens on ${actualPort} instead.`);
    console.log(
      `Agents Playground ready: open http://localhost:${actualPort} in your browser (bot on ${endpoint}). Type help in the chat to see what it can do. Ctrl+C stops both.`,
    );
  } catch (error) {
    if (!stopping) await stopAll(1, error instanceof StartError ? error.message : String(error));
  }
  await Promise.all(children.map((child) => child.ended));
  return exitCode;
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(error instanceof StartError ? error.message : error);
  process.exitCode = 1;
}
