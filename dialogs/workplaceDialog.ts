import type { StatePropertyAccessor } from 'botbuilder';
import { sendCard } from './cardReply.js';
import { ComponentDialog, WaterfallDialog, type DialogTurnResult, type WaterfallStepContext } from 'botbuilder-dialogs';
import { renderRaTeamCard } from '../cards/raTeamCard.js';
import type { RaTeamDirectory } from '../knowledge/raTeams.js';
import type { SourceCatalogue } from '../knowledge/sources.js';
import { areaOptions, areaTitle, workplaceOptions, workplaceTitle, type Area, type WorkplaceKind } from '../knowledge/workplace.js';
import { CardChoicePrompt } from './cardChoicePrompt.js';
import type { Clock } from './ports.js';
import type { UserProfile } from './userProfile.js';

/** What the workplace dialog needs from the composition root. */
export interface WorkplaceDialogDeps {
  readonly profile: StatePropertyAccessor<UserProfile>;
  readonly raTeams: RaTeamDirectory;
  readonly sources: SourceCatalogue;
  /** RA team id to its email address, from configuration (the seed pages lost them). */
  readonly raTeamEmails: ReadonlyMap<string, string>;
  readonly clock: Clock;
}

/** `show` answers from the saved workplace when there is one; `ask` always asks again. */
export interface WorkplaceDialogOptions {
  readonly mode: 'show' | 'ask';
}

interface StepValues {
  kind?: WorkplaceKind;
}

const kindPrompt = 'workplace.kind';
const areaPrompt = 'workplace.area';

/** Asks where the user works, remembers it, and shows the RA team that serves them. */
export class WorkplaceDialog extends ComponentDialog {
  static readonly id = 'workplace';

  constructor(private readonly deps: WorkplaceDialogDeps) {
    super(WorkplaceDialog.id);
    this.addDialog(
      new CardChoicePrompt(kindPrompt, { question: 'Where do you work?', choices: workplaceOptions }),
    ).addDialog(
      new CardChoicePrompt(areaPrompt, {
        question: 'Which area is your workplace in?',
        hint: 'RA teams are organised by area (Hampshire includes Southampton and Portsmouth). Press a button, or type a town or county.',
        choices: areaOptions,
      }),
    ).addDialog(
      new WaterfallDialog(`${WorkplaceDialog.id}.steps`, [
        this.askKind.bind(this),
        this.askArea.bind(this),
        this.saveAndShow.bind(this),
      ]),
    );
    this.initialDialogId = `${WorkplaceDialog.id}.steps`;
  }

  private async askKind(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const options = step.options as Partial<WorkplaceDialogOptions>;
    const saved = (await this.deps.profile.get(step.context, {})).workplace;
    if (options.mode === 'show' && saved) {
      await this.showTeam(step, saved.kind, saved.area, false);
      return step.endDialog();
    }
    return step.beginDialog(kindPrompt);
  }

  private async askArea(step: WaterfallStepContext): Promise<DialogTurnResult> {
    (step.values as StepValues).kind = step.result as WorkplaceKind;
    return step.beginDialog(areaPrompt);
  }

  private async saveAndShow(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const { kind } = step.values as Required<StepValues>;
    const area = step.result as Area;
    // Someone describing their workplace instead of naming an organisation no longer works at the one we had.
    const { organisation: _left, ...profile } = await this.deps.profile.get(step.context, {});
    await this.deps.profile.set(step.context, {
      ...profile,
      workplace: { kind, area, savedAt: this.deps.clock.now().toISOString() },
    });
    await this.showTeam(step, kind, area, true);
    return step.endDialog();
  }

  private async showTeam(step: WaterfallStepContext, kind: WorkplaceKind, area: Area, justSaved: boolean): Promise<void> {
    const match = this.deps.raTeams.forWorkplace(kind, area);
    const heading = justSaved ? "Thanks, I'll remember where you work. Your RA team:" : 'Your RA team';
    const workplace = { title: 'Your workplace', value: `${workplaceTitle(kind)}, ${areaTitle(area)}` };
    const card =
      match.kind === 'team'
        ? renderRaTeamCard({
            heading,
            name: match.team.name,
            serves: match.team.serves,
            facts: [
              workplace,
              { title: 'Phone', value: match.team.phone },
              ...emailFact(this.deps.raTeamEmails.get(match.team.id)),
              ...match.team.offices.map((office, i) => ({ title: i === 0 ? 'Offices' : '', value: office })),
            ],
            notes: match.team.notes,
            sourceLine: this.deps.sources.sourceLine(match.team.source),
          })
        : renderRaTeamCard({
            heading,
            name: match.fallback.name,
            serves: match.fallback.serves,
            facts: [workplace],
            notes: match.fallback.notes,
            sourceLine: this.deps.sources.sourceLine(match.fallback.source),
          });
    await sendCard(step.context, card);
  }
}

function emailFact(email: string | undefined): { title: string; value: string }[] {
  return email ? [{ title: 'Email', value: email }] : [];
}
