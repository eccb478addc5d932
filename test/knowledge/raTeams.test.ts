import { expect } from 'chai';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadKnowledge } from '../../bot/knowledgeFiles.js';
import { parseRaTeams } from '../../knowledge/raTeams.js';
import { KnowledgeError, parseSources } from '../../knowledge/sources.js';

const dataDir = fileURLToPath(new URL('../../knowledge/data', import.meta.url));
const shipped = (name: string): unknown => JSON.parse(readFileSync(path.join(dataDir, `${name}.json`), 'utf8'));

function problems(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof KnowledgeError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('knowledge: RA teams and sources', () => {
  it('the shipped knowledge files load and validate', async () => {
    const knowledge = await loadKnowledge(dataDir);
    expect(knowledge.raTeams.teams.map((t) => t.id)).to.deep.equal(['scw', 'dorset']);
  });

  it('every team phone number is one printed on its own seed page', () => {
    const seeds = fileURLToPath(new URL('../../knowledge/seeds', import.meta.url));
    const teams = (shipped('raTeams') as { teams: { phone: string; source: string }[] }).teams;
    for (const team of teams) {
      const page = readFileSync(path.join(seeds, team.source.replace(/^seed:/, '')), 'utf8');
      expect(page, team.source).to.include(team.phone);
    }
  });

  it('a Dorset GP practice, a Hampshire pharmacy and anyone elsewhere get the right team or the honest fallback', async () => {
    const { raTeams } = await loadKnowledge(dataDir);
    expect(raTeams.forWorkplace('gp-practice', 'dorset')).to.have.nested.property('team.id', 'dorset');
    expect(raTeams.forWorkplace('pharmacy', 'hampshire-iow')).to.have.nested.property('team.id', 'scw');
    expect(raTeams.forWorkplace('gp-practice', 'hampshire-iow').kind).to.equal('fallback');
    expect(raTeams.forWorkplace('pharmacy', 'elsewhere').kind).to.equal('fallback');
  });

  it('when an RA team file has mistakes, every one is named', () => {
    const sources = parseSources(shipped('sources'));
    const broken = {
      teams: [
        { id: 'a', name: 'A', serves: 'x', inBrief: 'x', covers: [{ area: 'dorset', workplaces: ['pharmacy'] }], phone: '0300 5610429', offices: [], notes: [], source: 'seed:nope' },
        { id: 'a', name: 'B', serves: 'x', inBrief: 'x', covers: [{ area: 'dorset', workplaces: ['pharmacy'] }], phone: '01202 541604', offices: [], notes: [], source: 'seed:000_ae3953f2dc3337d3.txt' },
      ],
      areas: {
        dorset: { icbs: ['QVV'], subIcbs: ['11J'], postcodes: ['DT', 'BH24'], source: 'domain:regional-codes' },
        'hampshire-iow': { icbs: ['QRL'], subIcbs: [], postcodes: ['BH24'], source: 'seed:gone' },
      },
      fallback: { name: 'F', inSentence: 'f', serves: 'x', notes: [], source: 'seed:000_ae3953f2dc3337d3.txt' },
    };
    const found = problems(() => parseRaTeams(broken, sources)).join('\n');
    expect(found).to.include('duplicate team id a');
    expect(found).to.include('BH24 is in both dorset and hampshire-iow');
    expect(found).to.include('areas.hampshire-iow: unknown source seed:gone');
    expect(found).to.include('unknown source seed:nope');
    expect(found).to.include('pharmacy in dorset is covered by both a and a');
  });

  it('when a field has the wrong shape, the path to it is named', () => {
    const sources = parseSources(shipped('sources'));
    const file = shipped('raTeams') as { teams: Record<string, unknown>[] };
    const first = file.teams[0];
    if (first) first['phone'] = '999';
    expect(problems(() => parseRaTeams(file, sources)).join()).to.include('teams.0.phone: must be a UK phone number');
  });

  it('when a knowledge file is missing or not JSON, start-up stops with the file named', async () => {
    try {
      await loadKnowledge(path.join(dataDir, 'no-such-folder'));
      expect.fail('should not load');
    } catch (error) {
      expect(error).to.be.instanceOf(KnowledgeError);
      expect((error as Error).message).to.include('sources');
    }
  });
});
