import type { StatePropertyAccessor, TurnContext } from 'botbuilder';
import { sendCard } from './cardReply.js';
import { Dialog, recognizeChoices, type DialogContext, type DialogInstance, type DialogTurnResult } from 'botbuilder-dialogs';
import { renderQuestionCard } from '../cards/questionCard.js';
import { parseSubmission } from '../cards/submission.js';
import type { AnswerRenderer } from '../knowledge/answers.js';
import type { ContactBook } from '../knowledge/contactBook.js';
import type { Directory, TeamFinding } from '../knowledge/directory.js';
import { codeLikeIn, locumCode, odsCodeIn, readOdsCode, statedCode } from '../knowledge/odsCodes.js';
import { normalisePostcode, postcodeDistrict, type Organisation } from '../knowledge/organisations.js';
import { workplaceOf } from '../knowledge/raTeams.js';
import type { KnowledgeBase } from '../knowledge/search.js';
import { areaOptions, type WorkplaceKind } from '../knowledge/workplace.js';
import { focusOf, organisationCard, teamCard, type DirectoryViewDeps, type Focus } from './directoryView.js';
import { looksLikeQuestion } from './input.js';
import type { Clock } from './ports.js';
import type { FlowResult } from './treeDialog.js';
import { rememberOrganisation, type UserProfile } from './userProfile.js';
import { WorkplaceDialog } from './workplaceDialog.js';

/** What the directory dialog needs from the composition root. */
export interface FindContactDeps extends DirectoryViewDeps {
  readonly directory: Directory;
  readonly contactBook: ContactBook;
  readonly profile: StatePropertyAccessor<UserProfile>;
  readonly answers: AnswerRenderer;
  readonly kb: KnowledgeBase;
  readonly clock: Clock;
}

/**
 * `mine`: the person's own organisation (asked once, then remembered); `change`: ask again even when one is
 * remembered; `lookup`: someone else's, offered to remember with a button.
 */
export interface FindContactOptions {
  readonly question?: string;
  readonly mode: 'mine' | 'change' | 'lookup';
}

type Step = 'code' | 'pick' | 'place';

interface FindState {
  step: Step;
  mode: FindContactOptions['mode'];
  focus: Focus;
  misses: number;
  candidates: { code: string; title: string }[];
  /** The code (and what it is) waiting for its area to be told. */
  pending?: { code: string; name?: string; kind: WorkplaceKind };
}

const stateKey = 'find';
const dontKnow = /\b(don'?t|do not|dunno|not sure)\b.*\b(know|sure|remember)?\b.*\bcode\b|^(i )?(don'?t|do not) know$|^not sure$/i;
const codeChoices = [
  { value: 'dont-know', title: "I don't know the code" },
  { value: 'locum', title: "I'm a locum (FFFFF)" },
  { value: 'no-organisation', title: 'Not one organisation' },
];

/**
 * Finds an organisation's Sponsors, Smartcard Administrators, RA agents and RA team: by ODS code, or by
 * name or postcode for people who do not know their code, and remembers the person's own organisation.
 */
export class FindContactDialog extends Dialog<FindContactOptions> {
  static readonly id = 'find-contact';

  constructor(private readonly deps: FindContactDeps) {
    super(FindContactDialog.id);
  }

  override async beginDialog(dc: DialogContext, options?: FindContactOptions): Promise<DialogTurnResult> {
    const question = options?.question ?? '';
    const state: FindState = { step: 'code', mode: options?.mode ?? 'lookup', focus: focusOf(question), misses: 0, candidates: [] };
    dc.activeDialog!.state[stateKey] = state;
    if (dontKnow.test(question)) return this.onCode(dc, state, 'dont-know', '');
    const code = statedCode(question) ?? odsCodeIn(question) ?? codeLikeIn(question);
    if (code) return this.resolve(dc, state, code);
    if (state.mode === 'mine') {
      const { organisation, workplace } = await this.deps.profile.get(dc.context, {});
      if (organisation) return this.resolve(dc, state, organisation.code);
      // Someone who said they have no one organisation (a locum GP, say) is answered from their workplace.
      if (workplace && state.focus === 'ra-team') return dc.replaceDialog(WorkplaceDialog.id, { mode: 'show' });
    }
    return this.ask(dc, state);
  }

