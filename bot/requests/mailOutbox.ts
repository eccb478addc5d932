import { randomUUID } from 'node:crypto';
import type { Clock, Logger } from '../../dialogs/ports.js';
import { masked, type RaRequest } from '../../dialogs/requests.js';
import { LowdbDocument } from '../storage/lowdbDocument.js';

/** What an email says and where it goes. The body is plain text. */
export interface MailContent {
  readonly to: string;
  readonly subject: string;
  readonly body: string;
}

/** An email about a request, as handed to the outbox. */
export interface NewMail extends MailContent {
  /** The request it is about (`RA-000123`): safe to log, unlike the rest. */
  readonly reference: string;
}

export type MailState = 'pending' | 'sent' | 'failed';

/** An email in the outbox. */
export interface OutboxMail extends NewMail {
  readonly id: string;
  readonly state: MailState;
  /** Sending attempts made so far. */
  readonly attempts: number;
  /** Of those, the ones refused as a configuration fault (a 4xx from Graph or Entra). */
  readonly refusals?: number | undefined;
  /** When it may next be tried (ISO); meaningful while pending. */
  readonly nextAttemptAt: string;
  /** Why the last attempt failed, without personal data ("Graph answered 503"). */
  readonly lastError?: string | undefined;
  readonly createdAt: string;
  /** When it was sent or given up on. */
  readonly finishedAt?: string | undefined;
}

/** A failed attempt, as `recordFailure` records it. */
export interface MailFailure {
  readonly attempts: number;
  readonly refusals: number;
  /** Without personal data. */
  readonly error: string;
  /** When to try again; undefined to give up. */
  readonly retryAt: Date | undefined;
  readonly at: Date;
}

/**
 * Where emails wait to go, so mail accepted before a crash or restart is still sent after it: a lowdb file for one
 * instance, or a table several instances share. `enqueue` resolves once the mail is stored; the worker claims each
 * due mail, sends it and records the outcome. Once a mail is sent or given up on its body (which names the
 * requester) is emptied: only the reference, address, subject and outcome are kept, until `pruneFinished`.
 */
export interface MailOutboxStore {
  /** Other instances add and send mail in it too (a shared store): an idle worker looks at it every few seconds. */
  readonly shared: boolean;
  /** Adds a mail, due at once; resolves with it once it is written. */
  enqueue(mail: NewMail): Promise<OutboxMail>;
  /**
   * The oldest pending mail due by `now`, claimed for this instance to send: on a shared store no other instance
   * claims it until its lease runs out (then it may be sent again: at least once). Undefined when none is due.
   */
  claim(now: Date): Promise<OutboxMail | undefined>;
  /** When the next pending mail is due (or its claim runs out), or undefined when nothing is pending. */
  nextDueAt(): Promise<string | undefined>;
  /** Every mail, oldest first. */
  list(): Promise<OutboxMail[]>;
  /** Records a claimed mail as sent on its `attempts`th attempt, and forgets its body. */
  recordSent(id: string, attempts: number, at: Date): Promise<void>;
  /**
   * Records a failed attempt at a claimed mail: still pending, to be tried at `retryAt`, or given up on (its body
   * forgotten) when `retryAt` is undefined.
   */
  recordFailure(id: string, failure: MailFailure): Promise<void>;
  /** Removes sent and failed mails finished before `before`; returns how many. */
  pruneFinished(before: Date): Promise<number>;
  flush?(): Promise<void>;
}

/** A sent or given-up mail finished before `at` (ISO), when it may be pruned. */
/** A mail as it enters an outbox: pending, due at once. */
export function queuedMail(mail: NewMail, id: string, now: Date): OutboxMail {
  const at = now.toISOString();
  return { id, reference: mail.reference, to: mail.to, subject: mail.subject, body: mail.body, state: 'pending', attempts: 0, nextAttemptAt: at, createdAt: at };
}

export function finishedBefore(mail: OutboxMail, at: string): boolean {
  return mail.state !== 'pending' && (mail.finishedAt ?? mail.createdAt) < at;
}

