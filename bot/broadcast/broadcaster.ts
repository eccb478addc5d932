import type { Activity, ConversationReference } from 'botbuilder';
import type { BroadcastReport, BroadcastRequest, Broadcasts } from '../../dialogs/outreach.js';
import type { Clock, Logger, Notifier } from '../../dialogs/ports.js';
import type { BroadcastRepository, Claim, Outcome, ReportCard } from './broadcastRepository.js';
import { classifySendError, type SendFailure } from './sendErrors.js';

/** Runs `callback` after `delayMs`; returns a function that cancels it. `idle`: the wait must not keep the process alive. */
export type Schedule = (callback: () => void, delayMs: number, idle?: boolean) => () => void;

/** The time the worker paces by, injected so tests run on a fake clock. */
export interface Timing {
  /** Milliseconds on a clock that only moves forward (pacing, pauses, waits). */
  readonly monotonic: () => number;
  readonly schedule: Schedule;
}

/** Real time. Waiting with work in hand keeps the process alive (a tool that drains and exits); waiting idle does not. */
export const realTiming: Timing = {
  monotonic: () => performance.now(),
  schedule: (callback, delayMs, idle = false) => {
    const timer = setTimeout(callback, Math.min(Math.max(0, delayMs), 2_147_483_647));
    if (idle) timer.unref();
    return () => clearTimeout(timer);
  },
};

/** How transient failures (412, 5xx, the network) are retried: exponential backoff with full jitter. */
export interface BroadcastRetryPolicy {
  /** Attempts before a delivery is marked failed. */
  readonly maxAttempts: number;
  /** The cap on the wait after the first failure; it doubles after each. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** The pause after a 429 that gave no Retry-After. */
  readonly defaultRetryAfterMs: number;
  /** The longest Retry-After honoured, so a bad header cannot stop sending for a day. */
  readonly maxRetryAfterMs: number;
}

/** Time left on a claim's lease, beyond the send timeout, for its outcome to be written. */
const leaseMarginMs = 30_000;

export const defaultBroadcastRetry: BroadcastRetryPolicy = { maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 60_000, defaultRetryAfterMs: 2000, maxRetryAfterMs: 600_000 };

export interface BroadcasterOptions {
  readonly store: BroadcastRepository;
  /** Sends each message: the Bot Connector in production, without retries of its own (the pacing counts every request). */
  readonly notifier: Notifier;
  /** Wall-clock time, for what is stored (queued, due, sent). */
  readonly clock: Clock;
  readonly logger: Logger;
  /** Messages a second at most, across all conversations (report cards included). */
  readonly rate: number;
  /** Messages a second at most to any one conversation: Teams allows 7. */
  readonly perConversationPerSecond?: number | undefined;
  readonly timing?: Timing | undefined;
  /** In [0, 1): the jitter. */
  readonly random?: (() => number) | undefined;
  readonly retry?: Partial<BroadcastRetryPolicy> | undefined;
  /** Outcomes are written together: when this many are waiting, or this long after the last write. */
  readonly flushBatch?: number | undefined;
  readonly flushEveryMs?: number | undefined;
  /** How often a running broadcast's report card is brought up to date, at most. */
  readonly reportEveryMs?: number | undefined;
  /**
   * How long a new broadcast's report card waits before it is first posted (1.5 s): the turn that queued it is still
   * replying ("Announced ...: I'll post a delivery report here"), and the card should land under that reply.
   */
  readonly firstReportDelayMs?: number | undefined;
  /** How long a send may go unanswered (30 s) before it counts as a failure to retry, freeing its place in the pace. */
  readonly sendTimeoutMs?: number | undefined;
  /** The report card's message, drawn by the dialogs layer. */
  readonly renderReport: (report: BroadcastReport) => Partial<Activity>;
  /** Teams said this person is gone (403 or 404): take them out of the audience. Must not throw. */
  readonly onGone?: ((userId: string) => Promise<void>) | undefined;
  /** Days a finished broadcast keeps its recipients and message before they are forgotten (its counts stay). */
  readonly keepFinishedDays?: number | undefined;
  /**
   * How long an idle worker waits before looking at the store again (60 s). Work queued in this process wakes it at
   * once; on a store shared by several instances, a short wait lets every instance join a broadcast another queued.
   */
  readonly idlePollMs?: number | undefined;
}