  override async continueDialog(dc: DialogContext): Promise<DialogTurnResult> {
    const state = dc.activeDialog!.state[stateKey] as FindState;
    const { text, value } = dc.context.activity;
    const typed = typeof text === 'string' ? text.trim() : '';
    let picked: string | undefined;
    if (value !== undefined && value !== null) {
      const parsed = parseSubmission(value);
      if (!parsed.ok || parsed.submission.verb !== 'choice.pick' || parsed.submission.prompt !== this.promptId(state)) {
        await dc.context.sendActivity('That button belongs to an earlier question. Please answer the one below.');
        await this.show(dc.context, state);
        return Dialog.EndOfTurn;
      }
      picked = parsed.submission.value;
    }
    switch (state.step) {
      case 'code':
        return this.onCode(dc, state, picked, typed);
      case 'pick':
        return this.onPick(dc, state, picked, typed);
      case 'place':
        return this.onPlace(dc, state, picked, typed);
    }
  }

  override async repromptDialog(context: TurnContext, instance: DialogInstance): Promise<void> {
    await this.show(context, instance.state[stateKey] as FindState);
  }

  private async onCode(dc: DialogContext, state: FindState, picked: string | undefined, typed: string): Promise<DialogTurnResult> {
    if (picked === 'locum') return this.resolve(dc, state, locumCode);
    if (picked === 'no-organisation') return dc.replaceDialog(WorkplaceDialog.id, { mode: 'ask' });
    if (picked === 'dont-know' || dontKnow.test(typed)) {
      await dc.context.sendActivity("No problem. Type the organisation's name (and town, if it's a common name) or its postcode, and I'll find it.");
      return this.ask(dc, state, false);
    }
    if (picked) return this.ask(dc, state, false);
    return this.findFromText(dc, state, typed);
  }

  private async onPick(dc: DialogContext, state: FindState, picked: string | undefined, typed: string): Promise<DialogTurnResult> {
    if (picked === 'none') {
      await dc.context.sendActivity("Let's try again: type the ODS code, the organisation's postcode, or its name spelled another way.");
      return this.ask(dc, state, false);
    }
    const choices = state.candidates.map((c, i) => ({ value: c.code, synonyms: [c.code, c.title, String(i + 1)] }));
    const chosen = picked ?? (typed ? recognizeChoices(typed.slice(0, 200), choices, { recognizeOrdinals: true, recognizeNumbers: true })[0]?.resolution.value : undefined);
    if (chosen && state.candidates.some((c) => c.code === chosen)) return this.resolve(dc, state, chosen);
    // Anything else typed is a new search: a code, a postcode or another spelling.
    return this.findFromText(dc, state, typed);
  }

  private async onPlace(dc: DialogContext, state: FindState, picked: string | undefined, typed: string): Promise<DialogTurnResult> {
    const pending = state.pending;
    if (!pending) return this.ask(dc, state);
    const area = picked ? areaOptions.find((o) => o.value === picked)?.value : undefined;
    const finding: TeamFinding = area
      ? { ...this.deps.directory.teams.forWorkplace(pending.kind, area), placing: { area, by: 'name' } }
      : this.deps.directory.teamForPlace(pending.kind, typed);
    if (finding) return this.finishWithTeam(dc, state, pending, finding);
    return this.missed(dc, state, typed, "I couldn't tell the area from that. Type the postcode (like BH12 5AG) or the ICB code (like QVV), or choose an area.");
  }

  /** Reads what was typed at the "which organisation" question: a code, a postcode or a name. */
  private async findFromText(dc: DialogContext, state: FindState, typed: string): Promise<DialogTurnResult> {
    if (typed === '') return this.missed(dc, state, typed, 'Type the ODS code, or the name or postcode of the organisation.');
    if (this.isCode(typed)) return this.resolve(dc, state, typed);
    // A sentence with the code in it ("it's FA123", "my ODS code is Y90001") answers the question too.
    const stated = statedCode(typed);
    if (stated && /\b(my|our)\b/i.test(typed)) state.mode = 'mine';
    const inSentence = stated ?? odsCodeIn(typed);
    if (inSentence) return this.resolve(dc, state, inSentence);
    const reading = readOdsCode(typed);
    // No postcode area is F alone, so "F12" is a pharmacy code typed short, not a district.
    const postcodeLike = !/^F\d/i.test(typed) && (postcodeDistrict(typed) !== undefined || normalisePostcode(typed) !== undefined);
    if (!reading.ok && /^\S+$/.test(typed) && /\d/.test(typed) && !postcodeLike) return this.missed(dc, state, typed, reading.problem);
    const found = await this.deps.directory.search(typed, 5);
    if (found.length === 0) {
      return this.missed(dc, state, typed, `I couldn't find an organisation matching "${typed.slice(0, 60)}". Check the spelling, or try its postcode or ODS code.`);
    }
    if (found.length === 1 && found[0]) return this.resolve(dc, state, found[0].code);
    state.step = 'pick';
    state.candidates = found.map((o) => ({ code: o.code, title: choiceTitle(o) }));
    await this.show(dc.context, state);
    return Dialog.EndOfTurn;
  }

