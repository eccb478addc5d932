import template from './templates/about.json' with { type: 'json' };
import { bindTemplate, type AdaptiveCardJson } from './render.js';

/** What the about card shows besides its fixed privacy statement. */
export interface AboutCardData {
  readonly version: string;
  readonly sources: readonly string[];
}

/** Who the assistant is for, where its answers come from and how it treats data. */
export function renderAboutCard(data: AboutCardData): AdaptiveCardJson {
  return bindTemplate(template, data);
}
