import { z } from 'zod';
import { sourceRef } from './articles.js';
import { ukPhone } from './contactRules.js';
import { londonDate } from './londonTime.js';
import { readOdsCode } from './odsCodes.js';
import { KnowledgeError, parseEach, type SourceCatalogue } from './sources.js';
import type { OptionLists } from './venues.js';

const id = z
  .string()
  .regex(/^[a-z][a-zA-Z0-9]*$/, 'field ids are camelCase words, like cardHolder')
  .refine((v) => !(v in Object.prototype), 'a field id cannot be the name of a built-in property, like constructor');
const formId = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'form ids are lower-case words joined by hyphens');

/** Shown or required only when another field has one of these values. */
const condition = z.object({ field: id, in: z.array(z.string().min(1)).min(1) });

/** A whole-value pattern for a text field ("^[A-Z0-9]{16}$"), and what to say when a value does not match. */
const pattern = z.object({
  regex: z
    .string()
    .min(3)
    .max(200)
    .refine((r) => r.startsWith('^') && r.endsWith('$'), 'a pattern matches the whole value: start it with ^ and end it with $')
    .refine((r) => {
      try {
        new RegExp(r, 'u');
        return true;
      } catch {
        return false;
      }
    }, 'not a valid regular expression'),
  message: z.string().min(5).max(200),
});

const common = {
  id,
  label: z.string().min(2).max(80),
  /** A line under the label: what to type, or where to find it. */
  hint: z.string().min(2).max(200).optional(),
  /** A heading shown above this field on the card, to group the fields after it ("Document 1"). */
  section: z.string().min(2).max(60).optional(),
  required: z.boolean().default(false),
  requiredWhen: condition.optional(),
  /** Identity-document numbers, dates of birth and the like: encrypted at rest and shown masked (`****1234`). */
  sensitive: z.boolean().default(false),
  /** Values that are refused with a reason, compared without case or surrounding spaces ("Utility Bill"). */
  refuse: z.array(z.object({ values: z.array(z.string().min(1)).min(1), message: z.string().min(5) })).default([]),
};

const fieldSchema = z.discriminatedUnion('type', [
  z.object({
    ...common,
    type: z.literal('text'),
    maxLength: z.number().int().min(1).max(500).default(200),
    /** Stored in capitals (driving licence numbers are entered in capital letters). */
    capitals: z.boolean().default(false),
    /** Spaces are taken out before the pattern is checked and the value stored ("MORGA 753116" to "MORGA753116"). */
    noSpaces: z.boolean().default(false),
    pattern: pattern.optional(),
  }),
  z.object({ ...common, type: z.literal('longText'), maxLength: z.number().int().min(1).max(4000).default(1000) }),
  z.object({ ...common, type: z.literal('email') }),
  z.object({ ...common, type: z.literal('phone') }),
  z.object({
    ...common,
    type: z.literal('date'),
    notInFuture: z.boolean().default(false),
    notInPast: z.boolean().default(false),
    /** At most this many months old (an address document "within the last 3 months"). */
    withinMonths: z.number().int().min(1).max(120).optional(),
    /** A date of birth: the age it gives on the day of checking must be in this range (a plausibility check). */
    age: z
      .object({ min: z.number().int().min(0).max(120), max: z.number().int().min(1).max(130) })
      .refine((a) => a.min < a.max, 'age.min must be below age.max')
      .optional(),
  }),
  z.object({
    ...common,
    type: z.literal('choice'),
    options: z.array(z.object({ value: z.string().regex(/^[a-z0-9-]+$/), title: z.string().min(1).max(60) })).max(12).default([]),
    /** Options read from data when the knowledge loads (the RA teams' offices), listed before `options`. */
    optionsFrom: z.enum(['offices', 'raTeams']).optional(),
  }),
  z.object({ ...common, type: z.literal('yesNo') }),
  z.object({ ...common, type: z.literal('odsCode') }),
  /** Several ODS codes, separated by commas or spaces; each is read as an ODS code and they are stored comma-joined. */
  z.object({ ...common, type: z.literal('odsCodes'), maxCodes: z.number().int().min(2).max(20).default(10) }),
  z.object({ ...common, type: z.literal('uuid') }),
  z.object({ ...common, type: z.literal('gphc') }),
  /** A web address that must start https:// (an online meeting's link). */
  z.object({ ...common, type: z.literal('url'), maxLength: z.number().int().min(20).max(1000).default(500) }),
  /** A time of day, HH:MM on the 24-hour clock; what it is a time in (UK time) is for the form's reader to know. */
  z.object({ ...common, type: z.literal('time') }),
  /** A whole number from `min` to `max`. */
  z.object({ ...common, type: z.literal('number'), min: z.number().int().min(0).max(100_000).default(0), max: z.number().int().min(1).max(100_000) }),
]);

