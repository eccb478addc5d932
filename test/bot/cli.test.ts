import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { Asker, evalFailures, type AskResult } from '../../bot/cli.js';
import { loadConfig } from '../../bot/config.js';
import { openLowdbQuestionLog } from '../../bot/storage/lowdbQuestionLog.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../../bot/cli.ts', import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Runs the command line as `npm run --silent ask|eval|cli` does, from source. */
async function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', tsx, '--disable-warning=DEP0111', cli, ...args], {
      env: { PATH: process.env['PATH'] ?? '', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('command line: ask, eval and report', () => {
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'sa-cli-'));
  });
  after(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  it('ask --json prints one object with exactly the contract fields', async () => {
    const { code, stdout } = await runCli(['ask', '--json', 'where do I find the UUID on my smartcard']);
    expect(code).to.equal(0);
    const result = JSON.parse(stdout) as AskResult;
    expect(Object.keys(result).sort()).to.deep.equal(['confidence', 'id', 'kind', 'reply', 'suggestions', 'text', 'title']);
    expect(result.text).to.equal('where do I find the UUID on my smartcard');
    expect(result.kind).to.equal('answer');
    expect(result.id).to.equal('smartcard-uuid');
    expect(result.reply).to.include('12-digit');
    expect(result.confidence).to.be.within(0, 1);
  });

  it('ask --json reports kind "flow" when a question starts a guided flow, with the flow id', async () => {
    const { stdout } = await runCli(['ask', '--json', 'spinning arrows when I try to renew my certificates']);
    const result = JSON.parse(stdout) as AskResult;
    expect(result.kind).to.equal('flow');
    expect(result.id).to.equal('reader-troubleshooting');
    expect(result.reply).to.include('Omnikey');
  });

  it('ask without --json prints the reply as a person would read it, buttons in brackets', async () => {
    const { stdout } = await runCli(['ask', 'tell', 'me', 'a', 'joke']);
    expect(stdout).to.include("I don't know that one yet");
    expect(stdout).to.include('[What I can do]');
  });

  it('ask --json --batch prints one line per question, in order, in one process', async () => {
    const file = path.join(tmp, 'batch.jsonl');
    writeFileSync(file, ['{"text":"card"}', '{"text":"who won the football"}', '', '{"text":"what is a UUID"}'].join('\n'));
    const { code, stdout } = await runCli(['ask', '--json', '--batch', file]);
    expect(code).to.equal(0);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as AskResult);
    expect(lines.map((l) => l.text)).to.deep.equal(['card', 'who won the football', 'what is a UUID']);
    expect(lines.map((l) => l.kind)).to.deep.equal(['clarify', 'none', 'answer']);
  });

  it('eval prints each failure and "N passed, M failed", and exits non-zero on any failure', async () => {
    const file = path.join(tmp, 'eval.jsonl');
    writeFileSync(
      file,
      [
        '{"text":"tell me a joke","kind":"none"}',
        '{"text":"where do I find my smartcard uuid","kind":"answer","mustInclude":["front",["12-digit","12 digit"]]}',
        '{"text":"tell me a joke","kind":"answer","mustNotInclude":["know"]}',
      ].join('\n'),
    );
    const { code, stdout } = await runCli(['eval', file]);
    expect(code).to.equal(1);
    expect(stdout).to.include('FAIL "tell me a joke"');
    expect(stdout.trim().split('\n').at(-1)).to.equal('2 passed, 1 failed');
  });

  it('eval refuses a file with bad lines and names them', async () => {
    const file = path.join(tmp, 'bad.jsonl');
    writeFileSync(file, '{"text":"ok"}\nnot json\n{"kind":"answer"}\n');
    const { code, stderr } = await runCli(['eval', file]);
    expect(code).to.equal(2);
    expect(stderr).to.include('line 2: not JSON');
    expect(stderr).to.include('line 3');
  });

  it('report questions lists unanswered and unhelpful questions with counts, newest first', async () => {
    const dataDir = path.join(tmp, 'data');
    const log = await openLowdbQuestionLog(path.join(dataDir, 'questions.json'), 180, () => new Date());
    const now = Date.now();
    await log.recordUnanswered({ question: 'how do I claim mileage', at: new Date(now - 60_000).toISOString() });
    await log.recordUnanswered({ question: 'How do I claim  mileage', at: new Date(now - 30_000).toISOString() });
    await log.recordFeedback({ articleId: 'card-series', helpful: false, comment: 'too long', at: new Date(now).toISOString() });
    await log.flush();
    const { code, stdout } = await runCli(['report', 'questions'], { DATA_DIR: dataDir });
    expect(code).to.equal(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).to.match(/^1x .* unhelpful answer: card-series$/);
    expect(lines[1]).to.include('said "too long"');
    expect(lines[2]).to.match(/^2x .* unanswered: "How do I claim {2}mileage"$/);
  });

  it('an unknown command prints the usage and exits 2', async () => {
    const { code, stderr } = await runCli(['frobnicate']);
    expect(code).to.equal(2);
    expect(stderr).to.include('Usage:');
  });

  it('evalFailures checks kind, every required phrase (any alternative) and banned phrases, ignoring case', () => {
    const result: AskResult = { text: 'q', kind: 'answer', id: 'x', title: 'X', confidence: 0.5, reply: 'Never share your PIN', suggestions: [] };
    expect(evalFailures({ text: 'q', kind: 'answer', mustInclude: [['never', 'do not'], 'pin'], mustNotInclude: ['1234'] }, result)).to.deep.equal([]);
    expect(evalFailures({ text: 'q', kind: 'none', mustInclude: ['passcode'], mustNotInclude: ['share'] }, result)).to.have.length(3);
  });

  it('the in-process asker answers without touching the real question log', async () => {
    const asker = await Asker.open(loadConfig({ DATA_DIR: path.join(tmp, 'untouched'), LOG_LEVEL: 'silent' }));
    expect((await asker.ask('book annual leave')).kind).to.equal('none');
    expect(existsSync(path.join(tmp, 'untouched'))).to.equal(false);
  });
});
