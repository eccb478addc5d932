import type { RaRequest, RequestFilter } from '../../dialogs/requests.js';
import type { FieldCipher } from '../requests/fieldCipher.js';

/** The rules every request store keeps on stored records, so the lowdb and Azure stores cannot drift apart. */

/** The request as stored: its sensitive fields sealed. */
export function sealRequest(request: RaRequest, cipher: FieldCipher): RaRequest {
  return { ...request, fields: mapSensitive(request, (v) => cipher.seal(v)) };
}

/** The stored request with its sensitive fields opened; a SealError if the key is wrong or a value was changed. */
export function openRequest(request: RaRequest, cipher: FieldCipher): RaRequest {
  return { ...request, fields: mapSensitive(request, (v) => cipher.open(v)) };
}

function mapSensitive(request: RaRequest, map: (value: string) => string): Record<string, string> {
  return Object.fromEntries(Object.entries(request.fields).map(([k, v]) => [k, request.sensitiveFields.includes(k) ? map(v) : v]));
}

/** Whether `request` is listed under `filter`. */
export function matchesFilter(r: RaRequest, filter: RequestFilter): boolean {
  return (
    (filter.teamId === undefined || r.teamId === filter.teamId) &&
    (filter.requesterId === undefined || r.requester.id === filter.requesterId) &&
    (filter.statuses === undefined || filter.statuses.includes(r.status)) &&
    (filter.assigneeAadObjectId === undefined || r.assignee?.aadObjectId === filter.assigneeAadObjectId) &&
    (filter.formId === undefined || r.formId === filter.formId)
  );
}

/** Sort order of `list`: newest first. */
export function newestFirst(a: RaRequest, b: RaRequest): number {
  return b.createdAt.localeCompare(a.createdAt) || b.reference.localeCompare(a.reference);
}

/** A closed request last changed before `before`, whose personal fields are still there. */
export function purgeDue(r: RaRequest, before: string): boolean {
  return !r.purgedAt && (r.status === 'completed' || r.status === 'rejected') && r.updatedAt < before;
}

/** The request without its personal fields: the reference, form, status, team and dates stay. */
export function purgedRequest(request: RaRequest, now: string): RaRequest {
  const { requesterConversation: _chat, draft: _draft, ...kept } = request;
  return {
    ...kept,
    fields: {},
    sensitiveFields: [],
    requester: { id: '', name: 'removed after the retention period' },
    history: request.history.map(({ note: _note, by, ...entry }) => ({ ...entry, by: { id: '', name: by.name === request.requester.name ? 'requester' : 'RA team' } })),
    purgedAt: now,
  };
}
