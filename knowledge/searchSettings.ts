import { z } from 'zod';
import type { Article } from './articles.js';
import { describeIssue, KnowledgeError } from './sources.js';
import type { SynonymTable } from './text.js';
import type { SearchSettings } from './search.js';

const synonymsSchema = z.record(z.string().regex(/^[a-z0-9]+$/, 'a canonical term is one lower-case word'), z.array(z.string().min(1)).min(1));
const settingsSchema = z.object({ commonProblems: z.array(z.string()).min(1).max(5), anchors: z.array(z.string().min(2)).min(1) });

/** Validates the synonym table; a form listed under two terms is an error, since it could only mean one. */
export function parseSynonyms(json: unknown): SynonymTable {
  const parsed = synonymsSchema.safeParse(json);
  if (!parsed.success) throw new KnowledgeError('synonyms', parsed.error.issues.map(describeIssue));
  const owner = new Map<string, string>();
  const problems: string[] = [];
  for (const [term, forms] of Object.entries(parsed.data)) {
    for (const form of forms.map((f) => f.toLowerCase().trim())) {
      const other = owner.get(form);
      if (other && other !== term) problems.push(`"${form}" is listed under both ${other} and ${term}`);
      owner.set(form, term);
    }
  }
  if (problems.length > 0) throw new KnowledgeError('synonyms', problems);
  return parsed.data;
}

/** Validates the search settings against the articles they name. */
export function parseSearchSettings(json: unknown, articles: readonly Article[]): SearchSettings {
  const parsed = settingsSchema.safeParse(json);
  if (!parsed.success) throw new KnowledgeError('search', parsed.error.issues.map(describeIssue));
  const missing = parsed.data.commonProblems.filter((id) => !articles.some((a) => a.id === id));
  if (missing.length > 0) throw new KnowledgeError('search', missing.map((id) => `commonProblems names ${id}, which is not an article`));
  return parsed.data;
}
