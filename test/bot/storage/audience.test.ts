import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CopyingMemory } from '../../../bot/storage/lowdbDocument.js';
import { memoryAudience, openLowdbAudience, type AudienceData } from '../../../bot/storage/lowdbAudience.js';
import type { AudienceRepository, AudienceSighting } from '../../../dialogs/outreach.js';
import { openAzureAudience } from '../../../bot/storage/azure/audience.js';
import { AzureTables, type TableClient } from '../../../bot/storage/azure/tables.js';
import { azurite, uniqueName } from '../../support/azurite.js';

const day1 = '2026-11-21T09:30:00.000Z';
const day1Later = '2026-11-21T17:45:00.000Z';
const day2 = '2026-11-22T08:00:00.000Z';
const monthLater = '2026-12-22T09:31:00.000Z';

function sighting(userId: string, more: Partial<AudienceSighting> = {}): AudienceSighting {
  return {
    userId,
    aadObjectId: `aad-${userId}`,
    reference: { channelId: 'msteams', serviceUrl: 'https://smba.example.invalid/', conversation: { id: `a:${userId}`, conversationType: 'personal', isGroup: false, name: '' }, bot: { id: 'bot-1', name: 'Smartcard Assistant' } },
    ...more,
  };
}

/** Counts the writes that reach the adapter, so a test can tell a no-change capture did not rewrite the file. */
class CountingMemory extends CopyingMemory<AudienceData> {
  writes = 0;
  override write(data: AudienceData): Promise<void> {
    this.writes++;
    return super.write(data);
  }
}

const never = () => false;

