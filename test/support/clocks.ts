import type { Clock } from '../../dialogs/ports.js';

/** A clock the test moves by hand, from `start`. */
export class FakeClock implements Clock {
  private time: number;

  constructor(start: Date | string) {
    this.time = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.time);
  }

  set(iso: string): void {
    this.time = Date.parse(iso);
  }
}

/** A callback waiting for its moment, in milliseconds of the fake clock. */
export interface Timer {
  readonly at: number;
  readonly callback: () => void;
}

/** Timers that fire only when a fake clock moves time on: each test's clock keeps the time, this keeps what is due. */
export class TimerQueue {
  #timers: Timer[] = [];

  /** Queues `callback` for time `at`; the function returned cancels it (and does nothing once it has fired). */
  add(at: number, callback: () => void): () => void {
    const timer = { at, callback };
    this.#timers.push(timer);
    return () => this.#remove(timer);
  }

  /** When each timer still waiting is due, in the order they were queued. */
  get pending(): number[] {
    return this.#timers.map((t) => t.at);
  }

  /** Takes the earliest timer due by `until` off the queue (the first queued of equals), or undefined when none is. */
  takeDue(until: number): Timer | undefined {
    let due: Timer | undefined;
    for (const t of this.#timers) if (t.at <= until && (!due || t.at < due.at)) due = t;
    if (due) this.#remove(due);
    return due;
  }

  #remove(timer: Timer): void {
    const i = this.#timers.indexOf(timer);
    if (i >= 0) this.#timers.splice(i, 1);
  }
}
