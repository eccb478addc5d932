import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { KnowledgeError, parseSources, type SourceCatalogue } from '../knowledge/sources.js';
import { parseRaTeams, type RaTeamDirectory } from '../knowledge/raTeams.js';

/** The knowledge the app runs on, read from its data files and validated. */
export interface Knowledge {
  readonly sources: SourceCatalogue;
  readonly raTeams: RaTeamDirectory;
}

/** Reads and validates every knowledge file under `dir`; a bad file stops start-up with its problems listed. */
export async function loadKnowledge(dir: string): Promise<Knowledge> {
  const sources = parseSources(await readJson(dir, 'sources'));
  const raTeams = parseRaTeams(await readJson(dir, 'raTeams'), sources);
  return { sources, raTeams };
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