interface ReportJob {
  readonly broadcastId: string;
  /** Monotonic ms before which it waits (a retry, or a new card's first post). */
  readyAt: number;
  failures: number;
  /** Waiting only for the turn that queued it to reply: `drain` need not wait for that. */
  settling: boolean;
}

interface CardState {
  author: NonNullable<BroadcastRequest['author']>;
  activityId: string | undefined;
  state: ReportCard['state'];
  /** The counts the card last showed, to update only on a change. */
  shown: string | undefined;
  /** A post or update is under way: the next waits, so updates cannot land out of order or post twice. */
  busy: boolean;
}

/** One request's place in the last second's count. */
interface Slot {
  answeredAt: number | undefined;
}

type Pick = { readonly kind: 'delivery'; readonly index: number; readonly conversation: string } | { readonly kind: 'report'; readonly job: ReportJob; readonly conversation: string };

/**
 * Sends every queued delivery through the Notifier, paced by a token bucket (`rate` a second, small bursts) and at
 * most `perConversationPerSecond` to one conversation. A 429 pauses all sending for its Retry-After and costs the
 * delivery no attempt; 412, 5xx and sends unanswered after `sendTimeoutMs` are retried with exponential backoff and
 * full jitter up to `maxAttempts`, then failed; 403 and 404 mark the person gone. Work is claimed and recorded in
 * batches. Delivery is at least once: a message sent just before a crash, whose outcome was not yet written, or whose
 * answer came too late, is sent again.
 * Nothing personal is logged above debug: broadcast titles and counts only.
 */
export class Broadcaster implements Broadcasts {
  readonly #store: BroadcastRepository;
  readonly #notifier: Notifier;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #timing: Timing;
  readonly #random: () => number;
  readonly #retry: BroadcastRetryPolicy;
  readonly #rate: number;
  readonly #perConversation: number;
  readonly #capacity: number;
  readonly #claimSize: number;
  readonly #maxInFlight: number;
  readonly #flushBatch: number;
  readonly #flushEveryMs: number;
  readonly #reportEveryMs: number;
  readonly #firstReportDelayMs: number;
  readonly #sendTimeoutMs: number;
  readonly #renderReport: (report: BroadcastReport) => Partial<Activity>;
  readonly #onGone: ((userId: string) => Promise<void>) | undefined;
  readonly #keepFinishedMs: number;
  readonly #idlePollMs: number;

  #buffer: Claim[] = [];
  #outcomes: Outcome[] = [];
  readonly #reportJobs: ReportJob[] = [];
  readonly #cards = new Map<string, CardState>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #sentTo = new Map<string, number[]>();
  /** The requests that count against the last second. */
  #window: Slot[] = [];
  readonly #perSecond: number;
  #tokens: number;
  #refilledAt: number;
  #pausedUntil = 0;
  #dry = false;
  /** After a failed write, when to write again. */
  #syncRetryAt = 0;
  #lastFlush: number;
  #nextReportCheck = 0;
  #lastPrune = Number.NEGATIVE_INFINITY;
  /** The write under way: outcomes recorded and more work claimed, together. */
  #syncing: Promise<void> | undefined;
  #kicks = 0;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  #started = false;
  #stopping = false;
  #drainWaiters: (() => void)[] = [];

