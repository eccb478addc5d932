import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemoryStorage, type Storage, type StoreItems } from 'botbuilder';
import type { App } from '../../bot/app.js';
import { LowdbStorage } from '../../bot/storage/lowdbStorage.js';
import { activity, post, replyText, started } from '../support/http.js';
import { memoryLogger } from '../support/memoryLogger.js';

describe('HTTP server', () => {
  let app: App;
  let url: string;
  beforeEach(async () => {
    ({ app, url } = await started({}, new MemoryStorage()));
  });
  afterEach(async () => {
    await app.stop();
  });

  it('when a load balancer asks /healthz, it answers 200 with the status and version', async () => {
    const response = await fetch(`${url}/healthz`);
    expect(response.status).to.equal(200);
    expect(await response.json()).to.deep.equal({ status: 'ok', version: '0.1.0' });
  });

  it('when the bot is added and the user types help, the replies carry the welcome card and then the help card', async () => {
    const added = await post(url, activity({ type: 'conversationUpdate', membersAdded: [{ id: 'bot-1', name: 'Smartcard Assistant' }, { id: 'user-1', name: 'Test User' }] }));
    expect(added.status).to.equal(200);
    expect(replyText(added.body)).to.include("Hello, I'm Smartcard Assistant");
    const help = await post(url, activity({ type: 'message', text: 'help' }));
    expect(help.status).to.equal(200);
    expect(replyText(help.body)).to.include('What I can do');
    expect(replyText(help.body)).to.include('application/vnd.microsoft.card.adaptive');
  });

  describe('bad input at the door', () => {
    it('when the body is not valid JSON, it answers 400 and keeps serving', async () => {
      expect((await post(url, '{"type": "message", ')).status).to.equal(400);
      expect((await fetch(`${url}/healthz`)).status).to.equal(200);
    });

    it('when the activity has no type, it answers 400, not 500', async () => {
      const response = await post(url, { text: 'hello' });
      expect(response.status).to.equal(400);
      expect(JSON.stringify(response.body)).to.include('no \\"type\\"');
    });

    for (const body of ['[]', '"a string"', '42', 'null', '{"type": ""}', '{"type": 7}']) {
      it(`when the body is ${body}, it answers 400`, async () => {
        expect((await post(url, body)).status).to.equal(400);
      });
    }

    // Found by the fuzz run (test/fuzz): the conversation, channelId and serviceUrl cases were a 500; without a sender
    // id, a turn that needs one ("my requests") failed with the apology.
    const missing: [string, Record<string, unknown>][] = [
      ['no conversation', { conversation: undefined }],
      ['a conversation that is not an object', { conversation: 0 }],
      ['a conversation without an id', { conversation: { conversationType: 'personal' } }],
      ['no channelId', { channelId: undefined }],
      ['a channelId that is not a string', { channelId: 0 }],
      ['no sender', { from: undefined }],
      ['a sender without an id', { from: { name: 'Test User' } }],
      ['a serviceUrl that is not a string', { serviceUrl: 42, deliveryMode: undefined }],
    ];
    for (const [what, fields] of missing) {
      it(`when the activity has ${what}, it answers 400, not 500, and keeps serving`, async () => {
        const response = await post(url, JSON.stringify(activity({ type: 'message', text: 'help', ...fields })));
        expect(response.status).to.equal(400);
        expect((await post(url, activity({ type: 'message', text: 'help' }))).status).to.equal(200);
      });
    }

    it('when the activity is nested 10,000 levels deep where a reply copies it (its locale), it answers 400, not 500', async () => {
      const deep = '['.repeat(10_000) + ']'.repeat(10_000);
      const body = JSON.stringify(activity({ type: 'message', text: 'help', locale: 'DEEP' })).replace('"DEEP"', deep);
      const response = await post(url, body);
      expect(response.status).to.equal(400);
      expect(JSON.stringify(response.body)).to.include('nested more than 64 levels deep');
      // Nesting a card really sends is accepted.
      const shallow = await post(url, activity({ type: 'message', value: { verb: 'menu.open', command: 'help', extra: { a: { b: { c: [[[1]]] } } } } }));
      expect(replyText(shallow.body)).to.include('What I can do');
    });

    it('when the body is over 256 KB, it answers 413 and keeps serving', async () => {
      const huge = JSON.stringify(activity({ type: 'message', text: 'x'.repeat(300 * 1024) }));
      expect((await post(url, huge)).status).to.equal(413);
      const after = await post(url, activity({ type: 'message', text: 'help' }));
      expect(after.status).to.equal(200);
    });

    it('when a body just under the limit arrives, it is processed as a message', async () => {
      const response = await post(url, activity({ type: 'message', text: 'x'.repeat(200 * 1024) }));
      expect(response.status).to.equal(200);
      expect(replyText(response.body)).to.include("I don't know that one yet");
    });
  });

  describe('a turn that fails', () => {
    it('when the saved dialog state is poisoned, the user gets an apology with a reference, and the next message works', async () => {
      const storage = new MemoryStorage();
      const log = memoryLogger();
      const poisoned = await started({}, storage, log);
      try {
        await post(poisoned.url, activity({ type: 'message', text: 'my ra team' }));
        const key = 'msteams/conversations/http-conv-1/';
        const items: StoreItems = await storage.read([key]);
        const state = items[key] as { dialogState: { dialogStack: { id: string; state: unknown }[] } };
        state.dialogState.dialogStack = [{ id: 'a-dialog-that-does-not-exist', state: {} }];
        await storage.write({ [key]: { ...state, eTag: '*' } });

        const failed = await post(poisoned.url, activity({ type: 'message', text: 'pharmacy' }));
        expect(failed.status).to.equal(200);
        const reference = /quote reference (SA-[A-Z0-9]{6})/.exec(replyText(failed.body))?.[1];
        expect(replyText(failed.body)).to.include('something went wrong on my side');
        expect(reference).to.be.a('string');
        const logged = log.entries.filter((e) => e.level === 'error' && e.msg === 'turn failed');
        expect(logged).to.have.length(1);
        expect(logged[0]?.fields['reference']).to.equal(reference);
        expect(logged[0]?.fields['conversationId']).to.equal('http-conv-1');
        expect(String((logged[0]?.fields['err'] as Error).stack)).to.include('a-dialog-that-does-not-exist');

        const next = await post(poisoned.url, activity({ type: 'message', text: 'my ra team' }));
        expect(replyText(next.body)).to.include('Which organisation do you work for?');
      } finally {
        await poisoned.app.stop();
      }
    });
  });
});

