import Fuse from 'fuse.js';
import type { Article } from './articles.js';
import { stemmer } from 'stemmer';
import { Normaliser, type SynonymTable } from './text.js';

/** An article and how sure the search is that it answers the question (0..1). */
export interface Hit {
  readonly article: Article;
  readonly confidence: number;
}

/** What to do with a question: answer it, ask which of a few articles was meant, or say it is not known. */
export type SearchResult =
  | { readonly kind: 'answer'; readonly confidence: number; readonly best: Hit }
  | { readonly kind: 'clarify'; readonly confidence: number; readonly candidates: readonly Hit[] }
  | { readonly kind: 'none'; readonly confidence: number; readonly candidates: readonly Hit[] };

/** The confidence bands: at or above `answer` the top article is given; at or above `clarify`, "did you mean". */
export interface Bands {
  readonly answer: number;
  readonly clarify: number;
  /** The top article must beat the runner-up by this much to be answered outright. */
  readonly margin: number;
  /** A question with no smartcard term needs this much confidence to be answered or clarified at all. */
  readonly unanchored: number;
}

/** Calibrated on held-out article variants (leave-one-out) and the development question set; see test/bench/searchQuality.ts. */
export const defaultBands: Bands = { answer: 0.22, clarify: 0.12, margin: 0.03, unanchored: 0.45 };

/** Search settings that are content: what to offer for vague questions, and which terms mark a smartcard question. */
export interface SearchSettings {
  readonly commonProblems: readonly string[];
  readonly anchors: readonly string[];
}

/** Words that say something is wrong without saying what: a question of only these is about the card, so offer the common problems. */
const problemWords = ['work', 'working', 'broken', 'problem', 'issue', 'error', 'help', 'sort', 'fix', 'wrong', 'stuck', 'thing', 'smartcard'];
/** Words that name an action without its object: a question of only these and problem words gets "did you mean" from what it matches. */
const actionWords = ['add', 'someone', 'code', 'access', 'change', 'update', 'new', 'login', 'sign'];
const problemStems = new Set(problemWords.map((w) => stemmer(w)));
const vagueStems = new Set([...problemWords, ...actionWords].map((w) => stemmer(w)));

/**
 * Finds the article that answers a question. Questions and articles go through the same normaliser
 * (synonyms, stop words, stems); fuse.js corrects misspelt words against the knowledge base's own
 * vocabulary; each article is a TF-IDF vector of its questions (strongest), keywords and answer text
 * (weakest), and the confidence is the cosine between it and the question, where words the knowledge
 * base has never seen count against the match.
 */
export class KnowledgeBase {
  readonly articles: readonly Article[];
  private readonly byId: ReadonlyMap<string, Article>;
  private readonly normaliser: Normaliser;
  /** Each article's vector length, and where its questions (title and variants) start in `questionMasses`, by position in `articles`. */
  private readonly shapes: readonly { readonly norm: number; readonly questions: { readonly from: number; readonly to: number } }[];
  /** Every article question's sum of squared term weights, articles' questions one after another. */
  private readonly questionMasses: readonly number[];
  /**
   * For each term, the articles whose vector has it (with its weight) and the article questions that say it: a search
   * visits only what shares a term with the question, instead of every term of every article and question.
   */
  private readonly postings: ReadonlyMap<string, Postings>;
  private readonly idf: ReadonlyMap<string, number>;
  private readonly unknownWeight: number;
  private readonly spelling: Fuse<string>;
  private readonly commonProblems: readonly Hit[];
  private readonly anchors: readonly (readonly string[])[];

