import type { Actor, Desk, DeskRepository } from '../../../dialogs/requests.js';
import { mutateRecord, readRecord, tableKey, type AzureTables, type TableClient } from './tables.js';

/** RA desks on Azure Table storage: one record per team, every change made at the ETag read. */

const partition = 'desk';

export class AzureDesks implements DeskRepository {
  constructor(private readonly client: TableClient) {}

  async get(teamId: string): Promise<Desk | undefined> {
    return (await readRecord<Desk>(this.client, partition, tableKey(teamId)))?.value;
  }

  async set(desk: Desk): Promise<void> {
    // Moving the desk to another channel keeps the roster the team built up.
    await mutateRecord<Desk, void>(this.client, partition, tableKey(desk.teamId), (known) => ({
      write: { ...desk, people: desk.people ?? known?.people ?? [] },
      result: undefined,
    }));
  }

  async notePerson(teamId: string, person: Actor): Promise<void> {
    await mutateRecord<Desk, void>(this.client, partition, tableKey(teamId), (desk) => {
      if (!desk || !person.aadObjectId || desk.people?.some((p) => p.aadObjectId === person.aadObjectId && p.name === person.name)) {
        return { result: undefined };
      }
      const others = (desk.people ?? []).filter((p) => p.aadObjectId !== person.aadObjectId);
      return { write: { ...desk, people: [...others, person] }, result: undefined };
    });
  }
}

/** The desks table (created if needed). */
export async function openAzureDesks(tables: AzureTables): Promise<AzureDesks> {
  return new AzureDesks(await tables.table('desks'));
}
