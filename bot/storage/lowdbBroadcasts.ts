import type { Activity, ConversationReference } from 'botbuilder';
import { type BroadcastReport, type BroadcastRequest, type DeliveryState } from '../../dialogs/outreach.js';
import { emptyCounts, reportFrom, type BroadcastRepository, type Claim, type Outcome, type ReportCard } from '../broadcast/broadcastRepository.js';
import { define, LowdbDocument } from './lowdbDocument.js';

/** A broadcast as stored: the message once, not once per recipient. */
export interface StoredBroadcast {
  readonly id: string;
  readonly title: string;
  /** Removed once the broadcast is pruned. */
  activity?: Partial<Activity> | undefined;
  readonly author?: BroadcastRequest['author'];
  readonly createdAt: string;
  cancelledAt?: string | undefined;
  finishedAt?: string | undefined;
  /** The report card in the author's chat. */
  report?: { activityId?: string | undefined; state: ReportCard['state'] } | undefined;
  /** The counts kept when the deliveries were pruned. */
  counts?: Record<DeliveryState, number> | undefined;
}

/** One recipient of one broadcast. */
export interface StoredDelivery {
  readonly userId: string;
  readonly reference: Partial<ConversationReference>;
  state: DeliveryState;
  attempts: number;
  /** When it may next be tried (ISO); meaningful while pending. */
  nextAttemptAt: string;
  /** The last failure as a code (`http-503`), never a message that could carry personal data. */
  lastError?: string | undefined;
  sentAt?: string | undefined;
}

/**
 * The broadcasts file (`broadcasts.json`, compact JSON). To start a broadcast without the bot (a migration, the
 * bench), write a broadcast and its deliveries in this shape, each delivery `pending` with `attempts` 0 and
 * `nextAttemptAt` its creation time; the bot sends them when it next starts.
 */
export interface BroadcastsData {
  broadcasts: Record<string, StoredBroadcast>;
  /** By broadcast id, in the order queued. */
  deliveries: Record<string, StoredDelivery[]>;
}

/**
 * The broadcast queue in one lowdb document. lowdb rewrites the whole file on every write, so every method is one
 * write at most, however many deliveries it touches: the worker claims and records in batches.
 */
export class LowdbBroadcasts implements BroadcastRepository {
  // By the deliveries array, so a file reloaded after an outside change gets a fresh index.
  readonly #index = new WeakMap<StoredDelivery[], Map<string, StoredDelivery>>();

  constructor(private readonly document: LowdbDocument<BroadcastsData>) {}

  queue(request: BroadcastRequest, at: string): Promise<{ readonly queued: boolean; readonly report: BroadcastReport }> {
    return this.document
      .read((data) => (Object.hasOwn(data.broadcasts, request.id) ? reportOf(data, request.id) : undefined))
      .then(async (known) => {
        if (known) return { queued: false, report: known };
        return this.document.change((data) => {
          // Checked again inside the write: two callers may have raced past the read.
          if (Object.hasOwn(data.broadcasts, request.id)) return { queued: false, report: reportOf(data, request.id) as BroadcastReport };
          const seen = new Set<string>();
          const deliveries: StoredDelivery[] = [];
          for (const r of request.recipients) {
            if (seen.has(r.userId)) continue;
            seen.add(r.userId);
            deliveries.push({ userId: r.userId, reference: r.reference, state: 'pending', attempts: 0, nextAttemptAt: at });
          }
          const broadcast: StoredBroadcast = {
            id: request.id,
            title: request.title,
            activity: request.activity,
            createdAt: at,
            ...(request.author ? { author: request.author, report: { state: 'due' as const } } : {}),
            ...(deliveries.length === 0 ? { finishedAt: at } : {}),
          };
          define(data.broadcasts, request.id, broadcast);
          define(data.deliveries, request.id, deliveries);
          return { queued: true, report: reportOf(data, request.id) as BroadcastReport };
        });
      });
  }

  async claim(limit: number, now: string): Promise<Claim[]> {
    return (await this.exchange([], limit, now)).claims;
  }

  async record(outcomes: readonly Outcome[], at: string): Promise<string[]> {
    return (await this.exchange(outcomes, 0, at)).finished;
  }

