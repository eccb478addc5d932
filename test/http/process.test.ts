import { expect } from 'chai';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const entry = fileURLToPath(new URL('../../bot/index.ts', import.meta.url));
// Resolved from here, not from the child's scratch cwd, where no node_modules exists.
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Starts the real entry point the way `npm start` does, from a scratch folder with no .env. */
function startBot(env: Record<string, string>, cwd: string): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--import', tsxLoader, '--disable-warning=DEP0111', entry], {
    cwd,
    env: { PATH: process.env['PATH'] ?? '', HOME: os.tmpdir(), LOG_LEVEL: 'silent', ...env },
  });
}

function exited(child: ChildProcessWithoutNullStreams): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

function listeningUrl(child: ChildProcessWithoutNullStreams): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout.on('data', (d: Buffer) => {
      seen += d.toString();
      const match = /listening on (http:\/\/[^\s]+)\/api\/messages/.exec(seen);
      if (match?.[1]) resolve(match[1]);
    });
    child.on('close', (code) => reject(new Error(`bot exited with ${code} before listening: ${seen}`)));
  });
}

describe('the bot process', () => {
  let cwd: string;
  beforeEach(() => {
    cwd = mkdtempSync(path.join(os.tmpdir(), 'sa-proc-'));
  });
  afterEach(() => {
    rmSync(cwd, { recursive: true, force: true });
  });

  it('when started with NODE_ENV=production and no MicrosoftAppId, it refuses to start and says why', async () => {
    const result = await exited(startBot({ NODE_ENV: 'production' }, cwd));
    expect(result.code).to.equal(2);
    expect(result.stderr).to.include('Smartcard Assistant cannot start.');
    expect(result.stderr).to.include('MicrosoftAppId is required when NODE_ENV=production');
  });

  it('when the configuration has several mistakes, it lists every one and exits', async () => {
    const result = await exited(startBot({ PORT: 'abc', MicrosoftAppId: 'nope', LOG_LEVEL: 'chatty' }, cwd));
    expect(result.code).to.equal(2);
    for (const key of ['PORT', 'MicrosoftAppId', 'LOG_LEVEL']) expect(result.stderr).to.include(key);
  });

  it('when its port is already taken, it says so plainly instead of crashing with a stack trace', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      const result = await exited(startBot({ PORT: String(port) }, cwd));
      expect(result.code).to.equal(2);
      expect(result.stderr).to.include(`port ${port} on 127.0.0.1 is already in use`);
      expect(result.stderr).not.to.include('Unhandled');
    } finally {
      blocker.close();
    }
  });

  it('when started, it prints one line saying where it listens; on SIGTERM it stops cleanly', async () => {
    const child = startBot({ PORT: '0' }, cwd);
    const done = exited(child);
    const url = await listeningUrl(child);
    expect((await fetch(`${url}/healthz`)).status).to.equal(200);
    child.kill('SIGTERM');
    const result = await done;
    expect(result.code).to.equal(0);
    expect(result.stdout.trim().split('\n')).to.have.length(1);
  });
});
