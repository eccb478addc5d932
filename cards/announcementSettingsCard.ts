import template from './templates/announcementSettings.json' with { type: 'json' };
import { bindTemplate, type AdaptiveCardJson } from './render.js';

/** Someone's announcement settings as the card shows them. */
export interface AnnouncementSettingsCardData {
  readonly announcements: boolean;
  readonly sponsor: boolean;
  readonly raAgent: boolean;
  /** RA team members get Sponsor and RA agent announcements whatever they tick: the card says so. */
  readonly raTeamMember: boolean;
  /** Why the last save did not go through, shown above the toggles; empty for none. */
  readonly problem?: string;
}

/** Toggles for announcements and the roles that some announcements are meant for; Save sends `audience.set`. */
export function renderAnnouncementSettingsCard(data: AnnouncementSettingsCardData): AdaptiveCardJson {
  // Input.Toggle takes its value as the strings of valueOn and valueOff.
  return bindTemplate(template, {
    announcements: String(data.announcements),
    sponsor: String(data.sponsor),
    raAgent: String(data.raAgent),
    raTeamMember: data.raTeamMember,
    problem: data.problem ?? '',
  });
}
