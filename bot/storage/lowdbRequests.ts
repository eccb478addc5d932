import type { Actor, Desk, DeskRepository, NewRequest, RaRequest, RequestFilter, RequestRepository } from '../../dialogs/requests.js';
import { referenceFor } from '../../dialogs/requests.js';
import type { FieldCipher } from '../requests/fieldCipher.js';
import { define, LowdbDocument } from './lowdbDocument.js';
import { matchesFilter, newestFirst, openRequest, purgeDue, purgedRequest, sealRequest } from './requestRecords.js';

/** The requests file: the last reference handed out, and every request by reference (sensitive fields sealed). */
export interface RequestsData {
  lastSequence: number;
  requests: Record<string, RaRequest>;
}

/**
 * Requests in one lowdb document. The reference counter is written in the same write as the request it numbers,
 * so a reference is never handed out twice, and `file` resolves only after that write reached the disk.
 */
export class LowdbRequests implements RequestRepository {
  constructor(
    private readonly document: LowdbDocument<RequestsData>,
    private readonly cipher: FieldCipher,
  ) {}

  file(request: NewRequest): Promise<RaRequest> {
    return this.document.change((data) => {
      const sequence = data.lastSequence + 1;
      const filed: RaRequest = { ...request, reference: referenceFor(sequence), version: 1 };
      // Sealed before anything changes: a request that cannot be sealed must not use up a reference.
      const stored = this.sealed(filed);
      data.lastSequence = sequence;
      define(data.requests, filed.reference, stored);
      return filed;
    });
  }

  get(reference: string): Promise<RaRequest | undefined> {
    return this.document.read((data) => {
      const stored = Object.hasOwn(data.requests, reference) ? data.requests[reference] : undefined;
      return stored ? this.opened(stored) : undefined;
    });
  }

  update(reference: string, version: number, change: (request: RaRequest) => RaRequest): Promise<RaRequest | 'conflict' | 'missing'> {
    return this.document.change((data) => {
      const stored = Object.hasOwn(data.requests, reference) ? data.requests[reference] : undefined;
      if (!stored) return 'missing' as const;
      if (stored.version !== version) return 'conflict' as const;
      const changed = { ...change(this.opened(stored)), reference, version: version + 1 };
      const sealed = this.sealed(changed);
      define(data.requests, reference, sealed);
      return changed;
    });
  }

  async purgeClosed(before: string, now: string): Promise<number> {
    const due = (r: RaRequest) => purgeDue(r, before);
    // Most days nothing is due: checking first saves rewriting the whole file at every start-up.
    if (!(await this.document.read((data) => Object.values(data.requests).some(due)))) return 0;
    return this.document.change((data) => {
      let purged = 0;
      for (const request of Object.values(data.requests)) {
        if (!due(request)) continue;
        define(data.requests, request.reference, purgedRequest(request, now));
        purged++;
      }
      return purged;
    });
  }

  async setDeskCard(reference: string, deskCard: NonNullable<RaRequest['deskCard']>): Promise<void> {
    await this.document.change((data) => {
      const stored = Object.hasOwn(data.requests, reference) ? data.requests[reference] : undefined;
      if (stored) define(data.requests, reference, { ...stored, deskCard });
    });
  }

  list(filter: RequestFilter): Promise<RaRequest[]> {
    return this.document.read((data) =>
      Object.values(data.requests)
        .filter((r) => matchesFilter(r, filter))
        .sort(newestFirst)
        .map((r) => this.opened(r)),
    );
  }

  flush(): Promise<void> {
    return this.document.flush();
  }

  private sealed(request: RaRequest): RaRequest {
    return sealRequest(request, this.cipher);
  }

  private opened(request: RaRequest): RaRequest {
    return openRequest(request, this.cipher);
  }
}

/** Opens (creating if needed) `requests.json` in `dataDir`. */
export async function openLowdbRequests(file: string, cipher: FieldCipher): Promise<LowdbRequests> {
  const document = await LowdbDocument.open<RequestsData>(file, { lastSequence: 0, requests: {} }, (d) => {
    const data = d as Partial<RequestsData> | null;
    if (typeof data?.lastSequence !== 'number' || typeof data.requests !== 'object' || data.requests === null) {
      throw new Error('it is not a requests file: it needs "lastSequence" and "requests"');
    }
    return d;
  });
  return new LowdbRequests(document, cipher);
}

/** In-memory requests, for tests. */
export function memoryRequests(cipher: FieldCipher): LowdbRequests {
  return new LowdbRequests(LowdbDocument.inMemory<RequestsData>({ lastSequence: 0, requests: {} }), cipher);
}

/** The desks file: team id to its desk channel. */
export interface DesksData {
  desks: Record<string, Desk>;
}

/** RA desks in one lowdb document. */
export class LowdbDesks implements DeskRepository {
  constructor(private readonly document: LowdbDocument<DesksData>) {}

  get(teamId: string): Promise<Desk | undefined> {
    return this.document.read((data) => (Object.hasOwn(data.desks, teamId) ? data.desks[teamId] : undefined));
  }

  async set(desk: Desk): Promise<void> {
    const known = await this.get(desk.teamId);
    await this.document.change((data) => define(data.desks, desk.teamId, { ...desk, people: desk.people ?? known?.people ?? [] }));
  }

  async notePerson(teamId: string, person: Actor): Promise<void> {
    const desk = await this.get(teamId);
    if (!desk || !person.aadObjectId || desk.people?.some((p) => p.aadObjectId === person.aadObjectId && p.name === person.name)) return;
    const others = (desk.people ?? []).filter((p) => p.aadObjectId !== person.aadObjectId);
    await this.document.change((data) => define(data.desks, teamId, { ...desk, people: [...others, person] }));
  }
}

/** Opens (creating if needed) the desks file. */
export async function openLowdbDesks(file: string): Promise<LowdbDesks> {
  return new LowdbDesks(await LowdbDocument.open<DesksData>(file, { desks: {} }, (d) => {
    const desks = (d as Partial<DesksData> | null)?.desks;
    if (typeof desks !== 'object' || desks === null || Array.isArray(desks)) throw new Error('it is not a desks file: it needs "desks"');
    return d;
  }));
}

/** In-memory desks, for tests. */
export function memoryDesks(): LowdbDesks {
  return new LowdbDesks(LowdbDocument.inMemory<DesksData>({ desks: {} }));
}
