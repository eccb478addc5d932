import type { Actor, Desk, DeskRepository } from '../../dialogs/requests.js';

/**
 * Desks set in the channel (stored) and desks set by configuration (`RA_DESKS`): a desk chosen in Teams wins, since
 * it is the newer, explicit choice; a configured one is used until then.
 */
export class ConfiguredDesks implements DeskRepository {
  constructor(
    private readonly stored: DeskRepository,
    private readonly channels: ReadonlyMap<string, string>,
    private readonly serviceUrl: string | undefined,
    private readonly tenantId: string | undefined,
  ) {}

  async get(teamId: string): Promise<Desk | undefined> {
    return (await this.stored.get(teamId)) ?? this.configured(teamId);
  }

  set(desk: Desk): Promise<void> {
    return this.stored.set(desk);
  }

  async notePerson(teamId: string, person: Actor): Promise<void> {
    if (await this.stored.get(teamId)) return this.stored.notePerson(teamId, person);
    const configured = this.configured(teamId);
    // The first person seen on a configured desk turns it into a stored one, so the team's roster can be kept.
    if (configured && person.aadObjectId) await this.stored.set({ ...configured, people: [person] });
  }

  private configured(teamId: string): Desk | undefined {
    const channel = this.channels.get(teamId);
    if (!channel || !this.serviceUrl) return undefined;
    return {
      teamId,
      reference: {
        channelId: 'msteams',
        serviceUrl: this.serviceUrl,
        conversation: { id: channel, isGroup: true, conversationType: 'channel', name: '', ...(this.tenantId ? { tenantId: this.tenantId } : {}) },
      },
      setBy: { id: 'configuration', name: 'configuration (RA_DESKS)' },
      setAt: '',
    };
  }
}
