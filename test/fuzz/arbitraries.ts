import fc from 'fast-check';
import { parseSubmission } from '../../cards/submission.js';

/** What the world holds that a forged card can aim at (see harness.ts `World.ids`). */
export interface Targets {
  readonly requests: readonly { readonly reference: string; readonly version: number }[];
  readonly sessions: readonly { readonly id: string; readonly version: number }[];
  readonly broadcasts: readonly string[];
  readonly contacts: readonly { readonly code: string; readonly id: string }[];
  readonly teams: readonly string[];
}

/** Keys that reach prototypes, or shadow what every object has, when code copies or looks up by key. */
export const dangerousKeys = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', '__defineGetter__', 'then', 'toJSON'] as const;

/**
 * Nesting deeper than JSON.stringify can write (it overflows the stack near 10,000 levels), so it is written
 * straight into the JSON text. `{"__proto__":{"__proto__":...}}` at depth 10,000 is about 140 KB.
 */
export class Deep {
  constructor(
    readonly depth: number,
    readonly shape: 'array' | 'object',
    readonly key: string,
  ) {}

  text(): string {
    if (this.shape === 'array') return '['.repeat(this.depth) + ']'.repeat(this.depth);
    const open = `{${JSON.stringify(this.key)}:`;
    return open.repeat(this.depth) + '1' + '}'.repeat(this.depth);
  }
}

/** JSON text for a value that may hold `Deep` nodes, keeping own `__proto__` keys as keys. */
export function serialise(value: unknown): string {
  const deep: Deep[] = [];
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Deep) {
      deep.push(v);
      return `\u0000deep-${deep.length - 1}\u0000`;
    }
    return v;
  });
  if (text === undefined) return 'null';
  return deep.length === 0 ? text : text.replace(/"\\u0000deep-(\d+)\\u0000"/g, (_m, i: string) => deep[Number(i)]?.text() ?? 'null');
}

/** An object with exactly these own keys, `__proto__` included (an object literal or assignment would set the prototype). */
export function objectOf(entries: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const target: Record<string, unknown> = {};
  for (const [key, value] of entries) Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  return target;
}

/** Strings that have bitten parsers, templates, regexes and terminals. */
const nastyStrings = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  '\t\r\n',
  '\uFEFF',
  '\u202Eevil',
  '\uD800',
  '\uDFFF\uD800',
  '🧑‍⚕️💳',
  'RA-000001',
  'ra-000001',
  'RA-999999',
  'TS-AAAA',
  'FA123',
  'FFFFF',
  '<at>Smartcard Assistant</at>',
  '<script>alert(1)</script>',
  '${$root}',
  '${json($root)}',
  '{{name}}',
  '%s%s%n',
  '../../etc/passwd',
  'null',
  'undefined',
  'NaN',
  '1e400',
  '-1',
  '0',
  '9007199254740993',
  'true',
  '__proto__',
  'constructor',
  'help',
  'cancel',
  'forget me',
  'a'.repeat(64),
  'a'.repeat(65),
  'x'.repeat(501),
  '  RA-000001  ',
);

/** A long string of a repeated piece: `size` characters (1 MB is far past the server's 256 KB body limit). */
export function hugeString(sizes: readonly number[] = [5_000, 60_000, 200_000, 1_048_576]): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...sizes), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }))
    .map(([size, piece]) => piece.repeat(Math.ceil(size / Math.max(1, piece.length))).slice(0, size));
}

/** Nesting of these depths, as arrays or as objects keyed by an ordinary or a dangerous key. */
export function deepNesting(depths: readonly number[] = [40, 100, 1_000, 10_000]): fc.Arbitrary<Deep> {
  return fc.record({ depth: fc.constantFrom(...depths), shape: fc.constantFrom('array' as const, 'object' as const), key: fc.constantFrom('a', ...dangerousKeys) }).map((d) => new Deep(d.depth, d.shape, d.key));
}

/** A key for a payload or an object inside one: often a dangerous one. */
export const key: fc.Arbitrary<string> = fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...dangerousKeys) }, { weight: 3, arbitrary: fc.string({ maxLength: 12 }) });

