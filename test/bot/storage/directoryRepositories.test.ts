import { RestError } from '@azure/data-tables';
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { memoryDirectory, openLowdbDirectory } from '../../../bot/storage/lowdbDirectory.js';
import { DirectoryWriteError, openAzureDirectory, type AzureDirectoryOptions } from '../../../bot/storage/azure/directory.js';
import { AzureTables, type TableClient } from '../../../bot/storage/azure/tables.js';
import { azurite, uniqueName } from '../../support/azurite.js';
import type { Contact, ContactRepository, Organisation, OrganisationRepository } from '../../../knowledge/organisations.js';
import { organisation } from '../../support/directory.js';

const importedAt = '2026-03-02T07:30:00.000Z';

function contact(id: string, odsCode: string, name: string, more: Partial<Contact> = {}): Contact {
  return { id, odsCode, role: 'sponsor', name, email: `${id}@nhs.net`, confirmedAt: importedAt, confirmedBy: 'import', ...more };
}

const boots = organisation('FA001', 'BOOTS', 'BOURNEMOUTH', 'BH1 1AA');
const bootsPoole = organisation('FA002', 'BOOTS POOLE', 'POOLE', 'BH15 1SA');
const castle = organisation('FA003', 'CASTLE PHARMACY', 'BOURNEMOUTH', 'BH10 4AA');
const harbourView = organisation('Y90001', 'HARBOUR VIEW SURGERY', 'POOLE', 'BH15 1AA');
const harbourClosed = organisation('Y90002', 'HARBOUR SURGERY', 'POOLE', 'BH15 1AB', { open: false, closedOn: '2024-03-31' });
const downland = organisation('Y90003', 'DOWNLAND MEDICAL CENTRE', 'WINCHESTER', 'SO23 9AA');
const sample = [boots, bootsPoole, castle, harbourView, harbourClosed, downland];

const codes = (found: readonly Organisation[]): string[] => found.map((o) => o.code);

/** Nothing a stored code or id can be may reach every object in the process. */
function expectPrototypeUntouched(): void {
  const plain: Record<string, unknown> = {};
  expect(Object.getPrototypeOf(plain)).to.equal(Object.prototype);
  expect(Object.keys(Object.prototype)).to.deep.equal([]);
  expect(plain['code']).to.equal(undefined);
  expect(plain['odsCode']).to.equal(undefined);
  expect(plain.constructor).to.equal(Object);
}

