import type { Reply } from './chat.js';

/** A form card's input as the user sees it: its value, the problem shown under it ('' when none), and the input itself. */
export interface FormCardField {
  readonly value: unknown;
  readonly error: string;
  readonly input: Record<string, unknown>;
}

/** The last form card's inputs by id (each input sits in a Container, with any problem in red text after it). */
export function formFields(replies: readonly Reply[]): Map<string, FormCardField> {
  const card = replies.flatMap((r) => r.cards).at(-1) as { body?: { type?: string; items?: Record<string, unknown>[] }[] } | undefined;
  const fields = new Map<string, FormCardField>();
  for (const container of card?.body ?? []) {
    if (container.type !== 'Container') continue;
    const items = container.items ?? [];
    const input = items.find((i) => typeof i['id'] === 'string');
    if (!input) continue;
    const error = items.find((i) => i['type'] === 'TextBlock' && i['color'] === 'Attention');
    fields.set(String(input['id']), { value: input['value'], error: error ? String(error['text']) : '', input });
  }
  return fields;
}

/** A form definition for tests that need one of their own (usually a bad one): valid apart from `fields`, read from forms/bad.yaml. */
export function badForm(fields: readonly object[]) {
  return {
    id: 'bad',
    title: 'A bad form',
    summary: 'A form for these tests only.',
    order: 50,
    next: 'Nothing happens next.',
    sources: ['seed:000_ae3953f2dc3337d3.txt'],
    fields,
  };
}
