import type { Activity, ConversationReference } from 'botbuilder';
import type { Timing } from '../../bot/broadcast/broadcaster.js';
import type { Clock, Notifier } from '../../dialogs/ports.js';
import { TimerQueue } from '../support/clocks.js';

/** Lets every promise chain that is ready run (in-memory stores and fake notifiers resolve without I/O). */
export async function settle(rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** A fake clock for the broadcaster: wall time and pacing time move together, only when a test says so. */
export class FakeTime {
  #now: number;
  readonly #timers = new TimerQueue();

  constructor(start = '2026-11-21T09:30:00.000Z') {
    this.#now = Date.parse(start);
  }

  readonly clock: Clock = { now: () => new Date(this.#now) };

  readonly timing: Timing = {
    monotonic: () => this.#now,
    schedule: (callback, delayMs) => this.#timers.add(this.#now + Math.max(0, delayMs), callback),
  };

  /** Milliseconds since the start of the clock's epoch, for recording when things happened. */
  get now(): number {
    return this.#now;
  }

  /** Moves time on by `ms`, firing each timer at its moment and letting what it starts run before the next. */
  async advance(ms: number): Promise<void> {
    const until = this.#now + ms;
    await settle();
    for (let due = this.#timers.takeDue(until); due; due = this.#timers.takeDue(until)) {
      this.#now = Math.max(this.#now, due.at);
      due.callback();
      await settle();
    }
    this.#now = until;
    await settle();
  }

  /** Advances in steps until `done` holds; throws after `limitMs` of fake time. */
  async until(done: () => boolean, limitMs = 600_000, stepMs = 100): Promise<void> {
    const end = this.#now + limitMs;
    while (!done()) {
      if (this.#now >= end) throw new Error(`still not done after ${limitMs} ms of fake time`);
      await this.advance(stepMs);
    }
  }
}

/** One request the scripted notifier saw. */
export interface Call {
  readonly kind: 'send' | 'update';
  readonly at: number;
  readonly conversationId: string;
  readonly activityId?: string | undefined;
  readonly activity: Partial<Activity>;
  /** Whether the script let it through (false for a call left unanswered). */
  ok?: boolean;
}

/** An error shaped like the Bot Connector's (RestError): a status and, for 429, a Retry-After header. */
export function connectorError(statusCode: number, retryAfter?: string): Error {
  return Object.assign(new Error(`the connector answered ${statusCode}`), {
    statusCode,
    response: { status: statusCode, headers: { get: (name: string) => (name.toLowerCase() === 'retry-after' ? retryAfter : undefined) } },
  });
}

/** What the script says to a call: nothing (succeed), an Error (fail), or 'hang' (no answer until `answerHung`). */
export type Answer = Error | 'hang' | undefined;

/**
 * A Notifier that records every call with the fake time it came at, and answers as the test's script says.
 */
export class ScriptedNotifier implements Notifier {
  readonly calls: Call[] = [];
  #ids = 0;
  readonly #hung: (() => void)[] = [];

  constructor(
    private readonly time: FakeTime,
    private readonly script: (call: Call, index: number) => Answer = () => undefined,
  ) {}

  send(reference: Partial<ConversationReference>, activity: Partial<Activity>): Promise<string | undefined> {
    const call: Call = { kind: 'send', at: this.time.now, conversationId: reference.conversation?.id ?? '', activity };
    return this.#answer(call, () => `activity-${++this.#ids}`);
  }

  update(reference: Partial<ConversationReference>, activityId: string, activity: Partial<Activity>): Promise<void> {
    const call: Call = { kind: 'update', at: this.time.now, conversationId: reference.conversation?.id ?? '', activityId, activity };
    return this.#answer(call, () => undefined);
  }

  /** Answers every call left hanging so far, successfully (a late answer). */
  answerHung(): void {
    for (const answer of this.#hung.splice(0)) answer();
  }

  #answer<T>(call: Call, value: () => T): Promise<T> {
    this.calls.push(call);
    const answer = this.script(call, this.calls.length - 1);
    call.ok = answer === undefined;
    if (answer === 'hang') return new Promise<T>((resolve) => this.#hung.push(() => resolve(value())));
    return answer ? Promise.reject(answer) : Promise.resolve(value());
  }

  /** Successful sends to each conversation. */
  delivered(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const c of this.calls) if (c.kind === 'send' && c.ok) counts.set(c.conversationId, (counts.get(c.conversationId) ?? 0) + 1);
    return counts;
  }
}