  async exchange(outcomes: readonly Outcome[], limit: number, now: string): Promise<{ readonly claims: Claim[]; readonly finished: string[] }> {
    const due = (d: StoredDelivery) => d.state === 'pending' && d.nextAttemptAt <= now;
    // Most claims while a broadcast waits on retries find nothing: looking first saves rewriting the file.
    const claiming = limit >= 1 && (await this.document.read((data) => active(data).some((b) => !b.cancelledAt && (data.deliveries[b.id] ?? []).some(due))));
    if (outcomes.length === 0 && !claiming) return { claims: [], finished: [] };
    return this.document.change((data) => {
      const finished = this.apply(data, outcomes, now);
      return { claims: claiming ? take(data, limit, due) : [], finished };
    });
  }

  /** Records outcomes; the ids of the broadcasts this finished. */
  private apply(data: BroadcastsData, outcomes: readonly Outcome[], at: string): string[] {
    const touched = new Set<string>();
    for (const outcome of outcomes) {
      const list = Object.hasOwn(data.deliveries, outcome.broadcastId) ? data.deliveries[outcome.broadcastId] : undefined;
      const delivery = list ? this.indexOf(list).get(outcome.userId) : undefined;
      // A stale outcome (recorded already, or the broadcast pruned) changes nothing.
      if (!delivery || delivery.state !== 'sending') continue;
      const broadcast = data.broadcasts[outcome.broadcastId];
      // Cancelled while this was out: what was not sent stays unsent.
      const state = outcome.state === 'pending' && broadcast?.cancelledAt ? 'cancelled' : outcome.state;
      delivery.state = state;
      delivery.attempts = outcome.attempts;
      delivery.lastError = outcome.error;
      if (state === 'pending') delivery.nextAttemptAt = outcome.nextAttemptAt ?? at;
      if (state === 'sent') delivery.sentAt = at;
      touched.add(outcome.broadcastId);
    }
    return [...touched].filter((id) => finishIfDone(data, id, at));
  }

  async requeueInFlight(at: string): Promise<number> {
    const inFlight = await this.document.read((data) => active(data).some((b) => (data.deliveries[b.id] ?? []).some((d) => d.state === 'sending')));
    if (!inFlight) return 0;
    return this.document.change((data) => {
      let count = 0;
      for (const broadcast of active(data)) {
        for (const delivery of data.deliveries[broadcast.id] ?? []) {
          if (delivery.state !== 'sending') continue;
          // Cancelled while it was out: not sent again.
          delivery.state = broadcast.cancelledAt ? 'cancelled' : 'pending';
          count++;
        }
        finishIfDone(data, broadcast.id, at);
      }
      return count;
    });
  }

  cancel(id: string, at: string): Promise<BroadcastReport | undefined> {
    return this.document.change((data) => {
      const broadcast = Object.hasOwn(data.broadcasts, id) ? data.broadcasts[id] : undefined;
      if (!broadcast) return undefined;
      if (!broadcast.finishedAt && !broadcast.cancelledAt) {
        broadcast.cancelledAt = at;
        for (const delivery of data.deliveries[id] ?? []) if (delivery.state === 'pending') delivery.state = 'cancelled';
        finishIfDone(data, id, at);
      }
      return reportOf(data, id);
    });
  }

  report(id: string): Promise<BroadcastReport | undefined> {
    return this.document.read((data) => reportOf(data, id));
  }

  nextDueAt(): Promise<string | undefined> {
    return this.document.read((data) => {
      let next: string | undefined;
      for (const broadcast of active(data)) {
        for (const d of data.deliveries[broadcast.id] ?? []) if (d.state === 'pending' && (next === undefined || d.nextAttemptAt < next)) next = d.nextAttemptAt;
      }
      return next;
    });
  }

  reportCards(): Promise<ReportCard[]> {
    return this.document.read((data) =>
      Object.values(data.broadcasts)
        .filter((b) => b.author && b.report && (b.report.state === 'due' || b.report.state === 'posted'))
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
        .map((b) => ({ broadcastId: b.id, author: b.author as NonNullable<BroadcastRequest['author']>, activityId: b.report?.activityId, state: b.report?.state ?? 'due' })),
    );
  }

  async setReportCard(id: string, card: { readonly activityId?: string | undefined; readonly state: ReportCard['state'] }): Promise<void> {
    await this.document.change((data) => {
      const broadcast = Object.hasOwn(data.broadcasts, id) ? data.broadcasts[id] : undefined;
      if (broadcast) broadcast.report = { activityId: card.activityId ?? broadcast.report?.activityId, state: card.state };
    });
  }