const leaf: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, -0, 1e308),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  nastyStrings,
);

/** Any JSON value, with dangerous keys as own keys at any level. */
export const jsonTree: fc.Arbitrary<unknown> = fc.letrec<{ tree: unknown; array: unknown[]; object: Record<string, unknown> }>((tie) => ({
  tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('tree'), { maxLength: 4 }),
  object: fc.array(fc.tuple(key, tie('tree')), { maxLength: 4 }).map(objectOf),
})).tree;

/** A value of the wrong type, or the right type at the wrong size, for any field. */
export function wrongValue(sizes?: readonly number[], depths?: readonly number[]): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 6, arbitrary: leaf },
    { weight: 3, arbitrary: jsonTree },
    { weight: 1, arbitrary: hugeString(sizes) },
    { weight: 1, arbitrary: deepNesting(depths) },
  );
}

/** How a payload is spoiled: fields dropped or replaced, and extra keys added beside them. */
interface Spoil {
  readonly drop: readonly string[];
  readonly replace: readonly (readonly [string, unknown])[];
  readonly extra: readonly (readonly [string, unknown])[];
}

function spoil(fields: readonly string[], sizes?: readonly number[], depths?: readonly number[]): fc.Arbitrary<Spoil> {
  const field = fields.length > 0 ? fc.constantFrom(...fields) : fc.constant('verb');
  return fc.record({
    drop: fc.array(field, { maxLength: 2 }),
    replace: fc.array(fc.tuple(field, wrongValue(sizes, depths)), { maxLength: 2 }),
    extra: fc.array(fc.tuple(key, wrongValue(sizes, depths)), { maxLength: 3 }),
  });
}

/** The payload with these keys added beside its own (its own fields keep their values). */
export function withJunk(payload: Record<string, unknown>, extra: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  return applied(payload, { drop: [], replace: [], extra });
}

/** Junk a stale or replayed card may carry beside its fields: dangerous keys and odd values. */
export const junk: fc.Arbitrary<(readonly [string, unknown])[]> = fc.array(fc.tuple(key, jsonTree), { maxLength: 2 });

function applied(payload: Record<string, unknown>, s: Spoil): Record<string, unknown> {
  const entries = new Map<string, unknown>(Object.entries(payload));
  for (const k of s.drop) entries.delete(k);
  for (const [k, v] of s.replace) entries.set(k, v);
  for (const [k, v] of s.extra) if (!entries.has(k)) entries.set(k, v);
  return objectOf([...entries]);
}

const uuid = fc.uuid();
// Mostly the world's own ids, so a forged card reaches the rights check rather than "not found".
const reference = (t: Targets) => fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...t.requests.map((r) => r.reference)) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 999_999 }).map((n) => `RA-${String(n).padStart(6, '0')}`) });
const sessionId = (t: Targets) => fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...t.sessions.map((s) => s.id)) }, { weight: 1, arbitrary: fc.stringMatching(/^TS-[A-Z0-9]{4,12}$/) });
const broadcastId = (t: Targets) =>
  fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...t.broadcasts) }, fc.stringMatching(/^[A-Za-z0-9:._-]{1,20}$/), fc.constantFrom(...dangerousKeys.filter((k) => /^[A-Za-z0-9:._-]+$/.test(k))));
const odsCode = (t: Targets) => fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...t.contacts.map((c) => c.code), 'Y90001', 'FFFFF', 'fa123') }, { weight: 1, arbitrary: fc.stringMatching(/^[A-Z0-9]{1,12}$/) });
const contactId = (t: Targets) => fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...t.contacts.map((c) => c.id), '') }, uuid, fc.constantFrom(...dangerousKeys));
/** Versions a card may carry: the current one, older ones, and what a forger would try. */
const version = fc.oneof(fc.integer({ min: -2, max: 5 }), fc.constantFrom('1', '2', ' 2 ', '1e3', '0x2', 1.5, Number.MAX_SAFE_INTEGER, '99999999999999999999'));
const note = fc.option(fc.oneof(fc.string({ maxLength: 40 }), nastyStrings, hugeString([1_001, 20_000])), { nil: undefined });

