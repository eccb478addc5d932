import type { ConversationReference } from 'botbuilder';

/** Where a request stands; completed and rejected requests can be reopened. */
export const requestStatuses = ['open', 'assigned', 'awaiting-info', 'completed', 'rejected'] as const;
export type RequestStatus = (typeof requestStatuses)[number];

/** Who acted, as Teams names them. */
export interface Actor {
  /** The Teams user id (for messaging them). */
  readonly id: string;
  readonly aadObjectId?: string | undefined;
  readonly name: string;
}

/** One change to a request: who, when, what from and to, and any note. */
export interface AuditEntry {
  readonly at: string;
  readonly by: Actor;
  readonly action: 'filed' | 'assigned' | 'asked' | 'answered' | 'completed' | 'rejected' | 'reopened' | 'viewed-sensitive';
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  /** Who an assignment went to. */
  readonly assignedTo?: string | undefined;
  readonly note?: string | undefined;
}

/** A request to an RA team, filed from a form. */
export interface RaRequest {
  /** `RA-000123`: never reused, even after a request is purged. */
  readonly reference: string;
  readonly formId: string;
  readonly formTitle: string;
  readonly status: RequestStatus;
  readonly urgent: boolean;
  readonly requester: Actor & { readonly email?: string | undefined };
  readonly organisation?: { readonly code: string; readonly name?: string | undefined } | undefined;
  /** The RA team it routes to; null for the national fallback (no team in the data serves it). */
  readonly teamId: string | null;
  /** The checked form values; those named in `sensitiveFields` are encrypted at rest. */
  readonly fields: Readonly<Record<string, string>>;
  readonly sensitiveFields: readonly string[];
  readonly assignee?: Actor | undefined;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly history: readonly AuditEntry[];
  /** Increases with every change, so two RA team members cannot overwrite each other. */
  readonly version: number;
  /** The requester's chat, where each change is told to them. */
  readonly requesterConversation?: Partial<ConversationReference> | undefined;
  /** The card on the RA team's desk, updated in place as the request moves. */
  readonly deskCard?: { readonly reference: Partial<ConversationReference>; readonly activityId: string } | undefined;
  /** The form card's one-time id, so pressing Send twice files once. */
  readonly draft?: string | undefined;
  /** When its personal fields were removed, after the retention period. */
  readonly purgedAt?: string | undefined;
}

/** A request before it has a reference. */
export type NewRequest = Omit<RaRequest, 'reference' | 'version'>;

/** Which requests to list. */
export interface RequestFilter {
  readonly teamId?: string | null | undefined;
  readonly requesterId?: string | undefined;
  readonly statuses?: readonly RequestStatus[] | undefined;
  readonly assigneeAadObjectId?: string | undefined;
  readonly formId?: string | undefined;
}

/** Where requests are kept. `file` returns only once the request is durably written. */
export interface RequestRepository {
  /** Gives the request the next reference and writes it; resolves only when it is on disk. */
  file(request: NewRequest): Promise<RaRequest>;
  get(reference: string): Promise<RaRequest | undefined>;
  /** Applies a change if nobody changed the request since `version`; 'conflict' if they did. */
  update(reference: string, version: number, change: (request: RaRequest) => RaRequest): Promise<RaRequest | 'conflict' | 'missing'>;
  /** Newest first. */
  list(filter: RequestFilter): Promise<RaRequest[]>;
  /**
   * Removes the personal fields (form answers, the requester's name and chat, notes) of completed and rejected
   * requests last changed before `before`; the reference, form, status, team and dates stay. Returns how many.
   */
  purgeClosed(before: string, now: string): Promise<number>;
  /** Records where the request's desk card is; not a change to the request, so its version stays. */
  setDeskCard(reference: string, deskCard: NonNullable<RaRequest['deskCard']>): Promise<void>;
}

/** `RA-000123` for the 123rd request. */
export function referenceFor(sequence: number): string {
  return `RA-${String(sequence).padStart(6, '0')}`;
}

/** `****1234`: enough for an RA team member to match a document, not enough to use it. */
export function masked(value: string): string {
  return value.length <= 4 ? '****' : `****${value.slice(-4)}`;
}

/** An RA team's desk: the Teams channel where its requests arrive. */
export interface Desk {
  readonly teamId: string;
  readonly reference: Partial<ConversationReference>;
  readonly setBy: Actor;
  readonly setAt: string;
  /** The team's members who have used the desk, for "Assign to someone else" (rights are checked again on use). */
  readonly people?: readonly Actor[] | undefined;
}

/** Where desks are kept. */
export interface DeskRepository {
  get(teamId: string): Promise<Desk | undefined>;
  set(desk: Desk): Promise<void>;
  /** Remembers a team member seen working the desk; no change when the team has no desk or they are known. */
  notePerson(teamId: string, person: Actor): Promise<void>;
}