/** The outbox file. */
export interface OutboxData {
  mails: OutboxMail[];
}

/**
 * The outbox of one instance, in its own lowdb document (`outbox.json`). One process sends from it, one mail at a
 * time, so a claim is simply the oldest due mail.
 */
export class MailOutbox implements MailOutboxStore {
  readonly shared = false;

  constructor(
    private readonly document: LowdbDocument<OutboxData>,
    private readonly clock: Clock,
    private readonly newId: () => string = randomUUID,
  ) {}

  /** Adds a mail, due at once; resolves with it once it is written. */
  enqueue(mail: NewMail): Promise<OutboxMail> {
    const queued = queuedMail(mail, this.newId(), this.clock.now());
    return this.document.change((data) => {
      data.mails.push(queued);
      return queued;
    });
  }

  /** Pending mails due by `now`, oldest first. */
  due(now: Date): Promise<OutboxMail[]> {
    const at = now.toISOString();
    return this.document.read((data) => data.mails.filter((m) => m.state === 'pending' && m.nextAttemptAt <= at));
  }

  async claim(now: Date): Promise<OutboxMail | undefined> {
    return (await this.due(now))[0];
  }

  /** When the next pending mail is due, or undefined when nothing is pending. */
  nextDueAt(): Promise<string | undefined> {
    return this.document.read((data) =>
      data.mails.reduce<string | undefined>((next, m) => (m.state === 'pending' && (next === undefined || m.nextAttemptAt < next) ? m.nextAttemptAt : next), undefined),
    );
  }

  /** Every mail, oldest first. */
  list(): Promise<OutboxMail[]> {
    return this.document.read((data) => [...data.mails]);
  }

  /** Records a mail as sent on its `attempts`th attempt, and forgets its body. */
  async recordSent(id: string, attempts: number, at: Date): Promise<void> {
    await this.update(id, (m) => ({ ...m, state: 'sent', attempts, body: '', lastError: undefined, finishedAt: at.toISOString() }));
  }

  /**
   * Records a failed attempt: still pending, to be tried at `retryAt`, or given up on (its body forgotten) when
   * `retryAt` is undefined.
   */
  async recordFailure(id: string, failure: MailFailure): Promise<void> {
    const { attempts, refusals, error, retryAt, at } = failure;
    await this.update(id, (m) =>
      retryAt
        ? { ...m, attempts, refusals, lastError: error, nextAttemptAt: retryAt.toISOString() }
        : { ...m, state: 'failed', attempts, refusals, lastError: error, body: '', finishedAt: at.toISOString() },
    );
  }

  /** Removes sent and failed mails finished before `before`; returns how many. */
  async pruneFinished(before: Date): Promise<number> {
    const at = before.toISOString();
    // Looked for first, so a day with nothing to remove does not rewrite the file.
    if (!(await this.document.read((data) => data.mails.some((m) => finishedBefore(m, at))))) return 0;
    return this.document.change((data) => {
      const kept = data.mails.filter((m) => !finishedBefore(m, at));
      const removed = data.mails.length - kept.length;
      data.mails = kept;
      return removed;
    });
  }

  /** Resolves when every queued write has finished. */
  flush(): Promise<void> {
    return this.document.flush();
  }

  private async update(id: string, change: (mail: OutboxMail) => OutboxMail): Promise<void> {
    await this.document.change((data) => {
      const index = data.mails.findIndex((m) => m.id === id);
      const mail = data.mails[index];
      if (mail) data.mails[index] = change(mail);
    });
  }
}

/** Opens (creating if needed) the outbox file, `outbox.json` in the data folder. */
export async function openMailOutbox(file: string, clock: Clock, newId?: () => string): Promise<MailOutbox> {
  const document = await LowdbDocument.open<OutboxData>(file, { mails: [] }, (d) => {
    if (!Array.isArray((d as Partial<OutboxData> | null)?.mails)) throw new Error('it is not an outbox file: it needs "mails"');
    return d;
  });
  return new MailOutbox(document, clock, newId);
}

