/** Where a user works, as far as the RA rules care: each kind has its own route to a card and an unlock. */
export const workplaceKinds = ['pharmacy', 'gp-practice', 'locum-gp', 'icb', 'other'] as const;
export type WorkplaceKind = (typeof workplaceKinds)[number];

/** The areas whose RA teams the seed pages describe, and everywhere else. */
export const areas = ['dorset', 'hampshire-iow', 'elsewhere'] as const;
export type Area = (typeof areas)[number];

/** A choice as a person sees it, with the words they might type instead. */
export interface Option<T extends string> {
  readonly value: T;
  readonly title: string;
  readonly synonyms: readonly string[];
}

export const workplaceOptions: readonly Option<WorkplaceKind>[] = [
  { value: 'pharmacy', title: 'Community pharmacy', synonyms: ['pharmacy', 'chemist', 'dispensary', 'pharmacist', 'dispenser', 'chemists'] },
  { value: 'gp-practice', title: 'GP practice', synonyms: ['gp', 'surgery', 'practice', 'medical centre', 'health centre', 'gp surgery'] },
  { value: 'locum-gp', title: 'Locum GP', synonyms: ['locum', 'locum doctor', 'sessional gp'] },
  { value: 'icb', title: 'ICB or CCG', synonyms: ['icb', 'ccg', 'sub-icb', 'integrated care board', 'commissioning'] },
  { value: 'other', title: 'Somewhere else', synonyms: ['other', 'none of these', 'trust', 'hospital', 'something else'] },
];

export const areaOptions: readonly Option<Area>[] = [
  {
    value: 'dorset',
    title: 'Dorset',
    synonyms: ['bournemouth', 'poole', 'christchurch', 'weymouth', 'dorchester', 'bcp', 'wimborne', 'bridport', 'swanage'],
  },
  {
    value: 'hampshire-iow',
    title: 'Hampshire or Isle of Wight',
    synonyms: ['hampshire', 'southampton', 'portsmouth', 'isle of wight', 'iow', 'winchester', 'basingstoke', 'hants'],
  },
  { value: 'elsewhere', title: 'Somewhere else in England', synonyms: ['elsewhere', 'other', 'england', 'somewhere else', 'none'] },
];

/** The label of a workplace kind, for messages. */
export function workplaceTitle(kind: WorkplaceKind): string {
  return workplaceOptions.find((o) => o.value === kind)?.title ?? kind;
}

/** The label of an area, for messages. */
export function areaTitle(area: Area): string {
  return areaOptions.find((o) => o.value === area)?.title ?? area;
}

/** The area a question names ("pharmacy in Southampton"), when it names exactly one. */
export function areaNamedIn(text: string): Area | undefined {
  const words = ` ${text.toLowerCase().replace(/[^a-z ]/g, ' ').replace(/\s+/g, ' ')} `;
  const named = areaOptions
    .filter((o) => o.value !== 'elsewhere')
    .filter((o) => [o.value, ...o.synonyms].some((s) => words.includes(` ${s} `)));
  return named.length === 1 ? named[0]?.value : undefined;
}