/** The rules every AudienceRepository keeps, run against each implementation. */
function audienceContract(name: string, make: () => Promise<AudienceRepository>): void {
  describe(`${name} (AudienceRepository contract)`, () => {
    it('when someone writes for the first time, they are kept with their chat, opted in, with no roles', async () => {
      const repo = await make();
      expect(await repo.get('u1')).to.equal(undefined);
      await repo.capture(sighting('u1', { organisation: 'FA001', teamId: 'dorset' }), day1);
      const member = await repo.get('u1');
      expect(member).to.deep.include({ userId: 'u1', aadObjectId: 'aad-u1', optedOut: false, organisation: 'FA001', teamId: 'dorset', firstSeen: day1, lastSeen: day1 });
      expect(member?.roles).to.deep.equal([]);
      expect(member?.reference.conversation?.id).to.equal('a:u1');
      expect(await repo.count()).to.equal(1);
    });

    it('when they write again from a new chat or organisation, what changed is refreshed and their settings kept', async () => {
      const repo = await make();
      await repo.capture(sighting('u1', { organisation: 'FA001' }), day1);
      await repo.setOptedOut('u1', true);
      await repo.setRoles('u1', ['sponsor']);
      const moved = sighting('u1', { organisation: 'Y90001', teamId: 'dorset' });
      await repo.capture({ ...moved, reference: { ...moved.reference, serviceUrl: 'https://smba.example.invalid/emea/' } }, day1Later);
      const member = await repo.get('u1');
      expect(member).to.deep.include({ organisation: 'Y90001', teamId: 'dorset', optedOut: true, firstSeen: day1, lastSeen: day1Later });
      expect(member?.roles).to.deep.equal(['sponsor']);
      expect(member?.reference.serviceUrl).to.equal('https://smba.example.invalid/emea/');
    });

    it('when they forget their organisation, the next sighting without one clears it', async () => {
      const repo = await make();
      await repo.capture(sighting('u1', { organisation: 'FA001', teamId: 'scw' }), day1);
      await repo.capture(sighting('u1'), day1);
      expect(await repo.get('u1')).to.deep.include({ organisation: undefined, teamId: undefined });
    });

    it('when someone is removed, they are gone; removing again or removing a stranger is false', async () => {
      const repo = await make();
      await repo.capture(sighting('u1'), day1);
      expect(await repo.remove('u1')).to.equal(true);
      expect(await repo.get('u1')).to.equal(undefined);
      expect(await repo.remove('u1')).to.equal(false);
      expect(await repo.remove('__proto__')).to.equal(false);
      expect(await repo.count()).to.equal(0);
    });

    it('when settings are changed for someone unknown, nothing is kept and the answer is false', async () => {
      const repo = await make();
      expect(await repo.setOptedOut('nobody', true)).to.equal(false);
      expect(await repo.setRoles('nobody', ['sponsor'])).to.equal(false);
      expect(await repo.count()).to.equal(0);
    });

    it('when selecting, opted-out people are left out of every audience', async () => {
      const repo = await make();
      await repo.capture(sighting('in', { organisation: 'FA001', teamId: 'dorset' }), day1);
      await repo.capture(sighting('out', { organisation: 'FA001', teamId: 'dorset' }), day1);
      await repo.setRoles('in', ['sponsor']);
      await repo.setRoles('out', ['sponsor']);
      await repo.setOptedOut('out', true);
      const ids = async (audience: Parameters<AudienceRepository['select']>[0]) => (await repo.select(audience, () => true)).map((m) => m.userId);
      expect(await ids({ kind: 'everyone' })).to.deep.equal(['in']);
      expect(await ids({ kind: 'sponsors-and-ra-agents' })).to.deep.equal(['in']);
      expect(await ids({ kind: 'team', teamId: 'dorset' })).to.deep.equal(['in']);
      expect(await ids({ kind: 'ods', codes: ['FA001'] })).to.deep.equal(['in']);
      await repo.setOptedOut('out', false);
      expect((await ids({ kind: 'everyone' })).sort()).to.deep.equal(['in', 'out']);
    });

    it('when selecting Sponsors and RA agents, it is those who said so plus RA team members, whatever they said', async () => {
      const repo = await make();
      for (const id of ['sponsor', 'agent', 'member', 'neither']) await repo.capture(sighting(id), day1);
      await repo.setRoles('sponsor', ['sponsor']);
      await repo.setRoles('agent', ['ra-agent']);
      const picked = await repo.select({ kind: 'sponsors-and-ra-agents' }, (aad) => aad === 'aad-member');
      expect(picked.map((m) => m.userId).sort()).to.deep.equal(['agent', 'member', 'sponsor']);
    });

    it("when selecting one RA team's area or a list of ODS codes, only people there are chosen (codes without case)", async () => {
      const repo = await make();
      await repo.capture(sighting('poole', { organisation: 'FA002', teamId: 'dorset' }), day1);
      await repo.capture(sighting('soton', { organisation: 'FQ123', teamId: 'scw' }), day1);
      await repo.capture(sighting('nowhere'), day1);
      expect((await repo.select({ kind: 'team', teamId: 'scw' }, never)).map((m) => m.userId)).to.deep.equal(['soton']);
      expect((await repo.select({ kind: 'ods', codes: ['fa002', 'Y90001'] }, never)).map((m) => m.userId)).to.deep.equal(['poole']);
      expect(await repo.select({ kind: 'ods', codes: [] }, never)).to.deep.equal([]);
    });

    it('when roles are set, only known roles are kept, once each', async () => {
      const repo = await make();
      await repo.capture(sighting('u1'), day1);
      await repo.setRoles('u1', ['ra-agent', 'sponsor', 'ra-agent']);
      expect((await repo.get('u1'))?.roles).to.deep.equal(['sponsor', 'ra-agent']);
      await repo.setRoles('u1', []);
      expect((await repo.get('u1'))?.roles).to.deep.equal([]);
    });

    it('when user ids look like object keys, they are kept as people and Object.prototype is untouched', async () => {
      const repo = await make();
      await repo.capture(sighting('__proto__'), day1);
      await repo.capture(sighting('constructor'), day1);
      expect((await repo.get('__proto__'))?.userId).to.equal('__proto__');
      expect(await repo.count()).to.equal(2);
      expect(Object.keys(Object.prototype)).to.deep.equal([]);
    });
  });
}

