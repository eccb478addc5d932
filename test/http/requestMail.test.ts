import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Chat, readAll, testApp } from '../support/chat.js';
import { seededDirectory } from '../support/directory.js';
import { GraphStandIn, StandInNetworkClient, standInAuthority, testClientId, testSecret, testSender, testTenant } from '../support/graphStandIn.js';

describe('a new request also emailed to the RA mailbox through Microsoft Graph', () => {
  const standIn = new GraphStandIn();
  let dataDir: string;
  before(() => standIn.start());
  after(() => standIn.stop());
  beforeEach(() => {
    standIn.clear();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'sa-request-mail-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('when Graph is configured, a filed stolen-card report is mailed to the SCW mailbox, marked urgent, with its reference and organisation', async () => {
    const app = await testApp(
      {
        DATA_DIR: dataDir,
        RA_TEAM_EMAILS: 'scw=scw.smartcards@example.nhs.uk',
        GRAPH_TENANT_ID: testTenant,
        GRAPH_CLIENT_ID: testClientId,
        GRAPH_CLIENT_SECRET: testSecret,
        GRAPH_SENDER: testSender,
        GRAPH_BASE_URL: standIn.url,
        GRAPH_AUTHORITY_URL: standInAuthority,
      },
      undefined,
      undefined,
      { directory: await seededDirectory(), mailer: { networkClient: new StandInNetworkClient(standIn) } },
    );
    await app.start();
    try {
      const chat = new Chat(app, { conversationId: 'mail-requester', userId: 'requester' });
      const form = await chat.pressButton(await chat.say('raise a request'), 'Report a lost, stolen or damaged card');
      const ack = readAll(
        await chat.pressButton(form, 'Send to the RA team', { what: 'stolen', holderName: 'Sam Requester', odsCode: 'FA123', noticed: '2026-11-20', replacement: 'false' }),
      );
      expect(ack).to.include('Sent: RA-000001');
      // The worker sends in the background: wait for the stand-in to receive it.
      await standIn.mailArrived();
      const [mail] = standIn.mailRequests;
      expect(mail, 'Graph received a sendMail').to.not.equal(undefined);
      expect(mail?.path).to.include(`/v1.0/users/${encodeURIComponent(testSender)}/sendMail`);
      const body = JSON.parse(mail?.body ?? '{}') as { message: { subject: string; toRecipients: { emailAddress: { address: string } }[]; body: { content: string } } };
      expect(body.message.subject).to.equal('[URGENT] RA-000001: Report a lost, stolen or damaged card');
      expect(body.message.toRecipients[0]?.emailAddress.address).to.equal('scw.smartcards@example.nhs.uk');
      expect(body.message.body.content).to.include('FA123');
    } finally {
      await app.stop();
    }
  });
});
