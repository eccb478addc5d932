import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const entry = fileURLToPath(new URL('../../bot/index.ts', import.meta.url));
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

// Permissions do not stop root: as root, the bot is run as "nobody" so that a file it may not read is refused to it.
const asRoot = process.getuid?.() === 0;
const nobody = 65534;

/** Starts the real entry point (as `npm start` does) with `DATA_DIR` and no other settings; resolves once it exits. */
function startBot(dataDir: string, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', tsxLoader, '--disable-warning=DEP0111', entry], {
    cwd,
    env: { PATH: process.env['PATH'] ?? '', HOME: os.tmpdir(), LOG_LEVEL: 'silent', PORT: '0', DATA_DIR: dataDir },
    ...(asRoot ? { uid: nobody, gid: nobody } : {}),
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // A bot that started after all is stopped, so the test fails on its output instead of hanging.
  child.stdout.on('data', () => {
    if (stdout.includes('listening on')) child.kill('SIGTERM');
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** Hands a path to the account the bot runs as (nobody, when the tests run as root). */
function give(target: string): void {
  if (asRoot) chownSync(target, nobody, nobody);
}

function expectRefusal(result: { code: number | null; stderr: string }): void {
  expect(result.code, result.stderr).to.equal(2);
  expect(result.stderr).to.match(/^Smartcard Assistant cannot start\.\n/);
  // A plain message, not a stack trace.
  expect(result.stderr).not.to.match(/\n\s+at /);
}

describe('faults: the bot process refuses to start on store files it cannot use, and says what to do', function () {
  // Each case starts a real process (TypeScript compiled on the way), the first as a new user with a cold cache.
  this.timeout(90_000);
  let root: string;
  let cwd: string;
  let dataDir: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'sa-startup-'));
    give(root);
    cwd = path.join(root, 'cwd');
    dataDir = path.join(root, 'data');
    mkdirSync(cwd);
    mkdirSync(dataDir);
    give(cwd);
    give(dataDir);
  });
  afterEach(() => {
    chmodSync(dataDir, 0o755);
    rmSync(root, { recursive: true, force: true });
  });

  it('when botState.json is not valid JSON, it names the file and the last good copy, exits, and leaves both as they were', async () => {
    const file = path.join(dataDir, 'botState.json');
    const damaged = '{"msteams/conversations/a/": {"eTag": "1", "dialogState": ';
    writeFileSync(file, damaged);
    writeFileSync(`${file}.bak-1`, '{"msteams/conversations/a/": {"eTag": "1"}}');
    give(file);

    const result = await startBot(dataDir, cwd);

    expectRefusal(result);
    expect(result.stderr).to.include(`cannot use ${file}: it is not valid JSON`);
    expect(result.stderr).to.include(`The last good copy is ${file}.bak-1`);
    expect(readFileSync(file, 'utf8')).to.equal(damaged);
    expect(readdirSync(dataDir).sort()).to.deep.equal(['botState.json', 'botState.json.bak-1']);
  });

  it('when requests.json cannot be read (EACCES), it names the file and says to give the bot permission, and leaves it as it was', async () => {
    const file = path.join(dataDir, 'requests.json');
    const stored = '{"lastSequence": 7, "requests": {}}';
    writeFileSync(file, stored);
    chmodSync(file, 0o000);

    const result = await startBot(dataDir, cwd);

    expectRefusal(result);
    expect(result.stderr).to.include(`cannot use ${file}: the bot is not allowed to read it (EACCES)`);
    expect(result.stderr).to.include('Give the account that runs the bot permission to read and write it.');
    chmodSync(file, 0o600);
    expect(readFileSync(file, 'utf8')).to.equal(stored);
  });

  it('when DATA_DIR is read-only, it says DATA_DIR cannot be written, naming the folder, before touching any store', async () => {
    chmodSync(dataDir, 0o555);

    const result = await startBot(dataDir, cwd);

    expectRefusal(result);
    expect(result.stderr).to.include(`cannot keep the assistant's data in ${dataDir} (DATA_DIR): the bot is not allowed to write there (EACCES)`);
    expect(result.stderr).to.include('or set DATA_DIR to a folder it can write');
    expect(readdirSync(dataDir)).to.deep.equal([]);
  });

  it('when DATA_DIR is a file, it says so, naming it, and leaves the file alone', async () => {
    const notAFolder = path.join(root, 'data.txt');
    writeFileSync(notAFolder, 'notes');

    const result = await startBot(notAFolder, cwd);

    expectRefusal(result);
    expect(result.stderr).to.include(`cannot keep the assistant's data in ${notAFolder} (DATA_DIR): it is a file, not a folder`);
    expect(readFileSync(notAFolder, 'utf8')).to.equal('notes');
  });
});
