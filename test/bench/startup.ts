// Benchmark: cold start of the built bot (spawn to first healthy /healthz) and its resident memory at idle.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv[2] ?? 5);
const entry = fileURLToPath(new URL('../../dist/bot/index.js', import.meta.url));

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

async function once(): Promise<{ coldMs: number; idleRssMiB: number }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sa-bench-'));
  const started = performance.now();
  const child = spawn(process.execPath, ['--disable-warning=DEP0111', entry], {
    env: { PATH: process.env['PATH'] ?? '', PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /listening on (http:\/\/\S+)\/api\/messages/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`exited ${code}`)));
  });
  const health = await fetch(`${url}/healthz`);
  if (health.status !== 200) throw new Error(`healthz ${health.status}`);
  const coldMs = performance.now() - started;
  // Idle means no traffic for a while after start-up: let lazy initialisation and GC settle.
  await new Promise((r) => setTimeout(r, 3000));
  const idleRssMiB = rssMiB(child.pid ?? 0);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dataDir, { recursive: true, force: true });
  return { coldMs, idleRssMiB };
}

const results: { coldMs: number; idleRssMiB: number }[] = [];
for (let i = 0; i < runs; i++) results.push(await once());
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const cold = results.map((r) => r.coldMs);
const rss = results.map((r) => r.idleRssMiB);
console.log(`cold start (spawn to healthy /healthz), ${runs} runs: median ${median(cold).toFixed(0)} ms, min ${Math.min(...cold).toFixed(0)} ms, max ${Math.max(...cold).toFixed(0)} ms`);
console.log(`RSS at idle: median ${median(rss).toFixed(1)} MiB, min ${Math.min(...rss).toFixed(1)} MiB, max ${Math.max(...rss).toFixed(1)} MiB`);
