import template from './templates/organisation.json' with { type: 'json' };
import formTemplate from './templates/contactForm.json' with { type: 'json' };
import { bindTemplate, type AdaptiveCardJson } from './render.js';

interface Fact {
  readonly title: string;
  readonly value: string;
}

/** A directory answer: the organisation, its local contacts by role, and its RA team. */
export interface OrganisationCardData {
  readonly heading: string;
  readonly intro: readonly string[];
  /** Omitted for a code the directory does not know. */
  readonly organisation?: { readonly title: string; readonly facts: readonly Fact[] } | undefined;
  readonly groups: readonly {
    readonly title: string;
    /** Shown when the role has nobody listed. */
    readonly empty: string;
    readonly people: readonly { readonly id: string; readonly name: string; readonly text: string }[];
  }[];
  readonly team?: { readonly heading: string; readonly name: string; readonly serves: string; readonly facts: readonly Fact[]; readonly notes: readonly string[] } | undefined;
  /** The organisation code the contact buttons act on. */
  readonly code: string;
  /** Change and Remove buttons on each contact: only for RA team members. */
  readonly editable: boolean;
  readonly actions: readonly { readonly title: string; readonly data: Readonly<Record<string, string>> }[];
  readonly sourceLine: string;
}

/** Renders a directory answer; at most five card-level buttons, as Teams shows no more. */
export function renderOrganisationCard(data: OrganisationCardData): AdaptiveCardJson {
  return bindTemplate(template, {
    ...data,
    organisation: data.organisation ?? { title: '', facts: [] },
    team: data.team ?? { heading: '', name: '', serves: '', facts: [], notes: [] },
    actions: data.actions.slice(0, 5),
  });
}

/** The add-or-change form for one local contact, with the values typed so far and each field's problem. */
export interface ContactFormCardData {
  readonly heading: string;
  readonly code: string;
  /** The contact being changed, or '' for a new one. */
  readonly contact: string;
  readonly role: string;
  readonly name: string;
  readonly email: string;
  readonly phone: string;
  readonly roles: readonly { readonly value: string; readonly title: string }[];
  readonly problem: string;
  readonly errors: Readonly<Record<'role' | 'name' | 'email' | 'phone', string>>;
}

export function renderContactFormCard(data: ContactFormCardData): AdaptiveCardJson {
  return bindTemplate(formTemplate, data);
}