audienceContract('memoryAudience', () => Promise.resolve(memoryAudience()));
audienceContract('AzureAudience on Azure Table storage (Azurite)', async () => openAzureAudience(new AzureTables(await azurite(), uniqueName())));

describe('LowdbAudience on a file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'audience-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  audienceContract('openLowdbAudience', () => openLowdbAudience(path.join(dir, `audience-${Math.random().toString(36).slice(2)}.json`)));

  it('when the bot restarts, everyone captured and their settings are still there, in a compact file', async () => {
    const file = path.join(dir, 'audience.json');
    const first = await openLowdbAudience(file);
    await first.capture(sighting('u1', { organisation: 'FA001' }), day1);
    await first.setOptedOut('u1', true);
    await first.flush();
    const again = await openLowdbAudience(file);
    expect(await again.get('u1')).to.deep.include({ organisation: 'FA001', optedOut: true });
    expect(readFileSync(file, 'utf8')).not.to.include('\n  ');
  });

  it('when the file is not an audience file, opening it says so', async () => {
    const file = path.join(dir, 'audience.json');
    writeFileSync(file, '{"people": []}');
    let problem = '';
    await openLowdbAudience(file).catch((error: Error) => (problem = error.message));
    expect(problem).to.include('it is not an audience file');
  });
});

describe('LowdbAudience writes', () => {
  it('when the same person writes again the same day from the same chat, nothing is written', async () => {
    const adapter = new CountingMemory();
    const repo = memoryAudience(adapter);
    await repo.capture(sighting('u1', { organisation: 'FA001', teamId: 'dorset' }), day1);
    expect(adapter.writes).to.equal(1);
    for (let i = 0; i < 5; i++) await repo.capture(sighting('u1', { organisation: 'FA001', teamId: 'dorset' }), day1Later);
    expect(adapter.writes).to.equal(1);
    expect((await repo.get('u1'))?.lastSeen).to.equal(day1);
  });

  it('when they write over the following weeks, nothing is written until lastSeen is a month old, then once', async () => {
    const adapter = new CountingMemory();
    const repo = memoryAudience(adapter);
    await repo.capture(sighting('u1'), day1);
    await repo.capture(sighting('u1'), day2);
    await repo.capture(sighting('u1'), '2026-12-20T09:00:00.000Z');
    expect(adapter.writes).to.equal(1);
    await repo.capture(sighting('u1'), monthLater);
    await repo.capture(sighting('u1'), monthLater);
    expect(adapter.writes).to.equal(2);
    expect((await repo.get('u1'))?.lastSeen).to.equal(monthLater);
  });

  it('when a reference carries an undefined field, it still compares equal to the stored one', async () => {
    const adapter = new CountingMemory();
    const repo = memoryAudience(adapter);
    const withUndefined = sighting('u1');
    await repo.capture({ ...withUndefined, reference: { ...withUndefined.reference, locale: undefined } }, day1);
    await repo.capture({ ...withUndefined, reference: { ...withUndefined.reference, locale: undefined } }, day1);
    expect(adapter.writes).to.equal(1);
  });

  it('when a setting is saved unchanged, nothing is written', async () => {
    const adapter = new CountingMemory();
    const repo = memoryAudience(adapter);
    await repo.capture(sighting('u1'), day1);
    expect(await repo.setOptedOut('u1', false)).to.equal(true);
    expect(await repo.setRoles('u1', [])).to.equal(true);
    expect(adapter.writes).to.equal(1);
  });
});

/** Tables whose clients count the writes that reach the service, so a test can tell a capture wrote nothing. */
class CountingTables extends AzureTables {
  writes = 0;

