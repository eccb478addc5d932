import { expect } from 'chai';
import { GraphMailer, graphScope } from '../../../bot/requests/graphMailer.js';
import { MailSendError, type MailContent } from '../../../bot/requests/mailOutbox.js';
import { GraphStandIn, StandInNetworkClient, standInAuthority, testClientId, testSecret, testSender, testTenant } from '../../support/graphStandIn.js';
import { memoryLogger } from '../../support/memoryLogger.js';

const mail: MailContent = {
  to: 'dorset.ra@example.nhs.uk',
  subject: '[URGENT] RA-000123: Report a lost, stolen or damaged card',
  body: 'Reference: RA-000123\nFrom: Jane Testperson\n',
};

async function failureOf(promise: Promise<unknown>): Promise<MailSendError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof MailSendError) return error;
    throw error;
  }
  throw new Error('expected the send to fail');
}

describe('GraphMailer: sending as the RA mailbox through Microsoft Graph', () => {
  const standIn = new GraphStandIn();
  let network: StandInNetworkClient;
  let logger: ReturnType<typeof memoryLogger>;
  let mailer: GraphMailer;

  before(() => standIn.start());
  after(() => standIn.stop());
  beforeEach(() => {
    standIn.clear();
    network = new StandInNetworkClient(standIn);
    logger = memoryLogger();
    mailer = new GraphMailer({ graph: standIn.config(), logger, networkClient: network });
  });
  afterEach(() => {
    // The secret, the token and the mail's content never reach the logs.
    const logged = JSON.stringify(logger.entries);
    for (const secret of [testSecret, 'test-token', 'Jane Testperson', mail.to]) expect(logged).not.to.include(secret);
  });

  it('when a mail is sent, it is POSTed to sendMail for the sender mailbox as Graph JSON, with an app-only bearer token', async () => {
    await mailer.send(mail);

    const [post] = standIn.mailRequests;
    expect(post?.path).to.equal(`/v1.0/users/${encodeURIComponent(testSender)}/sendMail`);
    expect(post?.headers.authorization).to.equal('Bearer test-token');
    expect(post?.headers['content-type']).to.equal('application/json');
    expect(JSON.parse(post?.body ?? '')).to.deep.equal({
      message: {
        subject: mail.subject,
        body: { contentType: 'Text', content: mail.body },
        toRecipients: [{ emailAddress: { address: mail.to } }],
      },
      saveToSentItems: true,
    });

    const token = new URLSearchParams(standIn.tokenRequests[0]?.body);
    expect(token.get('grant_type')).to.equal('client_credentials');
    expect(token.get('client_id')).to.equal(testClientId);
    expect(token.get('client_secret')).to.equal(testSecret);
    expect(token.get('scope')).to.equal(graphScope);
  });

  it('when MSAL gets its token, it asks only the configured authority: its OpenID configuration and token endpoint, no instance discovery', async () => {
    await mailer.send(mail);
    expect(network.asked.map((a) => a.replace(/\?.*$/, ''))).to.deep.equal([
      `GET ${standInAuthority}/${testTenant}/v2.0/.well-known/openid-configuration`,
      `POST ${standInAuthority}/${testTenant}/oauth2/v2.0/token`,
    ]);
  });

  it('when the authority is the public cloud, MSAL uses its built-in endpoints and asks only for the token', async () => {
    const publicCloud = new GraphMailer({ graph: standIn.config({ authorityUrl: 'https://login.microsoftonline.com' }), logger, networkClient: network });
    await publicCloud.send(mail);
    expect(network.asked.map((a) => a.replace(/\?.*$/, ''))).to.deep.equal([`POST https://login.microsoftonline.com/${testTenant}/oauth2/v2.0/token`]);
  });

  it('when two mails are sent, the token is fetched once and kept for the second', async () => {
    await mailer.send(mail);
    await mailer.send({ ...mail, subject: 'RA-000124: Something else' });
    expect(standIn.tokenRequests).to.have.length(1);
    expect(standIn.mailRequests.map((r) => r.headers.authorization)).to.deep.equal(['Bearer test-token', 'Bearer test-token']);
  });

  it('when Graph is busy (503) or throttling (429 with Retry-After), the failure is a passing one, with the wait it asked for', async () => {
    standIn.graphAnswers.push({ status: 503, body: { error: { code: 'ServiceUnavailable', message: 'try later' } } }, { status: 429, headers: { 'retry-after': '120' } });
    const busy = await failureOf(mailer.send(mail));
    expect(busy).to.include({ permanent: false, message: 'Graph answered 503 (ServiceUnavailable)', retryAfterMs: undefined });
    const throttled = await failureOf(mailer.send(mail));
    expect(throttled).to.include({ permanent: false, message: 'Graph answered 429', retryAfterMs: 120_000 });
  });

  it('when Graph refuses the mail (403, 400), the failure is permanent, naming only its error code, not its message', async () => {
    standIn.graphAnswers.push(
      { status: 403, body: { error: { code: 'ErrorAccessDenied', message: 'Access is denied.' } } },
      { status: 400, body: { error: { code: 'ErrorInvalidRecipients', message: `At least one recipient is not valid: ${mail.to}` } } },
    );
    const denied = await failureOf(mailer.send(mail));
    expect(denied).to.include({ permanent: true, message: 'Graph answered 403 (ErrorAccessDenied)' });
    const invalid = await failureOf(mailer.send(mail));
    expect(invalid).to.include({ permanent: true, message: 'Graph answered 400 (ErrorInvalidRecipients)' });
  });

  it('when Graph says the token is not good (401), the next send asks Entra for a fresh one', async () => {
    standIn.graphAnswers.push({ status: 401, body: { error: { code: 'InvalidAuthenticationToken' } } });
    expect(await failureOf(mailer.send(mail))).to.include({ permanent: true, message: 'Graph answered 401 (InvalidAuthenticationToken)' });
    await mailer.send(mail);
    await mailer.send(mail);
    expect(standIn.tokenRequests, 'the first token, the fresh one, and no more').to.have.length(2);
  });

  it("when Entra refuses the app's credentials, the failure is permanent and names Entra's code, not the secret", async () => {
    const wrongSecret = standIn.tokenAnswer;
    standIn.tokenAnswer = { status: 401, body: { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.', error_codes: [7000215] } };
    try {
      const refused = await failureOf(mailer.send(mail));
      expect(refused).to.include({ permanent: true, message: 'Entra refused the token request with 401 (invalid_client)' });
      expect(standIn.mailRequests).to.have.length(0);
    } finally {
      standIn.tokenAnswer = wrongSecret;
    }
  });

  it('when Graph cannot be reached, the failure is a passing one', async () => {
    const closed = new GraphStandIn();
    await closed.start();
    await closed.stop();
    const unreachable = new GraphMailer({ graph: standIn.config({ baseUrl: closed.url }), logger, networkClient: network });
    expect(await failureOf(unreachable.send(mail))).to.include({ permanent: false, message: 'Graph could not be reached' });
  });

  it('when Graph does not answer in time, the failure is a passing one', async () => {
    const slow = new GraphMailer({ graph: standIn.config(), logger, networkClient: network, timeoutMs: 50 });
    standIn.hold();
    try {
      expect(await failureOf(slow.send(mail))).to.include({ permanent: false, message: 'Graph did not answer within 50 ms' });
    } finally {
      standIn.release();
    }
  });
});
