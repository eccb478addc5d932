import { expect } from 'chai';
import os from 'node:os';
import path from 'node:path';
import { MemoryStorage } from 'botbuilder';
import { createApp, type App } from '../../bot/app.js';
import { loadConfig } from '../../bot/config.js';
import { memoryQuestionLog } from '../support/chat.js';
import { activity, post, replyText } from '../support/http.js';

describe('a whole guided flow over HTTP', () => {
  let app: App;
  let url: string;
  before(async () => {
    const config = loadConfig({ LOG_LEVEL: 'silent', PORT: '0', DATA_DIR: path.join(os.tmpdir(), 'unused') });
    app = await createApp(config, { storage: new MemoryStorage(), questionLog: memoryQuestionLog() });
    url = await app.start();
  });
  after(async () => {
    await app.stop();
  });

  it('an RA agent who cannot issue a new card is walked to "email the Smartcard Support Team with name, UUID and reason", then asked if that solved it', async () => {
    const say = (text: string) => post(url, activity({ type: 'message', text, conversation: { id: 'http-flow', conversationType: 'personal', isGroup: false, name: '' } }));
    const first = await say("I can't issue the card for a new user I set up in CIS");
    expect(first.status).to.equal(200);
    expect(replyText(first.body)).to.include('Have you created their profile in CIS');
    const press = await post(
      url,
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