/**
 * A rule over several fields, checked once each field's own checks pass; its message is shown next to `reportOn`.
 * `atLeastOne`: at least one of `fields` has one of the values `in` (or, without `in`, any value).
 * `dateOrder`: the date in `then` is not before the date in `first`, when both are given.
 */
const formRule = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('atLeastOne'),
    fields: z.array(id).min(2),
    in: z.array(z.string().min(1)).min(1).optional(),
    reportOn: id,
    message: z.string().min(5).max(200),
  }),
  z.object({ kind: z.literal('dateOrder'), first: id, then: id, reportOn: id, message: z.string().min(5).max(200) }),
]);

const formSchema = z.object({
  id: formId,
  /**
   * A request to an RA team (listed under "Raise a request" and filed by the request desk), or something else the same
   * way of defining forms serves, like an RA team's training session.
   */
  purpose: z.enum(['request', 'training-session']).default('request'),
  title: z.string().min(3).max(60),
  /** One sentence for menus: what the form is for. */
  summary: z.string().min(10).max(200),
  /** Where the form comes in the "Raise a request" list: the commonest first. */
  order: z.number().int().min(1).max(99),
  /** Shown above the fields: what to know before filling it in. */
  intro: z.string().min(10).optional(),
  /** The request is urgent when this field has one of these values (lost and stolen cards). */
  urgentWhen: condition.optional(),
  fields: z.array(fieldSchema).min(1).max(25),
  /** The send button's words, when they are not "Send to the RA team". */
  submitTitle: z.string().min(2).max(40).optional(),
  rules: z.array(formRule).max(10).default([]),
  /** What happens after filing, for the acknowledgement. */
  next: z.string().min(10),
  /** What must still be sent or done outside this chat (a signed form, a letter on headed paper), for the acknowledgement. */
  checklist: z.array(z.string().min(5).max(300)).max(8).default([]),
  sources: z.array(sourceRef).min(1),
});

/** A request form as its file defines it: the card, the checks and `forms schema` all come from this. */
export type FormDefinition = z.infer<typeof formSchema>;
export type FormField = z.infer<typeof fieldSchema>;
export type FieldType = FormField['type'];
export type FormRule = z.infer<typeof formRule>;

/** What a filled-in form came to: the checked values, or each field's problem. */
export type FormCheck =
  | { readonly ok: true; readonly values: Readonly<Record<string, string>>; readonly urgent: boolean }
  | { readonly ok: false; readonly errors: Readonly<Record<string, string>>; readonly values: Readonly<Record<string, string>> };

/** The longest value kept from any one input before checking: longer card data is cut, never stored or echoed whole. */
const inputCap = 5000;

/**
 * Whether a field applies given the other values: fields with `requiredWhen` are only asked when it holds, and
 * only when the field it depends on applies too (no GPhC number for SCR when SCR was not asked).
 */
export function applies(form: FormDefinition, field: FormField, values: Readonly<Record<string, string>>): boolean {
  let current: FormField | undefined = field;
  // parseForms refuses cycles; the bound is a guard for definitions that did not come through it.
  for (let depth = 0; current?.requiredWhen && depth <= form.fields.length; depth++) {
    const cond: { field: string; in: string[] } = current.requiredWhen;
    if (!cond.in.includes(Object.hasOwn(values, cond.field) ? (values[cond.field] ?? '') : '')) return false;
    current = form.fields.find((f) => f.id === cond.field);
  }
  return true;
}

/** The most characters a field's input takes: the card's `maxLength`, and how much of a value is echoed back. */
export function inputLength(field: FormField): number {
  switch (field.type) {
    case 'text':
    case 'longText':
      return field.maxLength;
    case 'email':
      return 254;
    case 'phone':
      return 20;
    case 'date':
      return 10;
    case 'choice':
      return Math.max(...field.options.map((o) => o.value.length));
    case 'yesNo':
      return 5;
    case 'odsCode':
      return 10;
    case 'odsCodes':
      return field.maxCodes * 8;
    case 'uuid':
      return 20;
    case 'gphc':
      return 12;
    case 'url':
      return field.maxLength;
    case 'time':
      return 5;
    case 'number':
      return String(field.max).length;
  }
}

