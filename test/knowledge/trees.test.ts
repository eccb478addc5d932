import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { loadKnowledge, type Knowledge } from '../../bot/knowledgeFiles.js';
import { parseTrees, pathsToLeaves } from '../../knowledge/trees.js';
import { KnowledgeError } from '../../knowledge/sources.js';

const dataDir = fileURLToPath(new URL('../../knowledge/data', import.meta.url));

describe('knowledge: guided flows (decision trees)', () => {
  let knowledge: Knowledge;
  before(async () => {
    knowledge = await loadKnowledge(dataDir);
  });

  it('every flow file validates: unique ids, every next resolves, every node reachable, articles exist', () => {
    expect(knowledge.trees.length).to.be.greaterThan(0);
  });

  it('every leaf of every flow can be reached by some path of answers', () => {
    for (const tree of knowledge.trees) {
      const leaves = Object.entries(tree.nodes).filter(([, n]) => n.kind !== 'question').map(([id]) => id);
      expect(pathsToLeaves(tree).map((p) => p.leaf).sort(), tree.id).to.deep.equal(leaves.sort());
    }
  });

  it('when a flow file has mistakes, every one is named', () => {
    const broken = {
      id: 'card-printing',
      title: 'Broken',
      start: 'first',
      nodes: {
        first: { kind: 'question', text: 'Which?', choices: [{ value: 'a', title: 'A', next: 'nowhere' }, { value: 'b', title: 'B', next: 'done' }] },
        done: { kind: 'answer', title: 'Done', article: 'no-such-article' },
        orphan: { kind: 'handoff', title: 'Orphan', text: 'Call {{nobody.phone}}' },
      },
      sources: ['seed:003_c45da186c03acc84.txt'],
      reviewed: '2026-11-21',
    };
    try {
      parseTrees([{ file: 'flows/card-printing.yaml', data: broken }], knowledge.articles, ['dorset', 'scw']);
      expect.fail('should not parse');
    } catch (error) {
      const problems = (error as KnowledgeError).problems.join('\n');
      expect(problems).to.include('choice a goes to nowhere, which does not exist');
      expect(problems).to.include('article no-such-article does not exist');
      expect(problems).to.include('node orphan cannot be reached from first');
      expect(problems).to.include('{{nobody.phone}} names no RA team');
    }
  });
});