/** The rules every OrganisationRepository keeps, run against each implementation. */
function organisationRepositoryContract(name: string, make: () => Promise<OrganisationRepository>): void {
  describe(`${name} (OrganisationRepository contract)`, () => {
    it('when nothing has been put, get finds nothing, count is 0 and search finds nothing', async () => {
      const repo = await make();
      expect(await repo.get('FA001')).to.equal(undefined);
      expect(await repo.get('toString')).to.equal(undefined);
      expect(await repo.get('constructor')).to.equal(undefined);
      expect(await repo.count()).to.equal(0);
      expect(await repo.search('boots', 5)).to.deep.equal([]);
      expect(await repo.search('BH15 1AA', 5)).to.deep.equal([]);
    });

    it('when organisations are put, each is got back by its code as it was put, and count counts them', async () => {
      const repo = await make();
      await repo.putAll(sample);
      expect(await repo.count()).to.equal(sample.length);
      for (const org of sample) expect(await repo.get(org.code)).to.deep.equal(org);
      expect(await repo.get('FX999')).to.equal(undefined);
    });

    it('when several codes are asked for at once, those held come back by code and the rest are left out', async () => {
      const repo = await make();
      await repo.putAll(sample);
      const [first, second] = sample;
      const found = await repo.getMany([first?.code ?? '', 'FX999', second?.code ?? '', '__proto__']);
      expect([...found.keys()]).to.deep.equal([first?.code, second?.code]);
      expect(found.get(first?.code ?? '')).to.deep.equal(first);
    });

    it('when an organisation is put again with the same code, it replaces the old record and count does not grow', async () => {
      const repo = await make();
      await repo.putAll(sample);
      const renamed = { ...harbourView, name: 'HARBOUR VIEW MEDICAL PRACTICE', updatedAt: '2026-04-01T00:00:00.000Z' };
      await repo.putAll([renamed]);
      expect(await repo.count()).to.equal(sample.length);
      expect(await repo.get('Y90001')).to.deep.equal(renamed);
    });

    it('when putAll is given an empty list, nothing changes', async () => {
      const repo = await make();
      await repo.putAll(sample);
      await repo.putAll([]);
      expect(await repo.count()).to.equal(sample.length);
    });

    it('when organisations are put after a search, the next search uses them: a renamed organisation is found by its new name, not its old one', async () => {
      const repo = await make();
      await repo.putAll(sample);
      expect(codes(await repo.search('downland medical', 5))).to.include('Y90003');
      expect(await repo.search('meadowbank', 5)).to.deep.equal([]);

      await repo.putAll([{ ...downland, name: 'MEADOWBANK HEALTH CENTRE' }]);

      expect(codes(await repo.search('meadowbank', 5))).to.deep.equal(['Y90003']);
      expect(codes(await repo.search('downland medical', 5))).to.not.include('Y90003');
    });

    it('when a name is searched with typos ("harbor veiw surgery"), that practice comes first', async () => {
      const repo = await make();
      await repo.putAll(sample);
      expect(codes(await repo.search('harbor veiw surgery', 5))[0]).to.equal('Y90001');
    });

    it('when a town is searched, the organisations in that town are found, the one there first', async () => {
      const repo = await make();
      await repo.putAll(sample);
      expect(codes(await repo.search('winchester', 5))[0]).to.equal('Y90003');
      expect(codes(await repo.search('bournemouth', 5)).slice(0, 2)).to.have.members(['FA001', 'FA003']);
    });

    it('when a full postcode is searched, the organisation at that postcode comes first, then the rest of its district, and nothing from another district', async () => {
      const repo = await make();
      await repo.putAll(sample);
      const found = codes(await repo.search('bh15 1sa', 10));
      expect(found[0]).to.equal('FA002');
      expect(found).to.have.members(['FA002', 'Y90001', 'Y90002']);
      // The same postcode typed without its space is the same place.
      expect(codes(await repo.search('BH151AA', 10))[0]).to.equal('Y90001');
    });

    it('when only a district is searched, everyone in it is found, and none from a district that merely starts the same (BH1 is not BH10 or BH15)', async () => {
      const repo = await make();
      await repo.putAll(sample);
      expect(codes(await repo.search('BH1', 10))).to.deep.equal(['FA001']);
      expect(codes(await repo.search('bh15', 10))).to.have.members(['FA002', 'Y90001', 'Y90002']);
      expect(await repo.search('LS6', 10)).to.deep.equal([]);
    });

    it('when an open and a closed organisation match equally well, the open one comes first, by name and by postcode', async () => {
      const repo = await make();
      // The practice closed and opened again under a new code, in new premises in the same district.
      const reopened = organisation('Y90009', 'HARBOUR SURGERY', 'POOLE', 'BH15 2ZZ');
      await repo.putAll([...sample, reopened]);
      expect(codes(await repo.search('harbour surgery', 5)).filter((c) => c === 'Y90002' || c === 'Y90009')).to.deep.equal(['Y90009', 'Y90002']);
      expect(codes(await repo.search('BH15', 5)).at(-1)).to.equal('Y90002');
    });

    it('when a limit is given, no more than that many are returned, the best ones', async () => {
      const repo = await make();
      await repo.putAll(sample);
      expect(codes(await repo.search('harbour', 1))).to.deep.equal(['Y90001']);
      expect(codes(await repo.search('BH15 1AB', 1))).to.deep.equal(['Y90002']);
      expect(await repo.search('BH15', 2)).to.have.length(2);
    });

    it('when "__proto__" and "constructor" are codes, they are stored and found like any other, and Object.prototype is untouched', async () => {
      const repo = await make();
      const odd = [organisation('__proto__', 'PROTO PHARMACY', 'POOLE', 'BH15 9ZZ'), organisation('constructor', 'CONSTRUCTOR SURGERY', 'POOLE', 'BH15 9ZY')];
      await repo.putAll([...odd, boots]);
      expect(await repo.count()).to.equal(3);
      expect(await repo.get('__proto__')).to.deep.equal(odd[0]);
      expect(await repo.get('constructor')).to.deep.equal(odd[1]);
      expect(codes(await repo.search('proto pharmacy', 5))[0]).to.equal('__proto__');
      expect(codes(await repo.search('BH15 9ZY', 5))[0]).to.equal('constructor');
      expectPrototypeUntouched();
    });
  });
}