  constructor(options: BroadcasterOptions) {
    this.#store = options.store;
    this.#notifier = options.notifier;
    this.#clock = options.clock;
    this.#logger = options.logger.child({ component: 'broadcaster' });
    this.#timing = options.timing ?? realTiming;
    this.#random = options.random ?? Math.random;
    this.#retry = { ...defaultBroadcastRetry, ...options.retry };
    this.#rate = options.rate;
    this.#perConversation = options.perConversationPerSecond ?? 7;
    // A fifth of a second's worth, to catch up after the event loop stalls (a write of a large queue); the per-second
    // window below keeps the catching up within the limit.
    this.#capacity = Math.max(1, options.rate / 5);
    this.#perSecond = Math.max(1, Math.floor(options.rate));
    // A second's worth, topped up with every write: claims ride along with the outcomes, costing no write of their own.
    this.#claimSize = Math.min(1000, Math.max(10, Math.ceil(options.rate)));
    this.#maxInFlight = Math.min(64, Math.max(4, Math.ceil(options.rate / 2)));
    this.#flushBatch = options.flushBatch ?? 100;
    this.#flushEveryMs = options.flushEveryMs ?? 500;
    this.#reportEveryMs = options.reportEveryMs ?? 2000;
    this.#firstReportDelayMs = options.firstReportDelayMs ?? 1500;
    this.#sendTimeoutMs = options.sendTimeoutMs ?? 30_000;
    this.#renderReport = options.renderReport;
    this.#onGone = options.onGone;
    this.#keepFinishedMs = (options.keepFinishedDays ?? 30) * 86_400_000;
    this.#idlePollMs = options.idlePollMs ?? 60_000;
    this.#tokens = this.#capacity;
    this.#refilledAt = this.#timing.monotonic();
    this.#lastFlush = this.#refilledAt;
  }

  async queue(request: BroadcastRequest): Promise<{ readonly queued: boolean; readonly report: BroadcastReport }> {
    const result = await this.#store.queue(request, this.#nowIso());
    if (result.queued) {
      this.#logger.info({ title: request.title, recipients: result.report.total }, 'broadcast queued');
      this.#logger.debug({ broadcastId: request.id }, 'broadcast id');
      if (request.author) this.#addCard(request.id, { author: request.author, activityId: undefined, state: 'due', shown: undefined, busy: false }, this.#firstReportDelayMs);
      this.#dry = false;
      this.#kick();
    }
    return result;
  }

