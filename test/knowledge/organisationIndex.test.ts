import { expect } from 'chai';
import { OrganisationIndex } from '../../knowledge/organisationIndex.js';
import { organisation } from '../support/directory.js';


const organisations = [
  organisation('FA001', 'BOOTS', 'BOURNEMOUTH', 'BH1 1AA'),
  organisation('FA002', 'BOOTS POOLE', 'POOLE', 'BH15 1SA'),
  organisation('FA003', 'ROOTS HEALTH', 'DORCHESTER', 'DT1 1AA'),
  organisation('FA004', 'QUAY PHARMACY', 'POOLE', 'BH15 2BB'),
  organisation('Y90001', 'HARBOUR VIEW SURGERY', 'POOLE', 'BH15 1AA'),
  organisation('Y90002', 'HARBOUR SURGERY', 'POOLE', 'BH15 1AA', { open: false }),
  organisation('Y90003', 'DOWNLAND MEDICAL CENTRE', 'WINCHESTER', 'SO23 9AA'),
  organisation('Y90004', 'CHALK LANE SURGERY', 'WINCHESTER', 'SO23 8BB'),
  organisation('Y90005', 'MEADOW PRACTICE', 'RINGWOOD', undefined),
];

describe('knowledge: OrganisationIndex search', () => {
  const index = new OrganisationIndex(organisations);

  it('holds every organisation it was given', () => {
    expect(index.size).to.equal(organisations.length);
  });

  describe('ranking', () => {
    // [query, the codes that must come first, in order, why]
    const cases: readonly (readonly [query: string, first: readonly string[], why: string])[] = [
      ['boots', ['FA001', 'FA002', 'FA003'], 'the exact name beats a longer name holding it, and both beat ROOTS, a one-letter typo'],
      ['roots', ['FA003'], 'and the other way round: ROOTS HEALTH beats BOOTS for "roots"'],
      ['bots pole', ['FA002'], 'a typo in every word still finds BOOTS POOLE first'],
      ['BOOTS POOLE', ['FA002'], 'capitals make no difference'],
      ['harbor veiw surgery', ['Y90001'], 'two typos still find HARBOUR VIEW SURGERY first'],
      ['quay', ['FA004'], 'one word of the name is enough'],
      ['medical centre', ['Y90003'], 'the end of the name is enough'],
      ['winchester', ['Y90003', 'Y90004'], 'a town finds the organisations there before a name that only shares letters (DORCHESTER)'],
      ['dorchester', ['FA003'], 'a town finds the organisation there first'],
      ['ringwood', ['Y90005'], 'an organisation with no postcode is still found by its town'],
      ['bh15 1aa', ['Y90001', 'Y90002', 'FA002', 'FA004'], 'a full postcode: that postcode first (open before closed), then the rest of its district by name'],
      ['BH151AA', ['Y90001', 'Y90002'], 'a full postcode typed without its space'],
      ['so23 8bb', ['Y90004', 'Y90003'], 'the exact postcode beats the alphabet'],
      ['BH15', ['FA002', 'Y90001', 'FA004', 'Y90002'], 'a district alone: open ones by name, then closed ones'],
      ['BH15 9ZZ', ['FA002', 'Y90001', 'FA004', 'Y90002'], 'a postcode nobody has falls back to its district'],
    ];
    for (const [query, first, why] of cases) {
      it(`when searching ${JSON.stringify(query)}, ${first.join(', ')} come first: ${why}`, () => {
        expect(index.search(query, 10).map((o) => o.code).slice(0, first.length)).to.deep.equal(first);
      });
    }
  });

  describe('what is left out', () => {
    const cases: readonly (readonly [query: string, found: readonly string[], why: string])[] = [
      ['BH1', ['FA001'], 'a district finds only that district, not BH15 which starts the same'],
      ['DT1 1AA', ['FA003'], 'a full postcode finds nothing outside its district'],
      ['LS1 1AA', [], 'a postcode in a district with no organisations finds nothing, not name matches'],
      ['zzzz', [], 'letters no name or town has'],
      ['', [], 'nothing typed'],
      ['   ', [], 'only spaces'],
      ['?!', [], 'only punctuation'],
    ];
    for (const [query, found, why] of cases) {
      it(`when searching ${JSON.stringify(query)}, the result is ${found.length === 0 ? 'empty' : found.join(', ')}: ${why}`, () => {
        expect(index.search(query, 10).map((o) => o.code)).to.deep.equal(found);
      });
    }
  });

  it('when an open and a closed organisation have the same name, the open one comes first', () => {
    const twins = new OrganisationIndex([
      organisation('Y90002', 'HARBOUR SURGERY', 'POOLE', 'BH15 1AA', { open: false }),
      organisation('Y90009', 'HARBOUR SURGERY', 'POOLE', 'BH15 2ZZ'),
    ]);
    expect(twins.search('harbour surgery', 5).map((o) => o.code)).to.deep.equal(['Y90009', 'Y90002']);
  });

  it('when a closed practice matches exactly and open ones only loosely, the closed one still comes first', () => {
    const town = new OrganisationIndex([
      organisation('Y90002', 'HARBOUR SURGERY', 'POOLE', 'BH15 1AA', { open: false }),
      organisation('Y90011', 'CHALK LANE SURGERY', 'POOLE', 'BH15 3AA'),
      organisation('Y90012', 'HARBOURSIDE MEDICAL CENTRE', 'POOLE', 'BH15 4AA'),
    ]);
    expect(town.search('harbour surgery', 5).map((o) => o.code)[0]).to.equal('Y90002');
  });

  it('when a limit is given, no more than that many come back, the best first, for names and postcodes alike', () => {
    expect(index.search('surgery', 1).map((o) => o.code)).to.have.length(1);
    expect(index.search('boots', 1).map((o) => o.code)).to.deep.equal(['FA001']);
    expect(index.search('bh15 1aa', 1).map((o) => o.code)).to.deep.equal(['Y90001']);
    expect(index.search('BH15', 3)).to.have.length(3);
  });

  it('when the index is empty, every search finds nothing', () => {
    const empty = new OrganisationIndex([]);
    expect(empty.size).to.equal(0);
    expect(empty.search('boots', 5)).to.deep.equal([]);
    expect(empty.search('BH15 1AA', 5)).to.deep.equal([]);
  });
});
