import { z } from 'zod';

const id = z.string().trim().min(1).max(64).regex(/^[a-z0-9][a-z0-9.-]*$/);

const question = z.string().max(500);

// Codes are checked against the ODS formats where they are used; here only their size.
const code = z.string().trim().min(1).max(12);
const contact = z.string().trim().max(64);
const field = z.string().max(500).optional();
const toggle = z.enum(['true', 'false']).optional();

const schema = z.discriminatedUnion('verb', [
  z.object({ verb: z.literal('menu.open'), command: id }),
  z.object({ verb: z.literal('choice.pick'), prompt: id, value: z.string().trim().min(1).max(64) }),
  z.object({ verb: z.literal('flow.back'), prompt: id }),
  z.object({ verb: z.literal('faq.open'), article: id, question: question.optional() }),
  z.object({ verb: z.literal('faq.none'), question }),
  z.object({
    verb: z.literal('feedback.rate'),
    article: id,
    helpful: z.boolean(),
    question: question.optional(),
    comment: z.string().max(1000).optional(),
  }),
  z.object({ verb: z.literal('org.remember'), code }),
  z.object({ verb: z.literal('contact.add'), code }),
  z.object({ verb: z.literal('contact.edit'), code, contact }),
  z.object({ verb: z.literal('contact.remove'), code, contact }),
  // Teams leaves out inputs the user did not touch, so every field may be missing.
  z.object({ verb: z.literal('contact.save'), code, contact, role: field, name: field, email: field, phone: field }),
  z.object({ verb: z.literal('form.open'), form: id }),
  // The form's inputs arrive beside the verb; they are gathered into `fields` and checked against the form on the server.
  z.object({ verb: z.literal('form.submit'), form: id, draft: z.string().regex(/^[a-f0-9-]{8,40}$/).optional(), fields: z.record(z.string(), z.unknown()) }),
  z.object({
    verb: z.literal('request.act'),
    reference: z.string().regex(/^RA-\d{6}$/),
    version: z.coerce.number().int().min(1),
    action: z.enum(['assign', 'assign-to', 'complete', 'reject', 'ask', 'reopen', 'answer', 'reveal', 'show']),
    note: z.string().max(1000).optional(),
    // The colleague chosen on the "Assign to someone else" card.
    assignTo: z.string().max(64).optional(),
  }),
  // Training sessions: the RA team's preview, announce and attendee buttons, and everyone's book and cancel buttons.
  z.object({
    verb: z.literal('training.act'),
    session: z.string().regex(/^TS-[A-Z0-9]{4,12}$/),
    action: z.enum(['announce', 'schedule', 'edit', 'discard', 'book', 'cancel-booking', 'attendees', 'export', 'cancel-session', 'confirm-cancel-session']),
    version: z.coerce.number().int().min(1).optional(),
  }),
  // The delivery report card's buttons.
  z.object({ verb: z.literal('broadcast.act'), broadcast: z.string().regex(/^[A-Za-z0-9:._-]{1,120}$/), action: z.enum(['cancel', 'refresh']) }),
  // Announcement settings: Input.Toggle sends "true" or "false"; an untouched toggle may be missing.
  z.object({ verb: z.literal('audience.set'), announcements: toggle, sponsor: toggle, raAgent: toggle }),
  // The date someone's certificates expire, as Care Identity Management shows it; checked as a date on the server.
  z.object({ verb: z.literal('renewal.save'), expiresOn: z.string().max(40).optional() }),
  z.object({ verb: z.literal('renewal.stop') }),
]);

/** Inputs a card may carry beside its verb: camelCase names only, so "__proto__" and friends never get through. */
function gatherFields(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || (value as { verb?: unknown }).verb !== 'form.submit') return value;
  const { verb, form, draft, ...rest } = value as Record<string, unknown>;
  const fields = Object.fromEntries(Object.entries(rest).filter(([key]) => /^[a-z][a-zA-Z0-9]{0,40}$/.test(key) && key !== 'msteams'));
  return { verb, form, draft: draft === '' ? undefined : draft, fields };
}

/**
 * A desk note arrives under its button's own input id (`completeNote`), since ids must be unique across a card and
 * its show-cards; `note` itself is still read, for desk cards posted before.
 */
function gatherNote(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || (value as { verb?: unknown }).verb !== 'request.act') return value;
  const submitted = value as Record<string, unknown>;
  const own = typeof submitted['action'] === 'string' ? `${submitted['action']}Note` : undefined;
  return { ...submitted, note: own !== undefined && Object.hasOwn(submitted, own) ? submitted[own] : submitted['note'] };
}

/** Every payload a card of this app can submit, keyed by its dotted verb. */
export type Submission = z.infer<typeof schema>;

/** The result of reading `activity.value`: card data is user input and may be forged or stale. */
export type SubmissionResult =
  | { readonly ok: true; readonly submission: Submission }
  | { readonly ok: false; readonly problem: string };

/** The one place that parses, validates and narrows card submissions. */
export function parseSubmission(value: unknown): SubmissionResult {
  const parsed = schema.safeParse(gatherNote(gatherFields(value)));
  if (parsed.success) return { ok: true, submission: parsed.data };
  const verb = typeof value === 'object' && value !== null ? (value as { verb?: unknown }).verb : undefined;
  return {
    ok: false,
    problem: typeof verb === 'string' ? `the "${verb.slice(0, 40)}" button sent data I cannot use` : 'the card sent data I do not recognise',
  };
}