  async cancel(id: string): Promise<BroadcastReport | undefined> {
    const report = await this.#store.cancel(id, this.#nowIso());
    if (!report) return undefined;
    // Claimed but not yet sent: they stay unsent.
    const dropped = this.#buffer.filter((c) => c.broadcastId === id);
    if (dropped.length > 0) {
      this.#buffer = this.#buffer.filter((c) => c.broadcastId !== id);
      this.#outcomes.push(...dropped.map((c) => ({ broadcastId: c.broadcastId, userId: c.userId, state: 'cancelled' as const, attempts: c.attempts })));
    }
    if (report.cancelledAt) this.#logger.info({ title: report.title, counts: report.counts }, 'broadcast cancelled');
    this.#queueReport(id);
    this.#kick();
    if (dropped.length === 0) return report;
    await this.#syncNow();
    return (await this.#store.report(id)) ?? report;
  }

  report(id: string): Promise<BroadcastReport | undefined> {
    return this.#store.report(id);
  }

  /** Starts sending: first puts back what a previous process left in flight, then sends what is due. */
  start(): void {
    if (this.#started || this.#stopping) return;
    this.#started = true;
    this.#loop = this.#prepare().then(() => this.#run());
  }

  /**
   * Resolves once nothing queued so far is left to send now (retries due later excepted) and every outcome is
   * written; starts the worker if it is not running. For tests, and for tools that send and exit.
   */
  drain(): Promise<void> {
    if (this.#stopping) return Promise.resolve();
    this.start();
    const done = new Promise<void>((resolve) => this.#drainWaiters.push(resolve));
    // A new card waits only for its author's chat turn to reply, which has happened by now: post it with the rest.
    for (const job of this.#reportJobs) {
      if (!job.settling) continue;
      job.settling = false;
      job.readyAt = 0;
    }
    this.#kick();
    return done;
  }

  /** Stops sending: waits (a few seconds at most) for sends in flight, puts claimed but unsent deliveries back and writes every outcome. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#kick();
    await this.#loop;
    if (this.#inFlight.size > 0) {
      let cancelTimer: (() => void) | undefined;
      const grace = new Promise<void>((resolve) => {
        cancelTimer = this.#timing.schedule(resolve, graceMs, true);
      });
      await Promise.race([Promise.allSettled([...this.#inFlight]), grace]);
      cancelTimer?.();
    }
    const now = this.#nowIso();
    this.#outcomes.push(...this.#buffer.map((c) => ({ broadcastId: c.broadcastId, userId: c.userId, state: 'pending' as const, attempts: c.attempts, nextAttemptAt: now })));
    this.#buffer = [];
    await this.#syncNow();
    for (const resolve of this.#drainWaiters.splice(0)) resolve();
  }

  async #prepare(): Promise<void> {
    try {
      const requeued = await this.#store.requeueInFlight(this.#nowIso());
      if (requeued > 0) this.#logger.warn({ requeued }, 'deliveries in flight when the bot last stopped will be sent again');
      for (const card of await this.#store.reportCards(this.#nowIso())) {
        this.#addCard(card.broadcastId, { author: card.author, activityId: card.activityId, state: card.state, shown: undefined, busy: false });
      }
    } catch (error) {
      this.#logger.error({ err: error }, 'could not read the broadcast queue at start-up; sending what it can');
    }
  }

  #addCard(id: string, card: CardState, delayMs = 0): void {
    // Known already (queued while start-up read the store): keep the one that may be posting.
    if (!this.#cards.has(id)) this.#cards.set(id, card);
    this.#queueReport(id, delayMs);
  }

  /** Asks for the report card to be posted or brought up to date, soon (after `delayMs`). */
  #queueReport(id: string, delayMs = 0): void {
    const card = this.#cards.get(id);
    if (!card || card.state === 'failed' || card.state === 'final') return;
    if (this.#reportJobs.some((j) => j.broadcastId === id)) return;
    const readyAt = delayMs > 0 ? this.#timing.monotonic() + delayMs : 0;
    this.#reportJobs.push({ broadcastId: id, readyAt, failures: 0, settling: delayMs > 0 });
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      try {
        await this.#step();
      } catch (error) {
        // A fault in the worker itself: log it and carry on after a pause rather than stop sending for good.
        this.#logger.error({ err: error }, 'the broadcaster hit a fault; carrying on');
        await this.#sleep(1000);
      }
    }
  }

  async #step(): Promise<void> {
    const now = this.#timing.monotonic();
    const flush = this.#outcomes.length >= this.#flushBatch || (this.#outcomes.length > 0 && now - this.#lastFlush >= this.#flushEveryMs);
    const claim = !this.#dry && !this.#stopping && this.#buffer.length <= this.#claimSize / 2;
    if ((flush || claim) && !this.#syncing && now >= this.#syncRetryAt) this.#startSync();
    if (now >= this.#nextReportCheck && this.#hasLiveCards()) {
      this.#nextReportCheck = now + this.#reportEveryMs;
      void this.#checkReports();
    }
    if (now < this.#pausedUntil) return this.#sleep(this.#pausedUntil - now);
    if (this.#inFlight.size >= this.#maxInFlight) return this.#sleep(this.#flushEveryMs);
    const pick = this.#pick(now);
    if (typeof pick === 'number') return this.#sleep(pick);
    if (pick === undefined) return this.#idle(now);
    if (pick.kind === 'delivery' && this.#leaseEnding(pick.index)) return;
    const slot = this.#takeToken(now);
    if (typeof slot === 'number') return this.#sleep(slot);
    this.#noteSend(pick.conversation, now);
    if (pick.kind === 'delivery') {
      const [claim] = this.#buffer.splice(pick.index, 1);
      if (claim) this.#track(this.#deliver(claim), slot);
    } else {
      this.#reportJobs.splice(this.#reportJobs.indexOf(pick.job), 1);
      this.#track(this.#sendReport(pick.job), slot);
    }
  }

  /** Nothing to send this moment: finish what is under way, then wait for the next due time or a kick. */
  async #idle(now: number): Promise<void> {
    // Finishing a broadcast's last outcomes at once gets its report card its final counts without waiting.
    if (this.#outcomes.length > 0 && !this.#syncing && now >= this.#syncRetryAt) this.#startSync();
    if (this.#syncing) return void (await this.#syncing);
    if (this.#inFlight.size > 0) return this.#sleep(this.#flushEveryMs);
    const kicks = this.#kicks;
    let waitMs = this.#idlePollMs;
    if (this.#outcomes.length > 0) waitMs = Math.max(1, this.#syncRetryAt - now);
    if (this.#reportJobs.length > 0) waitMs = Math.min(waitMs, Math.max(1, Math.min(...this.#reportJobs.map((j) => j.readyAt)) - now));
    if (this.#hasLiveCards()) waitMs = Math.min(waitMs, Math.max(1, this.#nextReportCheck - now));
    try {
      const next = await this.#store.nextDueAt();
      if (next !== undefined) {
        const dueIn = Date.parse(next) - this.#clock.now().getTime();
        if (dueIn <= 0 && now >= this.#syncRetryAt) {
          this.#dry = false;
          return;
        }
        waitMs = Math.min(waitMs, Math.max(1, dueIn, this.#syncRetryAt - now));
      }
      await this.#prune();
    } catch (error) {
      this.#logger.error({ err: error }, 'could not read the broadcast queue; trying again shortly');
      waitMs = Math.min(waitMs, 1000);
    }
    // A kick while looking (something queued) means there may be work after all.
    if (this.#kicks !== kicks) return;
    for (const resolve of this.#drainWaiters.splice(0)) resolve();
    await this.#sleep(waitMs, true);
    this.#dry = false;
  }

  /** The next thing to send (report cards first), or how long until one may go, or undefined when there is none. */
  #pick(now: number): Pick | number | undefined {
    let soonest: number | undefined;
    for (const job of this.#reportJobs) {
      const card = this.#cards.get(job.broadcastId);
      if (!card || card.busy) continue;
      const ready = Math.max(job.readyAt, this.#conversationFreeAt(conversationOf(card.author.reference, card.author.userId), now));
      if (ready <= now) return { kind: 'report', job, conversation: conversationOf(card.author.reference, card.author.userId) };
      soonest = Math.min(soonest ?? ready, ready);
    }
    // Looking a little way down the queue is enough: deliveries are to different people, bar the odd repeat.
    const look = Math.min(this.#buffer.length, 64);
    for (let index = 0; index < look; index++) {
      const claim = this.#buffer[index] as Claim;
      const conversation = conversationOf(claim.reference, claim.userId);
      const ready = this.#conversationFreeAt(conversation, now);
      if (ready <= now) return { kind: 'delivery', index, conversation };
      soonest = Math.min(soonest ?? ready, ready);
    }
    return soonest === undefined ? undefined : Math.max(1, soonest - now);
  }

  /**
   * Takes a token from the bucket, or says how long until one is there. The bucket smooths the pace and lets the
   * worker catch up after a stall. The window on top keeps any one second at `rate` as the service counts it: a
   * request reaches the service some time between being sent and being answered, so each one counts until a
   * second after its answer (a slow first request cannot bunch up with the next ones into a burst over the limit).
   */
  #takeToken(now: number): Slot | number {
    if (this.#window.length >= this.#perSecond) this.#window = this.#window.filter((slot) => slot.answeredAt === undefined || slot.answeredAt > now - 1000);
    if (this.#window.length >= this.#perSecond) {
      const answered = this.#window.map((slot) => slot.answeredAt).filter((at): at is number => at !== undefined);
      // All still out: an answer wakes the loop.
      return answered.length > 0 ? Math.max(1, Math.min(...answered) + 1000 - now) : this.#flushEveryMs;
    }
    // After a 429 the bucket refills only from the end of the pause.
    this.#tokens = Math.min(this.#capacity, this.#tokens + (Math.max(0, now - this.#refilledAt) * this.#rate) / 1000);
    this.#refilledAt = Math.max(now, this.#refilledAt);
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      const slot: Slot = { answeredAt: undefined };
      this.#window.push(slot);
      return slot;
    }
    return Math.max(1, Math.ceil(((1 - this.#tokens) * 1000) / this.#rate));
  }

  #conversationFreeAt(conversation: string, now: number): number {
    const times = this.#sentTo.get(conversation);
    if (!times) return now;
    while (times.length > 0 && (times[0] as number) <= now - 1000) times.shift();
    if (times.length === 0) {
      this.#sentTo.delete(conversation);
      return now;
    }
    return times.length < this.#perConversation ? now : (times[times.length - this.#perConversation] as number) + 1000;
  }

  #noteSend(conversation: string, now: number): void {
    const times = this.#sentTo.get(conversation);
    if (times) times.push(now);
    else this.#sentTo.set(conversation, [now]);
    // Conversations not written to for a second are forgotten, so the map stays small.
    if (this.#sentTo.size > 4096) {
      for (const [key, list] of this.#sentTo) if ((list[list.length - 1] ?? 0) <= now - 1000) this.#sentTo.delete(key);
    }
  }

  /**
   * A claim whose lease (a store shared by several instances) would run out before a send could be answered and
   * recorded goes back to the queue unsent (after a long 429 pause): by then another instance may be sending it.
   */
  #leaseEnding(index: number): boolean {
    const claim = this.#buffer[index];
    if (claim?.leaseUntil === undefined) return false;
    if (Date.parse(claim.leaseUntil) - this.#clock.now().getTime() >= this.#sendTimeoutMs + leaseMarginMs) return false;
    this.#buffer.splice(index, 1);
    this.#outcomes.push({ broadcastId: claim.broadcastId, userId: claim.userId, state: 'pending', attempts: claim.attempts, nextAttemptAt: this.#nowIso() });
    this.#dry = false;
    return true;
  }

  async #deliver(claim: Claim): Promise<void> {
    try {
      await this.#answered(this.#notifier.send(claim.reference, claim.activity));
      this.#outcomes.push({ broadcastId: claim.broadcastId, userId: claim.userId, state: 'sent', attempts: claim.attempts + 1 });
      return;
    } catch (error) {
      const failure = classifySendError(error, this.#clock.now().getTime());
      if (failure.kind === 'throttled') {
        this.#throttled(failure);
        // Its turn comes again after the pause; a 429 is about our pace, not this message, so it costs no attempt.
        this.#buffer.unshift(claim);
        return;
      }
      this.#outcomes.push(this.#afterFailure(claim, failure));
      if (failure.kind === 'gone') await this.#gone(claim.userId);
    }
  }

  #afterFailure(claim: Claim, failure: Exclude<SendFailure, { kind: 'throttled' }>): Outcome {
    const attempts = claim.attempts + 1;
    const base = { broadcastId: claim.broadcastId, userId: claim.userId, attempts, error: failure.code };
    if (failure.kind === 'gone') return { ...base, state: 'gone' };
    if (failure.kind === 'permanent' || attempts >= this.#retry.maxAttempts) {
      // Given up on: an error, so an outage that loses messages is seen (the report card counts it as failed too).
      this.#logger.error({ code: failure.code, attempts }, 'a broadcast message could not be delivered');
      return { ...base, state: 'failed' };
    }
    // Full jitter: anywhere up to the exponential cap, so messages that failed together do not retry together.
    const cap = Math.min(this.#retry.maxDelayMs, this.#retry.baseDelayMs * 2 ** (attempts - 1));
    const delay = Math.round(this.#random() * cap);
    return { ...base, state: 'pending', nextAttemptAt: new Date(this.#clock.now().getTime() + delay).toISOString() };
  }

  #throttled(failure: Extract<SendFailure, { kind: 'throttled' }>): void {
    const waitMs = Math.min(this.#retry.maxRetryAfterMs, failure.retryAfterMs ?? this.#retry.defaultRetryAfterMs);
    const until = this.#timing.monotonic() + waitMs;
    if (until > this.#pausedUntil) {
      if (this.#pausedUntil <= this.#timing.monotonic()) this.#logger.warn({ waitMs }, 'Teams asked the bot to slow down (429): all broadcast sending paused');
      this.#pausedUntil = until;
    }
    // Start again gently: no burst straight after the pause.
    this.#tokens = 0;
    this.#refilledAt = until;
  }

  async #gone(userId: string): Promise<void> {
    this.#logger.info({}, 'a recipient has removed the app or left: taken out of the audience');
    this.#logger.debug({ userId }, 'recipient gone');
    try {
      await this.#onGone?.(userId);
    } catch (error) {
      this.#logger.error({ err: error }, 'could not take a gone recipient out of the audience');
    }
  }

  async #sendReport(job: ReportJob): Promise<void> {
    const card = this.#cards.get(job.broadcastId);
    if (!card || card.state === 'failed' || card.state === 'final') return;
    card.busy = true;
    try {
      const report = await this.#store.report(job.broadcastId);
      if (!report) return;
      const activity = this.#renderReport(report);
      const shown = countsKey(report);
      const before = `${card.activityId ?? ''}:${card.state}`;
      if (card.activityId === undefined) {
        const activityId = await this.#answered(this.#notifier.send(card.author.reference, activity));
        card.activityId = activityId;
        // Without an id (a channel that does not give one) the card cannot be updated: it stays as posted.
        card.state = report.finished || activityId === undefined ? 'final' : 'posted';
      } else if (card.shown !== shown || report.finished) {
        await this.#answered(this.#notifier.update(card.author.reference, card.activityId, activity));
        card.state = report.finished ? 'final' : 'posted';
      }
      card.shown = shown;
      if (`${card.activityId ?? ''}:${card.state}` !== before) await this.#store.setReportCard(job.broadcastId, { activityId: card.activityId, state: card.state });
    } catch (error) {
      const failure = classifySendError(error, this.#clock.now().getTime());
      if (failure.kind === 'throttled') {
        this.#throttled(failure);
        this.#reportJobs.unshift(job);
        return;
      }
      job.failures++;
      job.settling = false;
      if (failure.kind === 'transient' && job.failures < this.#retry.maxAttempts) {
        const cap = Math.min(this.#retry.maxDelayMs, this.#retry.baseDelayMs * 2 ** (job.failures - 1));
        job.readyAt = this.#timing.monotonic() + Math.round(this.#random() * cap);
        this.#reportJobs.push(job);
        return;
      }
      this.#logger.error({ code: failure.code }, 'could not post or update a broadcast report card; its author can ask for it again');
      card.state = 'failed';
      await this.#store.setReportCard(job.broadcastId, { activityId: card.activityId, state: 'failed' }).catch((e: unknown) => this.#logger.error({ err: e }, 'could not record the report card'));
    } finally {
      card.busy = false;
    }
  }

  #hasLiveCards(): boolean {
    for (const card of this.#cards.values()) if (card.state === 'posted') return true;
    return false;
  }

  /** Queues an update for each running broadcast's card whose counts have changed. */
  async #checkReports(): Promise<void> {
    for (const [id, card] of this.#cards) {
      if (card.state !== 'posted') continue;
      try {
        const report = await this.#store.report(id);
        if (report && countsKey(report) !== card.shown) this.#queueReport(id);
      } catch (error) {
        this.#logger.error({ err: error }, 'could not read a broadcast report');
      }
    }
    this.#kick();
  }

  /** One write: the outcomes so far, and a top-up of the claimed work (unless the queue is known to be dry). */
  #startSync(): void {
    if (this.#syncing) return;
    const outcomes = this.#outcomes;
    this.#outcomes = [];
    const limit = this.#dry || this.#stopping ? 0 : this.#claimSize - this.#buffer.length;
    this.#lastFlush = this.#timing.monotonic();
    this.#syncing = this.#store
      .exchange(outcomes, limit, this.#nowIso())
      .then(
        async ({ claims, finished }) => {
          this.#buffer.push(...claims);
          if (limit > 0 && claims.length < limit) this.#dry = true;
          for (const id of finished) {
            const report = await this.#store.report(id);
            if (report) this.#logger.info({ title: report.title, counts: report.counts, cancelled: report.cancelledAt !== undefined }, 'broadcast finished');
            this.#queueReport(id);
          }
        },
        (error: unknown) => {
          // Kept to write again: until then those deliveries stay `sending`, so a crash now sends them again.
          this.#logger.error({ err: error, outcomes: outcomes.length }, 'could not write to the broadcast queue; trying again shortly');
          this.#outcomes = [...outcomes, ...this.#outcomes];
          this.#syncRetryAt = this.#timing.monotonic() + 1000;
        },
      )
      .finally(() => {
        this.#syncing = undefined;
        this.#kick();
      });
  }

  /** Writes every outcome now (stop, cancel), after any write under way. */
  async #syncNow(): Promise<void> {
    await this.#syncing;
    this.#syncRetryAt = 0;
    this.#startSync();
    await this.#syncing;
  }

  async #prune(): Promise<void> {
    const now = this.#clock.now().getTime();
    if (now - this.#lastPrune < 86_400_000) return;
    this.#lastPrune = now;
    const pruned = await this.#store.prune(new Date(now - this.#keepFinishedMs).toISOString());
    if (pruned > 0) this.#logger.info({ pruned }, 'recipients of old broadcasts forgotten');
  }

  /**
   * A request's answer, or a retryable failure (code `timeout`, as for a network error) once it has gone unanswered
   * for `sendTimeoutMs`, so a request that hangs cannot hold its place in the pace, or the card it updates, for good.
   * A late answer is ignored: the message may have reached the person and is sent again (at least once).
   */
  #answered<T>(request: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const cancel = this.#timing.schedule(() => {
        if (settled) return;
        settled = true;
        reject(Object.assign(new Error(`no answer from the Bot Connector within ${this.#sendTimeoutMs} ms`), { code: 'timeout' }));
      }, this.#sendTimeoutMs);
      request.then(
        (value) => {
          if (settled) return;
          settled = true;
          cancel();
          resolve(value);
        },
        (error: unknown) => {
          if (settled) return;
          settled = true;
          cancel();
          reject(error);
        },
      );
    });
  }

  #track(work: Promise<void>, slot: Slot): void {
    const tracked = work
      .catch((error: unknown) => this.#logger.error({ err: error }, 'a broadcast send failed unexpectedly'))
      .finally(() => {
        slot.answeredAt = this.#timing.monotonic();
        this.#inFlight.delete(tracked);
        this.#kick();
      });
    this.#inFlight.add(tracked);
  }

  #sleep(ms: number, idle = false): Promise<void> {
    return new Promise<void>((resolve) => {
      let cancel: (() => void) | undefined;
      const done = () => {
        cancel?.();
        if (this.#wake === done) this.#wake = undefined;
        resolve();
      };
      this.#wake = done;
      cancel = this.#timing.schedule(done, ms, idle);
    });
  }

  /** Wakes the loop to look again. */
  #kick(): void {
    this.#kicks++;
    this.#wake?.();
  }

  #nowIso(): string {
    return this.#clock.now().toISOString();
  }
}

function conversationOf(reference: Partial<ConversationReference>, userId: string): string {
  return reference.conversation?.id ?? `user:${userId}`;
}

function countsKey(report: BroadcastReport): string {
  return JSON.stringify([report.counts, report.cancelledAt ?? '', report.finished]);
}
