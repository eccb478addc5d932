import template from './templates/form.json' with { type: 'json' };
import { bindTemplate, type AdaptiveCardJson } from './render.js';

/** One field as the form card shows it; `input` picks the Adaptive Card input. */
export interface FormCardField {
  readonly id: string;
  /** A heading above this field, starting a group of fields ("Document 1"); empty for none. */
  readonly heading: string;
  readonly input: 'text' | 'multiline' | 'date' | 'time' | 'number' | 'choice';
  readonly label: string;
  /** A line under the input; empty for none. */
  readonly hint: string;
  readonly required: boolean;
  readonly maxLength: number;
  /** Input.Text style (Text, Email, Tel) or Input.ChoiceSet style (compact, expanded). */
  readonly style: string;
  readonly options: readonly { readonly value: string; readonly title: string }[];
  /** What the person typed last time, kept when the form comes back with problems. */
  readonly value: string;
  /** This field's problem, shown under it; empty for none. */
  readonly error: string;
  /** The range of a number input; unused by other inputs. */
  readonly min: number;
  readonly max: number;
}

/** A request form: its fields, the values so far and each field's problem. */
export interface FormCardData {
  readonly formId: string;
  readonly title: string;
  readonly intro: readonly string[];
  /** Above the fields, when the form comes back: "Please correct the fields marked below." */
  readonly problem: string;
  readonly fields: readonly FormCardField[];
  readonly submitTitle: string;
  /** A one-time id for this copy of the form, so pressing Send twice files once. */
  readonly draft?: string;
}

/** The form as an Adaptive Card: each field in its own container, with its hint and its problem just under it. */
export function renderFormCard(data: FormCardData): AdaptiveCardJson {
  // Input.Number takes its value as a number, and none at all when there is none.
  const fields = data.fields.map((f) => ({ ...f, numberValue: f.input === 'number' && f.value !== '' ? Number(f.value) : null }));
  return bindTemplate(template, { ...data, fields, draft: data.draft ?? '' });
}
