import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { AesGcmCipher, SealError } from '../../../bot/requests/fieldCipher.js';
import { memoryRequests, openLowdbRequests } from '../../../bot/storage/lowdbRequests.js';
import type { NewRequest, RequestRepository } from '../../../dialogs/requests.js';
import { openAzureRequests } from '../../../bot/storage/azure/requests.js';
import { AzureTables, RecordTooLargeError, readRecord } from '../../../bot/storage/azure/tables.js';
import { azurite, uniqueName } from '../../support/azurite.js';

const key = randomBytes(32);
const cipher = new AesGcmCipher(key);

function draft(overrides: Partial<NewRequest> = {}): NewRequest {
  return {
    formId: 'lost-card',
    formTitle: 'Report a lost, stolen or damaged card',
    status: 'open',
    urgent: true,
    requester: { id: 'user-1', aadObjectId: 'aad-1', name: 'Sam Requester' },
    organisation: { code: 'FA123' },
    teamId: 'scw',
    fields: { what: 'lost', holderName: 'Sam Requester', passportNumber: '123456789' },
    sensitiveFields: ['passportNumber'],
    createdAt: '2026-11-21T09:00:00.000Z',
    updatedAt: '2026-11-21T09:00:00.000Z',
    history: [{ at: '2026-11-21T09:00:00.000Z', by: { id: 'user-1', name: 'Sam Requester' }, action: 'filed' }],
    ...overrides,
  };
}