  /** A single word with a digit, or one typed in capitals with a code's shape, is meant as a code. */
  private isCode(typed: string): boolean {
    if (!/^[A-Za-z0-9]{3,6}$/.test(typed.replace(/\s+/g, ''))) return false;
    if (postcodeDistrict(typed) || normalisePostcode(typed)) return false;
    const reading = readOdsCode(typed);
    if (!reading.ok) return false;
    return /\d/.test(typed) || reading.code === locumCode || (typed === typed.toUpperCase() && reading.shape !== 'other');
  }

  /** Looks the code up and shows what it found, or asks for the area when the team cannot be told. */
  private async resolve(dc: DialogContext, state: FindState, typed: string): Promise<DialogTurnResult> {
    const lookup = await this.deps.directory.lookup(typed);
    switch (lookup.kind) {
      case 'invalid':
        return this.missed(dc, state, typed, lookup.problem);
      case 'locum':
        await dc.context.sendActivity(
          `${locumCode} is the virtual National Locum Pharmacy organisation, not a premises, so it has no Sponsor or local contacts of its own. ` +
            `For access to it, contact your RA team: ${this.deps.answers.myContact(await this.readerContext(dc.context))}.`,
        );
        return dc.endDialog();
      case 'found': {
        const { organisation, contacts, team } = lookup;
        if (!team) {
          state.pending = { code: organisation.code, name: organisation.name, kind: workplaceOf(organisation.kind) };
          return this.askPlace(dc, state, `I found ${organisation.name} (${organisation.code}), but ODS doesn't say which ICB it belongs to, so I can't tell which RA team serves it.`);
        }
        const intro: string[] = [];
        const profile = await this.deps.profile.get(dc.context, {});
        let remembered = profile.organisation?.code === organisation.code;
        if (state.mode !== 'lookup' && !remembered) {
          await rememberOrganisation(this.deps.profile, dc.context, { ...organisation, kind: workplaceOf(organisation.kind), area: team.placing.area }, this.deps.clock.now());
          remembered = true;
          intro.push("I'll remember this as your organisation and use it in my answers. Say **change my organisation** to change it, or **forget me** to clear it.");
        }
        if (lookup.live) intro.push('This organisation was not in my directory, so I fetched it from the ODS service.');
        // The organisation just looked up: reading it again to check rights cost a store read every turn.
        const editable = this.deps.contactBook.mayEdit(dc.context.activity.from?.aadObjectId, organisation);
        await sendCard(dc.context, organisationCard(this.deps, organisation, contacts, team, { focus: state.focus, intro, editable, remembered }));
        return dc.endDialog();
      }
      case 'unknown': {
        // The person's own code, placed by them before: answer from the workplace they told us then.
        const { organisation, workplace } = await this.deps.profile.get(dc.context, {});
        if (state.mode === 'mine' && organisation?.code === lookup.code && workplace) {
          const finding = { ...this.deps.directory.teams.forWorkplace(workplace.kind, workplace.area), placing: { area: workplace.area, by: 'name' as const } };
          await sendCard(dc.context, teamCard(this.deps, lookup.code, finding, []));
          return dc.endDialog();
        }
        // A code's format says what kind of organisation it belongs to; that is all the RA team choice needs.
        state.pending = { code: lookup.code, kind: workplaceOf(lookup.shape === 'locum' ? 'other' : lookup.shape) };
        const live =
          lookup.live === 'not-found'
            ? ' The ODS service has no organisation with that code either, so please check it.'
            : lookup.live === 'unavailable'
              ? " I couldn't reach the ODS service to check it just now."
              : '';
        return this.askPlace(dc, state, `${lookup.code} is a valid ODS code, but it isn't in my directory.${live} I can still tell you which RA team serves it.`);
      }
    }
  }

