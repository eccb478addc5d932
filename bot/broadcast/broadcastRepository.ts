import type { Activity, ConversationReference } from 'botbuilder';
import { deliveryStates, type BroadcastReport, type BroadcastRequest, type DeliveryState } from '../../dialogs/outreach.js';

/** One delivery handed to the worker: marked `sending` in the store until its outcome is recorded. */
export interface Claim {
  readonly broadcastId: string;
  readonly userId: string;
  readonly reference: Partial<ConversationReference>;
  /** The message: the same object for every delivery of a broadcast; never changed. */
  readonly activity: Partial<Activity>;
  /** Attempts made before this one. */
  readonly attempts: number;
  /**
   * A store shared by several instances leases each claim: after this time (ISO) another instance may claim it
   * again, so no send may start that could not be answered and recorded by then. None: the claim does not expire.
   */
  readonly leaseUntil?: string | undefined;
}

/**
 * What happened to a claimed delivery. `pending` puts it back in the queue, due at `nextAttemptAt` (a retry, or a
 * claim released unsent at shutdown); the rest are final. Only a delivery still `sending` takes an outcome.
 */
export interface Outcome {
  readonly broadcastId: string;
  readonly userId: string;
  readonly state: Exclude<DeliveryState, 'sending'>;
  readonly attempts: number;
  /** Why the last attempt failed, as a code safe to log (`http-503`, `ECONNRESET`). */
  readonly error?: string | undefined;
  readonly nextAttemptAt?: string | undefined;
}

/** Where a broadcast's report card stands in its author's chat. */
export interface ReportCard {
  readonly broadcastId: string;
  readonly author: NonNullable<BroadcastRequest['author']>;
  /** The card's activity id once it is posted, for updating it in place. */
  readonly activityId?: string | undefined;
  /** `due`: not posted yet; `posted`: being kept up to date; `final`: shows the end; `failed`: the chat refused it. */
  readonly state: 'due' | 'posted' | 'final' | 'failed';
}

/**
 * The durable per-recipient queue. Work is claimed in batches and outcomes recorded in batches, so a 10,000-person
 * broadcast costs a few writes a second, never one per message. A store shared by several workers (issue 8) gives
 * claims a lease that expires; the single-process lowdb store instead puts what was in flight back at start-up.
 */
export interface BroadcastRepository {
  /** Writes the broadcast and one delivery per recipient (a person listed twice gets one); the same id again queues nothing. */
  queue(request: BroadcastRequest, at: string): Promise<{ readonly queued: boolean; readonly report: BroadcastReport }>;
  /** Up to `limit` pending deliveries due by `now`, fairly across broadcasts, marked `sending` in one write. */
  claim(limit: number, now: string): Promise<Claim[]>;
  /** Records outcomes in one write; returns the ids of broadcasts this finished. */
  record(outcomes: readonly Outcome[], at: string): Promise<string[]>;
  /** Both in one write, the worker's regular round trip: records `outcomes`, then claims up to `limit`. */
  exchange(outcomes: readonly Outcome[], limit: number, now: string): Promise<{ readonly claims: Claim[]; readonly finished: string[] }>;
  /**
   * At start-up: deliveries left `sending` by a process that died go back to pending (at least once). How many. A
   * shared store puts back only those whose lease has run out by `at`: the others may be another instance's.
   */
  requeueInFlight(at: string): Promise<number>;
  /** Cancels what is still pending; undefined for an unknown id. */
  cancel(id: string, at: string): Promise<BroadcastReport | undefined>;
  report(id: string): Promise<BroadcastReport | undefined>;
  /** When the next pending delivery is due (in a shared store, or a lease runs out), or undefined when none is. */
  nextDueAt(): Promise<string | undefined>;
  /** Report cards still to post or to bring up to date; a shared store hands a card not yet posted to one instance only. */
  reportCards(now: string): Promise<ReportCard[]>;
  setReportCard(id: string, card: { readonly activityId?: string | undefined; readonly state: ReportCard['state'] }): Promise<void>;
  /** Forgets the recipients and message of broadcasts finished before `before` (their counts stay); how many. */
  prune(before: string): Promise<number>;
}

/** Zero of every delivery state. */
export function emptyCounts(): Record<DeliveryState, number> {
  return Object.fromEntries(deliveryStates.map((s) => [s, 0])) as Record<DeliveryState, number>;
}

/** A broadcast's report from what a store keeps about it and its delivery counts: one shape for every store. */
export function reportFrom(
  broadcast: Pick<BroadcastReport, 'id' | 'title' | 'createdAt' | 'cancelledAt' | 'finishedAt'> & { readonly author?: BroadcastRequest['author'] },
  counts: Record<DeliveryState, number>,
): BroadcastReport {
  return {
    id: broadcast.id,
    title: broadcast.title,
    createdAt: broadcast.createdAt,
    authorId: broadcast.author?.userId,
    authorAadObjectId: broadcast.author?.aadObjectId,
    total: Object.values(counts).reduce((a, b) => a + b, 0),
    counts,
    finished: broadcast.finishedAt !== undefined,
    cancelledAt: broadcast.cancelledAt,
    finishedAt: broadcast.finishedAt,
  };
}
