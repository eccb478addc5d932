import {
  bookInto,
  cancelIn,
  type Booking,
  type BookResult,
  type CancelBookingResult,
  type NewSession,
  type SessionFilter,
  type TrainingRepository,
  type TrainingSession,
} from '../../../dialogs/trainingSessions.js';
import { randomSessionId } from '../lowdbTraining.js';
import { isConflict, listRecords, mutateRecord, odataString, readRecord, recordEntity, tableKey, type AzureTables, type TableClient } from './tables.js';

/**
 * Training sessions on Azure Table storage, shared by every instance. One partition holds every session (one entity
 * each, bookings inside it, as in the lowdb file) and, beside each, a marker for the form copy (`draft`) it came
 * from, written in the same transaction so the same form sent to two instances at once makes one session.
 * A booking or a cancellation is the pure rule (bookInto, cancelIn) applied to the session as stored and written
 * back with the ETag it was read at: another instance's write in between makes it read and decide again, so two
 * people can never take the last place. Changes to one session asked for at once in this instance go together in
 * one write, so 100 people booking at the same moment cost a few round trips, not 100 rounds of retries.
 * A session with its bookings must fit one entity (about 900 KB, some 2,000 bookings): beyond that the write is
 * refused with RecordTooLargeError and nothing is changed.
 */

const partition = 'training';
const sessionKey = (id: string) => `session:${tableKey(id)}`;
const draftKey = (draft: string) => `draft:${tableKey(draft)}`;
// ';' is the character after ':': every session's RowKey sorts between the two.
const sessions = `PartitionKey eq '${partition}' and RowKey ge 'session:' and RowKey lt 'session;'`;

type Step<R> = (session: TrainingSession | undefined) => { readonly changed?: TrainingSession | undefined; readonly result: R };

interface Waiting {
  readonly step: Step<unknown>;
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: unknown) => void;
}

export class AzureTraining implements TrainingRepository {
  /** Changes waiting for their session's next write, by session id. */
  readonly #waiting = new Map<string, Waiting[]>();

  constructor(
    private readonly client: TableClient,
    private readonly newId: () => string = randomSessionId,
  ) {}

  async create(session: NewSession): Promise<TrainingSession> {
    const earlier = await this.#byDraft(session.draft);
    if (earlier) return earlier;
    for (let tries = 0; tries <= 20; tries++) {
      // As read back: what create returns is what get returns later.
      const created = JSON.parse(JSON.stringify({ ...session, id: this.newId(), version: 1, bookings: [], promotions: 0 })) as TrainingSession;
      try {
        await this.client.submitTransaction([
          ['create', recordEntity(partition, sessionKey(created.id), created, indexed(created))],
          ['create', recordEntity(partition, draftKey(session.draft), { id: created.id })],
        ]);
        return created;
      } catch (error) {
        if (!isConflict(error)) throw error;
        // Either another instance stored this form copy first, or the id was taken: then draw another.
        const raced = await this.#byDraft(session.draft);
        if (raced) return raced;
      }
    }
    throw new Error('could not find an unused training session id');
  }

  async get(id: string): Promise<TrainingSession | undefined> {
    return (await readRecord<TrainingSession>(this.client, partition, sessionKey(id)))?.value;
  }

  update(id: string, version: number, change: (session: TrainingSession) => TrainingSession): Promise<TrainingSession | 'conflict' | 'missing'> {
    return this.#change(id, (stored): { changed?: TrainingSession; result: TrainingSession | 'conflict' | 'missing' } => {
      if (!stored) return { result: 'missing' };
      if (stored.version !== version) return { result: 'conflict' };
      // Bookings change only through book and cancelBooking, whose rules keep the places right.
      const changed: TrainingSession = { ...change(stored), id, version: version + 1, bookings: stored.bookings, promotions: stored.promotions };
      return { changed, result: changed };
    });
  }

  async list(filter: SessionFilter): Promise<TrainingSession[]> {
    if (filter.states?.length === 0) return [];
    let query = sessions;
    if (filter.states) query += ` and (${filter.states.map((s) => `state eq ${odataString(s)}`).join(' or ')})`;
    if (filter.startsAfter !== undefined) query += ` and startsAt gt ${odataString(filter.startsAfter)}`;
    if (filter.draft !== undefined) query += ` and draft eq ${odataString(filter.draft)}`;
    const found = await listRecords<TrainingSession>(this.client, query);
    return found.map((r) => r.value).sort((a, b) => a.startsAt.localeCompare(b.startsAt) || a.id.localeCompare(b.id));
  }

  book(id: string, person: Omit<Booking, 'status' | 'bookedAt' | 'promotedAt'>, now: string): Promise<BookResult> {
    return this.#change(id, (session) => bookInto(session, person, now));
  }

  cancelBooking(id: string, userId: string, now: string): Promise<CancelBookingResult> {
    return this.#change(id, (session) => cancelIn(session, userId, now));
  }

  async #byDraft(draft: string): Promise<TrainingSession | undefined> {
    const marker = await readRecord<{ id: string }>(this.client, partition, draftKey(draft));
    return marker ? this.get(marker.value.id) : undefined;
  }

  /**
   * Applies `step` to the stored session under its ETag, together with every other change to the same session
   * asked for while the previous write was under way (a group commit). Each step sees the session as the steps
   * before it left it; a refusal or a repeat writes nothing.
   */
  #change<R>(id: string, step: Step<R>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const waiting: Waiting = { step, resolve: resolve as (result: unknown) => void, reject };
      const queue = this.#waiting.get(id);
      if (queue) {
        queue.push(waiting);
        return;
      }
      this.#waiting.set(id, [waiting]);
      void this.#write(id);
    });
  }

  async #write(id: string): Promise<void> {
    for (;;) {
      const batch = this.#waiting.get(id) ?? [];
      if (batch.length === 0) {
        this.#waiting.delete(id);
        return;
      }
      this.#waiting.set(id, []);
      try {
        const results = await mutateRecord<TrainingSession, unknown[]>(this.client, partition, sessionKey(id), (stored) => {
          let session = stored;
          let changed = false;
          const results = batch.map((w) => {
            const outcome = w.step(session);
            if (outcome.changed) {
              session = outcome.changed;
              changed = true;
            }
            return outcome.result;
          });
          return changed && session ? { write: session, indexed: indexed(session), result: results } : { result: results };
        });
        batch.forEach((w, i) => w.resolve(results[i]));
      } catch (error) {
        for (const w of batch) w.reject(error);
      }
    }
  }
}

/** What `list` filters on, kept beside the JSON so the service filters. */
function indexed(session: TrainingSession): Record<string, string> {
  return { state: session.state, startsAt: session.startsAt, draft: session.draft };
}

/** Training sessions on the shared tables (`<prefix>training`); `newId` for tests. */
export async function openAzureTraining(tables: AzureTables, newId?: () => string): Promise<AzureTraining> {
  return new AzureTraining(await tables.table('training'), newId);
}
