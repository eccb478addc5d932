import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { ConversationState, MemoryStorage, UserState } from 'botbuilder';
import { WaterfallDialog, type DialogState } from 'botbuilder-dialogs';
import { loadKnowledge } from '../../bot/knowledgeFiles.js';
import { LocalConversation } from '../../bot/localConversation.js';
import { MainDialog } from '../../dialogs/mainDialog.js';
import { AnswerRenderer } from '../../knowledge/answers.js';
import { ContactBook } from '../../knowledge/contactBook.js';
import { RaRights } from '../../knowledge/raRights.js';
import { Directory } from '../../knowledge/directory.js';
import { memoryDirectory } from '../../bot/storage/lowdbDirectory.js';
import { RequestDesk } from '../../dialogs/requestDesk.js';
import { Broadcaster } from '../../bot/broadcast/broadcaster.js';
import { memoryBroadcasts } from '../../bot/storage/lowdbBroadcasts.js';
import { memoryAudience } from '../../bot/storage/lowdbAudience.js';
import { broadcastReportActivity } from '../../dialogs/broadcastActions.js';
import { memoryRequestStores } from '../support/requests.js';
import type { FlowId } from '../../knowledge/articles.js';
import type { UserProfile } from '../../dialogs/userProfile.js';
import { memoryQuestionLog, testNow } from '../support/chat.js';
import { memoryLogger } from '../support/memoryLogger.js';

/** The main dialog with one guided flow registered, as later capabilities register theirs. */
async function conversationWithFlow(flowId: FlowId): Promise<LocalConversation> {
  const knowledge = await loadKnowledge(fileURLToPath(new URL('../../knowledge/data', import.meta.url)));
  const storage = new MemoryStorage();
  const conversationState = new ConversationState(storage);
  const userState = new UserState(storage);
  const dialogState = conversationState.createProperty<DialogState>('dialogState');
  const flow = new WaterfallDialog(flowId, [
    async (step) => {
      await step.context.sendActivity(`The ${flowId} flow started.`);
      return step.endDialog();
    },
  ]);
  const stores = memoryDirectory();
  const directory = new Directory({ ...stores, teams: knowledge.raTeams });
  const contactBook = new ContactBook({ ...stores, rights: new RaRights(knowledge.raTeams, new Set()), now: () => testNow, newId: () => 'id' });
  const profile = userState.createProperty<UserProfile>('profile');
  const requestStores = memoryRequestStores();
  const requestDesk = new RequestDesk({
    forms: knowledge.forms,
    requests: requestStores.requests.store,
    desks: requestStores.desks,
    notifier: requestStores.notifier,
    // Never started here: no request is worked in these tests.
    broadcasts: new Broadcaster({ store: memoryBroadcasts(), notifier: requestStores.notifier, clock: { now: () => testNow }, logger: memoryLogger(), rate: 30, renderReport: broadcastReportActivity }),
    audience: memoryAudience(),
    directory,
    rights: new RaRights(knowledge.raTeams, new Set()),
    profile,
    clock: { now: () => testNow },
    logger: memoryLogger(),
    canSeal: true,
    newDraftId: () => 'draft-0001',
    raTeamEmails: new Map(),
  });
  const main = new MainDialog({
    requestDesk,
    directory,
    contactBook,
    profile,
    raTeams: knowledge.raTeams,
    sources: knowledge.sources,
    raTeamEmails: new Map(),
    clock: { now: () => testNow },
    version: 'test',
    kb: knowledge.kb,
    answers: new AnswerRenderer(knowledge.raTeams, new Map(), knowledge.sources),
    questionLog: memoryQuestionLog(),
    logger: memoryLogger(),
    flows: [{ id: flowId, title: 'Test flow', triggers: [], dialog: flow, startsFrom: (words: string) => words.includes('spinning') }],
  });
  return new LocalConversation(async (context) => {
    await main.run(context, dialogState);
    await conversationState.saveChanges(context);
  });
}

describe('routing questions to guided flows', () => {
  it('when a question matches an article whose flow is registered, the flow starts instead of the article', async () => {
    const conversation = await conversationWithFlow('reader-troubleshooting');
    const { replies, outcome } = await conversation.send({ type: 'message', text: 'spinning arrows when I try to renew my certificates' });
    expect(outcome).to.deep.include({ kind: 'flow', id: 'reader-troubleshooting' });
    expect(replies.map((r) => r.text)).to.deep.equal(['The reader-troubleshooting flow started.']);
  });

  it('when the matched article names a flow that is not registered yet, the article answers', async () => {
    const conversation = await conversationWithFlow('training');
    const { outcome } = await conversation.send({ type: 'message', text: 'spinning arrows when I try to renew my certificates' });
    expect(outcome).to.deep.include({ kind: 'answer', id: 'revolving-arrows' });
  });
});
