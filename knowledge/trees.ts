import { z } from 'zod';
import { flowIds, placeholdersIn, type Article, type FlowId } from './articles.js';
import { KnowledgeError, parseEach } from './sources.js';
import { contactRoles } from './organisations.js';
import { areas, workplaceKinds } from './workplace.js';

/** The local roles a step tells people to ask: the person's own organisation's contacts in them are shown. */
const contacts = z.array(z.enum(contactRoles)).default([]);

const nodeId = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'node ids are lower-case words joined by hyphens');

const choice = z.object({
  value: nodeId,
  title: z.string().min(1).max(40),
  /** Words that count as this answer when typed ("yes", "yep", "I have it"). */
  synonyms: z.array(z.string().min(1)).default([]),
  next: nodeId,
});

const question = z.object({
  kind: z.literal('question'),
  text: z.string().min(3),
  hint: z.string().optional(),
  /** Answer this from what the user already told us, when it is known: a profile field and the choice for each value. */
  skipWith: z
    .union([
      z.object({ field: z.literal('workplace.kind'), values: z.partialRecord(z.enum(workplaceKinds), nodeId) }),
      z.object({ field: z.literal('workplace.area'), values: z.partialRecord(z.enum(areas), nodeId) }),
    ])
    .optional(),
  choices: z.array(choice).min(2).max(6),
});

const answer = z.object({
  kind: z.literal('answer'),
  title: z.string().min(3).max(80),
  /** Markdown; contacts as placeholders, like articles. */
  text: z.string().min(3).optional(),
  /** An article whose answer is shown (after `text`, when both are given). */
  article: z.string().optional(),
  contacts,
});

const checklist = z.object({
  kind: z.literal('checklist'),
  title: z.string().min(3).max(80),
  intro: z.string().optional(),
  /** The steps the user ticks through, in order. */
  items: z.array(z.string().min(3)).min(2).max(15),
  /** What to do when a step fails. */
  ifStuck: z.string().min(3),
});

const handoff = z.object({
  kind: z.literal('handoff'),
  title: z.string().min(3).max(80),
  /** Why the RA team is the next step; the team's contact is added. */
  text: z.string().min(3),
  contacts,
});

const action = z.object({
  kind: z.literal('action'),
  /** Another flow to continue in. */
  flow: z.enum(flowIds),
  text: z.string().optional(),
});

const node = z.discriminatedUnion('kind', [question, answer, checklist, handoff, action]);

const treeSchema = z.object({
  id: z.enum(flowIds),
  title: z.string().min(3).max(60),
  /** Typed phrases that start the flow directly, besides the articles that name it. */
  triggers: z.array(z.string().min(2)).default([]),
  start: nodeId,
  nodes: z.record(nodeId, node),
  sources: z.array(z.union([z.string().regex(/^seed:/), z.object({ title: z.string(), url: z.url() })])).min(1),
  reviewed: z.iso.date(),
});

/** A guided flow as its file describes it: nodes by id, starting at `start`. */
export type Tree = z.infer<typeof treeSchema>;
export type TreeNode = z.infer<typeof node>;
export type QuestionNode = z.infer<typeof question>;

/** Whether a node ends the flow (everything but a question). */
export function isLeaf(n: TreeNode): boolean {
  return n.kind !== 'question';
}

/**
 * Validates flow files: the schema, then that ids are unique, every `next` resolves, every node is
 * reachable from `start`, every article named exists and every placeholder names a known RA team.
 */
export function parseTrees(files: readonly { readonly file: string; readonly data: unknown }[], articles: readonly Article[], teamIds: readonly string[]): Tree[] {
  const { items, problems } = parseEach(files, treeSchema);
  const trees = items.map((i) => i.item);
  for (const { file, item: tree } of items) {
    if (`${tree.id}.yaml` !== file.split('/').pop()) problems.push(`${file}: the file name must be ${tree.id}.yaml`);
    const ids = Object.keys(tree.nodes);
    if (!ids.includes(tree.start)) problems.push(`${file}: start node ${tree.start} does not exist`);
    for (const [id, n] of Object.entries(tree.nodes)) {
      const where = `${file}: node ${id}`;
      if (n.kind === 'question') {
        const values = n.choices.map((c) => c.value);
        if (new Set(values).size !== values.length) problems.push(`${where}: two choices share a value`);
        for (const c of n.choices) if (!ids.includes(c.next)) problems.push(`${where}: choice ${c.value} goes to ${c.next}, which does not exist`);
        for (const value of Object.values(n.skipWith?.values ?? {})) {
          if (!values.includes(value)) problems.push(`${where}: skipWith names ${value}, which is not one of its choices`);
        }
      }
      if (n.kind === 'answer') {
        if (!n.text && !n.article) problems.push(`${where}: an answer needs text or an article`);
        if (n.article && !articles.some((a) => a.id === n.article)) problems.push(`${where}: article ${n.article} does not exist`);
      }
      if (n.kind === 'action' && n.flow === tree.id) problems.push(`${where}: a flow cannot continue in itself`);
      const texts = n.kind === 'question' ? [n.text] : n.kind === 'checklist' ? [...n.items, n.ifStuck, n.intro ?? ''] : [n.text ?? ''];
      for (const p of texts.flatMap(placeholdersIn)) {
        if (p.team !== 'my' && !teamIds.includes(p.team)) problems.push(`${where}: placeholder {{${p.team}.${p.field}}} names no RA team`);
      }
    }
    const reached = new Set<string>();
    const walk = (id: string) => {
      if (reached.has(id)) return;
      reached.add(id);
      const n = tree.nodes[id];
      if (n?.kind === 'question') n.choices.forEach((c) => walk(c.next));
    };
    walk(tree.start);
    for (const id of ids) if (!reached.has(id)) problems.push(`${file}: node ${id} cannot be reached from ${tree.start}`);
  }
  const seen = new Set<FlowId>();
  for (const tree of trees) {
    if (seen.has(tree.id)) problems.push(`two files define flow ${tree.id}`);
    seen.add(tree.id);
  }
  for (const tree of trees) {
    for (const n of Object.values(tree.nodes)) {
      if (n.kind === 'action' && !seen.has(n.flow)) {
        problems.push(`${tree.id}.yaml: continues in flow ${n.flow}, which has no file`);
      }
    }
  }
  if (problems.length > 0) throw new KnowledgeError('flows', problems);
  return trees;
}

/** Every path from the start to each leaf, as the choice values taken; for tests that must reach every leaf. */
export function pathsToLeaves(tree: Tree): { leaf: string; choices: { node: string; value: string }[] }[] {
  const out: { leaf: string; choices: { node: string; value: string }[] }[] = [];
  const seenLeaves = new Set<string>();
  const visit = (id: string, taken: { node: string; value: string }[], onPath: Set<string>) => {
    const n = tree.nodes[id];
    if (!n || onPath.has(id)) return;
    if (n.kind !== 'question') {
      if (!seenLeaves.has(id)) out.push({ leaf: id, choices: taken });
      seenLeaves.add(id);
      return;
    }
    for (const c of n.choices) visit(c.next, [...taken, { node: id, value: c.value }], new Set([...onPath, id]));
  };
  visit(tree.start, [], new Set());
  return out;
}