const requestActions = ['assign', 'assign-to', 'complete', 'reject', 'ask', 'reopen', 'answer', 'reveal', 'show'] as const;
const trainingActions = ['announce', 'schedule', 'edit', 'discard', 'book', 'cancel-booking', 'attendees', 'export', 'cancel-session', 'confirm-cancel-session'] as const;

function requestAct(t: Targets, actions: readonly (typeof requestActions)[number][]): fc.Arbitrary<Record<string, unknown>> {
  return fc.record({ reference: reference(t), version, action: fc.constantFrom(...actions), note, assignTo: fc.option(fc.oneof(uuid, fc.string()), { nil: undefined }) }).map((r) =>
    objectOf(Object.entries({ verb: 'request.act', ...r, [`${r.action}Note`]: r.note }).filter(([, v]) => v !== undefined)),
  );
}

function trainingAct(t: Targets, actions: readonly (typeof trainingActions)[number][]): fc.Arbitrary<Record<string, unknown>> {
  return fc.record({ session: sessionId(t), action: fc.constantFrom(...actions), version: fc.option(version, { nil: undefined }) }).map((r) => objectOf(Object.entries({ verb: 'training.act', ...r }).filter(([, v]) => v !== undefined)));
}

const sessionFormFields = fc.record({
  course: fc.oneof(fc.constantFrom('sponsor', 'registration-agent-advanced'), fc.string()),
  venue: fc.oneof(fc.constantFrom('dorset-dorchester', 'online'), fc.string()),
  onlineLink: fc.oneof(fc.constant('https://teams.microsoft.com/l/meetup-join/x'), fc.string()),
  date: fc.oneof(fc.constant('2026-12-10'), fc.string()),
  startTime: fc.oneof(fc.constant('14:00'), fc.string()),
  duration: fc.oneof(fc.constant('120'), fc.string()),
  capacity: fc.oneof(fc.constant('20'), fc.string()),
  bookingDeadline: fc.oneof(fc.constant('2026-12-03'), fc.string()),
  audience: fc.oneof(fc.constant('everyone'), fc.string()),
  runBy: fc.option(fc.constantFrom('scw', 'dorset', '__proto__'), { nil: undefined }),
});

/** Card payloads only an RA team member may use, shaped as real buttons send them (sent by someone who is not one). */
export function raOnlyPayload(t: Targets, options: { readonly mayAnswer: boolean }): fc.Arbitrary<Record<string, unknown>> {
  const desk = requestActions.filter((a) => options.mayAnswer || a !== 'answer');
  return fc.oneof(
    requestAct(t, desk),
    trainingAct(t, ['announce', 'schedule', 'edit', 'discard', 'attendees', 'export', 'cancel-session', 'confirm-cancel-session']),
    fc.record({ broadcast: broadcastId(t), action: fc.constantFrom('cancel', 'refresh') }).map((r) => ({ verb: 'broadcast.act', ...r })),
    odsCode(t).map((code) => ({ verb: 'contact.add', code })),
    fc.record({ code: odsCode(t), contact: contactId(t) }).map((r) => ({ verb: 'contact.edit', ...r })),
    fc.record({ code: odsCode(t), contact: contactId(t) }).map((r) => ({ verb: 'contact.remove', ...r })),
    fc
      .record({
        code: odsCode(t),
        contact: contactId(t),
        role: fc.option(fc.constantFrom('sponsor', 'lsa', 'ra-agent', 'id-checker', 'admin'), { nil: undefined }),
        name: fc.option(fc.oneof(fc.constant('Mallory Forger'), fc.string({ maxLength: 80 })), { nil: undefined }),
        email: fc.option(fc.oneof(fc.constant('mallory@example.nhs.uk'), fc.string()), { nil: undefined }),
        phone: fc.option(fc.oneof(fc.constant('01202 000002'), fc.string()), { nil: undefined }),
      })
      .map((r) => objectOf(Object.entries({ verb: 'contact.save', ...r }).filter(([, v]) => v !== undefined))),
    fc.record({ draft: fc.option(uuid, { nil: undefined }), fields: sessionFormFields }).map(({ draft, fields }) =>
      objectOf(Object.entries({ verb: 'form.submit', form: 'training-session', draft, ...fields }).filter(([, v]) => v !== undefined)),
    ),
  );
}

