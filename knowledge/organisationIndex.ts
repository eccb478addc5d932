import Fuse from 'fuse.js';
import { normalisePostcode, postcodeDistrict, type Organisation } from './organisations.js';

/** How many trigram-matched candidates fuse.js ranks: enough for typos, few enough to stay fast at 30,000 organisations. */
const candidateCount = 150;
/** Added to a closed organisation's fuse.js score (0 is a perfect match, 1 none). */
const closedPenalty = 0.05;

/**
 * Finds organisations by name, town or postcode. Fuse.js alone takes hundreds of milliseconds over a whole
 * country, so a trigram index picks the candidates that share most letter triples with the query and fuse.js
 * ranks those.
 */
export class OrganisationIndex {
  private readonly items: readonly Organisation[];
  private readonly postings = new Map<string, number[]>();
  private readonly byDistrict = new Map<string, number[]>();

  constructor(organisations: Iterable<Organisation>) {
    this.items = [...organisations];
    this.items.forEach((org, i) => {
      for (const gram of new Set(trigrams(searchText(org)))) {
        const list = this.postings.get(gram);
        if (list) list.push(i);
        else this.postings.set(gram, [i]);
      }
      const district = org.postcode?.split(' ')[0];
      if (district) {
        const list = this.byDistrict.get(district);
        if (list) list.push(i);
        else this.byDistrict.set(district, [i]);
      }
    });
  }

  get size(): number {
    return this.items.length;
  }

  /** The best matches, a closed organisation just behind an open one that matches as well. */
  search(query: string, limit: number): Organisation[] {
    const place = this.byPostcode(query);
    if (place) return place.slice(0, limit);
    const grams = [...new Set(trigrams(simplify(query)))];
    if (grams.length === 0) return [];
    const counts = new Uint16Array(this.items.length);
    const touched: number[] = [];
    for (const gram of grams) {
      for (const i of this.postings.get(gram) ?? []) {
        if (counts[i] === 0) touched.push(i);
        counts[i] = (counts[i] ?? 0) + 1;
      }
    }
    // A candidate must share a fair part of the query's triples, or every long query would match everything a little.
    const floor = Math.max(1, Math.ceil(grams.length * 0.3));
    const candidates = touched
      .filter((i) => (counts[i] ?? 0) >= floor)
      .sort((a, b) => (counts[b] ?? 0) - (counts[a] ?? 0))
      .slice(0, candidateCount)
      .map((i) => this.items[i])
      .filter((o): o is Organisation => o !== undefined);
    const fuse = new Fuse(candidates, {
      keys: [
        { name: 'name', weight: 0.75 },
        { name: 'place', weight: 0.25, getFn: (o: Organisation) => o.address.slice(-2).join(' ') },
      ],
      threshold: 0.45,
      ignoreLocation: true,
      includeScore: true,
      useTokenSearch: true,
    });
    // A closed organisation ranks a little lower, never below a worse match: people search for their old practice too.
    const rank = (r: { item: Organisation; score?: number }) => (r.score ?? 1) + (r.item.open ? 0 : closedPenalty);
    return fuse
      .search(query.trim(), { limit: limit * 3 })
      .sort((a, b) => rank(a) - rank(b))
      .slice(0, limit)
      .map((r) => r.item);
  }

  /** A full postcode matches that postcode first, then its district; a district alone matches the district. */
  private byPostcode(query: string): Organisation[] | undefined {
    const district = postcodeDistrict(query);
    if (!district) return undefined;
    const full = normalisePostcode(query);
    const inDistrict = (this.byDistrict.get(district) ?? []).map((i) => this.items[i]).filter((o): o is Organisation => o !== undefined);
    return inDistrict.sort(
      (a, b) =>
        Number(b.postcode === full) - Number(a.postcode === full) || Number(b.open) - Number(a.open) || a.name.localeCompare(b.name),
    );
  }
}

function searchText(org: Organisation): string {
  return simplify(`${org.name} ${org.address.slice(-2).join(' ')}`);
}

function simplify(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
}

/** Letter triples of each word, padded so short words and word starts count. */
function trigrams(text: string): string[] {
  const grams: string[] = [];
  for (const word of text.split(' ')) {
    if (word === '') continue;
    const padded = ` ${word} `;
    for (let i = 0; i + 3 <= padded.length; i++) grams.push(padded.slice(i, i + 3));
  }
  return grams;
}
