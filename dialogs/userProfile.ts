import type { StatePropertyAccessor, TurnContext } from 'botbuilder';
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

/** Remembers the person's organisation and the workplace it implies (when its area is known). */
export async function rememberOrganisation(
  profile: StatePropertyAccessor<UserProfile>,
  context: TurnContext,
  organisation: { readonly code: string; readonly name: string; readonly kind: WorkplaceKind; readonly area: Area | undefined },
  now: Date,
): Promise<void> {
  const saved = await profile.get(context, {});
  const savedAt = now.toISOString();
  const { workplace: previous, ...rest } = saved;
  await profile.set(context, {
    ...rest,
    organisation: { code: organisation.code, name: organisation.name, savedAt },
    // A workplace from before stays only when the new organisation's area cannot be told.
    ...(organisation.area ? { workplace: { kind: organisation.kind, area: organisation.area, savedAt } } : previous ? { workplace: previous } : {}),
  });
}
