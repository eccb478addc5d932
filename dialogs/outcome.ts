import type { TurnContext } from 'botbuilder';

/** What the assistant decided for a question, for the command line and the eval (never shown to users). */
export interface TurnOutcome {
  readonly kind: 'answer' | 'clarify' | 'flow' | 'none';
  readonly id: string | null;
  readonly title: string | null;
  readonly confidence: number;
  readonly suggestions: readonly string[];
}

const outcomeKey = Symbol('turnOutcome');

/** Notes the turn's decision on its context. */
export function recordOutcome(context: TurnContext, outcome: TurnOutcome): void {
  context.turnState.set(outcomeKey, outcome);
}

/** The turn's decision, if a question was answered or declined in it. */
export function readOutcome(context: TurnContext): TurnOutcome | undefined {
  return context.turnState.get(outcomeKey) as TurnOutcome | undefined;
}