/** An RA-only payload with junk added beside its fields (dangerous keys, deep and long values); it still parses. */
export function raOnlyWithJunk(t: Targets, options: { readonly mayAnswer: boolean }): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .tuple(raOnlyPayload(t, options), fc.array(fc.tuple(key, wrongValue([5_000, 60_000], [40, 10_000])), { maxLength: 3 }))
    .map(([payload, extra]) => withJunk(payload, extra));
}

/** Every verb's payload as its card would send it, with values aimed at the world's data. */
export function anyPayload(t: Targets): fc.Arbitrary<Record<string, unknown>> {
  const id = fc.oneof(fc.constantFrom('help', 'ask', 'training', 'form.lost-card', 'flow.locked-card', 'renewals', 'my-requests', 'cancel'), fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,20}$/));
  return fc.oneof(
    raOnlyPayload(t, { mayAnswer: true }),
    id.map((command) => ({ verb: 'menu.open', command })),
    fc.record({ prompt: id, value: fc.string({ maxLength: 64 }) }).map((r) => ({ verb: 'choice.pick', ...r })),
    id.map((prompt) => ({ verb: 'flow.back', prompt })),
    fc.record({ article: id, question: fc.string() }).map((r) => ({ verb: 'faq.open', ...r })),
    fc.string().map((question) => ({ verb: 'faq.none', question })),
    fc.record({ article: id, helpful: fc.boolean(), comment: fc.string() }).map((r) => ({ verb: 'feedback.rate', ...r })),
    odsCode(t).map((code) => ({ verb: 'org.remember', code })),
    id.map((form) => ({ verb: 'form.open', form })),
    fc.record({ draft: uuid, holderName: fc.string() }).map((r) => ({ verb: 'form.submit', form: 'lost-card', what: 'lost', odsCode: 'FA123', noticed: '2026-11-20', ...r })),
    trainingAct(t, [...trainingActions]),
    fc.record({ announcements: fc.constantFrom('true', 'false'), sponsor: fc.constantFrom('true', 'false'), raAgent: fc.constantFrom('true', 'false') }).map((r) => ({ verb: 'audience.set', ...r })),
    fc.oneof(fc.constant('2027-01-15'), fc.string()).map((expiresOn) => ({ verb: 'renewal.save', expiresOn })),
    fc.constant({ verb: 'renewal.stop' }),
  );
}

/** Verbs no card of this app sends: near misses, other apps' verbs, dangerous keys, and non-strings. */
export const unknownVerb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom('request.ACT', 'training.act ', ' request.act', 'request', 'request.act.x', 'contact.delete', 'admin.grant', 'broadcast.send', 'form.submit\u0000', 'menu.open\n', ...dangerousKeys),
  fc.string({ maxLength: 30 }),
  fc.constantFrom(null, 0, 1, true, [], {}),
  jsonTree,
);

/**
 * A hostile card payload: a real verb's payload spoiled (fields dropped, wrong-typed, huge or deep, junk keys),
 * an unknown verb, or no object at all.
 */
export function hostilePayload(t: Targets, sizes?: readonly number[], depths?: readonly number[]): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 5, arbitrary: anyPayload(t).chain((p) => spoil(Object.keys(p), sizes, depths).map((s) => applied(p, s))) },
    { weight: 2, arbitrary: fc.tuple(unknownVerb, fc.array(fc.tuple(key, wrongValue(sizes, depths)), { maxLength: 4 })).map(([verb, rest]) => objectOf([['verb', verb], ...rest])) },
    { weight: 1, arbitrary: wrongValue(sizes, depths) },
  );
}

