import type { RaTeamDirectory } from './raTeams.js';

/** An RA team's office where training can be held, as its data gives it. */
export interface OfficeVenue {
  /** Stable and short, from the team and the town: "dorset-poole". */
  readonly value: string;
  /** "Poole, Canford House": town first, to pick from a list. */
  readonly title: string;
  /** The address in full, as the team's data has it. */
  readonly address: string;
  readonly teamId: string;
}

/** One option of a choice whose options come from data, not from the form's file. */
export interface DataOption {
  readonly value: string;
  readonly title: string;
}

/** Lists of options a form field can name in `optionsFrom`, so places and teams are never typed twice. */
export interface OptionLists {
  /** Every RA team's offices. */
  readonly offices: readonly DataOption[];
  /** Every RA team, by id. */
  readonly raTeams: readonly DataOption[];
}

/**
 * The RA teams' offices. An office line reads "building, street, ..., town, postcode" (the seed pages' form), so the
 * town is the part before the postcode.
 */
export function officeVenues(directory: RaTeamDirectory): OfficeVenue[] {
  const venues: OfficeVenue[] = [];
  for (const team of directory.teams) {
    for (const address of team.offices) {
      const parts = address.split(',').map((p) => p.trim()).filter((p) => p !== '');
      const building = parts[0] ?? address;
      const town = parts.length >= 3 ? (parts[parts.length - 2] ?? building) : building;
      const slug = `${team.id}-${town.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}`;
      // Two offices in one town keep apart by their building.
      const value = venues.some((v) => v.value === slug) ? `${slug}-${building.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}` : slug;
      const title = `${town}, ${building}`;
      venues.push({ value: value.slice(0, 60), title: title.length <= 60 ? title : town.slice(0, 60), address, teamId: team.id });
    }
  }
  return venues;
}

/** The option lists forms may name, from the RA team data. */
export function optionLists(directory: RaTeamDirectory): OptionLists {
  return {
    offices: officeVenues(directory).map(({ value, title }) => ({ value, title })),
    raTeams: directory.teams.map((t) => ({ value: t.id, title: t.name.length <= 60 ? t.name : `${t.id} (${t.inBrief})`.slice(0, 60) })),
  };
}