/** The rules every ContactRepository keeps, run against each implementation. */
function contactRepositoryContract(name: string, make: () => Promise<ContactRepository>): void {
  describe(`${name} (ContactRepository contract)`, () => {
    const alex = contact('c-alex', 'FA001', 'Alex Example', { phone: '023 9200 0000' });
    const sam = contact('c-sam', 'FA001', 'Sam Sample', { role: 'lsa' });
    const pat = contact('c-pat', 'Y90001', 'Pat Fictional');

    it('when an organisation has no contacts, forOrganisation gives an empty list and get finds nothing', async () => {
      const repo = await make();
      expect(await repo.forOrganisation('FA001')).to.deep.equal([]);
      expect(await repo.get('c-alex')).to.equal(undefined);
      expect(await repo.get('toString')).to.equal(undefined);
    });

    it("when contacts are put, forOrganisation gives that organisation's and no others, and get finds each by id", async () => {
      const repo = await make();
      await repo.putAll([alex, sam, pat]);
      expect(await repo.forOrganisation('FA001')).to.have.deep.members([alex, sam]);
      expect(await repo.forOrganisation('Y90001')).to.deep.equal([pat]);
      expect(await repo.forOrganisation('FX999')).to.deep.equal([]);
      expect(await repo.get('c-sam')).to.deep.equal(sam);
    });

    it('when a contact is put again with the same id, it is replaced, not duplicated', async () => {
      const repo = await make();
      await repo.putAll([alex, sam]);
      const moved = { ...alex, phone: '01202 000001', confirmedBy: '00000000-0000-0000-0000-000000000001' };
      await repo.putAll([moved]);
      expect(await repo.forOrganisation('FA001')).to.have.deep.members([moved, sam]);
      expect(await repo.get('c-alex')).to.deep.equal(moved);
    });

    it('when a contact is removed, remove says true and it is gone; removing it again, or an id never stored, says false', async () => {
      const repo = await make();
      await repo.putAll([alex, sam]);
      expect(await repo.remove('c-alex')).to.equal(true);
      expect(await repo.get('c-alex')).to.equal(undefined);
      expect(await repo.forOrganisation('FA001')).to.deep.equal([sam]);
      expect(await repo.remove('c-alex')).to.equal(false);
      expect(await repo.remove('c-nobody')).to.equal(false);
      expect(await repo.remove('toString')).to.equal(false);
      expect(await repo.get('c-sam')).to.deep.equal(sam);
    });

    it('when "__proto__" and "constructor" are ids, they are stored, listed and removed like any other, and Object.prototype is untouched', async () => {
      const repo = await make();
      const odd = [contact('__proto__', 'FA001', 'Proto Person'), contact('constructor', 'FA001', 'Constructor Person')];
      await repo.putAll([...odd, pat]);
      expect(await repo.get('__proto__')).to.deep.equal(odd[0]);
      expect(await repo.forOrganisation('FA001')).to.have.deep.members(odd);
      expectPrototypeUntouched();
      expect(await repo.remove('constructor')).to.equal(true);
      expect(await repo.forOrganisation('FA001')).to.deep.equal([odd[0]]);
      expect(await repo.remove('constructor')).to.equal(false);
      expectPrototypeUntouched();
    });
  });
}

