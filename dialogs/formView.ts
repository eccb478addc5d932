import type { FormCardData, FormCardField } from '../cards/formCard.js';
import { inputLength, type FormDefinition, type FormField } from '../knowledge/forms.js';

/** The button under every request form; a form may name its own (`submitTitle`). */
export const formSubmitTitle = 'Send to the RA team';

/**
 * A form definition as its card shows it: empty, or again with what the person typed and each field's problem next
 * to it. Values are echoed only as far as the input takes them, and only when the input can show them (a date, an
 * option of the choice), so forged card data cannot change the card's shape.
 */
export function formCardData(
  form: FormDefinition,
  values: Readonly<Record<string, string>> = {},
  errors: Readonly<Record<string, string>> = {},
  problem = '',
): FormCardData {
  return {
    formId: form.id,
    title: form.title,
    intro: (form.intro ?? '')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== ''),
    problem,
    fields: form.fields.map((field) => cardField(field, own(values, field.id), own(errors, field.id))),
    submitTitle: form.submitTitle ?? formSubmitTitle,
  };
}

function own(record: Readonly<Record<string, string>>, key: string): string {
  const value: unknown = Object.hasOwn(record, key) ? record[key] : undefined;
  return typeof value === 'string' ? value : '';
}

const yesNo = [
  { value: 'true', title: 'Yes' },
  { value: 'false', title: 'No' },
] as const;

function cardField(field: FormField, typed: string, error: string): FormCardField {
  const maxLength = inputLength(field);
  const base = {
    id: field.id,
    heading: field.section ?? '',
    label: field.label,
    hint: field.hint ?? '',
    // A field required only when another has some value cannot be marked required on the card: the server checks it.
    required: field.required,
    maxLength,
    error,
    min: 0,
    max: 0,
  };
  switch (field.type) {
    case 'longText':
      return { ...base, input: 'multiline', style: 'Text', options: [], value: typed.slice(0, maxLength) };
    case 'date':
      return { ...base, input: 'date', style: 'Text', options: [], value: /^\d{4}-\d{2}-\d{2}$/.test(typed) ? typed : '' };
    case 'choice':
      return { ...base, input: 'choice', style: 'compact', options: field.options, value: field.options.some((o) => o.value === typed) ? typed : '' };
    case 'yesNo':
      return { ...base, input: 'choice', style: 'expanded', options: yesNo, value: typed === 'true' || typed === 'false' ? typed : '' };
    case 'email':
      return { ...base, input: 'text', style: 'Email', options: [], value: typed.slice(0, maxLength) };
    case 'phone':
      return { ...base, input: 'text', style: 'Tel', options: [], value: typed.slice(0, maxLength) };
    case 'url':
      return { ...base, input: 'text', style: 'Url', options: [], value: typed.slice(0, maxLength) };
    case 'time':
      return { ...base, input: 'time', style: 'Text', options: [], value: /^\d{2}:\d{2}$/.test(typed) ? typed : '' };
    case 'number':
      return { ...base, input: 'number', style: 'Text', options: [], min: field.min, max: field.max, value: /^\d{1,7}$/.test(typed) ? typed : '' };
    case 'text':
    case 'odsCode':
    case 'odsCodes':
    case 'uuid':
    case 'gphc':
      return { ...base, input: 'text', style: 'Text', options: [], value: typed.slice(0, maxLength) };
  }
}
