import { z } from 'zod';
import { longDay } from './londonTime.js';

const sourceSchema = z.object({
  id: z.string().min(1),
  title: z.string().min(1),
  reviewed: z.iso.date(),
});
const catalogueSchema = z.object({ sources: z.array(sourceSchema).min(1) });

/** A page the assistant's facts come from, and when its copy was last reviewed. */
export type Source = z.infer<typeof sourceSchema>;

/** The pages every answer is traced to. */
export class SourceCatalogue {
  private readonly byId: ReadonlyMap<string, Source>;
  /** Each source's line, made once: formatting the date on every card showed in the turn profile. */
  private readonly lines: ReadonlyMap<string, string>;

  constructor(sources: readonly Source[]) {
    this.byId = new Map(sources.map((s) => [s.id, s]));
    this.lines = new Map([...this.byId.values()].map((s) => [s.id, `From ${s.title}, reviewed ${longDay(s.reviewed)}.`]));
  }

  /** Every page's title, for the about card. */
  titles(): string[] {
    return [...this.byId.values()].map((s) => s.title);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** A source's title. */
  title(id: string): string {
    const source = this.byId.get(id);
    if (!source) throw new Error(`unknown source ${id}`);
    return source.title;
  }

  /** "From <page>, reviewed <date>." for the foot of a card. */
  sourceLine(id: string): string {
    const line = this.lines.get(id);
    if (line === undefined) throw new Error(`unknown source ${id}`);
    return line;
  }
}

/** Validates the source catalogue's JSON; every problem is listed in the thrown error. */
export function parseSources(json: unknown): SourceCatalogue {
  const parsed = catalogueSchema.safeParse(json);
  if (!parsed.success) throw new KnowledgeError('sources', parsed.error.issues.map(describeIssue));
  const ids = parsed.data.sources.map((s) => s.id);
  const dupes = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (dupes.length > 0) throw new KnowledgeError('sources', dupes.map((d) => `duplicate source id ${d}`));
  return new SourceCatalogue(parsed.data.sources);
}

/** Thrown when a knowledge file is not valid; names the file and every problem. */
export class KnowledgeError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`knowledge file "${file}" is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'KnowledgeError';
  }
}

/** One zod issue as "path: message". */
export function describeIssue(issue: { path: readonly PropertyKey[]; message: string }): string {
  return `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`;
}

/** Validates each knowledge file against a schema: the items that pass, and "file: path: message" for each problem. */
export function parseEach<T>(
  files: readonly { readonly file: string; readonly data: unknown }[],
  schema: { safeParse(data: unknown): { success: true; data: T } | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } } },
): { items: { file: string; item: T }[]; problems: string[] } {
  const items: { file: string; item: T }[] = [];
  const problems: string[] = [];
  for (const { file, data } of files) {
    const parsed = schema.safeParse(data);
    if (parsed.success) items.push({ file, item: parsed.data });
    else problems.push(...parsed.error.issues.map((i) => `${file}: ${describeIssue(i)}`));
  }
  return { items, problems };
}
