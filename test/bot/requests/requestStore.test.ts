import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../bot/config.js';
import { SealError } from '../../../bot/requests/fieldCipher.js';
import { openBackend } from '../../../bot/storage/backend.js';
import type { Config } from '../../../bot/config.js';
import type { NewRequest } from '../../../dialogs/requests.js';

/** The requests store as the app opens it. */
async function openRequestStore(config: Config) {
  return (await openBackend(config, { now: () => new Date() })).requests();
}

const request: NewRequest = {
  formId: 'id-checks',
  formTitle: 'Record ID checks',
  status: 'open',
  urgent: false,
  requester: { id: 'user-1', name: 'Robin RA' },
  teamId: 'dorset',
  fields: { passportNumber: '123456789', fullName: 'Pat Example' },
  sensitiveFields: ['passportNumber'],
  createdAt: '2026-11-21T09:00:00.000Z',
  updatedAt: '2026-11-21T09:00:00.000Z',
  history: [],
};

describe('the request store and its key', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'sa-request-store-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('when REQUEST_KEY is set, requests are sealed with it and no development key is made', async () => {
    const key = randomBytes(32).toString('base64');
    const { store: requests, canSeal } = await openRequestStore(loadConfig({ DATA_DIR: dataDir, REQUEST_KEY: key }));
    expect(canSeal).to.equal(true);
    await requests.file(request);
    expect(existsSync(path.join(dataDir, 'request-key.dev'))).to.equal(false);
    const again = await openRequestStore(loadConfig({ DATA_DIR: dataDir, REQUEST_KEY: key }));
    expect((await again.store.get('RA-000001'))?.fields['passportNumber']).to.equal('123456789');
  });

  it('when no key is set in development, a development key is kept in DATA_DIR, readable only by its owner, and used again after a restart', async () => {
    const first = await openRequestStore(loadConfig({ DATA_DIR: dataDir }));
    expect(first.canSeal).to.equal(true);
    await first.store.file(request);
    const file = path.join(dataDir, 'request-key.dev');
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    const second = await openRequestStore(loadConfig({ DATA_DIR: dataDir }));
    expect((await second.store.get('RA-000001'))?.fields['passportNumber']).to.equal('123456789');
  });

  it('when no key is set in production, identity-document numbers are refused while other requests are kept', async () => {
    const { store: requests, canSeal } = await openRequestStore(
      loadConfig({ DATA_DIR: dataDir, NODE_ENV: 'production', MicrosoftAppId: '11111111-2222-3333-4444-555555555555', MicrosoftAppPassword: 'x' }),
    );
    expect(canSeal).to.equal(false);
    let error: unknown;
    await requests.file(request).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(SealError);
    expect(await requests.list({})).to.deep.equal([]);
    const plain = await requests.file({ ...request, fields: { fullName: 'Pat Example' }, sensitiveFields: [] });
    expect(plain.reference).to.equal('RA-000001');
    expect(existsSync(path.join(dataDir, 'request-key.dev'))).to.equal(false);
  });

  it('when REQUEST_KEY is not 32 bytes of base64, start-up is refused with how to make one', () => {
    expect(() => loadConfig({ REQUEST_KEY: 'too-short' })).to.throw(/REQUEST_KEY must be 32 random bytes in base64/);
  });
});
