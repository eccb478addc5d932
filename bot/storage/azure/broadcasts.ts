import { randomInt, randomUUID } from 'node:crypto';
import type { Activity } from 'botbuilder';
import { deliveryStates, type BroadcastReport, type BroadcastRequest, type DeliveryState } from '../../../dialogs/outreach.js';
import type { StoredDelivery } from '../lowdbBroadcasts.js';
import { emptyCounts, reportFrom, type BroadcastRepository, type Claim, type Outcome, type ReportCard } from '../../broadcast/broadcastRepository.js';
import { isConflict, isNotFound, listRecords, mutateRecord, odataString, readRecord, recordEntity, tableKey, type AzureTables, type TableClient } from './tables.js';

/**
 * The broadcast queue on Azure Table storage, drained by the broadcasters of several instances at once.
 *
 * Layout: a broadcast's header (title, message, author, report card, cancelled/finished) is one entity in the
 * `broadcasts` table; its recipients are spread over "buckets" of up to 100 deliveries, one entity each, in the
 * broadcast's own partition of `broadcastdeliveries`. Each bucket also carries its counts by state and when it
 * next has work (`due`) as plain properties, so finding work, reporting and finishing read those few numbers,
 * never the recipients.
 *
 * Claims are leases: a claimed delivery is `sending`, owned by this repository object (one per instance) until
 * `leaseMs` after the claim. Every claim and every outcome is a write of its bucket with the ETag it was read at,
 * so two instances can never both claim one delivery; an outcome counts only for a delivery still `sending` under
 * this instance's lease. Once a lease has run out (its instance died, or stalled) the delivery may be claimed
 * again: at least once, as the broadcaster promises. The lease is 5 minutes: a claim waits in the broadcaster's
 * buffer about a second, a send is given up after 30 s, and its outcome is written within a second; the
 * broadcaster does not start a send on a claim whose lease would run out before its answer could be recorded.
 *
 * Cancelling marks the header, then each unfinished bucket, where it turns what is pending into cancelled; a
 * delivery another instance had already claimed may still go (about a second's sending at most).
 */

const headerPartition = 'broadcast';
/** Deliveries in a bucket at most, and their JSON's length: well inside an entity, so a claim reads and writes little. */
const bucketSize = 100;
const bucketChars = 300_000;
const defaultLeaseMs = 5 * 60_000;
/** A report card left unposted this long by the instance it is with is taken over: that instance has gone. */
const cardTakeoverMs = 60_000;

/** A broadcast's header as stored. */
interface Header {
  readonly id: string;
  readonly title: string;
  /** Removed once the broadcast is pruned. */
  readonly activity?: Partial<Activity> | undefined;
  readonly author?: BroadcastRequest['author'];
  readonly createdAt: string;
  readonly cancelledAt?: string | undefined;
  readonly finishedAt?: string | undefined;
  /** `owner`: the instance that posts it while it is `due`, since `since`. */
  readonly report?:
    | { readonly activityId?: string | undefined; readonly state: ReportCard['state']; readonly owner?: string | undefined; readonly since?: string | undefined }
    | undefined;
  /** The counts kept when the deliveries were pruned. */
  readonly counts?: Record<DeliveryState, number> | undefined;
  /** `pruned` once the buckets are gone too. */
  readonly pruned?: boolean | undefined;
}

/** One recipient of one broadcast, as lowdb keeps it, plus the claim on it. */
interface Delivery extends StoredDelivery {
  /** Whose claim it is, and until when: set while `sending`. */
  lease?: { readonly owner: string; readonly until: string } | undefined;
}

interface Bucket {
  readonly deliveries: Delivery[];
  /** Its broadcast was cancelled: pending outcomes become cancelled, nothing more is claimed. */
  cancelled?: boolean | undefined;
}

/** A bucket's plain properties, read without its recipients. */
interface Summary {
  readonly rowKey: string;
  /** When something in it is next claimable: a pending delivery's next attempt, or a lease running out. */
  readonly due: string | undefined;
  readonly cancelled: boolean;
  readonly counts: Record<DeliveryState, number>;
}

export interface AzureBroadcastsOptions {
  /** Who claims, in leases: one id per running instance. A fresh random id by default. */
  readonly owner?: string | undefined;
  /** How long a claim is this instance's (5 minutes). */
  readonly leaseMs?: number | undefined;
}

