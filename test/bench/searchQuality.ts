// Search quality report: each article variant is held out in turn (every second one, to keep it quick), the
// knowledge base is rebuilt without it, and the held-out question is searched. Prints top-1 accuracy, what the
// bands would do with it, and (with --misses) every question whose own article did not come first.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { loadKnowledge } from '../../bot/knowledgeFiles.js';
import { KnowledgeBase } from '../../knowledge/search.js';
import { parseSearchSettings, parseSynonyms } from '../../knowledge/searchSettings.js';

const data = fileURLToPath(new URL('../../knowledge/data/', import.meta.url));
const { articles } = await loadKnowledge(data);
const synonyms = parseSynonyms(parse(readFileSync(`${data}synonyms.yaml`, 'utf8')));
const settings = parseSearchSettings(parse(readFileSync(`${data}search.yaml`, 'utf8')), articles);
const showMisses = process.argv.includes('--misses');

let heldOut = 0;
let top1 = 0;
let inTop3 = 0;
const outcomes = { rightAnswer: 0, wrongAnswer: 0, clarifyWithIt: 0, clarifyWithout: 0, none: 0 };
for (const article of articles) {
  for (let i = 0; i < article.variants.length; i += 2) {
    const question = article.variants[i] ?? '';
    const without = articles.map((a) => (a.id === article.id ? { ...a, variants: a.variants.filter((_, j) => j !== i) } : a));
    const kb = new KnowledgeBase(without, synonyms, settings);
    const ranked = kb.lookup(question, 3);
    const result = kb.search(question);
    heldOut++;
    if (ranked[0]?.article.id === article.id) top1++;
    if (ranked.some((h) => h.article.id === article.id)) inTop3++;
    if (result.kind === 'answer') outcomes[result.best.article.id === article.id ? 'rightAnswer' : 'wrongAnswer']++;
    else if (result.kind === 'clarify') outcomes[result.candidates.some((h) => h.article.id === article.id) ? 'clarifyWithIt' : 'clarifyWithout']++;
    else outcomes.none++;
    if (showMisses && ranked[0]?.article.id !== article.id) {
      console.log(`MISS ${article.id} <- "${question}" => ${ranked.map((h) => `${h.article.id}:${h.confidence}`).join(' ')}`);
    }
  }
}
const pct = (n: number) => `${((100 * n) / heldOut).toFixed(1)}%`;
console.log(`held-out variants: ${heldOut} from ${articles.length} articles`);
console.log(`own article first: ${top1} (${pct(top1)}); in the top 3: ${inTop3} (${pct(inTop3)})`);
console.log(
  `bands: answered right ${outcomes.rightAnswer} (${pct(outcomes.rightAnswer)}), answered wrong ${outcomes.wrongAnswer} (${pct(outcomes.wrongAnswer)}), ` +
    `did-you-mean with it ${outcomes.clarifyWithIt}, did-you-mean without it ${outcomes.clarifyWithout}, none ${outcomes.none}`,
);
