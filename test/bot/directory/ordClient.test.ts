import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mock } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { expect } from 'chai';
import { OrdClient } from '../../../bot/directory/ordClient.js';
import type { Organisation, OrganisationFetch } from '../../../knowledge/organisations.js';

// Made-up organisations in the documented ORD detail shape (domain.md section 10), with the extra fields real
// records carry (root, uniqueRoleId, UPRN as a number) so the client is shown to ignore what it does not use.
const dorsetPractice = {
  Organisation: {
    Name: 'CANFORD HEATH TEST SURGERY',
    Date: [{ Type: 'Operational', Start: '1974-04-01' }],
    OrgId: { root: '2.16.840.1.113883.2.1.3.2.4.18.48', assigningAuthorityName: 'HSCIC', extension: 'j81999' },
    Status: 'Active',
    LastChangeDate: '2025-06-01',
    orgRecordClass: 'RC1',
    GeoLoc: { Location: { AddrLn1: '1 TEST ROAD', AddrLn2: '', Town: 'POOLE', County: 'DORSET', PostCode: 'bh17  7dt', Country: 'ENGLAND', UPRN: 100040000000 } },
    Contacts: { Contact: [{ type: 'tel', value: '01202 000000' }] },
    Roles: {
      Role: [
        { id: 'RO177', uniqueRoleId: 1, primaryRole: true, Date: [{ Type: 'Operational', Start: '1974-04-01' }], Status: 'Active' },
        { id: 'RO76', uniqueRoleId: 2, primaryRole: false, Date: [{ Type: 'Operational', Start: '2014-04-15' }], Status: 'Active' },
      ],
    },
    Rels: {
      Rel: [
        // The practice's commissioner before the 2013 reorganisation: inactive, so it must not count.
        { id: 'RE4', Status: 'Inactive', Date: [{ Type: 'Operational', Start: '2002-04-01', End: '2013-03-31' }], Target: { OrgId: { extension: '5QN' }, PrimaryRoleId: { id: 'RO98', uniqueRoleId: 3 } } },
        { id: 'RE4', Status: 'Active', Date: [{ Type: 'Operational', Start: '2013-04-01' }], Target: { OrgId: { extension: '11J' }, PrimaryRoleId: { id: 'RO98', uniqueRoleId: 4 } } },
        { id: 'RE8', Status: 'Active', Date: [{ Type: 'Operational', Start: '2019-07-01' }], Target: { OrgId: { extension: 'U99999' }, PrimaryRoleId: { id: 'RO272', uniqueRoleId: 5 } } },
      ],
    },
  },
};

// The sub-ICB's own record: its RE5 rel points to its ICB.
const dorsetSubIcb = {
  Organisation: {
    Name: 'NHS DORSET ICB - 11J',
    Date: [{ Type: 'Operational', Start: '2013-04-01' }],
    OrgId: { extension: '11J' },
    Status: 'Active',
    GeoLoc: { Location: { AddrLn1: 'VESPASIAN HOUSE', Town: 'DORCHESTER', PostCode: 'DT1 1TG' } },
    Roles: { Role: [{ id: 'RO98', primaryRole: true, Status: 'Active' }, { id: 'RO319', primaryRole: false, Status: 'Active' }] },
    Rels: { Rel: [{ id: 'RE5', Status: 'Active', Target: { OrgId: { extension: 'QVV' }, PrimaryRoleId: { id: 'RO261' } } }] },
  },
};

// A Hampshire pharmacy where ORD gives single objects instead of arrays (one Date, one Role).
const hampshirePharmacy = {
  Organisation: {
    Name: 'TEST PHARMACY',
    Date: { Type: 'Operational', Start: '2001-01-01' },
    OrgId: { extension: 'FA123' },
    Status: 'Active',
    GeoLoc: { Location: { AddrLn1: '2 HIGH STREET', Town: 'WINCHESTER', PostCode: 'SO23 8AA' } },
    Roles: { Role: { id: 'RO182', primaryRole: true, Status: 'Active' } },
    Rels: {
      Rel: [
        { id: 'RE6', Status: 'Inactive', Target: { OrgId: { extension: 'P11A' }, PrimaryRoleId: { id: 'RO181' } } },
        { id: 'RE6', Status: 'Active', Target: { OrgId: { extension: 'P79D' }, PrimaryRoleId: { id: 'RO181' } } },
        { id: 'RE4', Status: 'Active', Target: { OrgId: { extension: 'QRL' }, PrimaryRoleId: { id: 'RO261' } } },
      ],
    },
  },
};

