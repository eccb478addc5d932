import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { loadKnowledge } from '../../bot/knowledgeFiles.js';
import type { Organisation } from '../../knowledge/organisations.js';
import type { Placing, RaTeamDirectory } from '../../knowledge/raTeams.js';

const dataDir = fileURLToPath(new URL('../../knowledge/data', import.meta.url));

type Place = Parameters<RaTeamDirectory['placeOf']>[0];

/** A made-up organisation from an ODS extract, with the codes and postcode a case needs. */
function organisation(code: string, place: Place, more: Partial<Organisation> = {}): Organisation {
  const pharmacy = code.startsWith('F');
  return {
    code,
    name: `TEST ${code}`,
    kind: pharmacy ? 'pharmacy' : 'gp-practice',
    address: ['1 TEST STREET', 'TESTTOWN'],
    ...place,
    open: true,
    source: pharmacy ? 'edispensary' : 'epraccur',
    updatedAt: '2026-03-02T07:30:00.000Z',
    ...more,
  };
}

describe('knowledge: placing an organisation in an RA team area (shipped raTeams.json)', () => {
  let teams: RaTeamDirectory;
  before(async () => {
    teams = (await loadKnowledge(dataDir)).raTeams;
  });

  describe('placeOf', () => {
    const cases: readonly (readonly [what: string, place: Place, placing: Placing | undefined])[] = [
      ['a practice with sub-ICB 11J and no ICB is in Dorset, by its sub-ICB', { subIcb: '11J' }, { area: 'dorset', by: 'sub-icb' }],
      ['a practice with sub-ICB D9Y0V is in Hampshire and the Isle of Wight, by its sub-ICB', { subIcb: 'D9Y0V', icb: 'QRL' }, { area: 'hampshire-iow', by: 'sub-icb' }],
      ['the sub-ICB wins over the ICB when both are ours', { subIcb: '10R', icb: 'QVV' }, { area: 'hampshire-iow', by: 'sub-icb' }],
      ['an organisation with ICB QRL is in Hampshire and the Isle of Wight, by its ICB', { icb: 'QRL' }, { area: 'hampshire-iow', by: 'icb' }],
      ['an organisation with ICB QVV is in Dorset, by its ICB', { icb: 'QVV', postcode: 'SO23 9AA' }, { area: 'dorset', by: 'icb' }],
      ['an ICB that is not ours (QWO, West Yorkshire) is elsewhere, by its ICB', { icb: 'QWO', subIcb: '15F', postcode: 'LS6 1AA' }, { area: 'elsewhere', by: 'icb' }],
      ['an ICB that is not ours is elsewhere even with a Dorset postcode: the postcode is only a fallback', { icb: 'QWO', postcode: 'BH15 1AA' }, { area: 'elsewhere', by: 'icb' }],
      ['no codes and postcode BH24 1AA (Ringwood) is Hampshire and the Isle of Wight, by postcode', { postcode: 'BH24 1AA' }, { area: 'hampshire-iow', by: 'postcode' }],
      ['no codes and postcode BH25 5AA (New Milton) is Hampshire and the Isle of Wight, by postcode', { postcode: 'BH25 5AA' }, { area: 'hampshire-iow', by: 'postcode' }],
      ['no codes and postcode BH23 1AA (Christchurch) is Dorset, by postcode', { postcode: 'BH23 1AA' }, { area: 'dorset', by: 'postcode' }],
      ['no codes and postcode BH2 5AA is Dorset: BH2 is not BH24', { postcode: 'BH2 5AA' }, { area: 'dorset', by: 'postcode' }],
      ['no codes and postcode DT1 1AA is Dorset, by the whole DT area', { postcode: 'DT1 1AA' }, { area: 'dorset', by: 'postcode' }],
      ['no codes and postcode SO23 9AA is Hampshire and the Isle of Wight, by the whole SO area', { postcode: 'SO23 9AA' }, { area: 'hampshire-iow', by: 'postcode' }],
      ['no codes and postcode PO30 1AA (Newport, Isle of Wight) is Hampshire and the Isle of Wight', { postcode: 'PO30 1AA' }, { area: 'hampshire-iow', by: 'postcode' }],
      ['a postcode typed in lower case without its space still places', { postcode: 'bh241aa' }, { area: 'hampshire-iow', by: 'postcode' }],
      ['no codes and postcode PO19 1AA (Chichester, West Sussex) cannot be told', { postcode: 'PO19 1AA' }, undefined],
      ['no codes and a postcode outside both areas cannot be told', { postcode: 'LS6 1AA' }, undefined],
      ['no codes and no postcode cannot be told', {}, undefined],
      ['no codes and something that is not a postcode cannot be told', { postcode: 'NOT KNOWN' }, undefined],
    ];
    for (const [what, place, placing] of cases) {
      it(`when ${what}`, () => {
        expect(teams.placeOf(place)).to.deep.equal(placing);
      });
    }
  });

  describe('forOrganisation', () => {
    it('when a Hampshire pharmacy is looked up, it gets the SCW CSU RA service and its phone number', () => {
      const found = teams.forOrganisation(organisation('FA123', { icb: 'QRL', postcode: 'PO5 3AA' }));
      expect(found).to.deep.include({ kind: 'team', placing: { area: 'hampshire-iow', by: 'icb' } });
      expect(found).to.have.nested.property('team.id', 'scw');
      expect(found).to.have.nested.property('team.phone', '0300 5610429');
    });

    it('when a pharmacy has no ICB but a Ringwood (BH24) postcode, it still gets SCW, by postcode', () => {
      const found = teams.forOrganisation(organisation('FQ001', { postcode: 'BH24 1AA' }));
      expect(found).to.have.nested.property('team.id', 'scw');
      expect(found?.placing).to.deep.equal({ area: 'hampshire-iow', by: 'postcode' });
    });

    it('when a Hampshire GP practice is looked up, it gets the honest fallback, not SCW, which serves pharmacies only', () => {
      const found = teams.forOrganisation(organisation('Y90002', { icb: 'QRL', subIcb: 'D9Y0V', postcode: 'SO23 9AA' }));
      expect(found?.kind).to.equal('fallback');
      expect(found).to.have.nested.property('fallback.name', 'Your local RA team');
      expect(found?.placing).to.deep.equal({ area: 'hampshire-iow', by: 'sub-icb' });
    });

    it('when a Hampshire prescribing cost centre is looked up, it is treated as a GP practice and gets the fallback', () => {
      const found = teams.forOrganisation(organisation('Y99998', { icb: 'QRL' }, { kind: 'prescribing-centre' }));
      expect(found?.kind).to.equal('fallback');
    });

    it('when a Dorset GP practice is looked up, it gets the NHS Dorset Smartcard Support Team', () => {
      const found = teams.forOrganisation(organisation('Y90001', { icb: 'QVV', subIcb: '11J', postcode: 'BH15 1AA' }));
      expect(found).to.have.nested.property('team.id', 'dorset');
      expect(found).to.have.nested.property('team.phone', '01202 541604');
      expect(found?.placing).to.deep.equal({ area: 'dorset', by: 'sub-icb' });
    });

    it('when a Dorset pharmacy is looked up, it gets the Dorset team too', () => {
      expect(teams.forOrganisation(organisation('FW844', { icb: 'QVV', postcode: 'BH20 4AA' }))).to.have.nested.property('team.id', 'dorset');
    });

    it('when an organisation is in an ICB that is not ours, it gets the fallback, placed elsewhere', () => {
      const found = teams.forOrganisation(organisation('Y90004', { icb: 'QWO', subIcb: '15F', postcode: 'LS6 1AA' }));
      expect(found?.kind).to.equal('fallback');
      expect(found?.placing).to.deep.equal({ area: 'elsewhere', by: 'icb' });
    });

    it('when nothing places an organisation, there is no team to give', () => {
      expect(teams.forOrganisation(organisation('FA999', {}))).to.equal(undefined);
      expect(teams.forOrganisation(organisation('FA998', { postcode: 'PO19 1AA' }))).to.equal(undefined);
    });
  });
});
