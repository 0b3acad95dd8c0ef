import type { TeamQuery } from '../domain/directory/directory-filter.js';
import { type Json, type ListParams, expectedVersion, listResponse, notModified, type ScimCall, type ScimResult } from './call.js';
import { canonicalise } from './canonical.js';
import { groupCondition, groupSortField } from './filter/to-condition.js';
import { toGroupWrite, toScimGroup } from './group-mapping.js';
import { toTeamChanges } from './patch/group-patch.js';
import { normalisePatch } from './patch/normalise.js';
import { keepsAttribute, project } from './projection.js';
import { GROUP_CATALOGUE } from './schemas.js';
import { etagOf } from './user-mapping.js';
import { projection } from './users-handlers.js';

/**
 * /Groups: teams. Members are loaded only when the response shows them (Entra asks with
 * excludedAttributes=members); PATCH applies each member operation as one SQL statement and
 * answers 204 with the new ETag, so its cost does not grow with the group; a PATCH that adds or
 * removes members by one operation, without If-Match (Okta's and Entra's), is one statement in all.
 */

function answer(status: number, doc: Json, params: Pick<ListParams, 'attributes' | 'excludedAttributes'>): ScimResult {
  const meta = doc.meta as Json;
  return { status, body: project(doc, params.attributes, params.excludedAttributes), etag: meta.version as string, location: meta.location as string };
}

const withMembers = (params: Pick<ListParams, 'attributes' | 'excludedAttributes'>) => keepsAttribute('members', params.attributes, params.excludedAttributes);

export async function listGroups(call: ScimCall, params: ListParams): Promise<ScimResult> {
  const query: TeamQuery = {
    where: params.filter ? groupCondition(params.filter) : undefined,
    sort: params.sortBy ? { field: groupSortField(params.sortBy), descending: params.descending } : undefined,
    limit: params.count,
    offset: params.startIndex - 1,
  };
  const members = withMembers(params);
  const found = await call.services.directory.searchTeams(call.ctx, query, members);
  const resources = found.rows.map((t) => project(toScimGroup(t, call.baseUrl, members), params.attributes, params.excludedAttributes));
  return { status: 200, body: listResponse(resources, found.total, params.startIndex) };
}

export async function getGroup(call: ScimCall, id: string): Promise<ScimResult> {
  const params = projection(call);
  const members = withMembers(params);
  const doc = toScimGroup(await call.services.directory.getTeam(call.ctx, id, members), call.baseUrl, members);
  const etag = (doc.meta as Json).version as string;
  if (notModified(call.ifNoneMatch, etag)) return { status: 304, etag };
  return answer(200, doc, params);
}

export async function createGroup(call: ScimCall): Promise<ScimResult> {
  const write = toGroupWrite(canonicalise(call.body, GROUP_CATALOGUE));
  const team = await call.services.teams.create(call.ctx, { name: write.name, external_id: write.externalId, member_ids: write.memberIds }, { name: 'displayName', members: 'members' });
  const params = projection(call);
  return answer(201, toScimGroup(await call.services.directory.getTeam(call.ctx, team.id, withMembers(params)), call.baseUrl, withMembers(params)), params);
}

export async function replaceGroup(call: ScimCall, id: string): Promise<ScimResult> {
  const version = expectedVersion(call.ifMatch);
  const write = toGroupWrite(canonicalise(call.body, GROUP_CATALOGUE));
  const team = await call.services.directory.changeTeam(
    call.ctx,
    id,
    [{ kind: 'rename', name: write.name }, { kind: 'set_external_id', value: write.externalId }, { kind: 'set_members', ids: write.memberIds }],
    version,
  );
  const params = projection(call);
  return answer(200, toScimGroup(team, call.baseUrl, withMembers(params)), params);
}

export async function patchGroup(call: ScimCall, id: string): Promise<ScimResult> {
  const version = expectedVersion(call.ifMatch);
  const changes = toTeamChanges(normalisePatch(call.body, GROUP_CATALOGUE), id);
  const params = projection(call);
  const asked = params.attributes !== undefined || params.excludedAttributes !== undefined;
  if (!asked) return { status: 204, etag: etagOf(await call.services.directory.changeTeamVersion(call.ctx, id, changes, version)) };
  const team = await call.services.directory.changeTeam(call.ctx, id, changes, version, withMembers(params));
  return answer(200, toScimGroup(team, call.baseUrl, withMembers(params)), params);
}

export async function deleteGroup(call: ScimCall, id: string): Promise<ScimResult> {
  await call.services.teams.delete(call.ctx, id, expectedVersion(call.ifMatch));
  return { status: 204 };
}
