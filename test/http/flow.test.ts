import { expect } from 'chai';
import { activity, post, replyText, appForSuite } from '../support/http.js';

describe('a whole guided flow over HTTP', () => {
  const served = appForSuite();

  it('an RA agent who cannot issue a new card is walked to "email the Smartcard Support Team with name, UUID and reason", then asked if that solved it', async () => {
    const say = (text: string) => post(served.url, activity({ type: 'message', text, conversation: { id: 'http-flow', conversationType: 'personal', isGroup: false, name: '' } }));
    const first = await say("I can't issue the card for a new user I set up in CIS");
    expect(first.status).to.equal(200);
    expect(replyText(first.body)).to.include('Have you created their profile in CIS');
    const press = await post(
      served.url,
      activity({ type: 'message', value: { verb: 'choice.pick', prompt: 'card-printing.created-in-cis', value: 'yes' }, conversation: { id: 'http-flow', conversationType: 'personal', isGroup: false, name: '' } }),
    );
    const leaf = replyText(press.body);
    expect(leaf).to.include('UUID');
    expect(leaf).to.include('Did that solve it?');
    const done = await say('no');
    expect(replyText(done.body)).to.include("Sorry that didn't sort it. Your RA team can help");
    const after = await say('help');
    expect(replyText(after.body)).to.include('What I can do');
  });
});
