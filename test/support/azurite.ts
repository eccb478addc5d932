import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../bot/paths.js';

/**
 * Azurite, Microsoft's Azure Storage emulator, for the Azure backend's tests: one in-memory instance on loopback per
 * test run, started by the first suite that asks and stopped by the root hook (test/support/rootHooks.ts).
 * `--skipApiVersionCheck`: the Azure SDKs send an API version newer than Azurite 3.35 (the last for Node 20) knows.
 */

const accountKey = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

let running: Promise<{ child: ChildProcess; connectionString: string; scratch: string }> | undefined;

/** The connection string of the run's Azurite, starting it on first use. */
export async function azurite(): Promise<string> {
  running ??= start();
  return (await running).connectionString;
}

/** A name no other suite uses, so every test gets its own tables and container on the shared emulator. */
export function uniqueName(prefix = 't'): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

/** Stops the emulator if a suite started it. */
export async function stopAzurite(): Promise<void> {
  if (!running) return;
  const { child, scratch } = await running;
  running = undefined;
  if (child.exitCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
  }
  rmSync(scratch, { recursive: true, force: true });
}

async function start(): Promise<{ child: ChildProcess; connectionString: string; scratch: string }> {
  const [blob, queue, table] = [await freePort(), await freePort(), await freePort()];
  // Azurite writes its debug and extent files to the working directory: a scratch one, removed on stop.
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'azurite-'));
  const bin = path.join(projectRoot(), 'node_modules', 'azurite', 'dist', 'src', 'azurite.js');
  const child = spawn(
    process.execPath,
    [
      bin,
      '--inMemoryPersistence',
      '--extentMemoryLimit', '256',
      '--silent',
      '--disableTelemetry',
      '--skipApiVersionCheck',
      '--loose',
      '--blobHost', '127.0.0.1', '--blobPort', String(blob),
      '--queueHost', '127.0.0.1', '--queuePort', String(queue),
      '--tableHost', '127.0.0.1', '--tablePort', String(table),
    ],
    { cwd: scratch, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const listening = new Set<string>();
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      for (const service of ['Blob', 'Queue', 'Table']) {
        if (output.includes(`Azurite ${service} service is successfully listening`)) listening.add(service);
      }
      if (listening.size === 3) {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        child.stderr?.resume();
        child.off('exit', onExit);
        resolve();
      }
    };
    const onExit = (code: number | null) => reject(new Error(`Azurite exited (${code}) before listening:\n${output}`));
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', onExit);
    child.once('error', reject);
  });
  // Never keeps the test run alive on its own.
  child.unref();
  const host = '127.0.0.1';
  const connectionString =
    `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${accountKey};` +
    `BlobEndpoint=http://${host}:${blob}/devstoreaccount1;QueueEndpoint=http://${host}:${queue}/devstoreaccount1;` +
    `TableEndpoint=http://${host}:${table}/devstoreaccount1;`;
  return { child, connectionString, scratch };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
