import type { Activity, ConversationReference } from 'botbuilder';

/**
 * The proactive side of the assistant: who can be messaged (the audience), the durable queue that messages them
 * (broadcasts) and the schedule that says when. The dialogs use these ports; `bot/` implements them on its stores.
 */

/** Roles a person can tell the assistant they hold, for announcements meant for them. */
export const audienceRoles = ['sponsor', 'ra-agent'] as const;
export type AudienceRole = (typeof audienceRoles)[number];

/** Someone the assistant can message in their personal chat with it. */
export interface AudienceMember {
  /** The Teams user id (`from.id`), the key. */
  readonly userId: string;
  readonly aadObjectId?: string | undefined;
  /** Their personal chat with the bot, refreshed on every message they send. */
  readonly reference: Partial<ConversationReference>;
  /** They asked for no announcements; their own bookings and reminders still reach them. */
  readonly optedOut: boolean;
  /** The ODS code of the organisation they told the assistant they work for. */
  readonly organisation?: string | undefined;
  /** The RA team whose area they work in. */
  readonly teamId?: string | undefined;
  /** Roles they told the assistant they hold. */
  readonly roles: readonly AudienceRole[];
  readonly firstSeen: string;
  readonly lastSeen: string;
}

/** What a message captures about its sender; everything else about a member is kept as it was. */
export interface AudienceSighting {
  readonly userId: string;
  readonly aadObjectId?: string | undefined;
  readonly reference: Partial<ConversationReference>;
  readonly organisation?: string | undefined;
  readonly teamId?: string | undefined;
}

/** Who an announcement is for. */
export type Audience =
  | { readonly kind: 'everyone' }
  | { readonly kind: 'sponsors-and-ra-agents' }
  | { readonly kind: 'team'; readonly teamId: string }
  | { readonly kind: 'ods'; readonly codes: readonly string[] };

/** The people the assistant can message. */
export interface AudienceRepository {
  /** Adds the sender or refreshes what changed; writes nothing when nothing changed. */
  capture(sighting: AudienceSighting, at: string): Promise<void>;
  /** Forgets someone (uninstalled, or Teams says they are gone); false when they were not known. */
  remove(userId: string): Promise<boolean>;
  get(userId: string): Promise<AudienceMember | undefined>;
  /** Turns announcements off or on; false when the person is not known. */
  setOptedOut(userId: string, optedOut: boolean): Promise<boolean>;
  setRoles(userId: string, roles: readonly AudienceRole[]): Promise<boolean>;
  /**
   * Everyone an announcement reaches, opted-out people left out. `isRaAgent` adds RA team members to
   * "Sponsors and RA agents" whatever roles they told.
   */
  select(audience: Audience, isRaAgent: (aadObjectId: string | undefined) => boolean): Promise<AudienceMember[]>;
  count(): Promise<number>;
}

/** Where one delivery stands. `cancelled`: the author cancelled the broadcast before it was sent. */
export const deliveryStates = ['pending', 'sending', 'sent', 'failed', 'gone', 'cancelled'] as const;
export type DeliveryState = (typeof deliveryStates)[number];

/** One proactive message to one person or several: every recipient gets the same activity. */
export interface BroadcastRequest {
  /**
   * The broadcast's id, chosen by the caller so that queueing again (a scheduled job run again after a crash)
   * queues nothing new: `announce:<session>`, `job:<job id>`.
   */
  readonly id: string;
  /** What it is, for the report and the logs: "Training: Registration Agent Advanced, 3 Dec". */
  readonly title: string;
  readonly activity: Partial<Activity>;
  readonly recipients: readonly { readonly userId: string; readonly reference: Partial<ConversationReference> }[];
  /** Who gets the delivery report card, updated in place while it runs; none for single messages. */
  readonly author?: { readonly userId: string; readonly aadObjectId?: string | undefined; readonly reference: Partial<ConversationReference> } | undefined;
}

/** How a broadcast is going, as its report card shows it. */
export interface BroadcastReport {
  readonly id: string;
  readonly title: string;
  readonly createdAt: string;
  readonly authorId?: string | undefined;
  readonly authorAadObjectId?: string | undefined;
  readonly total: number;
  readonly counts: Readonly<Record<DeliveryState, number>>;
  /** Nothing is left pending or sending. */
  readonly finished: boolean;
  readonly cancelledAt?: string | undefined;
  readonly finishedAt?: string | undefined;
}

/** The durable per-recipient queue that sends proactive messages, paced under Teams' limits. */
export interface Broadcasts {
  /** Stores one delivery per recipient before resolving; the same id queued twice queues once (`queued` false). */
  queue(request: BroadcastRequest): Promise<{ readonly queued: boolean; readonly report: BroadcastReport }>;
  /** Stops what has not been sent; undefined for an unknown id. */
  cancel(id: string): Promise<BroadcastReport | undefined>;
  report(id: string): Promise<BroadcastReport | undefined>;
}

/** Kinds of scheduled job; each has one handler, registered by the part of the app that schedules it. */
export type JobKind = 'session-announce' | 'session-reminder' | 'renewal-reminder';

/** Something to do at a time, kept in the store so it survives restarts. */
export interface ScheduledJob {
  /** Chosen by the scheduler's caller, so scheduling again replaces rather than repeats. */
  readonly id: string;
  readonly kind: JobKind;
  /** ISO time it is due. A time missed while the bot was down runs late, once. */
  readonly dueAt: string;
  readonly payload: Readonly<Record<string, string>>;
  readonly state: 'waiting' | 'done' | 'superseded' | 'cancelled';
  readonly doneAt?: string | undefined;
}

/** The stored schedule. */
export interface ScheduleRepository {
  /**
   * Adds a job or replaces a waiting one with the same id; a job already done stays done (false). Old finished jobs
   * are cleared out, so a job due long ago (over the store's retention) that it no longer holds is refused too.
   */
  put(job: Omit<ScheduledJob, 'state' | 'doneAt'>): Promise<boolean>;
  /** Waiting jobs due at or before `now`, earliest first. */
  due(now: string): Promise<ScheduledJob[]>;
  /** Waiting jobs whose id starts with this prefix. */
  waiting(idPrefix: string): Promise<ScheduledJob[]>;
  /** Ends a waiting job; false when it was not waiting (already run, or unknown). */
  finish(id: string, state: 'done' | 'superseded' | 'cancelled', at: string): Promise<boolean>;
  /** Cancels every waiting job whose id starts with this prefix; how many. */
  cancelWaiting(idPrefix: string, at: string): Promise<number>;
}
