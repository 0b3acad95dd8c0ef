import type { DirectoryTeam } from '../domain/directory/directory-service.js';
import { ScimError } from './errors.js';
import { URN } from './schemas.js';
import { etagOf, userLocation } from './user-mapping.js';

/** SCIM Group <-> Rollcall team: displayName is the team name, members are account users. */

type Json = Record<string, unknown>;

export function groupLocation(baseUrl: string, id: string): string {
  return `${baseUrl}/Groups/${id}`;
}

export function toScimGroup(found: DirectoryTeam, baseUrl: string, withMembers: boolean): Json {
  const { team } = found;
  const doc: Json = {
    schemas: [URN.group],
    id: team.id,
    ...(team.external_id ? { externalId: team.external_id } : {}),
    displayName: team.name,
    ...(withMembers ? { members: found.members.map((m) => ({ value: m.id, $ref: userLocation(baseUrl, m.id), display: m.name, type: 'User' })) } : {}),
    meta: {
      resourceType: 'Group',
      created: new Date(team.created_at).toISOString(),
      lastModified: new Date(team.updated_at).toISOString(),
      location: groupLocation(baseUrl, team.id),
      version: etagOf(team.version),
    },
  };
  return doc;
}

export interface GroupWrite {
  name: string;
  externalId: string | null;
  memberIds: string[];
}

/** A canonical Group document (POST, PUT) as what the team becomes. */
export function toGroupWrite(doc: Json): GroupWrite {
  if (typeof doc.displayName !== 'string' || doc.displayName.trim() === '') throw new ScimError(400, 'invalidValue', 'displayName is required');
  const members = Array.isArray(doc.members) ? (doc.members as Json[]) : [];
  const memberIds = members.map((m, i) => {
    if (typeof m.value !== 'string' || m.value === '') throw new ScimError(400, 'invalidValue', `members[${i}].value is required`);
    return m.value;
  });
  return { name: doc.displayName, externalId: typeof doc.externalId === 'string' && doc.externalId !== '' ? doc.externalId : null, memberIds };
}
