import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../bot/config.js';
import { Chat, readAll, testApp } from '../support/chat.js';
import { seededDirectory } from '../support/directory.js';
import { memoryRequestStores } from '../support/requests.js';

const lostCard = { what: 'lost', holderName: 'Sam Requester', odsCode: 'FA123', noticed: '2026-11-20', replacement: 'false' };

describe('an RA desk set by configuration', () => {
  it('when RA_DESKS names a channel for scw, a filed request goes to that channel until a desk is chosen in Teams', async () => {
    const stores = memoryRequestStores();
    const app = await testApp(
      { RA_DESKS: 'scw=19:configured@thread.tacv2', TEAMS_SERVICE_URL: 'https://smba.example.invalid/' },
      undefined,
      undefined,
      { directory: await seededDirectory(), ...stores },
    );
    const sam = new Chat(app, { conversationId: 'sam', userId: 'sam' });
    const form = await sam.pressButton(await sam.say('raise a request'), 'Report a lost, stolen or damaged card');
    const ack = readAll(await sam.pressButton(form, 'Send to the RA team', lostCard));
    expect(ack).to.include('Sent to South, Central and West CSU RA (smartcard) service.');
    const post = stores.notifier.sent.find((s) => s.kind === 'send');
    expect(post?.conversationId).to.equal('19:configured@thread.tacv2');
    expect((await stores.requests.store.get('RA-000001'))?.deskCard?.reference.serviceUrl).to.equal('https://smba.example.invalid/');
  });

  it('when RA_DESKS is set without TEAMS_SERVICE_URL, or names a team that does not exist, start-up says so', async () => {
    let problems: readonly string[] = [];
    try {
      loadConfig({ RA_DESKS: 'scw=19:configured@thread.tacv2' });
    } catch (error) {
      if (error instanceof ConfigError) problems = error.problems;
    }
    expect(problems.join('\n')).to.include('TEAMS_SERVICE_URL is required when RA_DESKS is set');
    expect(() => loadConfig({ RA_DESKS: 'scw=general', TEAMS_SERVICE_URL: 'https://smba.example.invalid/' })).to.throw(/each entry must be team-id=channel id/);
    let unknown: unknown;
    await testApp({ RA_DESKS: 'nowhere=19:x@thread.tacv2', TEAMS_SERVICE_URL: 'https://smba.example.invalid/' }).catch((e: unknown) => (unknown = e));
    expect((unknown as Error).message).to.include('RA_DESKS names "nowhere"');
  });
});
