import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import os from 'node:os';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const entry = fileURLToPath(new URL('../../bot/index.ts', import.meta.url));
// Resolved from here, not from the child's scratch cwd, where no node_modules exists.
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Starts the real entry point the way `npm start` does (TypeScript through tsx), from `cwd`, with only `env` set. */
export function startBot(env: Record<string, string>, cwd: string): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--import', tsxLoader, '--disable-warning=DEP0111', entry], {
    cwd,
    env: { PATH: process.env['PATH'] ?? '', HOME: os.tmpdir(), LOG_LEVEL: 'silent', ...env },
  });
}

/** What the process printed, once it has exited. */
export function exited(child: ChildProcessWithoutNullStreams): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** The base URL from the bot's "listening on" line. */
export function listeningUrl(child: ChildProcessWithoutNullStreams): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stderr.on('data', (d: Buffer) => (seen += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      seen += d.toString();
      const match = /listening on (http:\/\/[^\s]+)\/api\/messages/.exec(seen);
      if (match?.[1]) resolve(match[1]);
    });
    child.on('close', (code) => reject(new Error(`bot exited with ${code} before listening: ${seen}`)));
  });
}

/** Stops a bot with SIGTERM and waits for it to exit. */
export async function stopBot(child: ChildProcessWithoutNullStreams): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  child.kill('SIGTERM');
  await closed;
}