  private async askPlace(dc: DialogContext, state: FindState, said: string): Promise<DialogTurnResult> {
    await dc.context.sendActivity(said);
    state.step = 'place';
    state.misses = 0;
    await this.show(dc.context, state);
    return Dialog.EndOfTurn;
  }

  private async finishWithTeam(dc: DialogContext, state: FindState, pending: NonNullable<FindState['pending']>, finding: NonNullable<TeamFinding>): Promise<DialogTurnResult> {
    const intro: string[] = [];
    if (state.mode !== 'lookup') {
      await rememberOrganisation(this.deps.profile, dc.context, { code: pending.code, name: pending.name ?? pending.code, kind: pending.kind, area: finding.placing.area }, this.deps.clock.now());
      intro.push("I'll remember this as your organisation. Say **change my organisation** to change it, or **forget me** to clear it.");
    }
    await sendCard(dc.context, teamCard(this.deps, pending.name ? `${pending.name} (${pending.code})` : pending.code, finding, intro));
    return dc.endDialog();
  }

  private async missed(dc: DialogContext, state: FindState, typed: string, problem: string): Promise<DialogTurnResult> {
    if (typed && looksLikeQuestion(typed) && this.deps.kb.search(typed).kind === 'answer') {
      await dc.context.sendActivity("That sounds like a new question, so I've stopped looking up the organisation.");
      return dc.endDialog({ reroute: true } satisfies FlowResult);
    }
    state.misses++;
    if (state.misses >= 3) {
      await dc.context.sendActivity(
        `${problem} Let's leave it there for now. Your RA team can help you find the organisation: ${this.deps.answers.myContact(await this.readerContext(dc.context))}.`,
      );
      return dc.endDialog();
    }
    await dc.context.sendActivity(problem);
    await this.show(dc.context, state);
    return Dialog.EndOfTurn;
  }

  private async ask(dc: DialogContext, state: FindState, resetMisses = true): Promise<DialogTurnResult> {
    state.step = 'code';
    state.candidates = [];
    if (resetMisses) state.misses = 0;
    await this.show(dc.context, state);
    return Dialog.EndOfTurn;
  }

  private async show(context: TurnContext, state: FindState): Promise<void> {
    const promptId = this.promptId(state);
    switch (state.step) {
      case 'code':
        await sendCard(
          context,
          renderQuestionCard({
            promptId,
            question: state.mode === 'lookup' ? 'Which organisation?' : 'Which organisation do you work for?',
            hint: 'Type its ODS code (like FA123 for a pharmacy or A81001 for a GP practice), or its name or postcode.',
            choices: codeChoices,
          }),
        );
        return;
      case 'pick':
        await sendCard(
          context,
          renderQuestionCard({
            promptId,
            question: 'Which of these is it?',
            hint: 'Press one, or type its number or ODS code. Or type a different name or postcode to search again.',
            choices: [...state.candidates.map((c) => ({ value: c.code, title: c.title })), { value: 'none', title: 'None of these' }],
          }),
        );
        return;
      case 'place':
        await sendCard(
          context,
          renderQuestionCard({
            promptId,
            question: `Where is ${state.pending?.name ?? state.pending?.code ?? 'it'}?`,
            hint: 'Type its postcode (like BH12 5AG) or ICB code (like QVV), or choose an area.',
            choices: areaOptions.map((o) => ({ value: o.value, title: o.title })),
          }),
        );
        return;
    }
  }

  private promptId(state: FindState): string {
    return `${FindContactDialog.id}.${state.step}`;
  }

  private async readerContext(context: TurnContext) {
    return { workplace: (await this.deps.profile.get(context, {})).workplace };
  }
}

/** A search result as a button: name, postcode and code, short enough for Teams to show whole. */
function choiceTitle(org: Organisation): string {
  // ODS puts the town on different address lines, so the postcode is what tells two branches apart.
  const place = org.postcode ? `, ${org.postcode}` : '';
  const name = org.name.length > 32 ? `${org.name.slice(0, 31)}…` : org.name;
  return `${name}${place} (${org.code})${org.open ? '' : ' closed'}`;
}
