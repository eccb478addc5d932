import { expect } from 'chai';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../bot/config.js';

const appId = '11111111-2222-3333-4444-555555555555';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env, '/srv/bot');
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('configuration', () => {
  it('when nothing is set, the bot runs in anonymous local mode on 127.0.0.1:3978 with data in ./data', () => {
    const config = loadConfig({}, '/srv/bot');
    expect(config.port).to.equal(3978);
    expect(config.host).to.equal('127.0.0.1');
    expect(config.dataDir).to.equal(path.resolve('/srv/bot', 'data'));
    expect(config.auth.appId).to.equal(undefined);
    expect(config.production).to.equal(false);
    expect(Object.isFrozen(config)).to.equal(true);
  });

  it('when an app id is set, the bot listens on every interface by default so Azure can reach it', () => {
    expect(loadConfig({ MicrosoftAppId: appId, MicrosoftAppPassword: 's' }).host).to.equal('0.0.0.0');
  });

  it('when NODE_ENV=production has no MicrosoftAppId, start-up is refused and says why', () => {
    const problems = problemsOf({ NODE_ENV: 'production' });
    expect(problems).to.have.length(1);
    expect(problems[0]).to.include('MicrosoftAppId is required when NODE_ENV=production');
    expect(problems[0]).to.include('unauthenticated');
  });

  it('when several settings are wrong, every problem is listed at once', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
      MicrosoftAppId: 'not-a-guid',
      MicrosoftAppType: 'SingleTenant',
      RA_TEAM_EMAILS: 'dorset=not-an-email',
    });
    expect(problems.join('\n')).to.include('PORT');
    expect(problems.join('\n')).to.include('LOG_LEVEL');
    expect(problems.join('\n')).to.include('MicrosoftAppId must be a GUID');
    expect(problems.join('\n')).to.include('RA_TEAM_EMAILS has "dorset=not-an-email"');
    expect(problems).to.have.length.of.at.least(4);
  });

  it('when a single-tenant app has no password or tenant, both are named', () => {
    const problems = problemsOf({ MicrosoftAppId: appId, MicrosoftAppType: 'SingleTenant' });
    expect(problems.join('\n')).to.include('MicrosoftAppPassword is required');
    expect(problems.join('\n')).to.include('MicrosoftAppTenantId is required');
  });

  it('when a managed identity is used, no password is needed but the tenant is', () => {
    const problems = problemsOf({ MicrosoftAppId: appId, MicrosoftAppType: 'UserAssignedMSI' });
    expect(problems).to.deep.equal(['MicrosoftAppTenantId is required when MicrosoftAppType is UserAssignedMSI']);
  });

  it('when a port is out of range, it is refused', () => {
    expect(problemsOf({ PORT: '70000' }).join()).to.include('PORT');
  });

  it('when settings are blank (as an empty line in .env leaves them), the defaults apply', () => {
    const config = loadConfig({ PORT: '', MicrosoftAppId: '  ', DATA_DIR: '' }, '/srv/bot');
    expect(config.port).to.equal(3978);
    expect(config.auth.appId).to.equal(undefined);
  });

  it('when RA team emails are configured, they are read as team id to address', () => {
    const config = loadConfig({ RA_TEAM_EMAILS: ' dorset = a.team@nhs.net , scw=b@nhs.net' });
    expect([...config.raTeamEmails]).to.deep.equal([
      ['dorset', 'a.team@nhs.net'],
      ['scw', 'b@nhs.net'],
    ]);
  });

  it('when RA admins are configured, their object ids are read case-insensitively, and a non-GUID is refused', () => {
    const config = loadConfig({ RA_ADMINS: ` ${appId.toUpperCase()} ,${appId.replace('1111', 'aaaa')}` });
    expect([...config.raAdmins]).to.deep.equal([appId, appId.replace('1111', 'aaaa')]);
    expect(problemsOf({ RA_ADMINS: 'jane.smith@nhs.net' }).join('\n')).to.include('has "jane.smith@nhs.net": each entry must be an AAD object id');
  });

  it('when no ODS API URL is set, live look-ups are off; when one is set, the timeout and rate default to 3 s and 5 a second', () => {
    expect(loadConfig({}).odsApi).to.equal(undefined);
    expect(loadConfig({ ODS_API_URL: 'https://directory.spineservices.nhs.uk/ORD/2-0-0' }).odsApi).to.deep.equal({
      baseUrl: 'https://directory.spineservices.nhs.uk/ORD/2-0-0',
      timeoutMs: 3000,
      perSecond: 5,
    });
  });

  it('when the ODS settings are wrong (not a URL, faster than ODS allows), each is named', () => {
    const found = problemsOf({ ODS_API_URL: 'directory.spineservices', ODS_API_PER_SECOND: '20' }).join('\n');
    expect(found).to.include('ODS_API_URL must be an http(s) URL');
    expect(found).to.include('ODS_API_PER_SECOND');
  });
});