function requestContract(name: string, make: () => Promise<RequestRepository>): void {
  describe(`${name} (RequestRepository contract)`, () => {
    it('when requests are filed, each gets the next reference, RA-000001 then RA-000002, and reads back as filed', async () => {
      const repo = await make();
      const first = await repo.file(draft());
      const second = await repo.file(draft({ urgent: false }));
      expect([first.reference, second.reference]).to.deep.equal(['RA-000001', 'RA-000002']);
      expect(await repo.get('RA-000001')).to.deep.equal(first);
      expect(first.fields['passportNumber']).to.equal('123456789');
      expect(first.version).to.equal(1);
    });

    it('when a change is made at the version read, it is applied and the version goes up; at an older version it is a conflict and nothing changes', async () => {
      const repo = await make();
      const filed = await repo.file(draft());
      const assigned = await repo.update(filed.reference, 1, (r) => ({ ...r, status: 'assigned', assignee: { id: 'ra-1', name: 'Robin RA' } }));
      expect(assigned).to.include({ status: 'assigned', version: 2 });
      expect(await repo.update(filed.reference, 1, (r) => ({ ...r, status: 'rejected' }))).to.equal('conflict');
      expect((await repo.get(filed.reference))?.status).to.equal('assigned');
      expect(await repo.update('RA-999999', 1, (r) => r)).to.equal('missing');
    });

    it('when requests are listed, filters by team, requester, status, assignee and form apply, newest first', async () => {
      const repo = await make();
      await repo.file(draft({ createdAt: '2026-11-21T09:00:00.000Z' }));
      await repo.file(draft({ teamId: 'dorset', createdAt: '2026-11-21T10:00:00.000Z' }));
      await repo.file(draft({ teamId: null, requester: { id: 'user-2', name: 'Other' }, formId: 'general-question', createdAt: '2026-11-21T11:00:00.000Z' }));
      expect((await repo.list({})).map((r) => r.reference)).to.deep.equal(['RA-000003', 'RA-000002', 'RA-000001']);
      expect((await repo.list({ teamId: 'scw' })).map((r) => r.reference)).to.deep.equal(['RA-000001']);
      expect((await repo.list({ teamId: null })).map((r) => r.reference)).to.deep.equal(['RA-000003']);
      expect((await repo.list({ requesterId: 'user-1' })).map((r) => r.reference)).to.deep.equal(['RA-000002', 'RA-000001']);
      expect((await repo.list({ formId: 'general-question', statuses: ['open'] })).map((r) => r.reference)).to.deep.equal(['RA-000003']);
      expect(await repo.list({ statuses: ['completed'] })).to.deep.equal([]);
    });

    it('when closed requests are older than the retention period, their personal fields go and the rest stays; open and recent ones are untouched', async () => {
      const repo = await make();
      const old = await repo.file(draft({ createdAt: '2026-01-01T09:00:00.000Z' }));
      await repo.update(old.reference, 1, (r) => ({ ...r, status: 'completed', updatedAt: '2026-01-02T09:00:00.000Z', history: [...r.history, { at: '2026-01-02T09:00:00.000Z', by: { id: 'ra', name: 'Robin RA' }, action: 'completed', note: 'Sam collected the card' }] }));
      const open = await repo.file(draft({ createdAt: '2026-01-01T09:00:00.000Z' }));
      const recent = await repo.file(draft());
      await repo.update(recent.reference, 1, (r) => ({ ...r, status: 'rejected', updatedAt: '2026-11-20T09:00:00.000Z' }));
      expect(await repo.purgeClosed('2026-08-23T00:00:00.000Z', '2026-11-21T09:00:00.000Z')).to.equal(1);
      const purged = await repo.get(old.reference);
      expect(purged).to.include({ reference: old.reference, status: 'completed', formId: 'lost-card', purgedAt: '2026-11-21T09:00:00.000Z' });
      expect(purged?.fields).to.deep.equal({});
      expect(JSON.stringify(purged)).not.to.include('Sam');
      expect((await repo.get(open.reference))?.fields['holderName']).to.equal('Sam Requester');
      expect((await repo.get(recent.reference))?.fields['holderName']).to.equal('Sam Requester');
      expect(await repo.purgeClosed('2026-08-23T00:00:00.000Z', '2026-11-21T09:00:00.000Z')).to.equal(0);
    });

    it('when the desk card is recorded, the request keeps its version, so the buttons on that card still work', async () => {
      const repo = await make();
      const filed = await repo.file(draft());
      await repo.setDeskCard(filed.reference, { reference: { conversation: { id: '19:desk', isGroup: true, conversationType: 'channel', name: '' } }, activityId: 'a-1' });
      const read = await repo.get(filed.reference);
      expect(read?.version).to.equal(1);
      expect(read?.deskCard?.activityId).to.equal('a-1');
    });

    it('when a reference is asked for that is not a request (or is "__proto__"), nothing is found', async () => {
      const repo = await make();
      expect(await repo.get('RA-000001')).to.equal(undefined);
      expect(await repo.get('__proto__')).to.equal(undefined);
    });
  });
}

requestContract('in memory', async () => memoryRequests(cipher));
requestContract('on Azure Table storage (Azurite)', async () => openAzureRequests(new AzureTables(await azurite(), uniqueName()), cipher));

