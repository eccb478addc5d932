import template from './templates/raTeam.json' with { type: 'json' };
import { bindTemplate, type AdaptiveCardJson } from './render.js';

/** What the RA team card shows. */
export interface RaTeamCardData {
  readonly heading: string;
  readonly name: string;
  readonly serves: string;
  readonly facts: readonly { readonly title: string; readonly value: string }[];
  readonly notes: readonly string[];
  readonly sourceLine: string;
}

/** The user's RA team and how to reach it. */
export function renderRaTeamCard(data: RaTeamCardData): AdaptiveCardJson {
  return bindTemplate(template, data);
}
