import type { Area, WorkplaceKind } from '../knowledge/workplace.js';

/** What the assistant remembers about a user between conversations (user state). "forget me" deletes all of it. */
export interface UserProfile {
  /** Where they work, as the RA rules care: set from their organisation, or asked directly when they have none. */
  workplace?: {
    kind: WorkplaceKind;
    area: Area;
    /** ISO timestamp of when the user told us. */
    savedAt: string;
  };
  /** The organisation they told us they work for, by ODS code. */
  organisation?: {
    code: string;
    name: string;
    savedAt: string;
  };
}