/** A hostile payload the one parser refuses (what even an RA admin's forged card must not get past). */
export function refusedPayload(t: Targets): fc.Arbitrary<unknown> {
  return hostilePayload(t, [5_000, 60_000, 200_000], [40, 10_000]).filter((value) => !parseSubmission(JSON.parse(serialise(value)) as unknown).ok);
}

/** The typed forms of RA-only actions, as someone outside the RA team might type them. */
export function typedRaCommand(t: Targets): fc.Arbitrary<string> {
  const session = sessionId(t);
  const request = reference(t);
  return fc
    .tuple(
      fc.oneof(
        session.map((s) => `cancel session ${s}`),
        session.map((s) => `cancel the session ${s}`),
        session.map((s) => `attendees ${s}`),
        session.map((s) => `export the attendee list for ${s}`),
        request.map((r) => `show ${r}`),
        request.map((r) => `show ID numbers for ${r}`),
        fc.constantFrom(...t.teams).map((team) => `make this the RA desk for ${team}`),
        fc.constantFrom('open requests', 'assigned to me', 'new training session'),
      ),
      fc.boolean(),
      fc.constantFrom('', ' ', '  \n'),
    )
    .map(([text, upper, pad]) => `${pad}${upper ? text.toUpperCase() : text}${pad}`);
}

/** A request body and its content type, as sent to POST /api/messages. */
export interface HostileRequest {
  readonly body: string;
  readonly contentType: string | undefined;
  /** Whether it is an invoke (which botbuilder answers 501 when the bot does not implement its name). */
  readonly invoke?: boolean;
  /**
   * A message whose Bot Framework envelope is as Teams sends it (only its text and card data are hostile): what a
   * user can forge past Bot Service's authentication, so no turn may fail on it.
   */
  readonly userForged?: boolean;
}

/** Fields of an activity a forger may drop or replace (`serviceUrl` and `deliveryMode` are chosen on their own). */
const activityPaths = [
  'type',
  'id',
  'text',
  'value',
  'name',
  'from',
  'from.id',
  'from.name',
  'from.aadObjectId',
  'conversation',
  'conversation.id',
  'conversation.conversationType',
  'conversation.tenantId',
  'conversation.isGroup',
  'recipient',
  'recipient.id',
  'channelId',
  'channelData',
  'channelData.tenant',
  'channelData.eventType',
  'channelData.team',
  'channelData.channel',
  'channelData.source',
  'entities',
  'attachments',
  'membersAdded',
  'membersRemoved',
  'action',
  'replyToId',
  'locale',
  'timestamp',
  'localTimestamp',
  'textFormat',
  'relatesTo',
] as const;

/** Sets or deletes `path` in a copy of `target`, defining keys rather than assigning them. */
function mutated(target: Record<string, unknown>, path: string, value: unknown, remove: boolean): Record<string, unknown> {
  const [head, ...rest] = path.split('.');
  if (head === undefined) return target;
  const entries = Object.entries(target).filter(([k]) => k !== head);
  if (rest.length === 0) return objectOf(remove ? entries : [...entries, [head, value]]);
  const inner = target[head];
  if (typeof inner !== 'object' || inner === null || Array.isArray(inner)) return target;
  return objectOf([...entries, [head, mutated(inner as Record<string, unknown>, rest.join('.'), value, remove)]]);
}

const conversationType = fc.oneof({ weight: 4, arbitrary: fc.constantFrom('personal', 'channel', 'groupChat') }, { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom(...dangerousKeys)) });
const someId = fc.oneof({ weight: 4, arbitrary: fc.stringMatching(/^[a-z0-9:-]{1,24}$/) }, { weight: 1, arbitrary: fc.oneof(fc.constantFrom(...dangerousKeys), nastyStrings, fc.string()) });
const invokeNames = fc.oneof(
  fc.constantFrom(
    'adaptiveCard/action',
    'composeExtension/query',
    'composeExtension/queryLink',
    'composeExtension/submitAction',
    'composeExtension/fetchTask',
    'composeExtension/selectItem',
    'fileConsent/invoke',
    'task/fetch',
    'task/submit',
    'signin/verifyState',
    'signin/tokenExchange',
    'actionableMessage/executeAction',
    'config/fetch',
    'tab/fetch',
    'healthCheck',
    'handoff/action',
  ),
  fc.string({ maxLength: 20 }),
);

