import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import { memoryLogger, type LogEntry } from '../support/memoryLogger.js';
import { brokenBody, hostileActivity, junk, raOnlyWithJunk, refusedPayload, serialise, typedRaCommand, withJunk } from './arbitraries.js';
import { differences, lostCard, sessionInputs, startWorld, type Answer, type Person, type World } from './harness.js';

/**
 * Issue 8, hostile input: property-based runs over activities and card payloads sent to the real app over HTTP.
 * Brief in `npm test` (a fixed seed, a few hundred runs); `npm run fuzz` sets FUZZ_RUNS (runs over all properties).
 * A failure prints its seed and path: replay it with `FUZZ_SEED=<seed> FUZZ_PATH=<path> npm run fuzz -- --grep '<its title>'`.
 */
const totalRuns = Number(process.env['FUZZ_RUNS'] ?? '') || undefined;
const seed = Number(process.env['FUZZ_SEED'] ?? '') || 20_261_121;
const replayPath = process.env['FUZZ_PATH'] || undefined;

/** Runs for a property: its brief count in `npm test`, its share of FUZZ_RUNS otherwise. */
function runs(brief: number, share: number): fc.Parameters<unknown> {
  return { seed, numRuns: totalRuns ? Math.max(1, Math.round(totalRuns * share)) : brief, ...(replayPath ? { path: replayPath } : {}) };
}

