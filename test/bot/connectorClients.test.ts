import { expect } from 'chai';
import { CloudAdapter, type Activity, type TurnContext } from 'botbuilder';
import { ReusedClientsAuthentication } from '../../bot/connectorClients.js';

function message(serviceUrl: string, conversation: string): Activity {
  return {
    type: 'message',
    id: `act-${conversation}`,
    channelId: 'msteams',
    serviceUrl,
    text: 'hello',
    from: { id: `29:${conversation}`, name: 'User' },
    recipient: { id: '28:bot', name: 'Bot' },
    conversation: { id: conversation, isGroup: false, conversationType: 'personal', name: '' },
  } as Activity;
}

describe('Bot Connector clients reused across turns', () => {
  const adapter = new CloudAdapter(new ReusedClientsAuthentication({}));
  const clientsOf = (context: TurnContext) => ({
    connector: context.turnState.get<unknown>(adapter.ConnectorClientKey),
    tokens: context.turnState.get<unknown>(adapter.UserTokenClientKey),
  });
  const turn = async (serviceUrl: string, conversation: string) => {
    let seen: ReturnType<typeof clientsOf> | undefined;
    await adapter.processActivityDirect('', message(serviceUrl, conversation), async (context) => {
      seen = clientsOf(context);
    });
    return seen;
  };

  it('when two conversations send through one service URL, their turns share one connector client and one token client', async () => {
    const first = await turn('http://127.0.0.1:9/a/', 'one');
    const second = await turn('http://127.0.0.1:9/a/', 'two');
    expect(first?.connector).to.be.an('object');
    expect(second?.connector).to.equal(first?.connector);
    expect(second?.tokens).to.equal(first?.tokens);
  });

  it('when a turn comes through another service URL, it gets a client of its own', async () => {
    const first = await turn('http://127.0.0.1:9/a/', 'one');
    const other = await turn('http://127.0.0.1:9/b/', 'one');
    expect(other?.connector).to.be.an('object');
    expect(other?.connector).to.not.equal(first?.connector);
  });

  it('when the bot messages someone proactively, the turn gets a new client each time, so changing it (the notifier takes its retries out) reaches no other turn', async () => {
    const incoming = await turn('http://127.0.0.1:9/a/', 'one');
    const proactive: unknown[] = [];
    const reference = { serviceUrl: 'http://127.0.0.1:9/a/', channelId: 'msteams', conversation: { id: 'one', isGroup: false, conversationType: 'personal', name: '' } };
    for (let i = 0; i < 2; i++) {
      await adapter.continueConversationAsync('', reference, async (context) => {
        proactive.push(clientsOf(context).connector);
      });
    }
    expect(proactive[0]).to.be.an('object');
    expect(proactive[1]).to.not.equal(proactive[0]);
    expect(proactive).to.not.include(incoming?.connector);
  });
});
