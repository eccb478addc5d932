// Benchmark: how long one search takes over the whole knowledge base, per query, for every article variant
// and title plus a set of off-topic and vague questions, each searched several times after a warm-up.
import { fileURLToPath } from 'node:url';
import { loadKnowledge } from '../../bot/knowledgeFiles.js';

const rounds = Number(process.argv[2] ?? 20);
const started = performance.now();
const { kb, articles } = await loadKnowledge(fileURLToPath(new URL('../../knowledge/data/', import.meta.url)));
const loadMs = performance.now() - started;
const queries = [
  ...articles.flatMap((a) => [a.title, ...a.variants]),
  "what's the weather like today",
  'book annual leave for next friday',
  'its not working',
  'card',
  'my smartcrad is blokced and i cant remeber the pin, the self servise unlok says my email isnt on the alow list, what now',
];
for (const q of queries) kb.search(q);
const samples: number[] = [];
for (let r = 0; r < rounds; r++) {
  for (const q of queries) {
    const t0 = performance.now();
    kb.search(q);
    samples.push(performance.now() - t0);
  }
}
samples.sort((a, b) => a - b);
const at = (p: number) => samples[Math.min(samples.length - 1, Math.floor(samples.length * p))] ?? NaN;
const total = samples.reduce((s, x) => s + x, 0);
console.log(`knowledge base: ${articles.length} articles, ${queries.length} distinct queries, loaded and indexed in ${loadMs.toFixed(0)} ms`);
console.log(`search over the whole knowledge base, ${samples.length} queries: p50 ${(at(0.5) * 1000).toFixed(0)} µs, p99 ${(at(0.99) * 1000).toFixed(0)} µs, max ${(at(1) * 1000).toFixed(0)} µs, ${(samples.length / (total / 1000)).toFixed(0)} queries/s`);