/** How the assistant says it did not do something (and why), in each of its refusals. */
const refusal = /\b(only|can't|cannot|isn't|haven't|hasn't|nothing|no longer|not|didn't|sorry|already|no booking|please book in your personal chat|a desk is a Teams channel)\b/i;

/** Every property of the built-in prototypes, by name: a key added to one, or a method replaced, shows here. */
function prototypeState(): Map<string, unknown> {
  const prototypes = { Object: Object.prototype, Array: Array.prototype, Function: Function.prototype, String: String.prototype };
  return new Map(Object.entries(prototypes).flatMap(([name, p]) => Object.getOwnPropertyNames(p).map((key) => [`${name}.${key}`, Object.getOwnPropertyDescriptor(p, key)?.value] as const)));
}

/** A long value shown briefly in a counterexample, so a 1 MB string does not flood the report. */
function shown<T extends object>(value: T, text: string): T {
  Object.defineProperty(value, fc.toStringMethod, { value: () => (text.length > 600 ? `${text.slice(0, 600)}... (${text.length} characters)` : text) });
  return value;
}

describe('hostile input over HTTP (fast-check)', function () {
  this.timeout(totalRuns ? 0 : 60_000);
  const baseline = prototypeState();
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  const log: LogEntry[] = [];

  before(() => process.on('unhandledRejection', onRejection));
  after(() => process.off('unhandledRejection', onRejection));

  /** Nothing leaked out of a turn: no unhandled rejection, no key on a built-in prototype. */
  function expectContained(): void {
    expect(rejections.map(String), 'unhandled rejections').to.deep.equal([]);
    const now = prototypeState();
    const changed = [...new Set([...baseline.keys(), ...now.keys()])].filter((key) => baseline.get(key) !== now.get(key));
    expect(changed, 'built-in prototypes changed').to.deep.equal([]);
    expect({} as Record<string, unknown>).not.to.have.property('polluted');
  }

  /** Turns that threw (the user got the apology): a hostile field reached code that did not expect it. */
  function turnFailures(): string[] {
    return log.filter((e) => e.level === 'error').map((e) => `${e.msg ?? ''}: ${String((e.fields['err'] as Error | undefined)?.stack ?? '').slice(0, 400)}`);
  }

  describe('activities of every kind, spoiled', () => {
    let world: World;
    before(async () => {
      world = await startWorld({ logger: memoryLogger(log) });
    });
    after(() => world.stop());

    it('whatever an activity holds (fields missing or of the wrong type, 1 MB strings, 10,000-deep nesting, __proto__ keys, unknown verbs and types), the answer is never a 5xx, nothing leaks, and the next ordinary message gets its ordinary answer', async () => {
      await fc.assert(
        fc.asyncProperty(hostileActivity(world.ids, world.connectorUrl).map((r) => shown(r, `${r.contentType ?? '(no content type)'} ${r.body}`)), async (request) => {
          log.length = 0;
          const status = await world.postRaw(request.body, request.contentType);
          // botbuilder answers an invoke this bot does not implement (a task module, a sign-in) 501 Not Implemented, by design.
          if (!(status === 501 && request.invoke)) expect(status, 'status').to.be.below(500);
          expectContained();
          // A malformed envelope may fail inside botbuilder (and get the apology); text and card data never may.
          if (request.userForged) expect(turnFailures(), 'turns that threw').to.deep.equal([]);
          const probe = await world.send(world.outsiders[0] as Person, { type: 'message', text: 'help' });
          expect(probe.status, 'the next ordinary message').to.equal(200);
          expect(probe.text).to.include('What I can do');
        }),
        runs(120, 0.4),
      );
    });

    it('a body that is not an activity (broken JSON, other JSON values, other encodings, 100,000-deep nesting) is refused with a 4xx', async () => {
      await fc.assert(
        fc.asyncProperty(brokenBody.map((r) => shown(r, `${r.contentType ?? '(no content type)'} ${r.body}`)), async (request) => {
          const status = await world.postRaw(request.body, request.contentType);
          expect(status, 'status').to.be.within(400, 499);
          expectContained();
        }),
        runs(30, 0.1),
      );
      const probe = await world.send(world.outsiders[0] as Person, { type: 'message', text: 'help' });
      expect(probe.text).to.include('What I can do');
    });
  });

  describe('refused actions', () => {
    let world: World;
    before(async () => {
      world = await startWorld({ logger: memoryLogger(log) });
    });
    after(() => world.stop());

    /** One refused action: who sends it, and the activity's content. */
    function refused(): fc.Arbitrary<{ person: Person; activity: Record<string, unknown>; why: string }> {
      const t = world.ids;
      const nonMembers = [world.requester, ...world.outsiders];
      const everyone = [world.admin, world.adminAtDesk, ...nonMembers];
      return fc.oneof(
        // RA-only buttons (the desk, training management, delivery report, contact editing) from people outside the RA team.
        fc.constantFrom(...nonMembers).chain((person) =>
          raOnlyWithJunk(t, { mayAnswer: person !== world.requester }).map((value) => ({ person, activity: { type: 'message', value }, why: `an RA-only button from ${person.name}` })),
        ),
        fc.tuple(fc.constantFrom(...nonMembers), typedRaCommand(t)).map(([person, text]) => ({ person, activity: { type: 'message', text }, why: `"${text.trim()}" typed by ${person.name}` })),
        // Payloads the one parser refuses, from anyone: even an RA admin's forged card changes nothing.
        fc.tuple(fc.constantFrom(...everyone), refusedPayload(t)).map(([person, value]) => ({ person, activity: { type: 'message', value }, why: `a payload the parser refuses, from ${person.name}` })),
        // Either, pressed in the middle of a dialog: the question is asked again and the dialog stays where it was. (A null
        // value is no card at all: an empty message, which the dialog counts as an answer it could not use.)
        fc
          .oneof(raOnlyWithJunk(t, { mayAnswer: true }), refusedPayload(t).filter((value) => value !== null))
          .map((value) => ({ person: world.midFlow, activity: { type: 'message', value }, why: 'a refused card in the middle of a dialog' })),
      ).map((a) => shown(a, `${a.why}: ${serialise(a.activity)}`));
    }

    it('a refused action (an RA-only button or command from outside the RA team, or a payload the parser refuses) is answered and changes no stored data', async () => {
      const initial = world.snapshot();
      await fc.assert(
        fc.asyncProperty(refused(), async ({ person, activity }) => {
          log.length = 0;
          const before = world.snapshot();
          const answer = await world.send(person, activity);
          await world.settle();
          // Refused at the door (too deep, too large) or in words.
          expect(answer.status, 'status').to.be.oneOf([200, 400, 413]);
          if (answer.status === 200) expect(answer.text, 'a refusal in words').to.match(refusal);
          expect(differences(before, world.snapshot()), 'stores changed').to.deep.equal([]);
          expect(turnFailures(), 'turns that threw').to.deep.equal([]);
          expectContained();
        }),
        runs(100, 0.35),
      );
      expect(differences(initial, world.snapshot())).to.deep.equal([]);
    });
  });

  describe('replayed and stale card actions', () => {
    let world: World;
    before(async () => {
      world = await startWorld({ logger: memoryLogger(log) });
    });
    after(() => world.stop());

    /** Sends a card press and fails on anything but a 200. */
    async function press(person: Person, value: Record<string, unknown>): Promise<Answer> {
      const answer = await world.send(person, { type: 'message', value });
      if (answer.status !== 200) throw new Error(`${JSON.stringify(value).slice(0, 200)} was answered ${answer.status}`);
      return answer;
    }

    async function draftSession(capacity: string): Promise<{ id: string; version: number; draft: string; preview: Answer }> {
      const draft = randomUUID();
      const preview = await press(world.admin, { verb: 'form.submit', form: 'training-session', draft, ...sessionInputs, capacity });
      const announce = preview.buttons.find((b) => b.title === 'Announce')?.data;
      if (typeof announce?.['session'] !== 'string') throw new Error(`no preview: ${preview.text}`);
      return { id: announce['session'], version: Number(announce['version']), draft, preview };
    }

    async function fileRequest(): Promise<string> {
      const filed = await press(world.requester, lostCard(randomUUID()));
      const reference = /RA-\d{6}/.exec(filed.text)?.[0];
      if (!reference) throw new Error(`not filed: ${filed.text}`);
      return reference;
    }

    /** Each scenario does something real once, then returns the press to send again (the replay or the stale card). */
    type Scenario = (choice: number) => Promise<{ person: Person; value: Record<string, unknown> }>;
    const deskActions = ['assign', 'assign-to', 'complete', 'reject', 'ask', 'reopen'] as const;
    const scenarios: Record<string, Scenario> = {
      'a desk action on a request that has moved on': async (choice) => {
        const reference = await fileRequest();
        await press(world.adminAtDesk, { verb: 'request.act', reference, version: 1, action: 'assign' });
        const action = deskActions[choice % deskActions.length] as string;
        return { person: world.adminAtDesk, value: { verb: 'request.act', reference, version: 1, action, [`${action}Note`]: 'Done.', assignTo: world.admin.aadObjectId } };
      },
      'the same request form sent twice': async () => {
        const form = lostCard(randomUUID());
        await press(world.requester, form);
        return { person: world.requester, value: form };
      },
      "the requester's answer sent twice": async () => {
        const reference = await fileRequest();
        await press(world.adminAtDesk, { verb: 'request.act', reference, version: 1, action: 'ask', askNote: 'Which branch?' });
        const answer = { verb: 'request.act', reference, version: 2, action: 'answer', answerNote: 'The Poole branch.' };
        await press(world.requester, answer);
        return { person: world.requester, value: answer };
      },
      'Announce pressed again': async () => {
        const session = await draftSession('12');
        const announce = { verb: 'training.act', session: session.id, action: 'announce', version: session.version };
        await press(world.admin, announce);
        return { person: world.admin, value: announce };
      },
      'Announce on a preview the draft has moved on from': async () => {
        const session = await draftSession('12');
        await draftSessionAgain(session.draft);
        return { person: world.admin, value: { verb: 'training.act', session: session.id, action: 'announce', version: session.version } };
      },
      'Discard pressed again': async () => {
        const session = await draftSession('8');
        const discard = { verb: 'training.act', session: session.id, action: 'discard', version: session.version };
        await press(world.admin, discard);
        return { person: world.admin, value: discard };
      },
      'a cancelled session cancelled again': async () => {
        const session = await draftSession('6');
        await press(world.admin, { verb: 'training.act', session: session.id, action: 'announce', version: session.version });
        await press(world.requester, { verb: 'training.act', session: session.id, action: 'book' });
        const cancel = { verb: 'training.act', session: session.id, action: 'confirm-cancel-session' };
        await press(world.admin, cancel);
        return { person: world.admin, value: cancel };
      },
      'Book and Cancel my booking pressed again': async (choice) => {
        const session = world.ids.sessions[0]?.id ?? '';
        // Their personal chats: booking is refused in a channel.
        const person = world.outsiders[choice % 2] as Person;
        const action = choice % 2 === 0 ? 'book' : 'cancel-booking';
        await press(person, { verb: 'training.act', session, action });
        return { person, value: { verb: 'training.act', session, action } };
      },
      'a delivery report cancelled again': async () => {
        const id = await world.queuePending(`announce:TS-${randomUUID().slice(0, 8).toUpperCase().replace(/[^A-Z0-9]/g, 'X')}`);
        await press(world.admin, { verb: 'broadcast.act', broadcast: id, action: 'cancel' });
        return { person: world.admin, value: { verb: 'broadcast.act', broadcast: id, action: 'cancel' } };
      },
      'a removed contact removed or changed again': async (choice) => {
        const name = `Fuzz Contact ${randomUUID().slice(0, 8)}`;
        const saved = await press(world.admin, { verb: 'contact.save', code: 'FA123', contact: '', role: 'sponsor', name, email: 'fuzz.contact@example.nhs.uk', phone: '' });
        const id = (await world.contactsAt('FA123')).find((c) => c.name === name)?.id;
        if (!id) throw new Error(`no contact saved: ${saved.text}`);
        await press(world.admin, { verb: 'contact.remove', code: 'FA123', contact: id });
        return {
          person: world.admin,
          value: choice % 2 === 0 ? { verb: 'contact.remove', code: 'FA123', contact: id } : { verb: 'contact.save', code: 'FA123', contact: id, role: 'lsa', name, email: '', phone: '' },
        };
      },
    };

    async function draftSessionAgain(draft: string): Promise<void> {
      await press(world.admin, { verb: 'form.submit', form: 'training-session', draft, ...sessionInputs, capacity: '15' });
    }

    it('a card pressed again after it did its work, or a card for a version that has moved on, is refused and changes no stored data', async () => {
      const names = Object.keys(scenarios);
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...names), fc.nat(), fc.integer({ min: 1, max: 3 }), junk, async (name, choice, times, extra) => {
          const { person, value: pressed } = await (scenarios[name] as Scenario)(choice);
          const value = withJunk(pressed, extra);
          await world.settle();
          log.length = 0;
          const before = world.snapshot();
          for (let i = 0; i < times; i++) {
            const answer = await press(person, value);
            expect(answer.text, 'a refusal in words').to.match(refusal);
          }
          await world.settle();
          expect(differences(before, world.snapshot()), 'stores changed').to.deep.equal([]);
          expect(turnFailures(), 'turns that threw').to.deep.equal([]);
          expectContained();
        }),
        runs(30, 0.15),
      );
    });
  });
});