const tempRoot = mkdtempSync(path.join(os.tmpdir(), 'sa-directory-'));
after(() => {
  rmSync(tempRoot, { recursive: true, force: true });
});
/** A new, empty data folder per call keeps every test's state fresh. */
const freshDataDir = (): string => mkdtempSync(path.join(tempRoot, 'case-'));

organisationRepositoryContract('LowdbOrganisations in memory', () => Promise.resolve(memoryDirectory().organisations));
organisationRepositoryContract('LowdbOrganisations on organisations.json', async () => (await openLowdbDirectory(freshDataDir())).organisations);
contactRepositoryContract('LowdbContacts in memory', () => Promise.resolve(memoryDirectory().contacts));
contactRepositoryContract('LowdbContacts on contacts.json', async () => (await openLowdbDirectory(freshDataDir())).contacts);
organisationRepositoryContract('AzureOrganisations on Azure Table storage (Azurite)', async () => (await openAzureDirectory(new AzureTables(await azurite(), uniqueName()))).organisations);
contactRepositoryContract('AzureContacts on Azure Table storage (Azurite)', async () => (await openAzureDirectory(new AzureTables(await azurite(), uniqueName()))).contacts);

describe('lowdb directory on files', () => {
  it('when the directory is reopened (the bot restarts), organisations, contacts and search are as they were', async () => {
    const dataDir = freshDataDir();
    const first = await openLowdbDirectory(dataDir);
    const proto = organisation('__proto__', 'PROTO PHARMACY', 'POOLE', 'BH15 9ZZ');
    await first.organisations.putAll([...sample, proto]);
    await first.contacts.putAll([contact('c-alex', 'FA001', 'Alex Example'), contact('constructor', 'FA001', 'Constructor Person')]);

    const second = await openLowdbDirectory(dataDir);
    expect(await second.organisations.count()).to.equal(sample.length + 1);
    expect(await second.organisations.get('Y90001')).to.deep.equal(harbourView);
    expect(await second.organisations.get('__proto__')).to.deep.equal(proto);
    expect(codes(await second.organisations.search('harbor veiw', 5))[0]).to.equal('Y90001');
    expect((await second.contacts.forOrganisation('FA001')).map((c) => c.name)).to.have.members(['Alex Example', 'Constructor Person']);
    expectPrototypeUntouched();
  });

  it("when another process adds contacts, this one sees them on its next read, and its own next write keeps them", async () => {
    const dataDir = freshDataDir();
    const bot = await openLowdbDirectory(dataDir);
    await bot.contacts.putAll([contact('c-bot-1', 'FA001', 'Added In Teams')]);
    expect(await bot.contacts.forOrganisation('FA001')).to.have.length(1);

    // The command-line importer is another process with its own copy of the file.
    const importer = await openLowdbDirectory(dataDir);
    await importer.contacts.putAll([contact('c-import-1', 'FA001', 'Added By The Import'), contact('c-import-2', 'Y90001', 'Pat Fictional')]);

    expect((await bot.contacts.forOrganisation('FA001')).map((c) => c.name)).to.have.members(['Added In Teams', 'Added By The Import']);
    await bot.contacts.putAll([contact('c-bot-2', 'Y90001', 'Second From Teams')]);
    expect(await bot.contacts.remove('c-bot-1')).to.equal(true);

    const onDisk = JSON.parse(readFileSync(path.join(dataDir, 'contacts.json'), 'utf8')) as { contacts: Record<string, Contact> };
    expect(Object.keys(onDisk.contacts)).to.have.members(['c-import-1', 'c-import-2', 'c-bot-2']);
    expect((await (await openLowdbDirectory(dataDir)).contacts.forOrganisation('Y90001')).map((c) => c.name)).to.have.members([
      'Pat Fictional',
      'Second From Teams',
    ]);
  });

  it("when another process imports organisations, this one's search finds them without a restart", async () => {
    const dataDir = freshDataDir();
    const bot = await openLowdbDirectory(dataDir);
    await bot.organisations.putAll([boots]);
    expect(await bot.organisations.search('downland', 5)).to.deep.equal([]);

    const importer = await openLowdbDirectory(dataDir);
    await importer.organisations.putAll([downland, bootsPoole]);

    expect(codes(await bot.organisations.search('downland', 5))).to.deep.equal(['Y90003']);
    expect(codes(await bot.organisations.search('SO23 9AA', 5))).to.deep.equal(['Y90003']);
    expect(await bot.organisations.count()).to.equal(3);
  });

  it('when organisations.json is JSON but not a directory file, opening fails with a message naming the file and what is missing', async () => {
    const dataDir = freshDataDir();
    writeFileSync(path.join(dataDir, 'organisations.json'), '{"orgs": {}}');
    const error = await openLowdbDirectory(dataDir).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).to.be.instanceOf(Error).with.property('message').that.includes('organisations.json is not a directory file: it has no "organisations" object');
  });

  it('when organisations.json is not JSON at all (cut short), opening fails naming the file, rather than starting an empty directory that would overwrite it', async () => {
    const dataDir = freshDataDir();
    const file = path.join(dataDir, 'organisations.json');
    const cutShort = '{"organisations": {"FA001": {"code": "FA0';
    writeFileSync(file, cutShort);
    const error = await openLowdbDirectory(dataDir).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).to.be.instanceOf(Error).with.property('message').that.includes(`cannot use ${file}`);
    expect((error as Error).message).to.include('It has not been changed');
    expect(readFileSync(file, 'utf8')).to.equal(cutShort);
  });

  it('when contacts.json holds a list instead of the contacts object, opening fails naming contacts.json', async () => {
    const dataDir = freshDataDir();
    writeFileSync(path.join(dataDir, 'contacts.json'), '{"contacts": []}');
    const error = await openLowdbDirectory(dataDir).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).to.be.instanceOf(Error).with.property('message').that.includes('contacts.json is not a directory file');
  });
});