/** An in-memory outbox, for tests. */
export function memoryMailOutbox(clock: Clock, newId?: () => string): MailOutbox {
  return new MailOutbox(LowdbDocument.inMemory<OutboxData>({ mails: [] }), clock, newId);
}

/** Why a send failed. `permanent` means trying again will not help until someone changes something (a 400 or 403). */
export class MailSendError extends Error {
  override name = 'MailSendError';
  constructor(
    /** Without personal data: it is logged and kept in the outbox. */
    message: string,
    readonly permanent: boolean,
    /** How long the service asked us to wait (Retry-After), if it did. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** Sends one email; throws MailSendError when it could not. */
export interface MailSender {
  send(mail: MailContent): Promise<void>;
}

/** Runs `callback` after `delayMs`; returns a function that cancels it. */
export type Schedule = (callback: () => void, delayMs: number) => () => void;

/** A real timer that does not keep the process alive. */
export const realSchedule: Schedule = (callback, delayMs) => {
  const timer = setTimeout(callback, delayMs);
  timer.unref();
  return () => clearTimeout(timer);
};

/** How sending is retried. */
export interface RetryPolicy {
  /** The wait after the first failure; it doubles after each one. */
  readonly baseDelayMs: number;
  /** The longest wait between attempts. */
  readonly maxDelayMs: number;
  /** Each wait is varied by up to this fraction either way, so mails that failed together do not retry together. */
  readonly jitter: number;
  /** Attempts before a mail that keeps failing for a passing reason (429, 5xx, no network) is given up on. */
  readonly maxAttempts: number;
  /** Attempts refused as a configuration fault (400, 401, 403, 404) before the mail is given up on. */
  readonly maxRefusals: number;
}

/** 1, 2, 4 ... 32 minutes, then hourly: 24 attempts over about 18 hours. A refusal is tried 3 times. */
export const defaultRetryPolicy: RetryPolicy = { baseDelayMs: 60_000, maxDelayMs: 3_600_000, jitter: 0.2, maxAttempts: 24, maxRefusals: 3 };

export interface MailOutboxWorkerOptions {
  readonly outbox: MailOutboxStore;
  readonly sender: MailSender;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly schedule?: Schedule | undefined;
  /** In [0, 1): varies the waits (jitter). */
  readonly random?: (() => number) | undefined;
  readonly retry?: Partial<RetryPolicy> | undefined;
  /** Days sent and failed mails stay in the outbox (without their bodies) before they are removed. */
  readonly keepFinishedDays?: number | undefined;
  /**
   * How long an idle worker waits before looking at the outbox again; by default only when mail falls due. On a
   * shared store another instance may queue mail (and then die before sending it), so it looks every few seconds.
   */
  readonly idlePollMs?: number | undefined;
}

/**
 * Claims the outbox's due mails and sends them one at a time, then sleeps until the next one is due (on a shared
 * store, workers of several instances claim from it side by side, never the same mail). A failure is retried with
 * exponential backoff and jitter, honouring Retry-After; a mail that keeps failing is marked failed and logged at
 * error. Delivery is at least once: a crash between Graph accepting a mail and the outbox recording it sends it again.
 * Nothing personal is logged: only the mail's id, its request's reference, attempts and the reason.
 */
export class MailOutboxWorker {
  readonly #outbox: MailOutboxStore;
  readonly #sender: MailSender;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #schedule: Schedule;
  readonly #random: () => number;
  readonly #policy: RetryPolicy;
  readonly #keepFinishedMs: number;
  readonly #idlePollMs: number | undefined;
  #started = false;
  #stopped = false;
  #again = false;
  #running: Promise<void> | undefined;
  #cancelTimer: (() => void) | undefined;
  #lastPrune = Number.NEGATIVE_INFINITY;

  constructor(options: MailOutboxWorkerOptions) {
    this.#outbox = options.outbox;
    this.#sender = options.sender;
    this.#clock = options.clock;
    this.#logger = options.logger.child({ component: 'mail-outbox' });
    this.#schedule = options.schedule ?? realSchedule;
    this.#random = options.random ?? Math.random;
    this.#policy = { ...defaultRetryPolicy, ...options.retry };
    this.#keepFinishedMs = (options.keepFinishedDays ?? 30) * 86_400_000;
    this.#idlePollMs = options.idlePollMs;
  }

  /** Starts sending: at once whatever is due (mail left from before a restart included), then as mail falls due. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    void this.kick();
  }

  /**
   * Looks for due mail now rather than at the next timer: call it after `enqueue`, without awaiting it. The
   * promise resolves (never rejects) when the outbox has no more due mail; nothing happens before `start`.
   */
  kick(): Promise<void> {
    if (!this.#started || this.#stopped) return Promise.resolve();
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    const running = this.#loop().finally(() => {
      this.#running = undefined;
    });
    this.#running = running;
    return running;
  }

  /** Resolves when no sending is under way. */
  async idle(): Promise<void> {
    await this.#running;
  }

  /** Stops the timer and waits for a send in flight; pending mail stays in the outbox for the next start. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    await this.#running;
  }

  async #loop(): Promise<void> {
    for (;;) {
      this.#again = false;
      let next: string | undefined;
      try {
        await this.#sendDue();
        await this.#prune();
        next = await this.#outbox.nextDueAt();
      } catch (error) {
        // The outbox itself failed (a full disk): the mail is still in it, so try again later.
        this.#logger.error({ err: error }, 'could not work the mail outbox; trying again later');
        next = new Date(this.#clock.now().getTime() + this.#policy.baseDelayMs).toISOString();
      }
      if (this.#stopped) return;
      if (this.#again) continue;
      if (next !== undefined || this.#idlePollMs !== undefined) {
        // Hourly at most, so a clock that jumps cannot leave mail waiting for long.
        const dueIn = next === undefined ? Number.POSITIVE_INFINITY : Math.max(0, Date.parse(next) - this.#clock.now().getTime());
        const wait = Math.min(dueIn, this.#idlePollMs ?? Number.POSITIVE_INFINITY, this.#policy.maxDelayMs);
        this.#cancelTimer = this.#schedule(() => void this.kick(), wait);
      }
      return;
    }
  }

  async #sendDue(): Promise<void> {
    for (;;) {
      if (this.#stopped) return;
      const mail = await this.#outbox.claim(this.#clock.now());
      if (!mail) return;
      await this.#attempt(mail);
    }
  }

  async #attempt(mail: OutboxMail): Promise<void> {
    const attempts = mail.attempts + 1;
    const log = this.#logger.child({ mailId: mail.id, reference: mail.reference });
    let failure: MailSendError | undefined;
    try {
      await this.#sender.send(mail);
    } catch (error) {
      // Only MailSendError messages are ours to log: anything else could carry what it was given.
      failure = error instanceof MailSendError ? error : new MailSendError(`unexpected ${error instanceof Error ? error.name : typeof error}`, false);
    }
    if (!failure) {
      // Should this write fail, the mail stays pending and is sent again: at least once, never lost.
      await this.#outbox.recordSent(mail.id, attempts, this.#clock.now());
      log.info({ attempts }, 'request emailed to the RA mailbox');
      return;
    }
    const now = this.#clock.now();
    const refusals = (mail.refusals ?? 0) + (failure.permanent ? 1 : 0);
    const givingUp = attempts >= this.#policy.maxAttempts || refusals >= this.#policy.maxRefusals;
    const retryAt = givingUp ? undefined : new Date(now.getTime() + this.#delay(attempts, failure.retryAfterMs));
    await this.#outbox.recordFailure(mail.id, { attempts, refusals, error: failure.message, retryAt, at: now });
    if (retryAt) {
      log.warn({ attempts, reason: failure.message, permanent: failure.permanent, retryAt: retryAt.toISOString() }, 'could not email the RA mailbox; will try again');
    } else {
      log.error(
        { attempts, reason: failure.message, permanent: failure.permanent },
        failure.permanent
          ? 'gave up emailing the RA mailbox: Graph refused it, so check the GRAPH_ settings and the Mail.Send permission (the request itself is on the desk)'
          : 'gave up emailing the RA mailbox after retrying for a day (the request itself is on the desk)',
      );
    }
  }

  /** The wait after the `attempts`th failure: base × 2^(attempts-1), varied by the jitter, at most the maximum. */
  #delay(attempts: number, retryAfterMs: number | undefined): number {
    const { baseDelayMs, maxDelayMs, jitter } = this.#policy;
    const backoff = Math.min(baseDelayMs * 2 ** Math.min(attempts - 1, 30), maxDelayMs);
    const varied = Math.min(Math.round(backoff * (1 - jitter + 2 * jitter * this.#random())), maxDelayMs);
    return Math.max(varied, Math.min(retryAfterMs ?? 0, maxDelayMs));
  }

  async #prune(): Promise<void> {
    const now = this.#clock.now().getTime();
    if (now - this.#lastPrune < 86_400_000) return;
    this.#lastPrune = now;
    const removed = await this.#outbox.pruneFinished(new Date(now - this.#keepFinishedMs));
    if (removed > 0) this.#logger.info({ removed }, 'old sent and failed mails removed from the outbox');
  }
}

/**
 * The email for a new request, to its RA team's mailbox. It carries what the desk card shows: identity-document
 * numbers and other sensitive fields only masked (`****1234`), never in full. `fieldLabels` (field id to label,
 * in form order) shows the form's labels; fields it does not name follow under their ids.
 */
export function requestMail(request: RaRequest, formTitle: string, teamEmail: string, fieldLabels: Readonly<Record<string, string>> = {}): MailContent {
  const title = oneLine(formTitle);
  const order = [...Object.keys(fieldLabels), ...Object.keys(request.fields).filter((id) => !Object.hasOwn(fieldLabels, id))];
  const answers = order
    .filter((id) => Object.hasOwn(request.fields, id))
    .map((id) => {
      const value = request.fields[id] ?? '';
      const shown = request.sensitiveFields.includes(id) ? masked(value) : readable(value);
      const label = Object.hasOwn(fieldLabels, id) ? (fieldLabels[id] ?? id) : id;
      return `${oneLine(label)}: ${indentLines(shown)}`;
    });
  const organisation = request.organisation ? `${request.organisation.name ?? ''} (${request.organisation.code})`.trim() : undefined;
  const lines = [
    `A new request has come to your RA team through the Smartcard Assistant in Microsoft Teams.`,
    '',
    `Reference: ${request.reference}`,
    `Form: ${title}`,
    ...(request.urgent ? ['Urgent: yes'] : []),
    `From: ${oneLine(request.requester.name)}`,
    ...(organisation ? [`Organisation: ${oneLine(organisation)}`] : []),
    `Status: ${request.status}`,
    `Sent: ${londonTime(request.createdAt)}`,
    '',
    'Answers:',
    ...(answers.length > 0 ? answers.map((a) => `  ${a}`) : ['  (none)']),
    '',
    ...(request.sensitiveFields.length > 0 ? ['ID numbers are masked here; "Show ID numbers" on the request in Teams shows them in full, and is recorded.'] : []),
    `Work this request in Teams, on your RA team's desk (look for ${request.reference}): that is where it is assigned, questions go to the requester and it is completed. Replies to this email reach nobody.`,
  ];
  return {
    to: teamEmail,
    subject: `${request.urgent ? '[URGENT] ' : ''}${request.reference}: ${title}`,
    body: `${lines.join('\n')}\n`,
  };
}

function londonTime(iso: string): string {
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? iso : at.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/London' });
}

function readable(value: string): string {
  return value === 'true' ? 'Yes' : value === 'false' ? 'No' : value;
}

// A header value must not carry a line break (and a subject on two lines reads badly).
function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

function indentLines(text: string): string {
  return text.replace(/\r\n?/g, '\n').split('\n').join('\n    ');
}
