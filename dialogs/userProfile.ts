import type { Area, WorkplaceKind } from '../knowledge/workplace.js';

/** What the assistant remembers about a user between conversations (user state). */
export interface UserProfile {
  workplace?: {
    kind: WorkplaceKind;
    area: Area;
    /** ISO timestamp of when the user told us. */
    savedAt: string;
  };
}
