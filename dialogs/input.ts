import type { Activity } from 'botbuilder';
import { parseSubmission, type Submission } from '../cards/submission.js';

/** The words that work at any step of any dialog. */
export type GlobalCommand = 'help' | 'cancel' | 'start-over';

const globalWords: Record<GlobalCommand, readonly string[]> = {
  help: ['help', 'menu', 'what can you do', 'what can you do for me', 'options', 'commands', '?', 'help me', 'show menu'],
  cancel: ['cancel', 'stop', 'quit', 'exit', 'never mind', 'nevermind', 'abort', 'cancel that'],
  'start-over': ['start over', 'restart', 'start again', 'reset', 'begin again', 'start from the beginning'],
};

/** What a turn's input is, before any dialog looks at it. */
export type TurnInput =
  | { readonly kind: 'global'; readonly command: GlobalCommand }
  | { readonly kind: 'command'; readonly command: string }
  | { readonly kind: 'card-answer' }
  | { readonly kind: 'card'; readonly submission: Exclude<Submission, { verb: 'menu.open' | 'choice.pick' | 'flow.back' }> }
  | { readonly kind: 'bad-card'; readonly problem: string }
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'empty' };

/** Lower-cases and strips what people add around a command ("Help!", "  please cancel "). */
export function normalise(text: string): string {
  return text
    .toLowerCase()
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/^\s*(please|pls|can you|could you)\s+/, '')
    .replace(/(?<=[^\s.!?,;:])[.!?,;:]+\s*$/, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Classifies a message activity; `commands` maps typed phrases to capability ids. */
export function classifyInput(activity: Pick<Activity, 'text' | 'value'>, commands: ReadonlyMap<string, string>): TurnInput {
  if (activity.value !== undefined && activity.value !== null) {
    const parsed = parseSubmission(activity.value);
    if (!parsed.ok) return { kind: 'bad-card', problem: parsed.problem };
    const submission = parsed.submission;
    if (submission.verb === 'choice.pick' || submission.verb === 'flow.back') return { kind: 'card-answer' };
    if (submission.verb !== 'menu.open') return { kind: 'card', submission };
    const global = (Object.keys(globalWords) as GlobalCommand[]).find((g) => g === submission.command);
    return global ? { kind: 'global', command: global } : { kind: 'command', command: submission.command };
  }
  const text = typeof activity.text === 'string' ? activity.text.trim() : '';
  if (text === '') return { kind: 'empty' };
  const said = normalise(text);
  for (const [command, words] of Object.entries(globalWords) as [GlobalCommand, readonly string[]][]) {
    if (words.includes(said)) return { kind: 'global', command };
  }
  const capability = commands.get(said);
  if (capability) return { kind: 'command', command: capability };
  return { kind: 'text', text };
}

/** A typed message that reads as a new question rather than an answer to ours ("how do I get SCR access?"). */
export function looksLikeQuestion(text: string): boolean {
  return /\?\s*$/.test(text) || /^(how|what|whats|what's|who|where|why|when|can|could|do|does|is|are|should)\b/i.test(text.trim());
}