/**
 * Checks what a form's card sent, on the server, whatever the card said: unknown keys are dropped, every value is a
 * string of bounded length, each field's rules apply, then the form's rules. `now` is for date rules.
 */
export function checkForm(form: FormDefinition, submitted: Readonly<Record<string, unknown>>, now: Date): FormCheck {
  const input: Readonly<Record<string, unknown>> = typeof submitted === 'object' && submitted !== null ? submitted : {};
  const values: Record<string, string> = {};
  for (const field of form.fields) {
    const raw = Object.hasOwn(input, field.id) ? input[field.id] : undefined;
    values[field.id] = typeof raw === 'string' ? raw.slice(0, inputCap).trim() : typeof raw === 'boolean' ? String(raw) : '';
  }
  const errors: Record<string, string> = {};
  const checked: Record<string, string> = {};
  for (const field of form.fields) {
    const value = values[field.id] ?? '';
    if (!applies(form, field, values)) continue;
    const required = field.required || field.requiredWhen !== undefined;
    if (value === '') {
      if (required) errors[field.id] = `${field.label} is needed.`;
      continue;
    }
    const result = checkValue(field, value, now);
    if (typeof result === 'object') errors[field.id] = result.problem;
    else checked[field.id] = result;
  }
  for (const rule of form.rules) {
    const names = rule.kind === 'atLeastOne' ? rule.fields : [rule.first, rule.then];
    // A field's own problem comes first: the rule is judged on values that passed their checks.
    if (names.some((n) => errors[n] !== undefined)) continue;
    if (ruleHolds(rule, checked)) continue;
    errors[rule.reportOn] = errors[rule.reportOn] ? `${errors[rule.reportOn]} ${rule.message}` : rule.message;
  }
  if (Object.keys(errors).length > 0) {
    // Kept for the card to show again, each no longer than its input takes.
    const kept: Record<string, string> = {};
    for (const field of form.fields) kept[field.id] = (values[field.id] ?? '').slice(0, inputLength(field));
    return { ok: false, errors, values: kept };
  }
  const urgent = form.urgentWhen ? form.urgentWhen.in.includes(checked[form.urgentWhen.field] ?? '') : false;
  return { ok: true, values: checked, urgent };
}

function ruleHolds(rule: FormRule, checked: Readonly<Record<string, string>>): boolean {
  switch (rule.kind) {
    case 'atLeastOne':
      return rule.fields.some((f) => {
        const value = checked[f];
        return value !== undefined && (rule.in === undefined || rule.in.includes(value));
      });
    case 'dateOrder': {
      const first = checked[rule.first];
      const then = checked[rule.then];
      return first === undefined || then === undefined || then >= first;
    }
  }
}

/** One value by its field's type and rules: the value as stored, or the problem. */
function checkValue(field: FormField, value: string, now: Date): string | { problem: string } {
  // Refused as typed and as it would be stored, so "ff fff" is refused like "FFFFF".
  const stored = typeChecked(field, value, now);
  const refused = field.refuse.find((r) => r.values.some((v) => [value, typeof stored === 'string' ? stored : ''].some((s) => v.trim().toLowerCase() === s.toLowerCase())));
  return refused ? { problem: refused.message } : stored;
}