/**
 * Tables whose clients fail one transaction on demand, as a store that errs in the middle of an import would:
 * `refuse` answers 400 without writing (once the transactions before it have landed, and `meanwhile` has run),
 * `loseAnswer` writes and then fails as if the answer never came back. `refuseUpsert` refuses one single upsert.
 */
class FaultyTables extends AzureTables {
  transactions = 0;
  fault: { readonly at: number; readonly kind: 'refuse' | 'loseAnswer'; readonly meanwhile?: () => Promise<void> } | undefined;
  upserts = 0;
  refuseUpsert: number | undefined;
  private readonly inFlight: Promise<unknown>[] = [];

  override async table(name: string): Promise<TableClient> {
    const client = await super.table(name);
    return new Proxy(client, {
      get: (target, property, receiver) => {
        if (property === 'upsertEntity') {
          return (...args: Parameters<TableClient['upsertEntity']>) => {
            if (++this.upserts === this.refuseUpsert) return Promise.reject(new RestError('the request was refused', { statusCode: 400 }));
            return target.upsertEntity(...args);
          };
        }
        if (property !== 'submitTransaction') return Reflect.get(target, property, receiver) as unknown;
        return async (...args: Parameters<TableClient['submitTransaction']>) => {
          const n = ++this.transactions;
          const fault = this.fault?.at === n ? this.fault : undefined;
          if (fault?.kind === 'refuse') {
            await Promise.allSettled(this.inFlight);
            await fault.meanwhile?.();
            throw new RestError('the request was refused', { statusCode: 400 });
          }
          const sent = target.submitTransaction(...args);
          this.inFlight.push(sent);
          const response = await sent;
          if (fault?.kind === 'loseAnswer') throw new RestError('socket hang up', { code: 'ECONNRESET' });
          return response;
        };
      },
    });
  }
}