  async prune(before: string): Promise<number> {
    const old = (b: StoredBroadcast) => b.finishedAt !== undefined && b.finishedAt < before && b.counts === undefined;
    if (!(await this.document.read((data) => Object.values(data.broadcasts).some(old)))) return 0;
    return this.document.change((data) => {
      let pruned = 0;
      for (const broadcast of Object.values(data.broadcasts)) {
        if (!old(broadcast)) continue;
        // The id stays, so queueing it again still queues nothing; who it went to and what it said go.
        broadcast.counts = countsOf(data.deliveries[broadcast.id] ?? []);
        broadcast.activity = undefined;
        define(data.deliveries, broadcast.id, []);
        pruned++;
      }
      return pruned;
    });
  }

  /** Resolves when every queued write has finished. */
  flush(): Promise<void> {
    return this.document.flush();
  }

  private indexOf(list: StoredDelivery[]): Map<string, StoredDelivery> {
    let index = this.#index.get(list);
    if (!index) {
      index = new Map(list.map((d) => [d.userId, d] as const));
      this.#index.set(list, index);
    }
    return index;
  }
}

/** Broadcasts with deliveries still to make, oldest first. */
function active(data: BroadcastsData): StoredBroadcast[] {
  return Object.values(data.broadcasts)
    .filter((b) => !b.finishedAt)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
}

/** Marks up to `limit` due deliveries `sending`, round robin across broadcasts, so a reminder to one person is not stuck behind an announcement to thousands. */
function take(data: BroadcastsData, limit: number, due: (d: StoredDelivery) => boolean): Claim[] {
  const lanes = active(data)
    .filter((b) => !b.cancelledAt)
    .map((b) => ({ broadcast: b, picked: firstN(data.deliveries[b.id] ?? [], due, limit) }))
    .filter((l) => l.picked.length > 0);
  const claims: Claim[] = [];
  for (let i = 0; claims.length < limit; i++) {
    let took = false;
    for (const lane of lanes) {
      const delivery = lane.picked[i];
      if (!delivery || claims.length >= limit) continue;
      took = true;
      delivery.state = 'sending';
      claims.push({ broadcastId: lane.broadcast.id, userId: delivery.userId, reference: delivery.reference, activity: lane.broadcast.activity ?? {}, attempts: delivery.attempts });
    }
    if (!took) break;
  }
  return claims;
}

function firstN<T>(items: readonly T[], keep: (item: T) => boolean, n: number): T[] {
  const out: T[] = [];
  for (const item of items) {
    if (out.length >= n) break;
    if (keep(item)) out.push(item);
  }
  return out;
}

function countsOf(deliveries: readonly StoredDelivery[]): Record<DeliveryState, number> {
  const counts = emptyCounts();
  for (const d of deliveries) counts[d.state]++;
  return counts;
}

/** Marks a broadcast finished when nothing is left pending or sending; true when this call did. */
function finishIfDone(data: BroadcastsData, id: string, at: string): boolean {
  const broadcast = data.broadcasts[id];
  if (!broadcast || broadcast.finishedAt) return false;
  if ((data.deliveries[id] ?? []).some((d) => d.state === 'pending' || d.state === 'sending')) return false;
  broadcast.finishedAt = at;
  return true;
}

function reportOf(data: BroadcastsData, id: string): BroadcastReport | undefined {
  const broadcast = Object.hasOwn(data.broadcasts, id) ? data.broadcasts[id] : undefined;
  if (!broadcast) return undefined;
  return reportFrom(broadcast, broadcast.counts ?? countsOf(data.deliveries[id] ?? []));
}

const emptyData = (): BroadcastsData => ({ broadcasts: {}, deliveries: {} });

function checked(d: BroadcastsData): BroadcastsData {
  const data = d as Partial<BroadcastsData> | null;
  if (typeof data?.broadcasts !== 'object' || data.broadcasts === null || typeof data.deliveries !== 'object' || data.deliveries === null) {
    throw new Error('it is not a broadcasts file: it needs "broadcasts" and "deliveries"');
  }
  for (const [id, list] of Object.entries(data.deliveries)) {
    if (!Array.isArray(list) || !Object.hasOwn(data.broadcasts, id)) throw new Error(`its deliveries for "${id.slice(0, 60)}" do not belong to a broadcast in it`);
  }
  return d;
}

/** Opens (creating if needed) the broadcasts file, `broadcasts.json` in the data folder; compact, as it can be large. */
export async function openLowdbBroadcasts(file: string): Promise<LowdbBroadcasts> {
  return new LowdbBroadcasts(await LowdbDocument.open<BroadcastsData>(file, emptyData(), checked, { compact: true }));
}

/** In-memory broadcasts, for tests. */
export function memoryBroadcasts(): LowdbBroadcasts {
  return new LowdbBroadcasts(LowdbDocument.inMemory<BroadcastsData>(emptyData(), checked));
}
