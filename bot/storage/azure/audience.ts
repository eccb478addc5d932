import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Audience, AudienceMember, AudienceRepository, AudienceRole, AudienceSighting } from '../../../dialogs/outreach.js';
import { capturedMember, changedBy, keptRoles, selector } from '../lowdbAudience.js';
import { listRecords, mutateRecord, odataString, readRecord, tableKey, type AzureTables, type TableClient } from './tables.js';

/**
 * The people the assistant can message, on Azure Table storage: one entity per person, keyed by Teams user id and
 * spread over 16 partitions by a hash of it, since `capture` reads (and sometimes writes) on every personal message
 * and one partition serves a limited rate. `optedOut`, `teamId` and `org` (the organisation, upper case) are plain
 * properties so the service leaves out who an announcement cannot reach; the shared rules in lowdbAudience.ts decide
 * the rest, so both stores select and capture alike.
 */
export class AzureAudience implements AudienceRepository {
  constructor(private readonly client: TableClient) {}

  async capture(sighting: AudienceSighting, at: string): Promise<void> {
    // One read when nothing changed (most messages); a write, ETag-checked, only when something did.
    await mutateRecord<AudienceMember, void>(this.client, partitionOf(sighting.userId), tableKey(sighting.userId), (current) => {
      if (current && !changedBy(current, sighting, at)) return { result: undefined };
      const member = capturedMember(current, sighting, at);
      return { write: member, indexed: indexed(member), result: undefined };
    });
  }

  remove(userId: string): Promise<boolean> {
    return mutateRecord<AudienceMember, boolean>(this.client, partitionOf(userId), tableKey(userId), (current) =>
      current ? { delete: true, result: true } : { result: false },
    );
  }

  async get(userId: string): Promise<AudienceMember | undefined> {
    const stored = (await readRecord<AudienceMember>(this.client, partitionOf(userId), tableKey(userId)))?.value;
    return stored && asMember(stored);
  }

  setOptedOut(userId: string, optedOut: boolean): Promise<boolean> {
    return this.update(userId, (member) => ({ ...member, optedOut }));
  }

  setRoles(userId: string, roles: readonly AudienceRole[]): Promise<boolean> {
    const kept = keptRoles(roles);
    return this.update(userId, (member) => ({ ...member, roles: kept }));
  }

  async select(audience: Audience, isRaAgent: (aadObjectId: string | undefined) => boolean): Promise<AudienceMember[]> {
    const wanted = selector(audience, isRaAgent);
    const filter = serviceFilter(audience);
    if (filter === undefined) return [];
    const found = await listRecords<AudienceMember>(this.client, filter);
    return found.map((r) => asMember(r.value)).filter((m) => !m.optedOut && wanted(m));
  }

  async count(): Promise<number> {
    let count = 0;
    for await (const entity of this.client.listEntities({ queryOptions: { select: ['RowKey'] } })) if (entity.rowKey !== undefined) count++;
    return count;
  }

  // Unchanged settings are not written again: a press of Save with nothing changed costs no write.
  private update(userId: string, change: (member: AudienceMember) => AudienceMember): Promise<boolean> {
    return mutateRecord<AudienceMember, boolean>(this.client, partitionOf(userId), tableKey(userId), (current) => {
      if (!current) return { result: false };
      const next = change(current);
      if (isDeepStrictEqual(next, current)) return { result: true };
      return { write: next, indexed: indexed(next), result: true };
    });
  }
}

/** Opens (creating if needed) the audience table. */
export async function openAzureAudience(tables: AzureTables): Promise<AzureAudience> {
  return new AzureAudience(await tables.table('audience'));
}

/** A member as stored in JSON, which drops fields that are undefined: they are there again, as the port has them. */
function asMember(stored: AudienceMember): AudienceMember {
  return { ...stored, aadObjectId: stored.aadObjectId, organisation: stored.organisation, teamId: stored.teamId };
}

const partitions = 16;

function partitionOf(userId: string): string {
  const bucket = (createHash('sha256').update(userId).digest()[0] ?? 0) % partitions;
  return `m${bucket.toString(16)}`;
}

function indexed(member: AudienceMember): Record<string, string | boolean> {
  return {
    optedOut: member.optedOut,
    ...(member.teamId !== undefined && { teamId: member.teamId }),
    ...(member.organisation !== undefined && { org: member.organisation.toUpperCase() }),
  };
}

/**
 * What the service can leave out before anything is read: opted-out people, other teams, other organisations (for
 * up to 10 codes: a filter may hold only 15 comparisons). The shared selector still decides, so this only narrows.
 * Undefined: nobody can be in it.
 */
function serviceFilter(audience: Audience): string | undefined {
  const notOptedOut = 'optedOut eq false';
  switch (audience.kind) {
    case 'team':
      return `${notOptedOut} and teamId eq ${odataString(audience.teamId)}`;
    case 'ods': {
      const codes = [...new Set(audience.codes.map((c) => c.trim().toUpperCase()))];
      if (codes.length === 0) return undefined;
      if (codes.length > 10) return notOptedOut;
      return `${notOptedOut} and (${codes.map((c) => `org eq ${odataString(c)}`).join(' or ')})`;
    }
    case 'everyone':
    case 'sponsors-and-ra-agents':
      return notOptedOut;
  }
}
