import { isDeepStrictEqual } from 'node:util';
import type { Audience, AudienceMember, AudienceRepository, AudienceRole, AudienceSighting } from '../../dialogs/outreach.js';
import { audienceRoles } from '../../dialogs/outreach.js';
import type { Adapter } from 'lowdb';
import { define, LowdbDocument } from './lowdbDocument.js';

/** The audience file: every member by Teams user id. */
export interface AudienceData {
  members: Record<string, AudienceMember>;
}

/**
 * The people the assistant can message, in one compact lowdb document. `capture` runs on every personal message,
 * so it reads first and writes only when something a send or a selection depends on changed, or when `lastSeen` is a
 * month old.
 */
export class LowdbAudience implements AudienceRepository {
  constructor(private readonly document: LowdbDocument<AudienceData>) {}

  async capture(sighting: AudienceSighting, at: string): Promise<void> {
    const known = await this.get(sighting.userId);
    if (known && !changedBy(known, sighting, at)) return;
    await this.document.change((data) => {
      // Looked up again inside the write: another capture may have landed between the read and here.
      define(data.members, sighting.userId, capturedMember(memberOf(data, sighting.userId), sighting, at));
    });
  }

  async remove(userId: string): Promise<boolean> {
    if (!(await this.get(userId))) return false;
    return this.document.change((data) => {
      if (!memberOf(data, userId)) return false;
      delete data.members[userId];
      return true;
    });
  }

  get(userId: string): Promise<AudienceMember | undefined> {
    return this.document.read((data) => memberOf(data, userId));
  }

  setOptedOut(userId: string, optedOut: boolean): Promise<boolean> {
    return this.update(userId, (member) => ({ ...member, optedOut }));
  }

  setRoles(userId: string, roles: readonly AudienceRole[]): Promise<boolean> {
    const kept = keptRoles(roles);
    return this.update(userId, (member) => ({ ...member, roles: kept }));
  }

  select(audience: Audience, isRaAgent: (aadObjectId: string | undefined) => boolean): Promise<AudienceMember[]> {
    const wanted = selector(audience, isRaAgent);
    return this.document.read((data) => Object.values(data.members).filter((m) => !m.optedOut && wanted(m)));
  }

  count(): Promise<number> {
    return this.document.read((data) => Object.keys(data.members).length);
  }

  /** Resolves when every queued write has reached the file. */
  flush(): Promise<void> {
    return this.document.flush();
  }

  // Unchanged settings are not written again: a press of Save with nothing changed costs no rewrite.
  private async update(userId: string, change: (member: AudienceMember) => AudienceMember): Promise<boolean> {
    const known = await this.get(userId);
    if (!known) return false;
    if (isDeepStrictEqual(change(known), known)) return true;
    return this.document.change((data) => {
      const current = memberOf(data, userId);
      if (!current) return false;
      define(data.members, userId, change(current));
      return true;
    });
  }
}

/**
 * `lastSeen` is refreshed at most once a month, for finding people who have long gone quiet: refreshing it daily
 * cost a rewrite of the whole file for most people's first message of each day.
 */
const lastSeenGrain = 30 * 86_400_000;

function memberOf(data: AudienceData, userId: string): AudienceMember | undefined {
  return Object.hasOwn(data.members, userId) ? data.members[userId] : undefined;
}

/** The member a sighting leaves stored: what it saw, with the settings (`optedOut`, roles, first seen) kept. */
export function capturedMember(current: AudienceMember | undefined, sighting: AudienceSighting, at: string): AudienceMember {
  return {
    userId: sighting.userId,
    aadObjectId: sighting.aadObjectId,
    reference: asStored(sighting.reference),
    optedOut: current?.optedOut ?? false,
    organisation: sighting.organisation,
    teamId: sighting.teamId,
    roles: current?.roles ?? [],
    firstSeen: current?.firstSeen ?? at,
    lastSeen: at,
  };
}

/** Known roles only, once each, in a fixed order. */
export function keptRoles(roles: readonly AudienceRole[]): AudienceRole[] {
  return audienceRoles.filter((r) => roles.includes(r));
}

/** Whether a sighting changes what is stored: where to send, who they are, where they work, or a new month. */
export function changedBy(member: AudienceMember, sighting: AudienceSighting, at: string): boolean {
  return (
    member.aadObjectId !== sighting.aadObjectId ||
    member.organisation !== sighting.organisation ||
    member.teamId !== sighting.teamId ||
    Date.parse(at) - Date.parse(member.lastSeen) > lastSeenGrain ||
    !isDeepStrictEqual(asStored(member.reference), asStored(sighting.reference))
  );
}

/** A value as the JSON file keeps it (undefined fields gone), so a reference read back compares equal to a fresh one. */
function asStored<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Whether a member (opted out or not) is in an audience. */
export function selector(audience: Audience, isRaAgent: (aadObjectId: string | undefined) => boolean): (member: AudienceMember) => boolean {
  switch (audience.kind) {
    case 'everyone':
      return () => true;
    case 'sponsors-and-ra-agents':
      return (m) => m.roles.length > 0 || isRaAgent(m.aadObjectId);
    case 'team':
      return (m) => m.teamId === audience.teamId;
    case 'ods': {
      const codes = new Set(audience.codes.map((c) => c.trim().toUpperCase()));
      return (m) => m.organisation !== undefined && codes.has(m.organisation.toUpperCase());
    }
  }
}

function checked(d: AudienceData): AudienceData {
  const members = (d as Partial<AudienceData> | null)?.members;
  if (typeof members !== 'object' || members === null || Array.isArray(members)) throw new Error('it is not an audience file: it needs "members"');
  return d;
}

/** Opens (creating if needed) the audience file; compact, since it holds one entry per person. */
export async function openLowdbAudience(file: string): Promise<LowdbAudience> {
  return new LowdbAudience(await LowdbDocument.open<AudienceData>(file, { members: {} }, checked, { compact: true }));
}

/** An in-memory audience, for tests and throwaway runs; `adapter` lets a test count or fail writes. */
export function memoryAudience(adapter?: Adapter<AudienceData>): LowdbAudience {
  return new LowdbAudience(LowdbDocument.inMemory<AudienceData>({ members: {} }, checked, adapter));
}