  constructor(
    articles: readonly Article[],
    synonyms: SynonymTable,
    settings: SearchSettings = { commonProblems: [], anchors: [] },
    private readonly bands: Bands = defaultBands,
  ) {
    this.articles = articles;
    this.byId = new Map(articles.map((a) => [a.id, a]));
    this.normaliser = new Normaliser(synonyms);
    this.commonProblems = settings.commonProblems.flatMap((id) => {
      const article = this.byId.get(id);
      return article ? [{ article, confidence: 0 }] : [];
    });
    this.anchors = settings.anchors.map((a) => this.normaliser.terms(a)).filter((terms) => terms.length > 0);

    // How strongly each article uses each term: once per question that says it, less for keywords, least for answer text.
    const strength = new Map<string, Map<string, number>>();
    const questions = new Map<string, Set<string>[]>();
    for (const article of articles) {
      const counts = new Map<string, number>();
      const sets = [article.title, ...article.variants].map((text) => new Set(this.normaliser.terms(text)));
      for (const set of sets) for (const t of set) counts.set(t, (counts.get(t) ?? 0) + 1);
      questions.set(article.id, sets);
      const add = (text: string, weight: number) => this.normaliser.terms(text).forEach((t) => counts.set(t, counts.get(t) ?? weight));
      article.keywords.forEach((k) => add(k, 0.5));
      add([article.answer, ...Object.values(article.regional ?? {})].join(' '), 0.25);
      strength.set(article.id, counts);
    }
    const df = new Map<string, number>();
    for (const counts of strength.values()) for (const t of counts.keys()) df.set(t, (df.get(t) ?? 0) + 1);
    this.idf = new Map([...df].map(([t, n]) => [t, Math.log(1 + articles.length / n)]));
    // A word the knowledge base has never seen weighs like a typical word, so it lowers the confidence of any match.
    const sorted = [...this.idf.values()].sort((a, b) => a - b);
    this.unknownWeight = sorted[Math.floor(sorted.length / 2)] ?? 1;
    const weight = (t: string) => this.idf.get(t) ?? 0;
    const vectors = new Map(
      [...strength].map(([id, counts]) => {
        const weights = new Map([...counts].map(([t, n]) => [t, (n >= 1 ? 1 + Math.log(n) : n) * (this.idf.get(t) ?? 0)]));
        const norm = Math.sqrt([...weights.values()].reduce((sum, w) => sum + w * w, 0)) || 1;
        return [id, { weights, norm }] as const;
      }),
    );
    const postings = new Map<string, Postings>();
    const postingsOf = (t: string): Postings => {
      const known = postings.get(t);
      if (known) return known;
      const made: Postings = { articles: [], questions: [] };
      postings.set(t, made);
      return made;
    };
    const questionMasses: number[] = [];
    this.shapes = articles.map((article, a) => {
      const vector = vectors.get(article.id);
      for (const [t, w] of vector?.weights ?? []) postingsOf(t).articles.push({ article: a, weight: w });
      const from = questionMasses.length;
      for (const set of questions.get(article.id) ?? []) {
        set.forEach((t) => postingsOf(t).questions.push(questionMasses.length));
        questionMasses.push([...set].reduce((sum, t) => sum + weight(t) ** 2, 0));
      }
      return { norm: vector?.norm ?? 1, questions: { from, to: questionMasses.length } };
    });
    this.questionMasses = questionMasses;
    this.postings = postings;
    this.spelling = new Fuse([...df.keys()].filter((t) => t.length >= 5), { includeScore: true, threshold: 0.25, ignoreLocation: true });
  }

  /** The common problems offered when a question is vague or when someone asks what to ask. */
  common(): Article[] {
    return this.commonProblems.map((h) => h.article);
  }

  /** The article with this id. */
  get(id: string): Article | undefined {
    return this.byId.get(id);
  }

  /** The best-matching articles for a search box, any confidence, best first. */
  lookup(query: string, limit: number): Hit[] {
    const { terms, unknown } = this.queryTerms(query);
    return this.rank(terms, unknown.length).slice(0, limit);
  }

