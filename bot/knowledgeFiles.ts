import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { KnowledgeError, parseSources, type SourceCatalogue } from '../knowledge/sources.js';
import { parseRaTeams, type RaTeamDirectory } from '../knowledge/raTeams.js';
import { parseArticles, type Article } from '../knowledge/articles.js';
import { KnowledgeBase } from '../knowledge/search.js';
import { parseTrees, type Tree } from '../knowledge/trees.js';
import { parseForms, type FormDefinition } from '../knowledge/forms.js';
import { optionLists } from '../knowledge/venues.js';
import { parseSearchSettings, parseSynonyms } from '../knowledge/searchSettings.js';
import { parse as parseYaml } from 'yaml';

/** The knowledge the app runs on, read from its data files and validated. */
export interface Knowledge {
  readonly sources: SourceCatalogue;
  readonly raTeams: RaTeamDirectory;
  readonly articles: readonly Article[];
  readonly kb: KnowledgeBase;
  readonly trees: readonly Tree[];
  readonly forms: readonly FormDefinition[];
}

/** Reads and validates every knowledge file under `dir`; a bad file stops start-up with its problems listed. */
export async function loadKnowledge(dir: string): Promise<Knowledge> {
  const sources = parseSources(await readJson(dir, 'sources'));
  const raTeams = parseRaTeams(await readJson(dir, 'raTeams'), sources);
  const articles = parseArticles(await readYamlFolder(path.join(dir, '..', 'articles'), 'articles'), sources, raTeams.teams.map((t) => t.id));
  const synonyms = parseSynonyms(await readYaml(dir, 'synonyms'));
  const settings = parseSearchSettings(await readYaml(dir, 'search'), articles);
  const trees = parseTrees(await readYamlFolder(path.join(dir, '..', 'flows'), 'flows'), articles, raTeams.teams.map((t) => t.id));
  const forms = parseForms(await readYamlFolder(path.join(dir, '..', 'forms'), 'forms'), sources, optionLists(raTeams));
  const missingForms = articles.filter((a) => a.form !== undefined && !forms.some((f) => f.id === a.form));
  if (missingForms.length > 0) throw new KnowledgeError('articles', missingForms.map((a) => `${a.id}.yaml: form ${a.form ?? ''} is not a form in knowledge/forms`));
  return { sources, raTeams, articles, kb: new KnowledgeBase(articles, synonyms, settings), trees, forms };
}

/** Every `*.yaml` in a knowledge folder, parsed; a file that is not YAML is named with the parser's message. */
async function readYamlFolder(dir: string, kind: string): Promise<{ file: string; data: unknown }[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.yaml')).sort();
  } catch (error) {
    throw new KnowledgeError(kind, [`cannot read ${dir}: ${(error as Error).message}`]);
  }
  const problems: string[] = [];
  const files: { file: string; data: unknown }[] = [];
  for (const name of names) {
    try {
      files.push({ file: `${kind}/${name}`, data: parseYaml(await readFile(path.join(dir, name), 'utf8')) as unknown });
    } catch (error) {
      problems.push(`${kind}/${name} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  if (problems.length > 0) throw new KnowledgeError(kind, problems);
  return files;
}

async function readYaml(dir: string, name: string): Promise<unknown> {
  const file = path.join(dir, `${name}.yaml`);
  try {
    return parseYaml(await readFile(file, 'utf8')) as unknown;
  } catch (error) {
    throw new KnowledgeError(name, [`cannot read ${file}: ${(error as Error).message.split('\n')[0]}`]);
  }
}

async function readJson(dir: string, name: string): Promise<unknown> {
  const file = path.join(dir, `${name}.json`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new KnowledgeError(name, [`cannot read ${file}: ${(error as Error).message}`]);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new KnowledgeError(name, [`${file} is not valid JSON: ${(error as Error).message}`]);
  }
}