function typeChecked(field: FormField, value: string, now: Date): string | { problem: string } {
  switch (field.type) {
    case 'text': {
      if (value.length > field.maxLength) return { problem: `Keep this to ${field.maxLength} characters.` };
      if (/[\u0000-\u001f\u007f]/.test(value)) return { problem: 'This has characters that are not letters or punctuation.' };
      const spaced = field.noSpaces ? value.replace(/\s+/g, '') : value;
      const stored = field.capitals ? spaced.toUpperCase() : spaced;
      if (field.pattern && !new RegExp(field.pattern.regex, 'u').test(stored)) return { problem: field.pattern.message };
      return stored;
    }
    case 'longText':
      return value.length > field.maxLength ? { problem: `Keep this to ${field.maxLength} characters.` } : value;
    case 'email':
      return value.length <= 254 && z.email().safeParse(value).success ? value.toLowerCase() : { problem: 'Enter an email address like name@nhs.net.' };
    case 'phone':
      return (value.length <= 40 ? ukPhone(value) : undefined) ?? { problem: 'Enter a UK phone number like 01202 123456.' };
    case 'date':
      return checkDate(field, value, now);
    case 'choice':
      return field.options.some((o) => o.value === value) ? value : { problem: `Choose one of: ${field.options.map((o) => o.title).join(', ')}.` };
    case 'yesNo':
      return value === 'true' || value === 'false' ? value : { problem: 'Answer yes or no.' };
    case 'odsCode': {
      if (value.length > 40) return { problem: 'An ODS code is 3 to 6 letters and numbers, like FA123 for a pharmacy or A81001 for a GP practice.' };
      const reading = readOdsCode(value);
      return reading.ok ? reading.code : { problem: reading.problem };
    }
    case 'odsCodes':
      return checkOdsCodes(field, value);
    case 'uuid': {
      const digits = value.replace(/\s+/g, '');
      return /^\d{12}$/.test(digits) ? digits : { problem: 'The smartcard number (UUID) is 12 digits, printed on the front of the card.' };
    }
    case 'gphc': {
      const digits = value.replace(/\s+/g, '');
      return /^\d{7}$/.test(digits) ? digits : { problem: 'A GPhC registration number is 7 digits.' };
    }
    case 'url':
      return checkUrl(field, value);
    case 'time': {
      const time = /^([01]?\d|2[0-3]):([0-5]\d)(?::00)?$/.exec(value);
      return time ? `${(time[1] ?? '').padStart(2, '0')}:${time[2] ?? ''}` : { problem: 'Enter a time on the 24-hour clock, like 09:30 or 14:00.' };
    }
    case 'number': {
      const n = /^\d{1,7}$/.test(value) ? Number(value) : Number.NaN;
      return Number.isInteger(n) && n >= field.min && n <= field.max ? String(n) : { problem: `Enter a whole number from ${field.min} to ${field.max}.` };
    }
  }
}

/** An https address with a real host name; stored as the URL parser writes it. */
function checkUrl(field: Extract<FormField, { type: 'url' }>, value: string): string | { problem: string } {
  const problem = { problem: 'Enter the full link, starting with https://' };
  if (value.length > field.maxLength) return { problem: `Keep the link to ${field.maxLength} characters.` };
  if (/\s/.test(value)) return problem;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return problem;
  }
  if (url.protocol !== 'https:' || !url.hostname.includes('.') || url.username !== '' || url.password !== '') return problem;
  return url.href;
}

/** "fa123, A81001 fffff" to "FA123,A81001,FFFFF": each code read as an ODS code, repeats dropped, in the order given. */
function checkOdsCodes(field: Extract<FormField, { type: 'odsCodes' }>, value: string): string | { problem: string } {
  if (value.length > inputLength(field)) return { problem: `List at most ${field.maxCodes} ODS codes, separated by commas.` };
  const codes: string[] = [];
  for (const word of value.split(/[\s,;]+/).filter((w) => w !== '')) {
    const reading = readOdsCode(word);
    if (!reading.ok) return { problem: `${reading.problem} Separate codes with commas or spaces.` };
    if (!codes.includes(reading.code)) codes.push(reading.code);
  }
  if (codes.length === 0) return { problem: 'Enter at least one ODS code, like FA123.' };
  if (codes.length > field.maxCodes) return { problem: `List at most ${field.maxCodes} ODS codes.` };
  return codes.join(',');
}

