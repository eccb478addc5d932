import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runLoad } from './conversations.js';

// The small run of `npm run test:load`: the same walks, so the no-cross-talk check runs on every test run.
describe('conversations at once over HTTP (a small load run)', () => {
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'sa-load-'));
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('when 10 people each walk their own 20 turns at once on the embedded store, every reply is their own and a fresh app shows each their own organisation and request', async function () {
    this.timeout(120_000);
    const report = await runLoad({ conversations: 10, dataDir });
    expect(report.failures, report.failures.join('\n\n')).to.deep.equal([]);
    expect(report.errors).to.equal(0);
    expect(report.turns).to.equal(200);
    expect(report.verified).to.equal(10);
    expect(report.logMessages, 'errors the app logged').to.deep.equal([]);
  });
});