/** The `value` of an invoke as its name leads the handler to expect it, with hostile parts. */
function invokeValue(t: Targets): fc.Arbitrary<unknown> {
  const anything = fc.oneof(jsonTree, hostilePayload(t, [5_000, 60_000], [100, 10_000]));
  return fc.oneof(
    anything,
    fc.record({ commandId: fc.oneof(fc.constant('searchQuery'), someId), parameters: fc.oneof(fc.array(fc.record({ name: fc.oneof(fc.constant('query'), fc.string()), value: anything })), anything), queryOptions: anything }),
    fc.record({ type: fc.constantFrom('fileUpload', 'x'), action: fc.oneof(fc.constantFrom('accept', 'decline'), anything), context: fc.oneof(fc.record({ session: fc.oneof(sessionId(t), anything) }), anything), uploadInfo: anything }),
    fc.record({ action: fc.record({ type: fc.constantFrom('Action.Execute', 'Action.Submit'), verb: fc.oneof(fc.string(), unknownVerb), data: hostilePayload(t, [5_000], [100]) }), trigger: fc.constantFrom('manual', 'automatic') }),
  );
}

/** The shape of one kind of activity, before it is spoiled. */
function activityShape(t: Targets): fc.Arbitrary<Record<string, unknown>> {
  const members = fc.array(fc.oneof(fc.record({ id: fc.oneof(fc.constant('bot-1'), someId), name: fc.string() }), jsonTree), { maxLength: 3 });
  return fc.oneof(
    { weight: 4, arbitrary: fc.oneof(fc.string({ unit: 'grapheme', maxLength: 60 }), nastyStrings, typedRaCommand(t), hugeString([5_000, 60_000, 200_000, 1_048_576])).map((text) => ({ type: 'message', text })) },
    { weight: 6, arbitrary: hostilePayload(t).map((value) => ({ type: 'message', value })) },
    { weight: 1, arbitrary: fc.tuple(fc.string(), hostilePayload(t, [5_000], [100])).map(([text, value]) => ({ type: 'message', text, value })) },
    { weight: 3, arbitrary: fc.tuple(invokeNames, invokeValue(t)).map(([name, value]) => ({ type: 'invoke', name, value })) },
    { weight: 2, arbitrary: fc.record({ membersAdded: members, membersRemoved: members, channelData: fc.record({ eventType: fc.oneof(fc.constantFrom('teamMemberAdded', 'channelCreated', 'teamRenamed'), fc.string()), team: jsonTree, tenant: jsonTree }, { requiredKeys: [] }) }, { requiredKeys: [] }).map((r) => ({ type: 'conversationUpdate', ...r })) },
    { weight: 2, arbitrary: fc.oneof(fc.constantFrom('add', 'remove', 'add-upgrade', 'remove-upgrade'), fc.string()).map((action) => ({ type: 'installationUpdate', action })) },
    { weight: 1, arbitrary: fc.record({ reactionsAdded: fc.array(fc.record({ type: fc.string() })), reactionsRemoved: jsonTree }).map((r) => ({ type: 'messageReaction', replyToId: 'act-1', ...r })) },
    { weight: 1, arbitrary: fc.record({ name: fc.string(), value: jsonTree }).map((r) => ({ type: 'event', ...r })) },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.constantFrom('typing', 'endOfConversation', 'deleteUserData', 'messageUpdate', 'messageDelete', 'trace', 'handoff', 'command', 'commandResult', 'suggestion', 'contactRelationUpdate', 'Message', 'MESSAGE'),
        fc.string({ minLength: 1, maxLength: 20 }),
        fc.constantFrom(...dangerousKeys),
      ).map((type) => ({ type, text: 'help' })),
    },
  );
}

