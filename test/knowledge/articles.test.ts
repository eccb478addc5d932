import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadKnowledge, type Knowledge } from '../../bot/knowledgeFiles.js';
import { maxAnswerWords, placeholdersIn, wordCount } from '../../knowledge/articles.js';

const dataDir = fileURLToPath(new URL('../../knowledge/data', import.meta.url));
const domain = readFileSync(fileURLToPath(new URL('../../knowledge/seeds/domain.md', import.meta.url)), 'utf8');

describe('knowledge: articles', () => {
  let knowledge: Knowledge;
  before(async () => {
    knowledge = await loadKnowledge(dataDir);
  });

  it('every article file validates: fields, at least 6 variants, sources, known follow-ups and placeholders', () => {
    expect(knowledge.articles.length).to.be.greaterThan(0);
    for (const article of knowledge.articles) {
      expect(article.variants.length, article.id).to.be.at.least(6);
      expect(article.sources.length, article.id).to.be.at.least(1);
      expect(wordCount(article.answer), article.id).to.be.at.most(maxAnswerWords);
    }
  });

  it('every national source an article cites is a page named in domain.md', () => {
    for (const article of knowledge.articles) {
      for (const ref of article.sources) {
        if (typeof ref !== 'string') expect(domain, `${article.id}: ${ref.url}`).to.include(ref.url.replace(/\/$/, ''));
      }
    }
  });

  it('no article hard-codes an RA team phone number or email: contacts come from the RA team file', () => {
    const teamPhones = knowledge.raTeams.teams.map((t) => t.phone);
    for (const article of knowledge.articles) {
      const texts = [article.answer, ...Object.values(article.regional ?? {})].join('\n');
      for (const phone of teamPhones) expect(texts, article.id).not.to.include(phone);
      // A naming pattern such as nhspharmacy.<place>.<name><ODScode>@nhs.net is guidance, not a contact.
      const addresses = (texts.match(/[a-z0-9.<>_-]+@[a-z0-9.-]+/gi) ?? []).filter((a) => !/odscode/i.test(a));
      expect(addresses, article.id).to.deep.equal([]);
    }
  });

  it('every follow-up and placeholder resolves', () => {
    const ids = new Set(knowledge.articles.map((a) => a.id));
    for (const article of knowledge.articles) {
      for (const next of article.followUps) expect(ids.has(next), `${article.id} -> ${next}`).to.equal(true);
      for (const p of placeholdersIn(article.answer)) expect(['my', ...knowledge.raTeams.teams.map((t) => t.id)]).to.include(p.team);
    }
  });
});
