import type { Activity, ConversationReference } from 'botbuilder';

/** Sends into conversations outside the current turn (the RA desk channel, a requester's chat). */
export interface Notifier {
  /** Posts an activity; resolves with its id, for updating it later. */
  send(reference: Partial<ConversationReference>, activity: Partial<Activity>): Promise<string | undefined>;
  /** Replaces an activity posted earlier (a desk card, in place). */
  update(reference: Partial<ConversationReference>, activityId: string, activity: Partial<Activity>): Promise<void>;
}

/** The logging the dialogs need; pino's logger satisfies it. Personal data never goes above debug. */
export interface Logger {
  error(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** The time, injected so tests can fix it. */
export interface Clock {
  now(): Date;
}

const turnLoggerKey = Symbol('turnLogger');

/** Remembers a turn's child logger on its context, so everything in the turn logs with the same ids. */
export function setTurnLogger(context: { turnState: Map<unknown, unknown> }, logger: Logger): void {
  context.turnState.set(turnLoggerKey, logger);
}

/** The turn's child logger, or `fallback` outside a turn. */
export function turnLogger(context: { turnState: Map<unknown, unknown> }, fallback: Logger): Logger {
  return (context.turnState.get(turnLoggerKey) as Logger | undefined) ?? fallback;
}

/** A question the assistant could not answer, as stored for the RA team (already redacted). */
export interface UnansweredQuestion {
  readonly question: string;
  readonly at: string;
}

/** A reader's verdict on an answer. */
export interface AnswerFeedback {
  readonly articleId: string;
  readonly helpful: boolean;
  readonly question?: string | undefined;
  readonly comment?: string | undefined;
  readonly at: string;
}

/** One line of the RA team's "what to add next" report. */
export interface QuestionReportRow {
  readonly kind: 'unanswered' | 'unhelpful';
  /** The question (unanswered) or the article id (unhelpful). */
  readonly subject: string;
  readonly count: number;
  readonly lastAt: string;
  /** Comments and questions readers left with unhelpful ratings, newest first. */
  readonly details: readonly string[];
}

/** Where unanswered questions and answer feedback are kept so the RA team can improve the knowledge base. */
export interface QuestionLog {
  recordUnanswered(entry: UnansweredQuestion): Promise<void>;
  recordFeedback(entry: AnswerFeedback): Promise<void>;
  /** Unanswered and unhelpful questions with counts, newest first. */
  report(): Promise<QuestionReportRow[]>;
}