function checkDate(field: Extract<FormField, { type: 'date' }>, value: string, now: Date): string | { problem: string } {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`)) || new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value) {
    return { problem: 'Enter a date, like 2026-11-21.' };
  }
  // "Today" is the UK's: between midnight and 01:00 in summer the UTC date is still yesterday's.
  const today = londonDate(now);
  if (field.notInFuture && value > today) return { problem: 'This date cannot be in the future.' };
  if (field.notInPast && value < today) return { problem: 'This date cannot be in the past.' };
  if (field.withinMonths !== undefined && value < monthsBefore(now, field.withinMonths)) {
    return { problem: `This must be dated within the last ${field.withinMonths} months.` };
  }
  if (field.age) {
    const age = yearsBetween(value, today);
    if (age < field.age.min) return { problem: `Check the date of birth: it makes them younger than ${field.age.min}.` };
    if (age > field.age.max) return { problem: `Check the date of birth: it makes them older than ${field.age.max}.` };
  }
  return value;
}

/** The day `months` calendar months before `now`, as YYYY-MM-DD (31 May less 3 months is 28 or 29 February). */
function monthsBefore(now: Date, months: number): string {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth() - months;
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return new Date(Date.UTC(y, m, Math.min(now.getUTCDate(), lastDay))).toISOString().slice(0, 10);
}

/** Whole years from one YYYY-MM-DD date to a later one: an age. */
function yearsBetween(from: string, to: string): number {
  const years = Number(to.slice(0, 4)) - Number(from.slice(0, 4));
  return to.slice(5) < from.slice(5) ? years - 1 : years;
}

/** A form as `forms schema --json` prints it: fields, types, required flags and rules, from the one definition. */
export function describeForm(form: FormDefinition): object {
  return {
    id: form.id,
    purpose: form.purpose,
    title: form.title,
    summary: form.summary,
    order: form.order,
    urgentWhen: form.urgentWhen ?? null,
    fields: form.fields.map((field) => {
      const { id: fieldId, type, label, hint, section, required, requiredWhen, sensitive, refuse, ...rules } = field;
      return {
        id: fieldId,
        type,
        label,
        hint: hint ?? null,
        section: section ?? null,
        required,
        requiredWhen: requiredWhen ?? null,
        sensitive,
        maxInputLength: inputLength(field),
        rules: { ...typeRules[type], ...rules, ...(refuse.length > 0 ? { refuse } : {}) },
      };
    }),
    rules: form.rules,
    checklist: form.checklist,
  };
}

/** The rules a type brings with it, for scripts that read the schema. */
const typeRules: Readonly<Record<FieldType, object>> = {
  text: { noControlCharacters: true },
  longText: {},
  email: { format: 'email', maxLength: 254, stored: 'lower case' },
  phone: { format: 'UK phone number, 10 or 11 digits' },
  date: { format: 'YYYY-MM-DD' },
  choice: {},
  yesNo: { values: ['true', 'false'] },
  odsCode: { format: 'ODS code (domain.md section 10)', stored: 'upper case, no spaces' },
  odsCodes: { format: 'ODS codes (domain.md section 10), separated by commas or spaces', stored: 'upper case, repeats dropped, comma-joined' },
  uuid: { pattern: '^\\d{12}$', stored: 'digits only' },
  gphc: { pattern: '^\\d{7}$', stored: 'digits only' },
  url: { format: 'https URL with a host name', stored: 'as the URL parser writes it' },
  time: { format: 'HH:MM, 24-hour clock', stored: 'HH:MM' },
  number: { format: 'whole number', stored: 'digits, no leading zeros' },
};

/**
 * Validates form files (already parsed from YAML): the schema, unique ids, and conditions and rules that name real
 * fields and values. Choices with `optionsFrom` take their options from `lists` (made from the RA team data). Every
 * problem is listed, each with its file.
 */
export function parseForms(
  files: readonly { readonly file: string; readonly data: unknown }[],
  sources: SourceCatalogue,
  lists?: OptionLists,
): FormDefinition[] {
  const { items: parsed, problems } = parseEach(files, formSchema);
  const items = parsed.map(({ file, item }) => ({ file, item: withListedOptions(item, lists, (p) => problems.push(`${file}: ${p}`)) }));
  const ids = new Set<string>();
  for (const { file, item: form } of items) {
    if (`${form.id}.yaml` !== file.split('/').pop()) problems.push(`${file}: the file name must be ${form.id}.yaml`);
    if (ids.has(form.id)) problems.push(`duplicate form id ${form.id}`);
    ids.add(form.id);
    for (const source of form.sources) if (typeof source === 'string' && !sources.has(source)) problems.push(`${file}: unknown source ${source}`);
    problems.push(...formProblems(form).map((p) => `${file}: ${p}`));
  }
  if (problems.length > 0) throw new KnowledgeError('forms', problems);
  return items.map((i) => i.item).sort((a, b) => a.order - b.order || a.id.localeCompare(b.id));
}

/** A form with each `optionsFrom` choice's options read from the lists, data first. */
function withListedOptions(form: FormDefinition, lists: OptionLists | undefined, problem: (p: string) => void): FormDefinition {
  if (!form.fields.some((f) => f.type === 'choice' && f.optionsFrom)) return form;
  const fields = form.fields.map((field): FormField => {
    if (field.type !== 'choice' || !field.optionsFrom) return field;
    if (!lists) {
      problem(`${field.id}.optionsFrom ${field.optionsFrom} needs the RA team data to read its options from`);
      return field;
    }
    const fromData = lists[field.optionsFrom].filter((o) => /^[a-z0-9-]+$/.test(o.value) && o.title.length >= 1 && o.title.length <= 60);
    const clash = fromData.find((o) => field.options.some((l) => l.value === o.value));
    if (clash) problem(`${field.id}: the option ${clash.value} is both listed and read from ${field.optionsFrom}`);
    return { ...field, options: [...fromData, ...field.options] };
  });
  return { ...form, fields };
}

/** What is wrong with one form's fields, conditions and rules, beyond its schema. */
function formProblems(form: FormDefinition): string[] {
  const problems: string[] = [];
  const byId = new Map<string, FormField>();
  for (const field of form.fields) {
    if (byId.has(field.id)) problems.push(`field ${field.id} is repeated`);
    // A list read from data may hold one entry (one RA team); one written in the form is a choice only with two.
    if (field.type === 'choice' && (field.options.length < (field.optionsFrom ? 1 : 2) || field.options.length > 20)) {
      problems.push(`${field.id} needs ${field.optionsFrom ? 1 : 2} to 20 options${field.optionsFrom ? `, counting those read from ${field.optionsFrom}` : ''}`);
    }
    if (field.type === 'number' && field.min >= field.max) problems.push(`${field.id}: min must be below max`);
    byId.set(field.id, field);
    if (field.required && field.requiredWhen) problems.push(`${field.id} has both required and requiredWhen: keep one`);
    for (const r of field.refuse) for (const v of r.values) problems.push(...valueProblems(`${field.id}.refuse`, field, v));
  }
  const conditions: (readonly [string, { field: string; in: readonly string[] } | undefined])[] = [
    ['urgentWhen', form.urgentWhen],
    ...form.fields.map((f) => [`${f.id}.requiredWhen`, f.requiredWhen] as const),
  ];
  for (const [where, cond] of conditions) {
    if (!cond) continue;
    const target = byId.get(cond.field);
    if (!target) problems.push(`${where} names no field ${cond.field}`);
    else for (const v of cond.in) problems.push(...valueProblems(where, target, v));
  }
  for (const field of form.fields) {
    // Following requiredWhen from field to field must end; a loop would mean no field in it could ever apply.
    const seen = new Set<string>([field.id]);
    for (let next = field.requiredWhen?.field; next !== undefined; next = byId.get(next)?.requiredWhen?.field) {
      if (seen.has(next)) {
        problems.push(`${field.id}.requiredWhen goes round in a loop through ${next}`);
        break;
      }
      seen.add(next);
    }
  }
  form.rules.forEach((rule, i) => {
    const where = `rules.${i} (${rule.kind})`;
    const named = rule.kind === 'atLeastOne' ? rule.fields : [rule.first, rule.then];
    for (const name of [...named, rule.reportOn]) if (!byId.has(name)) problems.push(`${where} names no field ${name}`);
    if (!named.includes(rule.reportOn)) problems.push(`${where}: reportOn ${rule.reportOn} must be one of the fields the rule names`);
    if (rule.kind === 'atLeastOne' && rule.in) {
      for (const name of rule.fields) {
        const target = byId.get(name);
        if (!target) continue;
        if (target.type !== 'choice' && target.type !== 'yesNo') problems.push(`${where}: ${name} must be a choice or yes/no field to compare with "in"`);
        else for (const v of rule.in) problems.push(...valueProblems(where, target, v));
      }
    }
    if (rule.kind === 'dateOrder') {
      for (const name of named) if (byId.has(name) && byId.get(name)?.type !== 'date') problems.push(`${where}: ${name} is not a date field`);
    }
  });
  return problems;
}

/** Whether a condition or refusal may name this value of a field: a choice's option, or "true"/"false" for yes/no. */
function valueProblems(where: string, field: FormField, value: string): string[] {
  if (field.type === 'choice' && !field.options.some((o) => o.value === value)) return [`${where}: ${value} is not an option of ${field.id}`];
  if (field.type === 'yesNo' && value !== 'true' && value !== 'false') return [`${where}: a yes/no field is "true" or "false", not ${value}`];
  return [];
}
