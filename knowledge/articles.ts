import { z } from 'zod';
import { contactRoles } from './organisations.js';
import { KnowledgeError, parseEach, type SourceCatalogue } from './sources.js';
import { areas, type Area } from './workplace.js';

/** The flow ids the router knows; an article names one when a guided flow should take its question. */
export const flowIds = [
  'unlock-eligibility',
  'sponsor-unlock-guide',
  'reader-troubleshooting',
  'renewal-troubleshooting',
  'card-printing',
  'find-contact',
  'request',
  'training',
] as const;
export type FlowId = (typeof flowIds)[number];

/** Where a fact comes from: a seed page (`seed:<file>`) or a national page named in domain.md. */
export const sourceRef = z.union([
  z.string().regex(/^seed:[0-9a-z_]+\.txt$/, 'a seed source is "seed:<file name>"'),
  z.object({ title: z.string().min(3), url: z.url({ protocol: /^https?$/ }) }),
]);

const id = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'ids are lower-case words joined by hyphens');

const articleSchema = z.object({
  id,
  // Titles are button labels too; Teams cuts longer ones off.
  title: z.string().min(3).max(50),
  variants: z.array(z.string().min(2).max(200)).min(6, 'needs at least 6 question variants'),
  keywords: z.array(z.string().min(2)).default([]),
  answer: z.string().min(10),
  regional: z.partialRecord(z.enum(areas), z.string().min(10)).optional(),
  followUps: z.array(id).max(4).default([]),
  flow: z.enum(flowIds).optional(),
  /** A form the answer offers as a button (its id in knowledge/forms): a request form opens; the training session form offers "Training dates". */
  form: id.optional(),
  /** The local roles the answer tells people to ask: the reader's own organisation's contacts in them are shown. */
  contacts: z.array(z.enum(contactRoles)).default([]),
  sources: z.array(sourceRef).min(1, 'every article needs a source'),
  reviewed: z.iso.date(),
});

/** A knowledge-base article as its file describes it. */
export type Article = z.infer<typeof articleSchema>;
export type SourceRef = z.infer<typeof sourceRef>;

/** Most words an answer may show at once (its general part and one area's part). */
export const maxAnswerWords = 150;

const placeholder = /\{\{\s*([a-z0-9-]+)\.([a-z]+)\s*\}\}/g;
export const placeholderFields = ['name', 'phone', 'contact', 'offices'] as const;

/** Words in a text, as a reader counts them (markdown markers and list numbers are not words). */
export function wordCount(text: string): number {
  return text
    .replace(/\{\{[^}]*\}\}/g, 'placeholder')
    .split(/\s+/)
    .filter((w) => /[\p{L}\p{N}]/u.test(w) && !/^\d+\.$/.test(w)).length;
}

/** Every `{{team.field}}` placeholder in a text. */
export function placeholdersIn(text: string): { team: string; field: string }[] {
  return [...text.matchAll(placeholder)].map((m) => ({ team: m[1] ?? '', field: m[2] ?? '' }));
}

/**
 * Validates article files (already parsed from YAML) against the schema and each other: unique ids,
 * follow-ups that exist, known sources, known contact placeholders, answers short enough to read.
 */
export function parseArticles(
  files: readonly { readonly file: string; readonly data: unknown }[],
  sources: SourceCatalogue,
  teamIds: readonly string[],
): Article[] {
  const { items, problems } = parseEach(files, articleSchema);
  const articles = items.map((i) => i.item);
  for (const { file, item: article } of items) {
    if (`${article.id}.yaml` !== file.split('/').pop()) problems.push(`${file}: the file name must be ${article.id}.yaml`);
    for (const ref of article.sources) {
      if (typeof ref === 'string' && !sources.has(ref)) problems.push(`${file}: unknown source ${ref}`);
    }
    const texts = [article.answer, ...Object.values(article.regional ?? {})];
    for (const { team, field } of texts.flatMap(placeholdersIn)) {
      if (team !== 'my' && !teamIds.includes(team)) problems.push(`${file}: placeholder {{${team}.${field}}} names no RA team`);
      if (!(placeholderFields as readonly string[]).includes(field)) problems.push(`${file}: placeholder field "${field}" is not one of ${placeholderFields.join(', ')}`);
      if (team === 'my' && field !== 'contact' && field !== 'name') problems.push(`${file}: {{my.${field}}} is not available; use {{my.contact}} or {{my.name}}`);
    }
    const longestRegional = Math.max(0, ...Object.values(article.regional ?? {}).map(wordCount));
    const words = wordCount(article.answer) + longestRegional;
    if (words > maxAnswerWords) problems.push(`${file}: the answer shows ${words} words; keep it to ${maxAnswerWords} or fewer`);
  }
  const ids = new Set<string>();
  for (const article of articles) {
    if (ids.has(article.id)) problems.push(`duplicate article id ${article.id}`);
    ids.add(article.id);
  }
  for (const article of articles) {
    for (const next of article.followUps) {
      if (!ids.has(next)) problems.push(`${article.id}.yaml: follow-up ${next} is not an article`);
      if (next === article.id) problems.push(`${article.id}.yaml: an article cannot follow up itself`);
    }
  }
  if (problems.length > 0) throw new KnowledgeError('articles', problems);
  return articles;
}

/** The areas an article has a local answer for. */
export function regionalAreas(article: Article): Area[] {
  return areas.filter((a) => article.regional?.[a] !== undefined);
}
