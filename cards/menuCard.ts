import template from './templates/menu.json' with { type: 'json' };
import { bindTemplate, rowsOf, type AdaptiveCardJson } from './render.js';

/** One thing the assistant can do, as the menu shows it. */
export interface MenuEntry {
  readonly id: string;
  readonly title: string;
  readonly summary: string;
}

const welcomeIntro = [
  'I help NHS smartcard users, Sponsors, Local Smartcard Administrators, RA agents and Registration Authority (RA) teams.',
  'I will never ask for your passcode, an unlock code or any patient data. Please do not type them here.',
];

/** The card sent once when the assistant joins a conversation. */
export function renderWelcomeCard(entries: readonly MenuEntry[], options: { inChannel: boolean }): AdaptiveCardJson {
  const intro = options.inChannel ? [...welcomeIntro, 'In a channel or group chat, @mention me to ask something.'] : welcomeIntro;
  return bindTemplate(template, { heading: "Hello, I'm Smartcard Assistant", intro, capabilities: entries, rows: rowsOf(entries) });
}

/** The help card: what the assistant can do today, each with a button. */
export function renderHelpCard(entries: readonly MenuEntry[]): AdaptiveCardJson {
  return bindTemplate(template, { heading: 'What I can do', intro: [], capabilities: entries, rows: rowsOf(entries) });
}