// A closed practice: ORD leaves out the parts it has nothing for (no County, no Rels).
const closedPractice = {
  Organisation: {
    Name: 'OLD TEST SURGERY',
    Date: [
      { Type: 'Legal', Start: '1974-04-01', End: '2019-03-31' },
      { Type: 'Operational', Start: '1974-04-01', End: '2019-03-31' },
    ],
    OrgId: { extension: 'J81998' },
    Status: 'Inactive',
    GeoLoc: { Location: { AddrLn1: '3 CLOSED LANE', Town: 'WIMBORNE', PostCode: 'BH21 1AA' } },
    Roles: { Role: [{ id: 'RO177', primaryRole: true, Status: 'Inactive' }, { id: 'RO76', primaryRole: false, Status: 'Inactive' }] },
  },
};

// A prescribing cost centre that is not a GP practice, with no address at all.
const prescribingCentre = {
  Organisation: {
    Name: 'TEST OUT OF HOURS SERVICE',
    OrgId: { extension: 'Y99998' },
    Status: 'Active',
    Roles: { Role: [{ id: 'RO177', primaryRole: true }, { id: 'RO80', primaryRole: false }] },
  },
};

const base = '/ORD/2-0-0/organisations/';
const records: Readonly<Record<string, unknown>> = {
  J81999: dorsetPractice,
  '11J': dorsetSubIcb,
  FA123: hampshirePharmacy,
  J81998: closedPractice,
  Y99998: prescribingCentre,
};

interface Seen {
  readonly path: string;
  readonly accept: string | undefined;
}

/**
 * A loopback stand-in for ORD that records every request it is sent. It closes each connection after
 * answering: on a kept-alive connection Node's fetch starts a keep-alive timer with setTimeout, and under the
 * fake timers of the rate-limit tests that timer would be faked and then lost, upsetting the next test.
 */