describe('configuration: email through Microsoft Graph', () => {
  const graph = {
    GRAPH_TENANT_ID: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
    GRAPH_CLIENT_ID: appId,
    GRAPH_CLIENT_SECRET: 'not-a-real-secret',
    GRAPH_SENDER: 'smartcard-assistant@nhs.net',
  };

  it('when no Graph settings are set, email is off; with all four, Graph and Entra default to the public cloud', () => {
    expect(loadConfig({}).graph).to.equal(undefined);
    expect(loadConfig({ GRAPH_BASE_URL: 'https://graph.microsoft.com' }).graph).to.equal(undefined);
    const config = loadConfig(graph);
    expect(config.graph).to.deep.equal({
      tenantId: graph.GRAPH_TENANT_ID,
      clientId: appId,
      clientSecret: 'not-a-real-secret',
      sender: 'smartcard-assistant@nhs.net',
      baseUrl: 'https://graph.microsoft.com',
      authorityUrl: 'https://login.microsoftonline.com',
    });
    expect(Object.isFrozen(config.graph)).to.equal(true);
  });

  it('when only some Graph settings are set, start-up is refused naming the missing ones', () => {
    const problems = problemsOf({ GRAPH_TENANT_ID: graph.GRAPH_TENANT_ID, GRAPH_CLIENT_ID: appId });
    expect(problems).to.have.length(1);
    expect(problems[0]).to.match(/^GRAPH_CLIENT_SECRET, GRAPH_SENDER are required/);
    expect(problemsOf({ ...graph, GRAPH_SENDER: ' ' })[0]).to.match(/^GRAPH_SENDER is required/);
  });

  it('when the Graph and Entra addresses are given, they are used without a trailing slash; plain http only to this machine', () => {
    const config = loadConfig({ ...graph, GRAPH_BASE_URL: 'http://127.0.0.1:8080/', GRAPH_AUTHORITY_URL: 'https://login.microsoftonline.us/', GRAPH_TENANT_ID: 'contoso.onmicrosoft.com' });
    expect(config.graph).to.include({ baseUrl: 'http://127.0.0.1:8080', authorityUrl: 'https://login.microsoftonline.us', tenantId: 'contoso.onmicrosoft.com' });
    const found = problemsOf({
      ...graph,
      GRAPH_BASE_URL: 'http://graph.example.com',
      GRAPH_AUTHORITY_URL: 'http://127.0.0.1:9000',
      GRAPH_CLIENT_ID: 'graph-app',
      GRAPH_SENDER: 'not an address',
    }).join('\n');
    expect(found).to.include('GRAPH_BASE_URL must be an https URL (plain http is allowed only to this machine)');
    expect(found).to.include('GRAPH_AUTHORITY_URL must be an https URL');
    expect(found).to.include('GRAPH_CLIENT_ID must be a GUID');
    expect(found).to.include('GRAPH_SENDER must be the address');
    expect(problemsOf({ ...graph, GRAPH_AUTHORITY_URL: 'https://login.microsoftonline.com/tenant' }).join()).to.include('GRAPH_AUTHORITY_URL must be just the scheme and host');
    expect(problemsOf({ ...graph, GRAPH_BASE_URL: 'https://graph.microsoft.com/v1.0' }).join()).to.include('GRAPH_BASE_URL must be just the scheme and host');
  });
});

describe('configuration: the storage backend', () => {
  const account = 'DefaultEndpointsProtocol=https;AccountName=smartcardprod;AccountKey=c2VjcmV0LWtleS1ub3QtcmVhbA==;EndpointSuffix=core.windows.net';

  it('when STORAGE is not set, state lives in files in DATA_DIR (lowdb)', () => {
    expect(loadConfig({}).storage).to.deep.equal({ kind: 'lowdb' });
  });

  const key = Buffer.alloc(32, 7).toString('base64');

  it('when STORAGE=azure has a connection string, tables and the bot-state container take their defaults unless named', () => {
    expect(loadConfig({ STORAGE: 'azure', AZURE_STORAGE_CONNECTION_STRING: account, REQUEST_KEY: key }).storage).to.deep.equal({
      kind: 'azure',
      connectionString: account,
      tablePrefix: 'smartcard',
      container: 'botstate',
    });
    const named = loadConfig({ STORAGE: 'azure', AZURE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true', REQUEST_KEY: key, AZURE_TABLE_PREFIX: 'dorset', AZURE_BLOB_CONTAINER: 'dorset-state' });
    expect(named.storage).to.include({ tablePrefix: 'dorset', container: 'dorset-state' });
  });

  it('when STORAGE=azure has no connection string or request key, start-up is refused saying what to set', () => {
    expect(problemsOf({ STORAGE: 'azure' })).to.deep.equal([
      "AZURE_STORAGE_CONNECTION_STRING is required when STORAGE=azure: the storage account's connection string (or UseDevelopmentStorage=true for Azurite)",
      'REQUEST_KEY is required when STORAGE=azure: every instance must seal identity-document numbers with the same key',
    ]);
  });

  it('when the storage settings are malformed, each is named and the connection string is never echoed', () => {
    const problems = problemsOf({ STORAGE: 'blob', AZURE_STORAGE_CONNECTION_STRING: 'AccountKey=topsecret', AZURE_TABLE_PREFIX: '1x', AZURE_BLOB_CONTAINER: 'Bot_State' });
    expect(problems.map((p) => p.split(' ')[0])).to.have.members(['STORAGE', 'AZURE_STORAGE_CONNECTION_STRING', 'AZURE_TABLE_PREFIX', 'AZURE_BLOB_CONTAINER']);
    expect(problems.join('\n')).not.to.include('topsecret');
  });
});
