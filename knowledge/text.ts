import { stemmer } from 'stemmer';

/** Words that carry no meaning for matching a question to an article. */
const stopwords = new Set(
  ('a an the and or but if then so of to in on at by for with from into onto about as is are was were be been being am ' +
    'i me my mine we our us you your yours he she it its they them their this that these those there here ' +
    'do does did doing done have has had having can could should would will shall may might must ' +
    'what whats how hows why when where who whom which whose please pls thanks thank hi hello hey ok okay ' +
    'just really very also too still yet again some any all one get got getting gets need needs want wants ' +
    'im ive dont doesnt didnt cant cannot wont isnt arent wasnt not no yes tell know let like ' +
    'weve youve theyve youre theyre were whats thats theres heres hes shes itll ill youll well wed youd theyd shouldnt couldnt wouldnt hasnt havent hadnt')
    .split(' '),
);

/** The canonical term whose forms are dropped rather than matched. */
const ignored = 'ignore';

/** A synonym table: canonical term to the forms users type. */
export type SynonymTable = Readonly<Record<string, readonly string[]>>;

/** Turns text into the terms the search compares: lower case, synonyms folded to one term, stop words dropped, words stemmed. */
export class Normaliser {
  private readonly phrases: readonly { form: string; pattern: RegExp; term: string }[];
  private readonly words: ReadonlyMap<string, string>;

  constructor(synonyms: SynonymTable) {
    const phrases: { form: string; term: string }[] = [];
    const words = new Map<string, string>();
    for (const [term, forms] of Object.entries(synonyms)) {
      for (const form of [term, ...forms].map((f) => simplify(f))) {
        if (form.includes(' ') || form.includes('-') || form.includes('.')) phrases.push({ form, term });
        if (form === '') continue;
        else words.set(form, term);
      }
    }
    // Longest phrases first, so "ra agent id checker" wins over "ra agent".
    phrases.sort((a, b) => b.form.length - a.form.length);
    this.phrases = phrases.map(({ form, term }) => ({ form, pattern: new RegExp(`(^|\\s)${escape(form)}(?=\\s|$)`, 'g'), term: ` __${term}__ ` }));
    this.words = words;
  }

  /** The terms of a text, in order; synonyms come out as their canonical term. */
  terms(text: string): string[] {
    let t = ` ${simplify(text)} `;
    // A plain substring test first: most phrases are not in a question, and running all their patterns was most of the cost.
    for (const { form, pattern, term } of this.phrases) if (t.includes(form)) t = t.replace(pattern, `$1${term}`);
    const out: string[] = [];
    for (const raw of t.split(/\s+/)) {
      if (raw === '') continue;
      const folded = /^__(.+)__$/.exec(raw)?.[1] ?? this.words.get(raw);
      if (folded) {
        if (folded !== ignored) out.push(folded);
      } else if (!stopwords.has(raw) && raw.length > 1) {
        out.push(stemmer(raw));
      }
    }
    return out;
  }
}

/** Lower case, straight quotes, punctuation to spaces (keeping the dots and hyphens inside words). */
export function simplify(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[\u2018\u2019']/g, '')
    .replace(/[^a-z0-9.\-\s]/g, ' ')
    .replace(/(^|\s)[.-]+|[.-]+(?=\s|$)/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
