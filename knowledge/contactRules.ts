import { z } from 'zod';
import { contactRoles, type ContactRole } from './organisations.js';

/** A contact's fields as someone typed them (a form or a CSV line). */
export interface ContactInput {
  readonly role: string;
  readonly name: string;
  readonly email: string;
  readonly phone: string;
}

/** A contact's fields once checked: role known, name tidy, email lower-case, phone a UK number. */
export interface ContactFields {
  readonly role: ContactRole;
  readonly name: string;
  readonly email?: string | undefined;
  readonly phone?: string | undefined;
}

export type ContactField = keyof ContactInput;

/** The fields, or each field's problem in words a person can act on. */
export type ContactCheck = { readonly ok: true; readonly fields: ContactFields } | { readonly ok: false; readonly errors: Partial<Record<ContactField, string>> };

const roleList = contactRoles.join(', ');

const schema = z.object({
  role: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(contactRoles, { error: `must be one of ${roleList}` })),
  name: z
    .string()
    .trim()
    .min(2, 'Enter the name, at least 2 characters.')
    .max(100, 'Keep the name to 100 characters.')
    .refine((n) => !/[\u0000-\u001f\u007f]/.test(n), 'The name has characters that are not letters or punctuation.'),
  email: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.union([z.literal(''), z.email('Enter a work email address like name@nhs.net, or leave it empty.')]))
    .transform((e) => (e === '' ? undefined : e)),
  phone: z
    .string()
    .trim()
    .transform((p, ctx) => {
      if (p === '') return undefined;
      const phone = ukPhone(p);
      if (!phone) ctx.addIssue({ code: 'custom', message: 'Enter a UK phone number like 01202 123456, or leave it empty.' });
      return phone;
    }),
});

/** Checks a contact's fields with the same rules wherever they come from (a Teams form or a CSV import). */
export function checkContact(input: ContactInput): ContactCheck {
  const parsed = schema.safeParse(input);
  if (parsed.success) return { ok: true, fields: parsed.data };
  const errors: Partial<Record<ContactField, string>> = {};
  for (const issue of parsed.error.issues) {
    const field = issue.path[0] as ContactField;
    errors[field] ??= field === 'role' ? `The role must be one of ${roleList}.` : issue.message;
  }
  return { ok: false, errors };
}

/** "+44 1202 123456" and "01202 123456" to "01202 123456"; undefined when not 10 or 11 UK digits. */
export function ukPhone(text: string): string | undefined {
  if (!/^\+?[\d\s()-]+$/.test(text)) return undefined;
  const spaced = text.replace(/[()-]/g, ' ').replace(/\s+/g, ' ').trim();
  const national = spaced.startsWith('+44') ? `0${spaced.slice(3).trim()}` : spaced;
  const digits = national.replace(/\D/g, '');
  return /^0\d{9,10}$/.test(digits) && !national.includes('+') ? national : undefined;
}
