import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { loadKnowledge, type Knowledge } from '../../bot/knowledgeFiles.js';

const dataDir = fileURLToPath(new URL('../../knowledge/data', import.meta.url));

describe('knowledge: search', () => {
  let knowledge: Knowledge;
  before(async () => {
    knowledge = await loadKnowledge(dataDir);
  });

  it("every article's own title and variants retrieve it first", () => {
    const misses: string[] = [];
    for (const article of knowledge.articles) {
      for (const question of [article.title, ...article.variants]) {
        const top = knowledge.kb.lookup(question, 1)[0];
        if (top?.article.id !== article.id) misses.push(`${article.id} <- "${question}" => ${top?.article.id ?? 'nothing'}`);
      }
    }
    expect(misses).to.deep.equal([]);
  });

  it('confidence is between 0 and 1 and ranked best first', () => {
    const hits = knowledge.kb.lookup('my smartcard is locked', 10);
    expect(hits.length).to.be.greaterThan(1);
    for (const h of hits) expect(h.confidence).to.be.within(0, 1);
    expect(hits.map((h) => h.confidence)).to.deep.equal([...hits.map((h) => h.confidence)].sort((a, b) => b - a));
  });

  for (const question of [
    "what's the weather like in Poole today",
    'book annual leave for next friday',
    'tell me a joke',
    'who won the football last night',
    'my printer keeps jamming',
    'look up a patient record for me',
    'what time does the canteen open',
    'how do I claim mileage',
  ]) {
    it(`an off-topic question gets no answer: "${question}"`, () => {
      expect(knowledge.kb.search(question).kind).to.equal('none');
    });
  }

  for (const [question, expected] of [
    ['its not working', 'self-service-unlock'],
    ['card', undefined],
    ['I need to add someone', undefined],
  ] as const) {
    it(`a vague question gets "did you mean" rather than a guess: "${question}"`, () => {
      const result = knowledge.kb.search(question);
      expect(result.kind).to.equal('clarify');
      if (result.kind === 'clarify' && expected) expect(result.candidates.map((c) => c.article.id)).to.include(expected);
      if (result.kind === 'clarify') expect(result.candidates.length).to.be.within(1, 3);
    });
  }

  for (const [question, expected] of [
    ['how do i unlcok my smartcrad myself', 'self-service-unlock'],
    ['my certs expired last week can the RA renew them remotely', 'expired-certificates'],
    ['spinning arrows when renewing', 'revolving-arrows'],
    ['lost my card on the bus', 'lost-stolen-card'],
    ['whats a UUID', 'smartcard-uuid'],
  ] as const) {
    it(`typos, abbreviations and lay words still find the answer: "${question}"`, () => {
      const result = knowledge.kb.search(question);
      const ids = result.kind === 'answer' ? [result.best.article.id] : result.kind === 'clarify' ? result.candidates.map((c) => c.article.id) : [];
      expect(ids, `${result.kind}`).to.include(expected);
    });
  }
});