describe('production safety', () => {
  it('when MicrosoftAppId is set, a request without a Bot Framework token gets 401', async () => {
    const { app, url } = await started(
      { MicrosoftAppId: '11111111-2222-3333-4444-555555555555', MicrosoftAppPassword: 'not-a-real-secret' },
      new MemoryStorage(),
    );
    try {
      expect((await post(url, activity({ type: 'message', text: 'help' }))).status).to.equal(401);
      expect((await post(url, activity({ type: 'message', text: 'help' }), { authorization: 'Bearer forged.token.value' })).status).to.equal(401);
    } finally {
      await app.stop();
    }
  });
});

describe('restarts and shutdown', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'sa-http-'));
  });
  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('when the bot restarts mid-dialog on the same DATA_DIR, the user carries on where they were', async () => {
    const first = await started({ DATA_DIR: dataDir });
    const asked = await post(first.url, activity({ type: 'message', text: 'set my workplace' }));
    expect(replyText(asked.body)).to.include('Where do you work?');
    await first.app.stop();

    const second = await started({ DATA_DIR: dataDir });
    try {
      const area = await post(second.url, activity({ type: 'message', text: 'pharmacy' }));
      expect(replyText(area.body)).to.include('Which area is your workplace in?');
      const team = await post(second.url, activity({ type: 'message', text: 'southampton' }));
      expect(replyText(team.body)).to.include('0300 5610429');
    } finally {
      await second.app.stop();
    }
  });

  it('when the bot stops while a turn is in flight, new requests are refused, the turn finishes and its state is on disk', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let writes = 0;
    let writeStarted!: () => void;
    const writing = new Promise<void>((resolve) => (writeStarted = resolve));
    const inner = await LowdbStorageOn(dataDir);
    // A store whose first write waits for the test, so a turn is provably in flight when stop() is called.
    const slow: Storage & { flush: () => Promise<void> } = {
      read: (keys) => inner.read(keys),
      delete: (keys) => inner.delete(keys),
      write: async (changes) => {
        if (writes++ === 0) {
          writeStarted();
          await gate;
        }
        return inner.write(changes);
      },
      flush: () => inner.flush(),
    };
    const { app, url } = await started({ DATA_DIR: dataDir }, slow);
    const inFlight = post(url, activity({ type: 'message', text: 'set my workplace' }));
    await writing;
    const stopped = app.stop();
    const refused = await fetch(`${url}/healthz`).then(
      (r) => r.status,
      () => 'refused',
    );
    expect(refused === 503 || refused === 'refused').to.equal(true);
    release();
    const response = await inFlight;
    expect(response.status).to.equal(200);
    expect(replyText(response.body)).to.include('Where do you work?');
    await stopped;

    const reopened = await LowdbStorageOn(dataDir);
    const saved = await reopened.read(['msteams/conversations/http-conv-1/']);
    expect(JSON.stringify(saved)).to.include('workplace.kind');
  });
});

async function LowdbStorageOn(dir: string): Promise<LowdbStorage> {
  const { openLowdbStorage } = await import('../../bot/storage/lowdbStorage.js');
  return openLowdbStorage(path.join(dir, 'botState.json'));
}
