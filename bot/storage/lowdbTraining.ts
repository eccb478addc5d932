import { randomInt } from 'node:crypto';
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
} from '../../dialogs/trainingSessions.js';
import { define, LowdbDocument } from './lowdbDocument.js';

/** The training file: every session by id, bookings inside it. */
export interface TrainingData {
  sessions: Record<string, TrainingSession>;
}

// No 0/O or 1/I: ids are read aloud and typed ("book TS-7KQ2MX").
const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/**
 * Training sessions in one lowdb document. A booking or a cancellation is one `change` of the document, and the
 * document runs one operation at a time, so the capacity check and the place it gives are never split.
 */
export class LowdbTraining implements TrainingRepository {
  constructor(
    private readonly document: LowdbDocument<TrainingData>,
    private readonly newId: () => string = randomSessionId,
  ) {}

  async create(session: NewSession): Promise<TrainingSession> {
    // The same form copy sent twice at once makes one session: the second finds the first.
    const earlier = await this.document.read((data) => Object.values(data.sessions).find((s) => s.draft === session.draft));
    if (earlier) return earlier;
    return this.document.change((data) => {
      const raced = Object.values(data.sessions).find((s) => s.draft === session.draft);
      if (raced) return raced;
      let id = this.newId();
      for (let tries = 0; Object.hasOwn(data.sessions, id); tries++) {
        if (tries > 20) throw new Error('could not find an unused training session id');
        id = this.newId();
      }
      const created: TrainingSession = { ...session, id, version: 1, bookings: [], promotions: 0 };
      define(data.sessions, id, created);
      return created;
    });
  }

  get(id: string): Promise<TrainingSession | undefined> {
    return this.document.read((data) => own(data, id));
  }

  update(id: string, version: number, change: (session: TrainingSession) => TrainingSession): Promise<TrainingSession | 'conflict' | 'missing'> {
    return this.document.change((data) => {
      const stored = own(data, id);
      if (!stored) return 'missing' as const;
      if (stored.version !== version) return 'conflict' as const;
      // Bookings change only through book and cancelBooking, whose rules keep the places right.
      const changed: TrainingSession = { ...change(stored), id, version: version + 1, bookings: stored.bookings, promotions: stored.promotions };
      define(data.sessions, id, changed);
      return changed;
    });
  }

  list(filter: SessionFilter): Promise<TrainingSession[]> {
    return this.document.read((data) =>
      Object.values(data.sessions)
        .filter(
          (s) =>
            (filter.states === undefined || filter.states.includes(s.state)) &&
            (filter.startsAfter === undefined || s.startsAt > filter.startsAfter) &&
            (filter.draft === undefined || s.draft === filter.draft),
        )
        .sort((a, b) => a.startsAt.localeCompare(b.startsAt) || a.id.localeCompare(b.id)),
    );
  }

  async book(id: string, person: Omit<Booking, 'status' | 'bookedAt' | 'promotedAt'>, now: string): Promise<BookResult> {
    // A refusal or a repeat changes nothing: answered from a read, so it does not rewrite the file.
    const looked = await this.document.read((data) => bookInto(own(data, id), person, now));
    if (!looked.changed) return looked.result;
    return this.document.change((data) => {
      const { changed, result } = bookInto(own(data, id), person, now);
      if (changed) define(data.sessions, id, changed);
      return result;
    });
  }

  async cancelBooking(id: string, userId: string, now: string): Promise<CancelBookingResult> {
    const looked = await this.document.read((data) => cancelIn(own(data, id), userId, now));
    if (!looked.changed) return looked.result;
    return this.document.change((data) => {
      const { changed, result } = cancelIn(own(data, id), userId, now);
      if (changed) define(data.sessions, id, changed);
      return result;
    });
  }

  flush(): Promise<void> {
    return this.document.flush();
  }
}

function own(data: TrainingData, id: string): TrainingSession | undefined {
  return Object.hasOwn(data.sessions, id) ? data.sessions[id] : undefined;
}

/** "TS-" and six characters from an alphabet without look-alikes. */
export function randomSessionId(): string {
  return `TS-${Array.from({ length: 6 }, () => alphabet[randomInt(alphabet.length)]).join('')}`;
}

/** Opens (creating if needed) the training file. */
export async function openLowdbTraining(file: string): Promise<LowdbTraining> {
  const document = await LowdbDocument.open<TrainingData>(file, { sessions: {} }, (d) => {
    const data = d as Partial<TrainingData> | null;
    if (typeof data?.sessions !== 'object' || data.sessions === null) throw new Error('it is not a training file: it needs "sessions"');
    return d;
  });
  return new LowdbTraining(document);
}

/** In-memory training sessions, for tests and throwaway runs. */
export function memoryTraining(newId?: () => string): LowdbTraining {
  return new LowdbTraining(LowdbDocument.inMemory<TrainingData>({ sessions: {} }), newId);
}