export class AzureBroadcasts implements BroadcastRepository {
  readonly #owner: string;
  readonly #leaseMs: number;
  /** Where this instance starts looking among a broadcast's buckets. */
  readonly #spread = randomInt(1_000_000);
  /** Deliveries this instance has out, to find each outcome's bucket: `broadcastId \0 userId` to its RowKey. */
  readonly #out = new Map<string, string>();

  constructor(
    private readonly headers: TableClient,
    private readonly buckets: TableClient,
    options: AzureBroadcastsOptions = {},
  ) {
    this.#owner = options.owner ?? randomUUID();
    this.#leaseMs = options.leaseMs ?? defaultLeaseMs;
  }

  async queue(request: BroadcastRequest, at: string): Promise<{ readonly queued: boolean; readonly report: BroadcastReport }> {
    const known = await this.report(request.id);
    if (known) return { queued: false, report: known };
    const seen = new Set<string>();
    const deliveries: Delivery[] = [];
    for (const r of request.recipients) {
      if (seen.has(r.userId)) continue;
      seen.add(r.userId);
      deliveries.push({ userId: r.userId, reference: r.reference, state: 'pending', attempts: 0, nextAttemptAt: at });
    }
    // The buckets first, then the header that makes the broadcast visible: a header always has all its buckets.
    // Created, never replaced: a bucket another instance queueing the same id wrote first may be being sent already.
    const partition = tableKey(request.id);
    await inParallel(chunked(deliveries), 8, async (chunk, i) => {
      const bucket: Bucket = { deliveries: chunk };
      await this.buckets.createEntity(recordEntity(partition, bucketKey(i), bucket, bucketIndexed(bucket))).catch(unlessConflict);
    });
    const header: Header = {
      id: request.id,
      title: request.title,
      activity: request.activity,
      createdAt: at,
      ...(request.author ? { author: request.author, report: { state: 'due' as const, owner: this.#owner, since: at } } : {}),
      ...(deliveries.length === 0 ? { finishedAt: at } : {}),
    };
    try {
      await this.headers.createEntity(recordEntity(headerPartition, tableKey(request.id), header, headerIndexed(header)));
    } catch (error) {
      if (!isConflict(error)) throw error;
      // Another instance queued it at the same moment.
      const report = await this.report(request.id);
      if (!report) throw error;
      return { queued: false, report };
    }
    const counts = emptyCounts();
    counts.pending = deliveries.length;
    return { queued: true, report: reportFrom(header, counts) };
  }

  async claim(limit: number, now: string): Promise<Claim[]> {
    return (await this.exchange([], limit, now)).claims;
  }

  async record(outcomes: readonly Outcome[], at: string): Promise<string[]> {
    return (await this.exchange(outcomes, 0, at)).finished;
  }

  async exchange(outcomes: readonly Outcome[], limit: number, now: string): Promise<{ readonly claims: Claim[]; readonly finished: string[] }> {
    const finished = await this.#record(outcomes, now);
    if (limit < 1) return { claims: [], finished };
    const claimed = await this.#claim(limit, now);
    return { claims: claimed.claims, finished: [...new Set([...finished, ...claimed.finished])] };
  }

  /**
   * Puts back deliveries whose lease ran out by `at` (their instance died): pending again, or cancelled if their
   * broadcast was. Deliveries leased by instances still running are theirs: a restart finds nothing to put back
   * until their leases run out, and claims put those back anyway; this only makes the count known at start-up.
   */
  async requeueInFlight(at: string): Promise<number> {
    let count = 0;
    for (const header of await this.#active()) {
      const summaries = await this.#summaries(header.id);
      const stale = summaries.filter((s) => s.counts.sending > 0 && s.due !== undefined && s.due <= at);
      for (const s of stale) count += await this.#sweep(header.id, s.rowKey, at, header.cancelledAt !== undefined);
      if (stale.length > 0) await this.#finishIfDone(header.id, at);
    }
    return count;
  }

  async cancel(id: string, at: string): Promise<BroadcastReport | undefined> {
    const header = await mutateRecord<Header, Header | undefined>(this.headers, headerPartition, tableKey(id), (stored) => {
      if (!stored) return { result: undefined };
      if (stored.finishedAt || stored.cancelledAt) return { result: stored };
      const changed: Header = { ...stored, cancelledAt: at };
      return { write: changed, indexed: headerIndexed(changed), result: changed };
    });
    if (!header) return undefined;
    if (!header.finishedAt) {
      for (const s of await this.#summaries(id)) {
        if (s.counts.pending + s.counts.sending > 0 && !(s.cancelled && s.counts.pending === 0)) await this.#sweep(id, s.rowKey, at, true);
      }
      await this.#finishIfDone(id, at);
    }
    return this.report(id);
  }

  async report(id: string): Promise<BroadcastReport | undefined> {
    const header = (await readRecord<Header>(this.headers, headerPartition, tableKey(id)))?.value;
    if (!header) return undefined;
    return reportFrom(header, header.counts ?? sum(await this.#summaries(id)));
  }

  async nextDueAt(): Promise<string | undefined> {
    let next: string | undefined;
    for (const header of await this.#active()) {
      for (const s of await this.#summaries(header.id)) if (s.due !== undefined && (next === undefined || s.due < next)) next = s.due;
    }
    return next;
  }

  /**
   * Cards still to post or bring up to date. A card not yet posted is one instance's to post (the one that queued
   * it), so two instances never post the same card; one left unposted by its instance for a minute is taken over,
   * in one ETag-guarded write. A posted card is returned to every instance that asks: updating it in place from two
   * is harmless.
   */
  async reportCards(now: string): Promise<ReportCard[]> {
    const found = await listRecords<Header>(this.headers, `PartitionKey eq '${headerPartition}' and (card eq 'due' or card eq 'posted')`);
    const stale = new Date(Date.parse(now) - cardTakeoverMs).toISOString();
    const cards: ReportCard[] = [];
    for (const { value } of found.sort((a, b) => a.value.createdAt.localeCompare(b.value.createdAt))) {
      let header: Header | undefined = value;
      if (value.report?.state === 'due' && value.report.owner !== this.#owner) {
        if ((value.report.since ?? value.createdAt) > stale) continue;
        header = await mutateRecord<Header, Header | undefined>(this.headers, headerPartition, tableKey(value.id), (stored) => {
          if (stored?.report?.state !== 'due') return { result: undefined };
          if (stored.report.owner === this.#owner) return { result: stored };
          if ((stored.report.since ?? stored.createdAt) > stale) return { result: undefined };
          const changed: Header = { ...stored, report: { ...stored.report, owner: this.#owner, since: now } };
          return { write: changed, indexed: headerIndexed(changed), result: changed };
        });
      }
      if (header?.author && header.report) {
        cards.push({ broadcastId: header.id, author: header.author, activityId: header.report.activityId, state: header.report.state });
      }
    }
    return cards;
  }

  /** Moves a card on (due, posted, then final or failed), never back; the first card posted is the one kept. */
  async setReportCard(id: string, card: { readonly activityId?: string | undefined; readonly state: ReportCard['state'] }): Promise<void> {
    await mutateRecord<Header, void>(this.headers, headerPartition, tableKey(id), (stored) => {
      const report = stored?.report;
      if (!stored || !report || cardRank[card.state] < cardRank[report.state] || cardRank[report.state] === 2) return { result: undefined };
      const changed: Header = { ...stored, report: { ...report, activityId: report.activityId ?? card.activityId, state: card.state } };
      return { write: changed, indexed: headerIndexed(changed), result: undefined };
    });
  }

  /** Forgets the recipients and message of broadcasts finished before `before`, keeping their counts; how many. */
  async prune(before: string): Promise<number> {
    const old = await listRecords<Header>(
      this.headers,
      `PartitionKey eq '${headerPartition}' and stage eq 'finished' and finishedAt lt ${odataString(before)}`,
    );
    let pruned = 0;
    for (const { value } of old) {
      const id = value.id;
      // Counts first, so a crash before the buckets are gone loses nothing; the buckets go next, then the mark.
      const counts = value.counts ?? sum(await this.#summaries(id));
      const counted = await mutateRecord<Header, boolean>(this.headers, headerPartition, tableKey(id), (stored) => {
        if (!stored || stored.counts) return { result: false };
        const changed: Header = { ...stored, counts, activity: undefined };
        return { write: changed, indexed: headerIndexed(changed), result: true };
      });
      if (counted) pruned++;
      const keys = (await this.#summaries(id)).map((s) => s.rowKey);
      await inParallel(keys, 8, (rowKey) => this.buckets.deleteEntity(tableKey(id), rowKey).then(() => undefined, unlessNotFound));
      await mutateRecord<Header, void>(this.headers, headerPartition, tableKey(id), (stored) => {
        if (!stored || stored.pruned) return { result: undefined };
        const changed: Header = { ...stored, pruned: true };
        return { write: changed, indexed: headerIndexed(changed), result: undefined };
      });
    }
    return pruned;
  }

  /** Records outcomes, bucket by bucket; the broadcasts this finished. */
  async #record(outcomes: readonly Outcome[], at: string): Promise<string[]> {
    const byBucket = new Map<string, { broadcastId: string; rowKey: string; outcomes: Outcome[] }>();
    for (const outcome of outcomes) {
      // Not out with this instance (recorded already, or claimed by another): changes nothing.
      const rowKey = this.#out.get(outKey(outcome));
      if (rowKey === undefined) continue;
      const key = `${outcome.broadcastId}\u0000${rowKey}`;
      const group = byBucket.get(key) ?? { broadcastId: outcome.broadcastId, rowKey, outcomes: [] };
      group.outcomes.push(outcome);
      byBucket.set(key, group);
    }
    const done = new Set<string>();
    await inParallel([...byBucket.values()], 4, async ({ broadcastId, rowKey, outcomes: mine }) => {
      const finishedBucket = await this.#mutateBucket(broadcastId, rowKey, false, (bucket) => {
        const byUser = new Map(bucket.deliveries.map((d) => [d.userId, d] as const));
        let changed = false;
        for (const outcome of mine) {
          const delivery = byUser.get(outcome.userId);
          // Only under this instance's lease: once another instance has claimed it again, the outcome is theirs.
          if (!delivery || delivery.state !== 'sending' || delivery.lease?.owner !== this.#owner) continue;
          // Cancelled while this was out: what was not sent stays unsent.
          const state = outcome.state === 'pending' && bucket.cancelled ? 'cancelled' : outcome.state;
          delivery.state = state;
          delivery.attempts = outcome.attempts;
          delivery.lastError = outcome.error;
          delivery.lease = undefined;
          if (state === 'pending') delivery.nextAttemptAt = outcome.nextAttemptAt ?? at;
          if (state === 'sent') delivery.sentAt = at;
          changed = true;
        }
        return { changed, result: changed && bucket.deliveries.every((d) => d.state !== 'pending' && d.state !== 'sending') };
      });
      for (const outcome of mine) this.#out.delete(outKey(outcome));
      if (finishedBucket) done.add(broadcastId);
    });
    const finished: string[] = [];
    for (const id of done) if (await this.#finishIfDone(id, at)) finished.push(id);
    return finished;
  }

  /** Up to `limit` claims, shared fairly across broadcasts, so a reminder to one person is not stuck behind thousands. */
  async #claim(limit: number, now: string): Promise<{ claims: Claim[]; finished: string[] }> {
    const finished: string[] = [];
    const lanes: { header: Header; candidates: string[] }[] = [];
    const headers = await this.#active();
    const summaries = await Promise.all(headers.map((h) => this.#summaries(h.id)));
    for (const [i, header] of headers.entries()) {
      const buckets = summaries[i] ?? [];
      if (header.cancelledAt) {
        // Cancelled: what was left pending, or out on a lease that ran out, becomes cancelled.
        const sweep = buckets.filter((s) => s.counts.pending > 0 || (s.counts.sending > 0 && (!s.cancelled || (s.due !== undefined && s.due <= now))));
        for (const s of sweep) await this.#sweep(header.id, s.rowKey, now, true);
        if (await this.#finishIfDone(header.id, now)) finished.push(header.id);
      } else if (buckets.every((s) => s.counts.pending + s.counts.sending === 0)) {
        // Done, but the write that finished it did not happen (its instance stopped in between).
        if (await this.#finishIfDone(header.id, now)) finished.push(header.id);
      } else {
        const due = buckets.filter((s) => s.due !== undefined && s.due <= now).map((s) => s.rowKey);
        // From a bucket of its own on, so instances claiming at the same moment mostly write different buckets.
        const from = this.#spread % (due.length || 1);
        const candidates = [...due.slice(from), ...due.slice(0, from)];
        if (candidates.length > 0) lanes.push({ header, candidates });
      }
    }
    const claims: Claim[] = [];
    let open = lanes;
    try {
      while (claims.length < limit && open.length > 0) {
        const next: typeof lanes = [];
        for (const [i, lane] of open.entries()) {
          const share = Math.ceil((limit - claims.length) / (open.length - i));
          let got = 0;
          while (got < share && lane.candidates.length > 0) {
            const rowKey = lane.candidates[0] as string;
            const taken = await this.#take(lane.header, rowKey, share - got, now);
            if (taken.length < share - got) lane.candidates.shift();
            got += taken.length;
            claims.push(...taken);
          }
          if (lane.candidates.length > 0) next.push(lane);
        }
        open = next;
      }
    } catch (error) {
      // What was claimed before the failed write is handed out, not left leased to nobody until the lease runs out.
      if (claims.length === 0) throw error;
    }
    return { claims, finished };
  }

  /** Claims up to `want` claimable deliveries of one bucket, in one write. */
  async #take(header: Header, rowKey: string, want: number, now: string): Promise<Claim[]> {
    const until = new Date(Date.parse(now) + this.#leaseMs).toISOString();
    const picked = await this.#mutateBucket(header.id, rowKey, [] as Delivery[], (bucket) => {
      const taken: Delivery[] = [];
      if (bucket.cancelled) return { changed: false, result: taken };
      for (const d of bucket.deliveries) {
        if (taken.length >= want) break;
        const claimable = (d.state === 'pending' && d.nextAttemptAt <= now) || (d.state === 'sending' && (d.lease?.until ?? '') <= now);
        if (!claimable) continue;
        d.state = 'sending';
        d.lease = { owner: this.#owner, until };
        taken.push(d);
      }
      return { changed: taken.length > 0, result: taken };
    });
    const activity = header.activity ?? {};
    return picked.map((d) => {
      this.#out.set(outKey({ broadcastId: header.id, userId: d.userId }), rowKey);
      return { broadcastId: header.id, userId: d.userId, reference: d.reference, activity, attempts: d.attempts, leaseUntil: until };
    });
  }

  /**
   * Leases run out by `at` go back: pending, or cancelled in a cancelled broadcast, whose pending deliveries become
   * cancelled too (`cancel`: its broadcast is cancelled). How many leases.
   */
  #sweep(id: string, rowKey: string, at: string, cancel: boolean): Promise<number> {
    return this.#mutateBucket(id, rowKey, 0, (bucket) => {
      let count = 0;
      let changed = cancel && !bucket.cancelled;
      if (cancel) bucket.cancelled = true;
      for (const d of bucket.deliveries) {
        if (d.state === 'sending' && (d.lease?.until ?? '') <= at) {
          d.state = bucket.cancelled ? 'cancelled' : 'pending';
          d.lease = undefined;
          count++;
          changed = true;
        } else if (d.state === 'pending' && bucket.cancelled) {
          d.state = 'cancelled';
          changed = true;
        }
      }
      return { changed, result: count };
    });
  }

  /** Marks a broadcast finished when no bucket has anything pending or sending; true when this call did. */
  async #finishIfDone(id: string, at: string): Promise<boolean> {
    const header = await readRecord<Header>(this.headers, headerPartition, tableKey(id));
    if (!header || header.value.finishedAt) return false;
    const cancelled = header.value.cancelledAt !== undefined;
    const summaries = await this.#summaries(id);
    if (summaries.some((s) => s.counts.sending > 0 || (s.counts.pending > 0 && !cancelled))) return false;
    // A cancelled broadcast's bucket the cancel did not reach (its instance stopped in between).
    for (const s of summaries) if (s.counts.pending > 0) await this.#sweep(id, s.rowKey, at, true);
    return mutateRecord<Header, boolean>(this.headers, headerPartition, tableKey(id), (stored) => {
      if (!stored || stored.finishedAt) return { result: false };
      const changed: Header = { ...stored, finishedAt: at };
      return { write: changed, indexed: headerIndexed(changed), result: true };
    });
  }

  /** Changes one bucket under its ETag; `change` edits the freshly read bucket in place. */
  #mutateBucket<R>(id: string, rowKey: string, missing: R, change: (bucket: Bucket) => { changed: boolean; result: R }): Promise<R> {
    return mutateRecord<Bucket, R>(this.buckets, tableKey(id), rowKey, (bucket) => {
      if (!bucket) return { result: missing };
      const { changed, result } = change(bucket);
      return changed ? { write: bucket, indexed: bucketIndexed(bucket), result } : { result };
    });
  }

  /** Broadcasts with deliveries still to make, oldest first. */
  async #active(): Promise<Header[]> {
    const found = await listRecords<Header>(this.headers, `PartitionKey eq '${headerPartition}' and stage eq 'active'`);
    return found.map((r) => r.value).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  /** Every bucket's counts and due time, without its recipients. */
  async #summaries(id: string): Promise<Summary[]> {
    const summaries: Summary[] = [];
    const rows = this.buckets.listEntities<Record<string, unknown>>({
      queryOptions: { filter: `PartitionKey eq ${odataString(tableKey(id))}`, select: ['RowKey', 'due', 'closed', ...deliveryStates] },
    });
    for await (const row of rows) {
      const counts = emptyCounts();
      for (const state of deliveryStates) counts[state] = Number(row[state] ?? 0);
      summaries.push({ rowKey: row.rowKey ?? '', due: typeof row['due'] === 'string' ? row['due'] : undefined, cancelled: row['closed'] === true, counts });
    }
    return summaries;
  }
}

const cardRank: Record<ReportCard['state'], number> = { due: 0, posted: 1, final: 2, failed: 2 };

/** Deliveries in buckets, in order: up to `bucketSize` each, fewer where their conversation references are long. */
function chunked(deliveries: readonly Delivery[]): Delivery[][] {
  const chunks: Delivery[][] = [];
  let chunk: Delivery[] = [];
  let chars = 0;
  for (const delivery of deliveries) {
    const length = JSON.stringify(delivery).length;
    if (chunk.length >= bucketSize || (chunk.length > 0 && chars + length > bucketChars)) {
      chunks.push(chunk);
      chunk = [];
      chars = 0;
    }
    chunk.push(delivery);
    chars += length;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

function bucketKey(index: number): string {
  return `b${String(index).padStart(6, '0')}`;
}

function outKey(o: { readonly broadcastId: string; readonly userId: string }): string {
  return `${o.broadcastId}\u0000${o.userId}`;
}

function headerIndexed(header: Header): Record<string, string> {
  return {
    stage: header.pruned ? 'pruned' : header.finishedAt ? 'finished' : 'active',
    card: header.report?.state ?? 'none',
    createdAt: header.createdAt,
    finishedAt: header.finishedAt ?? '',
  };
}

function bucketIndexed(bucket: Bucket): Record<string, string | number | boolean> {
  const counts = emptyCounts();
  let due: string | undefined;
  for (const d of bucket.deliveries) {
    counts[d.state]++;
    const at = d.state === 'pending' ? d.nextAttemptAt : d.state === 'sending' ? (d.lease?.until ?? '') : undefined;
    if (at !== undefined && (due === undefined || at < due)) due = at;
  }
  // `closed`, not `cancelled`: that is the count of cancelled deliveries.
  return { ...counts, closed: bucket.cancelled === true, ...(due === undefined ? {} : { due }) };
}

function sum(summaries: readonly Summary[]): Record<DeliveryState, number> {
  const counts = emptyCounts();
  for (const s of summaries) for (const state of deliveryStates) counts[state] += s.counts[state];
  return counts;
}

function unlessConflict(error: unknown): void {
  if (!isConflict(error)) throw error;
}

function unlessNotFound(error: unknown): void {
  if (!isNotFound(error)) throw error;
}

/** Runs `work` over `items`, at most `width` at a time. */
async function inParallel<T>(items: readonly T[], width: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) await work(items[i] as T, i);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

/** The broadcast queue on the shared tables (`<prefix>broadcasts`, `<prefix>broadcastdeliveries`). */
export async function openAzureBroadcasts(tables: AzureTables, options?: AzureBroadcastsOptions): Promise<AzureBroadcasts> {
  return new AzureBroadcasts(await tables.table('broadcasts'), await tables.table('broadcastdeliveries'), options);
}
