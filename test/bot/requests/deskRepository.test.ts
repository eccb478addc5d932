import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { memoryDesks, openLowdbDesks } from '../../../bot/storage/lowdbRequests.js';
import { openAzureDesks } from '../../../bot/storage/azure/desks.js';
import { AzureTables } from '../../../bot/storage/azure/tables.js';
import type { Desk, DeskRepository } from '../../../dialogs/requests.js';
import { azurite, uniqueName } from '../../support/azurite.js';

function desk(overrides: Partial<Desk> = {}): Desk {
  return {
    teamId: 'scw',
    reference: { channelId: 'msteams', conversation: { id: '19:desk@thread.tacv2', isGroup: true, conversationType: 'channel', name: '' } },
    setBy: { id: 'ra-1', aadObjectId: 'aad-ra-1', name: 'Robin RA' },
    setAt: '2026-11-21T09:00:00.000Z',
    ...overrides,
  };
}

const robin = { id: 'ra-1', aadObjectId: 'aad-ra-1', name: 'Robin RA' };
const alex = { id: 'ra-2', aadObjectId: 'aad-ra-2', name: 'Alex RA' };

/** The rules every DeskRepository keeps, run against each implementation. */
function deskContract(name: string, make: () => Promise<DeskRepository>): void {
  describe(`${name} (DeskRepository contract)`, () => {
    it('when a team has no desk, none is found (nor for "__proto__")', async () => {
      const desks = await make();
      expect(await desks.get('scw')).to.equal(undefined);
      expect(await desks.get('__proto__')).to.equal(undefined);
    });

    it('when a desk is set, it reads back with an empty roster, and other teams still have none', async () => {
      const desks = await make();
      await desks.set(desk());
      expect(await desks.get('scw')).to.deep.equal({ ...desk(), people: [] });
      expect(await desks.get('dorset')).to.equal(undefined);
    });

    it('when team members work the desk, each is remembered once, a renamed one is updated, and someone with no Entra id is not', async () => {
      const desks = await make();
      await desks.set(desk());
      await desks.notePerson('scw', robin);
      await desks.notePerson('scw', alex);
      await desks.notePerson('scw', robin);
      await desks.notePerson('scw', { ...alex, name: 'Alex Smith' });
      await desks.notePerson('scw', { id: 'guest', name: 'No Entra id' });
      expect((await desks.get('scw'))?.people).to.deep.equal([robin, { ...alex, name: 'Alex Smith' }]);
    });

    it('when a person is noted for a team with no desk, no desk appears', async () => {
      const desks = await make();
      await desks.notePerson('dorset', robin);
      expect(await desks.get('dorset')).to.equal(undefined);
    });

    it('when the desk moves to another channel, the roster stays unless a new one is given', async () => {
      const desks = await make();
      await desks.set(desk());
      await desks.notePerson('scw', robin);
      const moved = desk({ reference: { conversation: { id: '19:other@thread.tacv2', isGroup: true, conversationType: 'channel', name: '' } }, setAt: '2026-11-22T09:00:00.000Z' });
      await desks.set(moved);
      expect(await desks.get('scw')).to.deep.equal({ ...moved, people: [robin] });
      await desks.set({ ...moved, people: [alex] });
      expect((await desks.get('scw'))?.people).to.deep.equal([alex]);
    });
  });
}

deskContract('in memory', async () => memoryDesks());
deskContract('in a file', async () => openLowdbDesks(path.join(mkdtempSync(path.join(os.tmpdir(), 'sa-desks-')), 'desks.json')));
deskContract('on Azure Table storage (Azurite)', async () => openAzureDesks(new AzureTables(await azurite(), uniqueName())));

describe('desks on Azure Table storage shared by two instances', () => {
  it('when team members are noted on two instances at once, every one of them is on the roster', async () => {
    const connection = await azurite();
    const prefix = uniqueName();
    const a = await openAzureDesks(new AzureTables(connection, prefix));
    const b = await openAzureDesks(new AzureTables(connection, prefix));
    await a.set(desk());
    const people = Array.from({ length: 10 }, (_, i) => ({ id: `ra-${i}`, aadObjectId: `aad-${i}`, name: `RA ${i}` }));
    await Promise.all(people.map((person, i) => (i % 2 === 0 ? a : b).notePerson('scw', person)));
    const roster = (await b.get('scw'))?.people ?? [];
    expect(roster.map((p) => p.aadObjectId).sort()).to.deep.equal(people.map((p) => p.aadObjectId).sort());
  });
});