  override async table(name: string): Promise<TableClient> {
    const client = await super.table(name);
    const writing = new Set<PropertyKey>(['createEntity', 'updateEntity', 'upsertEntity', 'deleteEntity', 'submitTransaction']);
    return new Proxy(client, {
      get: (target, property, receiver) => {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (!writing.has(property) || typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          this.writes++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  }
}

describe('AzureAudience writes, and several instances on one store', () => {
  async function counted(): Promise<{ repo: AudienceRepository; tables: CountingTables }> {
    const tables = new CountingTables(await azurite(), uniqueName());
    return { repo: await openAzureAudience(tables), tables };
  }

  it('when the same person writes again the same day, or within the month, from the same chat, nothing is written; a month later, once', async () => {
    const { repo, tables } = await counted();
    await repo.capture(sighting('u1', { organisation: 'FA001', teamId: 'dorset' }), day1);
    expect(tables.writes).to.equal(1);
    for (const when of [day1Later, day2, '2026-12-20T09:00:00.000Z']) await repo.capture(sighting('u1', { organisation: 'FA001', teamId: 'dorset' }), when);
    expect(tables.writes).to.equal(1);
    expect((await repo.get('u1'))?.lastSeen).to.equal(day1);
    await repo.capture(sighting('u1', { organisation: 'FA001', teamId: 'dorset' }), monthLater);
    await repo.capture(sighting('u1', { organisation: 'FA001', teamId: 'dorset' }), monthLater);
    expect(tables.writes).to.equal(2);
    expect((await repo.get('u1'))?.lastSeen).to.equal(monthLater);
  });

  it('when a reference carries an undefined field, or a setting is saved unchanged, nothing is written', async () => {
    const { repo, tables } = await counted();
    const withUndefined = sighting('u1');
    await repo.capture({ ...withUndefined, reference: { ...withUndefined.reference, locale: undefined } }, day1);
    await repo.capture({ ...withUndefined, reference: { ...withUndefined.reference, locale: undefined } }, day1);
    expect(await repo.setOptedOut('u1', false)).to.equal(true);
    expect(await repo.setRoles('u1', [])).to.equal(true);
    expect(tables.writes).to.equal(1);
  });

  it('when two instances capture, opt out and set roles for the same people at once, no change is lost', async () => {
    const [connection, prefix] = [await azurite(), uniqueName()];
    const [a, b] = [await openAzureAudience(new AzureTables(connection, prefix)), await openAzureAudience(new AzureTables(connection, prefix))];
    const ids = Array.from({ length: 6 }, (_, i) => `u${i}`);
    await Promise.all(ids.flatMap((id) => [a.capture(sighting(id, { organisation: 'FA001' }), day1), b.capture(sighting(id, { organisation: 'FA001' }), day1Later)]));
    expect(await b.count()).to.equal(6);
    await Promise.all(
      ids.flatMap((id) => [
        a.setOptedOut(id, true),
        b.setRoles(id, ['ra-agent']),
        a.capture(sighting(id, { organisation: 'Y90001', teamId: 'dorset' }), day2),
      ]),
    );
    for (const id of ids) {
      const member = await b.get(id);
      expect(member, id).to.deep.include({ optedOut: true, organisation: 'Y90001', teamId: 'dorset', lastSeen: day2 });
      expect([day1, day1Later]).to.include(member?.firstSeen);
      expect(member?.roles).to.deep.equal(['ra-agent']);
    }
    expect(await a.select({ kind: 'everyone' }, never)).to.deep.equal([]);
    await b.setOptedOut('u3', false);
    expect((await a.select({ kind: 'ods', codes: ['y90001'] }, never)).map((m) => m.userId)).to.deep.equal(['u3']);
  });

  it('when an announcement is for more ODS codes than one query can name, everyone at any of them is still chosen', async () => {
    const { repo } = await counted();
    const codes = Array.from({ length: 25 }, (_, i) => `FA${String(i).padStart(3, '0')}`);
    for (const [i, code] of codes.entries()) await repo.capture(sighting(`u${i}`, { organisation: code.toLowerCase() }), day1);
    await repo.capture(sighting('elsewhere', { organisation: 'Y90001' }), day1);
    const picked = await repo.select({ kind: 'ods', codes: [...codes, " fa024 "] }, never);
    expect(picked.map((m) => m.userId).sort()).to.deep.equal(codes.map((_, i) => `u${i}`).sort());
  });
});