/**
 * A Teams-shaped activity (see test/support/http.ts `activity`) from a random or forged sender, of any kind, with up
 * to three fields dropped or replaced by hostile values; `serviceUrl` is the loopback stand-in or not a URL at all.
 */
export function hostileActivity(t: Targets, connectorUrl: string): fc.Arbitrary<HostileRequest> {
  const sender = fc.record({ id: someId, name: fc.oneof(fc.string({ maxLength: 20 }), nastyStrings), aadObjectId: fc.option(fc.oneof(fc.uuid(), someId), { nil: undefined }) });
  const conversation = fc.record({ id: someId, conversationType, tenantId: fc.option(fc.constantFrom('tenant-1', ''), { nil: undefined }) });
  // Never missing, null or empty: botbuilder would then send replies to api.botframework.com, off loopback.
  const serviceUrl = fc.oneof({ weight: 8, arbitrary: fc.constant<unknown>(connectorUrl) }, { weight: 1, arbitrary: fc.constantFrom<unknown>(42, {}, [], true, 'not a url') });
  const deliveryMode = fc.oneof({ weight: 8, arbitrary: fc.constant<unknown>('expectReplies') }, { weight: 1, arbitrary: fc.constantFrom<unknown>(undefined, 'normal', 'notification', 42, null) });
  const change = fc.tuple(fc.constantFrom(...activityPaths), wrongValue(), fc.boolean());
  const contentType = fc.oneof({ weight: 12, arbitrary: fc.constant<string | undefined>('application/json') }, {
    weight: 1,
    arbitrary: fc.constantFrom<string | undefined>(undefined, 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'application/xml'),
  });
  return fc.record({ shape: activityShape(t), sender, conversation, serviceUrl, deliveryMode, changes: fc.array(change, { maxLength: 3 }), contentType }).map((r) => {
    let built: Record<string, unknown> = objectOf([
      ['id', 'act-fuzz'],
      ['channelId', 'msteams'],
      ['recipient', { id: 'bot-1', name: 'Smartcard Assistant' }],
      ['from', objectOf(Object.entries(r.sender).filter(([, v]) => v !== undefined))],
      ['conversation', objectOf(Object.entries(r.conversation).filter(([, v]) => v !== undefined))],
      ...Object.entries(r.shape),
    ]);
    for (const [path, value, remove] of r.changes) built = mutated(built, path, value, remove);
    for (const [field, value] of [
      ['serviceUrl', r.serviceUrl],
      ['deliveryMode', r.deliveryMode],
    ] as const) {
      built = mutated(built, field, value, value === undefined);
    }
    const userForged =
      built['type'] === 'message' &&
      r.changes.every(([path]) => path === 'text' || path === 'value') &&
      r.serviceUrl === connectorUrl &&
      (r.deliveryMode === 'expectReplies' || r.deliveryMode === 'normal') &&
      r.contentType === 'application/json';
    return { body: serialise(built), contentType: r.contentType, invoke: built['type'] === 'invoke', userForged };
  });
}

/** Bodies that are not an activity at all: broken JSON, other JSON values, other encodings. */
export const brokenBody: fc.Arbitrary<HostileRequest> = fc.record({
  body: fc.oneof(
    fc.constantFrom('', '{', '}', '{"type":', 'null', '[]', '[{"type":"message"}]', '"message"', '123', 'true', '{"type":"message","type":"invoke"}', '\uFEFF{"type":"message","conversation":{"id":"c"}}', '{"__proto__":{"type":"message"}}', '{"type":"message","conversation":{"id":"c"},"__proto__":{"polluted":true}}', 'type=message&text=help', '--x\r\nContent-Disposition: form-data; name="type"\r\n\r\nmessage\r\n--x--'),
    fc.string({ unit: 'binary', maxLength: 200 }),
    deepNesting([10_000, 100_000]).map((d) => d.text()),
    jsonTree.map(serialise),
  ),
  contentType: fc.constantFrom<string | undefined>('application/json', undefined, 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/octet-stream'),
});