  /** Ranks every article for a question and decides the band. */
  search(question: string): SearchResult {
    const { terms, unknown } = this.queryTerms(question);
    const ranked = this.rank(terms, unknown.length);
    const [top, second] = ranked;
    const confidence = top?.confidence ?? 0;
    const candidates = ranked.slice(0, 3);
    const said = [...terms, ...unknown];
    // "It's not working" is about the card until shown otherwise: ask which problem rather than give up.
    if (said.length > 0 && said.every((t) => vagueStems.has(t))) {
      const onlyProblem = said.every((t) => problemStems.has(t));
      return { kind: 'clarify', confidence, candidates: onlyProblem || candidates.length === 0 ? this.commonProblems.slice(0, 3) : candidates };
    }
    if (!top || confidence < this.bands.clarify) return { kind: 'none', confidence, candidates };
    // Off-topic questions share common words with articles ("book", "leave"); without a smartcard term, only a near-exact match counts.
    const anchored = this.anchors.some((anchor) => anchor.every((t) => terms.includes(t)));
    if (!anchored && confidence < this.bands.unanchored) return { kind: 'none', confidence, candidates };
    const margin = confidence - (second?.confidence ?? 0);
    // Two close candidates that are each other's follow-ups are one topic: answer the first, the card links the second.
    const related = !!second && (top.article.followUps.includes(second.article.id) || second.article.followUps.includes(top.article.id));
    if (confidence >= this.bands.answer && (margin >= this.bands.margin || related)) {
      return { kind: 'answer', confidence, best: top };
    }
    return { kind: 'clarify', confidence, candidates };
  }

  /** The question's terms that the knowledge base knows (misspellings corrected), and the words it does not. */
  private queryTerms(question: string): { terms: string[]; unknown: string[] } {
    const terms: string[] = [];
    const unknown: string[] = [];
    for (const term of this.normaliser.terms(question)) {
      if (this.idf.has(term)) terms.push(term);
      else {
        // Typos keep their first letter far more often than not; requiring it stops "night" becoming "right".
        const [fix] = term.length >= 5 ? this.spelling.search(term, { limit: 1 }) : [];
        if (fix && fix.item[0] === term[0]) terms.push(fix.item);
        else unknown.push(term);
      }
    }
    return { terms: [...new Set(terms)], unknown };
  }

  private rank(terms: readonly string[], unknownCount = 0): Hit[] {
    if (terms.length === 0) return [];
    const weight = (t: string) => this.idf.get(t) ?? 0;
    const queryNorm = Math.sqrt(terms.reduce((sum, t) => sum + weight(t) ** 2, 0) + unknownCount * this.unknownWeight ** 2);
    // Dot products with each article's vector, and the weight each article question shares with the question.
    const dots = new Float64Array(this.articles.length);
    const shared = new Float64Array(this.questionMasses.length);
    for (const t of terms) {
      const w = weight(t);
      const found = this.postings.get(t);
      if (!found) continue;
      for (const p of found.articles) dots[p.article] = (dots[p.article] ?? 0) + w * p.weight;
      for (const q of found.questions) shared[q] = (shared[q] ?? 0) + w ** 2;
    }
    const hits: Hit[] = [];
    this.articles.forEach((article, a) => {
      const dot = dots[a] ?? 0;
      const shape = this.shapes[a];
      if (dot === 0 || !shape) return;
      const centroid = dot / (queryNorm * shape.norm);
      // A question asked (nearly) word for word as one of the article's own is that article, however broad it is.
      let verbatim = 0;
      for (let q = shape.questions.from; q < shape.questions.to; q++) {
        const mass = this.questionMasses[q] ?? 0;
        if (mass > 0) verbatim = Math.max(verbatim, (shared[q] ?? 0) / (queryNorm * Math.sqrt(mass)));
      }
      hits.push({ article, confidence: round(verbatim >= 0.9 ? Math.max(centroid, verbatim) : centroid) });
    });
    return hits.sort((a, b) => b.confidence - a.confidence || a.article.id.localeCompare(b.article.id));
  }
}

/** Where one term occurs: in which articles' vectors (and how strongly), and in which of their questions (by place in `questionMasses`). */
interface Postings {
  readonly articles: { readonly article: number; readonly weight: number }[];
  readonly questions: number[];
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