class FakeOrd {
  readonly seen: Seen[] = [];
  private readonly server: Server = createServer((request, response) => this.answer(request, response));
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/ORD/2-0-0`;
  }

  async stop(): Promise<void> {
    // The route that never answers leaves sockets open; close them rather than wait for them.
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((error) => (error ? reject(error) : resolve())));
  }

  requestsFor(code: string): number {
    return this.seen.filter((request) => request.path === `${base}${code}`).length;
  }

  private answer(request: IncomingMessage, response: ServerResponse): void {
    const path = request.url ?? '';
    this.seen.push({ path, accept: request.headers.accept });
    const code = path.startsWith(base) ? decodeURIComponent(path.slice(base.length)) : undefined;
    const json = (status: number, body: unknown): void => {
      response.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
      response.end(JSON.stringify(body));
    };
    const record = code === undefined ? undefined : records[code];
    if (record !== undefined) return json(200, record);
    switch (code) {
      case 'FB503':
        return json(503, { errorCode: 503, errorText: 'Service Unavailable' });
      case 'FC000':
        response.writeHead(200, { 'content-type': 'text/html', connection: 'close' });
        response.end('<html><body>Maintenance</body></html>');
        return;
      case 'FD000':
        return json(200, { Organisation: { Name: 42, OrgId: 'FD000', Status: 'Active' } });
      case 'FE000':
        return; // Never answers.
      default:
        return json(404, { errorCode: 404, errorText: 'Not Found' });
    }
  }
}

function found(result: OrganisationFetch): Organisation {
  if (result.kind !== 'found') throw new Error(`expected an organisation, got ${JSON.stringify(result)}`);
  return result.organisation;
}

// Lets loopback I/O run without using timers, which the rate-limit test replaces with fake ones.
async function settle(ms: number): Promise<void> {
  const until = performance.now() + ms;
  while (performance.now() < until) await nextTurn();
}

async function waitFor(condition: () => boolean, ms = 2000): Promise<void> {
  const until = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > until) throw new Error(`gave up waiting: ${String(condition)}`);
    await nextTurn();
  }
}

describe('OrdClient, the live ODS look-up', () => {
  const ord = new FakeOrd();
  const fixedClock = (): Date => new Date('2026-01-15T09:30:00.000Z');

  before(() => ord.start());
  after(() => ord.stop());

  it('when a Dorset GP practice is looked up, it is found with its address, postcode and sub-ICB', async () => {
    const client = new OrdClient({ baseUrl: ord.url, clock: fixedClock });
    const practice = found(await client.fetch('J81999'));
    expect(practice).to.deep.equal({
      code: 'J81999',
      name: 'CANFORD HEATH TEST SURGERY',
      kind: 'gp-practice',
      address: ['1 TEST ROAD', 'POOLE', 'DORSET'],
      postcode: 'BH17 7DT',
      icb: undefined,
      subIcb: '11J',
      parent: undefined,
      open: true,
      closedOn: undefined,
      source: 'ord',
      updatedAt: '2026-01-15T09:30:00.000Z',
    });
  });

  it("when the practice's sub-ICB is looked up, its RE5 relationship gives the Dorset ICB", async () => {
    const client = new OrdClient({ baseUrl: ord.url });
    const subIcb = found(await client.fetch('11J'));
    expect(subIcb).to.include({ code: '11J', kind: 'sub-icb', icb: 'QVV', subIcb: undefined, postcode: 'DT1 1TG' });
  });

  it('when a Hampshire pharmacy is looked up, it is found with its head office and ICB, even where ORD sends single objects', async () => {
    const client = new OrdClient({ baseUrl: ord.url });
    const pharmacy = found(await client.fetch('FA123'));
    expect(pharmacy).to.include({ code: 'FA123', kind: 'pharmacy', parent: 'P79D', icb: 'QRL', subIcb: undefined, open: true, postcode: 'SO23 8AA' });
    expect(pharmacy.address).to.deep.equal(['2 HIGH STREET', 'WINCHESTER']);
  });

  it('when a practice has closed, it is found as closed with the date it closed', async () => {
    const client = new OrdClient({ baseUrl: ord.url });
    const practice = found(await client.fetch('J81998'));
    expect(practice).to.include({ kind: 'gp-practice', open: false, closedOn: '2019-03-31', subIcb: undefined, icb: undefined });
  });

  it('when a prescribing cost centre is not a GP practice and has no address, it is found as a prescribing centre', async () => {
    const client = new OrdClient({ baseUrl: ord.url });
    const centre = found(await client.fetch('Y99998'));
    expect(centre).to.include({ kind: 'prescribing-centre', postcode: undefined });
    expect(centre.address).to.deep.equal([]);
  });

  it('when ODS has no organisation with the code, the result says not found', async () => {
    const client = new OrdClient({ baseUrl: ord.url });
    expect(await client.fetch('ZZ999')).to.deep.equal({ kind: 'not-found' });
  });

  it('when the base URL ends in a slash, the request still goes to the one organisation path, asking for JSON', async () => {
    const client = new OrdClient({ baseUrl: `${ord.url}/` });
    const before = ord.seen.length;
    found(await client.fetch('FA123'));
    expect(ord.seen.slice(before)).to.deep.equal([{ path: `${base}FA123`, accept: 'application/json' }]);
  });

  it('when the code has characters that mean something in a URL, they are escaped rather than changing the path', async () => {
    const client = new OrdClient({ baseUrl: ord.url });
    const before = ord.seen.length;
    expect(await client.fetch('../x?y')).to.deep.equal({ kind: 'not-found' });
    expect(ord.seen.slice(before).map((request) => request.path)).to.deep.equal([`${base}..%2Fx%3Fy`]);
  });

  it('when the ODS service answers with an error status, the result says it is unavailable and gives the status', async () => {
    const client = new OrdClient({ baseUrl: ord.url });
    expect(await client.fetch('FB503')).to.deep.equal({ kind: 'unavailable', reason: 'the ODS service answered with status 503' });
  });

  it('when the ODS service sends something that is not JSON, the result says it is unavailable', async () => {
    const client = new OrdClient({ baseUrl: ord.url });
    expect(await client.fetch('FC000')).to.deep.equal({ kind: 'unavailable', reason: 'the ODS service sent data I could not read' });
  });

  it('when the ODS service sends JSON that is not an organisation record, the result says it is unavailable', async () => {
    const client = new OrdClient({ baseUrl: ord.url });
    expect(await client.fetch('FD000')).to.deep.equal({ kind: 'unavailable', reason: 'the ODS service sent data I could not read' });
  });

  it('when the ODS service does not answer within the timeout, the result says it is unavailable', async () => {
    const client = new OrdClient({ baseUrl: ord.url, timeoutMs: 50 });
    const started = performance.now();
    const result = await client.fetch('FE000');
    expect(result).to.deep.equal({ kind: 'unavailable', reason: 'the ODS service did not answer within 50 milliseconds' });
    expect(performance.now() - started).to.be.below(1000);
  });

  it('when nothing is listening at the ODS address, the result promptly says it is unavailable', async () => {
    const closed = new FakeOrd();
    await closed.start();
    await closed.stop();
    const client = new OrdClient({ baseUrl: closed.url, timeoutMs: 2000 });
    const started = performance.now();
    expect(await client.fetch('FA123')).to.deep.equal({ kind: 'unavailable', reason: 'the ODS service could not be reached' });
    expect(performance.now() - started).to.be.below(1000);
  });

  describe('keeping under the rate ORD asks for, with fake timers rather than waiting real seconds', () => {
    let client: OrdClient;
    let before: number;
    const sent = (): number => ord.requestsFor('FA123') - before;

    beforeEach(async () => {
      client = new OrdClient({ baseUrl: ord.url, perSecond: 2 });
      // A real request first, so Node's fetch sets up its own long-lived timer before the fake timers go in.
      found(await new OrdClient({ baseUrl: ord.url }).fetch('J81999'));
      before = ord.requestsFor('FA123');
      mock.timers.enable({ apis: ['setTimeout', 'Date'], now: Date.now() });
    });
    afterEach(() => mock.timers.reset());

    it('when more look-ups are asked for than the rate allows, the extra one waits for the next second instead of being dropped', async () => {
      const results = [client.fetch('FA123'), client.fetch('FA123'), client.fetch('FA123')];
      await waitFor(() => sent() === 2);
      await settle(20);
      expect(sent(), 'requests in the first second').to.equal(2);

      mock.timers.tick(999);
      await settle(20);
      expect(sent(), 'requests just before the second is up').to.equal(2);

      mock.timers.tick(1);
      await waitFor(() => sent() === 3);
      for (const result of await Promise.all(results)) expect(found(result).code).to.equal('FA123');
    });

    it('when look-ups bunch up either side of the turn of a second, no one second has more than the rate allows', async () => {
      // Requests at 0 ms and 999 ms fill the second up to 999 ms; of two more at 1001 ms only one fits in the
      // second since 999 ms, so the other must wait until 1999 ms.
      const results = [client.fetch('FA123')];
      await waitFor(() => sent() === 1);
      mock.timers.tick(999);
      results.push(client.fetch('FA123'));
      await waitFor(() => sent() === 2);
      mock.timers.tick(2);
      results.push(client.fetch('FA123'), client.fetch('FA123'));
      await waitFor(() => sent() === 3);
      await settle(20);
      expect(sent(), 'requests in the second up to 1001 ms').to.equal(3);

      mock.timers.tick(997);
      await settle(20);
      expect(sent(), 'requests just before 1999 ms').to.equal(3);

      mock.timers.tick(1);
      await waitFor(() => sent() === 4);
      expect(await Promise.all(results)).to.have.length(4);
    });
  });
});
