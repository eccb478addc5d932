import { expect } from 'chai';
import { activity, post, appForSuite } from '../support/http.js';
import { validateCard } from '../support/validateCard.js';

interface ComposeAttachment {
  contentType: string;
  content: unknown;
  preview: { contentType: string; content: { title: string; text: string } };
}

/** Sends a compose-box search as Teams does (an invoke) and returns the result attachments. */
async function searchFromCompose(url: string, parameters: { name: string; value: unknown }[]): Promise<ComposeAttachment[]> {
  const response = await post(url, activity({ type: 'invoke', name: 'composeExtension/query', value: { commandId: 'searchArticles', parameters } }));
  expect(response.status).to.equal(200);
  const invoke = (response.body as { activities: { type: string; value: { status: number; body: { composeExtension: { attachments: ComposeAttachment[] } } } }[] }).activities.find(
    (a) => a.type === 'invokeResponse',
  );
  expect(invoke?.value.status).to.equal(200);
  return invoke?.value.body.composeExtension.attachments ?? [];
}

describe('search from any chat (message extension)', () => {
  const served = appForSuite();

  it('when a user types in the compose box, matching answers come back as cards with a title and snippet preview', async () => {
    const results = await searchFromCompose(served.url, [{ name: 'query', value: 'revolving arrows' }]);
    expect(results.length).to.be.within(1, 8);
    const [first] = results;
    expect(first?.preview.content.title).to.match(/arrows/i);
    expect(first?.preview.content.text.length).to.be.within(10, 141);
    expect(JSON.stringify(first?.content)).to.include('Omnikey');
    expect(JSON.stringify(first?.content)).not.to.include('Helpful');
    for (const r of results) expect(validateCard(r.content)).to.deep.equal([]);
  });

  it('when the search box opens (initial run), the common questions are offered', async () => {
    const results = await searchFromCompose(served.url, [{ name: 'initialRun', value: true }]);
    expect(results.length).to.be.at.least(3);
  });

  it('when the search text is nonsense or huge, the reply is an empty or short list, never an error', async () => {
    expect(await searchFromCompose(served.url, [{ name: 'query', value: 'zzzz qqqq' }])).to.deep.equal([]);
    expect((await searchFromCompose(served.url, [{ name: 'query', value: 'smartcard '.repeat(5000) }])).length).to.be.at.most(8);
    expect((await searchFromCompose(served.url, [{ name: 'query', value: { not: 'a string' } }])).length).to.be.at.least(3);
  });
});