describe('requests on Azure Table storage shared by two instances', () => {
  // Two repository objects on the same tables, as two bot instances would have.
  async function twoInstances(key = cipher): Promise<{ tables: AzureTables; a: RequestRepository; b: RequestRepository }> {
    const prefix = uniqueName();
    const connection = await azurite();
    const tables = new AzureTables(connection, prefix);
    return { tables, a: await openAzureRequests(tables, key), b: await openAzureRequests(new AzureTables(connection, prefix), key) };
  }

  it('when both instances file 20 requests at once, the references are 20 distinct consecutive ones and every request reads back', async () => {
    const { a, b } = await twoInstances();
    const filed = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).file(draft({ fields: { what: `case ${i}`, passportNumber: `P${i}` } }))));
    const references = filed.map((r) => r.reference).sort();
    expect(references).to.deep.equal(Array.from({ length: 20 }, (_, i) => `RA-${String(i + 1).padStart(6, '0')}`));
    const listed = await b.list({});
    expect(listed).to.have.length(20);
    for (const request of filed) expect((await a.get(request.reference))?.fields).to.deep.equal(request.fields);
    expect((await a.file(draft())).reference).to.equal('RA-000021');
  });

  it('when two RA team members on different instances act on the same version at once, one change is applied and the other is told it conflicts', async () => {
    const { a, b } = await twoInstances();
    const filed = await a.file(draft());
    const outcomes = await Promise.all([
      a.update(filed.reference, 1, (r) => ({ ...r, status: 'assigned', assignee: { id: 'ra-1', name: 'Robin RA' } })),
      b.update(filed.reference, 1, (r) => ({ ...r, status: 'rejected' })),
    ]);
    const applied = outcomes.filter((o) => typeof o === 'object');
    expect(applied).to.have.length(1);
    expect(outcomes.filter((o) => o === 'conflict')).to.have.length(1);
    const read = await b.get(filed.reference);
    expect(read).to.include({ version: 2, status: typeof applied[0] === 'object' ? applied[0].status : '' });
  });

  it('when the desk card is recorded on one instance while the request changes on the other, neither is lost', async () => {
    const { a, b } = await twoInstances();
    const filed = await a.file(draft());
    const deskCard = { reference: { conversation: { id: '19:desk', isGroup: true, conversationType: 'channel', name: '' } }, activityId: 'a-1' };
    const [assigned] = await Promise.all([
      b.update(filed.reference, 1, (r) => ({ ...r, status: 'assigned', assignee: { id: 'ra-1', aadObjectId: 'aad-ra', name: 'Robin RA' } })),
      a.setDeskCard(filed.reference, deskCard),
    ]);
    expect(assigned).to.include({ status: 'assigned', version: 2 });
    const read = await a.get(filed.reference);
    expect(read).to.include({ status: 'assigned', version: 2 });
    expect(read?.deskCard?.activityId).to.equal('a-1');
    expect((await b.list({ assigneeAadObjectId: 'aad-ra' })).map((r) => r.reference)).to.deep.equal([filed.reference]);
  });

  it('when a request is filed, its identity-document number is sealed in the table, and a restarted instance carries on the references', async () => {
    const { tables, a } = await twoInstances();
    const filed = await a.file(draft());
    const stored = await readRecord<{ fields: Record<string, string>; requester: { name: string } }>(await tables.table('requests'), 'requests', filed.reference);
    expect(stored?.value.requester.name).to.equal('Sam Requester');
    expect(stored?.value.fields['passportNumber']).to.match(/^v1:/);
    expect(JSON.stringify(stored)).not.to.include('123456789');
    const restarted = await openAzureRequests(tables, cipher);
    expect((await restarted.file(draft())).reference).to.equal('RA-000002');
  });

  it('when the table is read with another key, a sealed field fails loudly rather than returning something else', async () => {
    const { tables, a } = await twoInstances();
    await a.file(draft());
    const wrong = await openAzureRequests(tables, new AesGcmCipher(randomBytes(32)));
    let error: unknown;
    await wrong.get('RA-000001').catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(SealError);
  });

  it('when the reference counter record is lost, references carry on after the highest filed rather than being reused', async () => {
    const { tables, a } = await twoInstances();
    await a.file(draft());
    await a.file(draft());
    await (await tables.table('requests')).deleteEntity('requests', 'counter');
    expect((await a.file(draft())).reference).to.equal('RA-000003');
  });

  it('when a request is too large for one table entity, filing is refused clearly and no reference is used up', async () => {
    const { a } = await twoInstances();
    let error: unknown;
    await a.file(draft({ fields: { what: 'x'.repeat(1_000_000) } })).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(RecordTooLargeError);
    expect((await a.file(draft())).reference).to.equal('RA-000001');
    expect(await a.get('counter')).to.equal(undefined);
  });

  it('when 150 people on one instance send at once, one request too large among them, the rest get 149 consecutive references in a few writes, not a round of conflicts each', async () => {
    const { tables, a, b } = await twoInstances();
    const client = await tables.table('requests');
    let transactions = 0;
    const submit = client.submitTransaction.bind(client);
    client.submitTransaction = (actions) => {
      transactions++;
      return submit(actions);
    };
    const outcomes = await Promise.allSettled(
      Array.from({ length: 150 }, (_, i) => a.file(draft({ fields: { what: i === 70 ? 'x'.repeat(1_000_000) : `case ${i}`, passportNumber: `P${i}` } }))),
    );
    const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
    expect(refused).to.have.length(1);
    expect(refused[0]).to.be.instanceOf(RecordTooLargeError);
    const filed = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    expect(filed.map((r) => r.reference).sort()).to.deep.equal(Array.from({ length: 149 }, (_, i) => `RA-${String(i + 1).padStart(6, '0')}`));
    expect(transactions).to.be.at.most(4);
    for (const request of filed.filter((_, i) => i % 30 === 0)) expect((await b.get(request.reference))?.fields).to.deep.equal(request.fields);
    expect((await b.file(draft())).reference).to.equal('RA-000150');
  });
});