/** `count` pharmacies with codes spread over eight partitions, as a real extract's are (FA001, FB002...). */
function country(count: number, name = 'PHARMACY', updatedAt = importedAt): Organisation[] {
  return Array.from({ length: count }, (_, i) => {
    const code = `F${String.fromCharCode(65 + (i % 8))}${String(i).padStart(4, '0')}`;
    return { ...organisation(code, `${name} ${i}`, 'POOLE', 'BH15 1AA'), updatedAt };
  });
}

describe('Azure directory on one store shared by several instances', () => {
  /** Two repository objects on the same tables, each with its own connection, as two bot processes have. */
  async function twoInstances(options: AzureDirectoryOptions = {}) {
    const [connection, prefix] = [await azurite(), uniqueName()];
    return [await openAzureDirectory(new AzureTables(connection, prefix), options), await openAzureDirectory(new AzureTables(connection, prefix), options)] as const;
  }

  it("when another instance imports organisations, this one's search finds them once its few seconds of trust are up, and count and get at once", async () => {
    let now = 1_000_000;
    const [bot, importer] = await twoInstances({ now: () => now, recheckMs: 5000 });
    await bot.organisations.putAll([boots]);
    expect(await bot.organisations.search('downland', 5)).to.deep.equal([]);

    await importer.organisations.putAll([downland, { ...boots, name: 'BOOTS THE CHEMIST' }]);

    // Looked up by code and counted, the store answers at once; the search index is trusted for a few seconds.
    expect(await bot.organisations.get('Y90003')).to.deep.equal(downland);
    expect(await bot.organisations.search('downland', 5)).to.deep.equal([]);
    now += 5000;
    expect(codes(await bot.organisations.search('downland', 5))).to.deep.equal(['Y90003']);
    expect(codes(await bot.organisations.search('boots the chemist', 5))[0]).to.equal('FA001');
    expect(await bot.organisations.count()).to.equal(2);
    expect(await importer.organisations.count()).to.equal(2);
  });

  it('when two instances import at the same time, every organisation of both is stored and both searches find them all', async () => {
    const [a, b] = await twoInstances({ recheckMs: 0 });
    await Promise.all([a.organisations.putAll(country(450, 'ALPHA')), b.organisations.putAll(country(450, 'BETA').map((o) => ({ ...o, code: `Y${o.code}` })))]);
    expect(await a.organisations.count()).to.equal(900);
    const seventeenth = country(18)[17]?.code ?? '';
    expect(codes(await a.organisations.search('beta 17', 3))).to.include(`Y${seventeenth}`);
    expect(codes(await b.organisations.search('alpha 17', 3))).to.include(seventeenth);
  });

  it('when many codes are asked for in one call on another instance, every code held comes back, as the store holds it now', async () => {
    const [importer, checker] = await twoInstances();
    const all = country(2500);
    await importer.organisations.putAll(all);
    // Fewer codes are read by partition and by point reads; thousands, as the whole directory.
    for (const wanted of [all.slice(0, 600), all]) {
      const found = await checker.organisations.getMany([...wanted.map((o) => o.code), 'QQ9999']);
      expect(found.size).to.equal(wanted.length);
      expect(found.get(all[577]?.code ?? '')).to.deep.equal(all[577]);
    }
    const renamed = { ...(all[577] as Organisation), name: 'RENAMED BY THE IMPORTER' };
    await importer.organisations.putAll([renamed]);
    expect((await checker.organisations.getMany(all.map((o) => o.code))).get(renamed.code)).to.deep.equal(renamed);
  });

  it('when a transaction fails part way through an import, what it wrote is undone (old records as they were, new ones gone) except what another instance wrote since', async () => {
    const [connection, prefix] = [await azurite(), uniqueName()];
    const tables = new FaultyTables(connection, prefix);
    const { organisations } = await openAzureDirectory(tables);
    const other = (await openAzureDirectory(new AzureTables(connection, prefix))).organisations;
    const watching = (await openAzureDirectory(new AzureTables(connection, prefix), { recheckMs: 0 })).organisations;
    const before = country(120, 'OLD');
    await organisations.putAll(before);
    expect(codes(await organisations.search('old 42', 1))).to.deep.equal([before[42]?.code]);
    expect(codes(await watching.search('old 42', 1))).to.deep.equal([before[42]?.code]);

    const renamed = country(120, 'NEW', '2026-04-01T00:00:00.000Z');
    const added = country(240, 'NEW', '2026-04-01T00:00:00.000Z').slice(120);
    const first = before[0] as Organisation;
    const changedMeanwhile = { ...first, name: 'CHANGED MEANWHILE' };
    tables.transactions = 0;
    let seenMeanwhile: Organisation[] = [];
    tables.fault = {
      at: 5,
      kind: 'refuse',
      meanwhile: async () => {
        await other.putAll([changedMeanwhile]);
        // The other change tells this instance to read what changed, which includes the import so far.
        seenMeanwhile = await watching.search('new', 300);
      },
    };
    const error = await organisations.putAll([...renamed, ...added]).then(() => undefined, (reason: unknown) => reason);

    expect(error).to.be.instanceOf(DirectoryWriteError).with.property('message').that.includes('the directory was not changed');
    expect(tables.transactions).to.be.greaterThan(5);
    expect(await organisations.count()).to.equal(120);
    const expected = new Map(before.map((o) => [o.code, o]));
    expected.set(first.code, changedMeanwhile);
    expect(await organisations.getMany(renamed.map((o) => o.code))).to.deep.equal(expected);
    expect((await organisations.getMany(added.map((o) => o.code))).size).to.equal(0);
    expect(codes(await organisations.search('old 42', 1))).to.deep.equal([before[42]?.code]);
    expect(await organisations.search('new 200', 5)).to.deep.equal([]);
    expect(seenMeanwhile.filter((o) => o.name.startsWith('NEW ')).length).to.be.greaterThan(0);
    expect((await watching.search('new', 300)).filter((o) => o.name.startsWith('NEW '))).to.deep.equal([]);
    expect(await watching.count()).to.equal(120);
    expect((await watching.search('changed meanwhile', 1))[0]).to.deep.equal(changedMeanwhile);
  });

  it('when the answer to a transaction is lost after it was applied, that part is undone too, and another instance never keeps what was undone', async () => {
    const [connection, prefix] = [await azurite(), uniqueName()];
    const tables = new FaultyTables(connection, prefix);
    const { organisations } = await openAzureDirectory(tables);
    const other = (await openAzureDirectory(new AzureTables(connection, prefix), { recheckMs: 0 })).organisations;
    await organisations.putAll([boots, downland]);
    expect(await other.count()).to.equal(2);

    tables.transactions = 0;
    tables.fault = { at: 1, kind: 'loseAnswer' };
    const error = await organisations.putAll([{ ...boots, name: 'LOST BOOTS' }, harbourView]).then(() => undefined, (reason: unknown) => reason);

    expect(error).to.be.instanceOf(DirectoryWriteError);
    expect(await organisations.get('FA001')).to.deep.equal(boots);
    expect(await organisations.get('Y90001')).to.equal(undefined);
    expect(await other.count()).to.equal(2);
    expect(codes(await other.search('harbour view', 5))).to.deep.equal([]);
    expect(codes(await other.search('boots', 5))).to.include('FA001');
    expect(await other.search('lost boots', 5)).to.satisfy((found: Organisation[]) => found.every((o) => o.name !== 'LOST BOOTS'));
  });

  it('when an organisation is too large to store or its code cannot be a key, nothing of the list is written', async () => {
    const { organisations } = await openAzureDirectory(new AzureTables(await azurite(), uniqueName()));
    const huge = { ...harbourView, address: ['X'.repeat(1_000_000)] };
    const error = await organisations.putAll([boots, huge]).then(() => undefined, (reason: unknown) => reason);
    expect(error).to.be.instanceOf(Error);
    const longCode = await organisations.putAll([boots, organisation('Y'.repeat(2000), 'LONG', 'POOLE', 'BH15 1AA')]).then(() => undefined, (reason: unknown) => reason);
    expect(longCode).to.be.instanceOf(RangeError);
    expect(await organisations.count()).to.equal(0);
    expect(await organisations.get('Y'.repeat(2000))).to.equal(undefined);
  });

  it('when two instances change contacts of one organisation at once, nothing is lost, and each is found by id from either', async () => {
    const [a, b] = await twoInstances();
    const people = Array.from({ length: 20 }, (_, i) => contact(`c-${i}`, 'FA001', `Person ${i}`));
    await Promise.all(people.map((c, i) => (i % 2 === 0 ? a : b).contacts.putAll([c])));
    expect(await a.contacts.forOrganisation('FA001')).to.have.deep.members(people);
    expect(await b.contacts.get('c-7')).to.deep.equal(people[7]);
    const removed = await Promise.all([a.contacts.remove('c-3'), b.contacts.remove('c-3'), b.contacts.remove('c-4')]);
    expect(removed.filter(Boolean)).to.have.length(2);
    expect((await b.contacts.forOrganisation('FA001')).map((c) => c.id)).to.have.members(people.map((c) => c.id).filter((id) => id !== 'c-3' && id !== 'c-4'));
  });

  it('when one contact of several cannot be written, the others are put back as they were and new ones are gone', async () => {
    const tables = new FaultyTables(await azurite(), uniqueName());
    const { contacts } = await openAzureDirectory(tables);
    const alex = contact('c-alex', 'FA001', 'Alex Example');
    const sam = contact('c-sam', 'FA001', 'Sam Sample');
    await contacts.putAll([alex, sam]);
    tables.upserts = 0;
    tables.refuseUpsert = 3;
    const changed = [{ ...alex, phone: '01202 000001' }, { ...sam, odsCode: 'Y90001' }, contact('c-new', 'FA001', 'New Person'), contact('c-new2', 'Y90001', 'Another New')];
    const error = await contacts.putAll(changed).then(() => undefined, (reason: unknown) => reason);
    expect(error).to.be.instanceOf(DirectoryWriteError).with.property('message').that.includes('the contacts were not changed');
    expect(await contacts.forOrganisation('FA001')).to.have.deep.members([alex, sam]);
    expect(await contacts.forOrganisation('Y90001')).to.deep.equal([]);
    expect(await contacts.get('c-sam')).to.deep.equal(sam);
    expect(await contacts.get('c-new')).to.equal(undefined);
    expect(await contacts.get('c-new2')).to.equal(undefined);
  });

  it('when a contact is put again under another organisation, it moves: listed there only, and found by id there', async () => {
    const { contacts } = await openAzureDirectory(new AzureTables(await azurite(), uniqueName()));
    const alex = contact('c-alex', 'FA001', 'Alex Example');
    await contacts.putAll([alex]);
    const moved = { ...alex, odsCode: 'Y90001' };
    await contacts.putAll([moved]);
    expect(await contacts.forOrganisation('FA001')).to.deep.equal([]);
    expect(await contacts.forOrganisation('Y90001')).to.deep.equal([moved]);
    expect(await contacts.get('c-alex')).to.deep.equal(moved);
    expect(await contacts.remove('c-alex')).to.equal(true);
    expect(await contacts.forOrganisation('Y90001')).to.deep.equal([]);
    expect(await contacts.get('c-alex')).to.equal(undefined);
  });
});