describe('requests on disk', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sa-requests-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  requestContract('in a file', async () => openLowdbRequests(path.join(mkdtempSync(path.join(os.tmpdir(), 'sa-requests-c-')), 'requests.json'), cipher));

  it('when file() resolves, the request is already in the file, and its identity-document number is not readable there', async () => {
    const file = path.join(dir, 'requests.json');
    const repo = await openLowdbRequests(file, cipher);
    const filed = await repo.file(draft());
    const onDisk = readFileSync(file, 'utf8');
    expect(onDisk).to.include(filed.reference);
    expect(onDisk).to.include('Sam Requester');
    expect(onDisk).not.to.include('123456789');
    expect(onDisk).to.match(/"passportNumber": "v1:/);
  });

  it('when the bot restarts, references carry on from the last one and are never reused', async () => {
    const file = path.join(dir, 'requests.json');
    const before = await openLowdbRequests(file, cipher);
    await before.file(draft());
    await before.file(draft());
    await before.flush();
    const after = await openLowdbRequests(file, cipher);
    expect((await after.file(draft())).reference).to.equal('RA-000003');
    expect((await after.get('RA-000001'))?.fields['passportNumber']).to.equal('123456789');
  });

  it('when the file is opened with another key, reading a sealed field fails loudly rather than returning something else', async () => {
    const file = path.join(dir, 'requests.json');
    await (await openLowdbRequests(file, cipher)).file(draft());
    const wrong = await openLowdbRequests(file, new AesGcmCipher(randomBytes(32)));
    let error: unknown;
    await wrong.get('RA-000001').catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(SealError);
  });

  it('when requests.json is not a requests file, opening it fails naming the file and leaves it as it was', async () => {
    const file = path.join(dir, 'requests.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, '{"requests": []}');
    let error: unknown;
    await openLowdbRequests(file, cipher).catch((e: unknown) => (error = e));
    expect((error as Error).message).to.include(`cannot use ${file}`);
    expect(readFileSync(file, 'utf8')).to.equal('{"requests": []}');
  });
});

describe('field cipher', () => {
  it('when a value is sealed twice, the two differ (a fresh nonce each time) and both open to the value', () => {
    const a = cipher.seal('AB123456C');
    const b = cipher.seal('AB123456C');
    expect(a).not.to.equal(b);
    expect([cipher.open(a), cipher.open(b)]).to.deep.equal(['AB123456C', 'AB123456C']);
  });

  it('when a sealed value is altered, it does not open', () => {
    const sealed = cipher.seal('AB123456C');
    const altered = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'BB' : 'AA');
    expect(() => cipher.open(altered)).to.throw(SealError);
    expect(() => cipher.open('plain text')).to.throw(SealError);
  });

  it('when the key is not 32 bytes, the cipher refuses to be made', () => {
    expect(() => new AesGcmCipher(randomBytes(16))).to.throw(RangeError);
  });
});
