import type { MemberQuery } from '../domain/directory/directory-filter.js';
import { type Json, type ListParams, expectedVersion, listResponse, listResponseText, notModified, type ScimCall, type ScimResult } from './call.js';
import { canonicalise } from './canonical.js';
import { userCondition, userSortField } from './filter/to-condition.js';
import { applyPatch } from './patch/apply-user.js';
import { normalisePatch } from './patch/normalise.js';
import { project, splitList } from './projection.js';
import { USER_CATALOGUE } from './schemas.js';
import { userRendering } from './user-documents.js';
import { toCreateInput, toScimUser, toUpdateInput, toUserWrite } from './user-mapping.js';

/** /Users: each handler is one use case of the directory (domain/directory), filters and paging in SQL. */

function answer(status: number, doc: Json, params: Pick<ListParams, 'attributes' | 'excludedAttributes'>): ScimResult {
  const meta = doc.meta as Json;
  return { status, body: project(doc, params.attributes, params.excludedAttributes), etag: meta.version as string, location: meta.location as string };
}

/** attributes / excludedAttributes of a request for one resource. */
export function projection(call: ScimCall): Pick<ListParams, 'attributes' | 'excludedAttributes'> {
  const get = (name: string) => Object.entries(call.query).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
  return { attributes: splitList(get('attributes')), excludedAttributes: splitList(get('excludedAttributes')) };
}

export async function listUsers(call: ScimCall, params: ListParams): Promise<ScimResult> {
  const query: MemberQuery = {
    where: params.filter ? userCondition(params.filter) : undefined,
    sort: params.sortBy ? { field: userSortField(params.sortBy), descending: params.descending } : undefined,
    limit: params.count,
    offset: params.startIndex - 1,
  };
  const found = await call.services.directory.searchMemberDocuments(call.ctx, query, userRendering(call.baseUrl));
  if (params.attributes || params.excludedAttributes) {
    const resources = found.rows.map((doc) => project(JSON.parse(doc) as Json, params.attributes, params.excludedAttributes));
    return { status: 200, body: listResponse(resources, found.total, params.startIndex) };
  }
  // the stored documents as they are, not parsed and written again
  return { status: 200, text: listResponseText(found.rows, found.total, params.startIndex) };
}

export async function getUser(call: ScimCall, id: string): Promise<ScimResult> {
  const doc = toScimUser(await call.services.directory.getMember(call.ctx, id), call.baseUrl);
  const etag = (doc.meta as Json).version as string;
  if (notModified(call.ifNoneMatch, etag)) return { status: 304, etag };
  return answer(200, doc, projection(call));
}

export async function createUser(call: ScimCall): Promise<ScimResult> {
  const write = toUserWrite(canonicalise(call.body, USER_CATALOGUE));
  const created = await call.services.directory.createMember(call.ctx, toCreateInput(write), write.idp);
  return answer(201, toScimUser(created, call.baseUrl), projection(call));
}

export async function replaceUser(call: ScimCall, id: string): Promise<ScimResult> {
  const version = expectedVersion(call.ifMatch);
  const write = toUserWrite(canonicalise(call.body, USER_CATALOGUE));
  const updated = await call.services.directory.updateMember(call.ctx, id, { changes: toUpdateInput(write, version), idp: write.idp });
  return answer(200, toScimUser(updated, call.baseUrl), projection(call));
}

/**
 * PATCH is applied by us (patch/): the operations change the resource as read, and only the
 * attributes they touched go to the domain, which writes them only if the member has not changed
 * since that read (under its lock, or checked by its version): no concurrent change can come
 * between the read and the write (DirectoryService.updateMember); If-Match is compared there too.
 */
export async function patchUser(call: ScimCall, id: string): Promise<ScimResult> {
  const ifMatch = expectedVersion(call.ifMatch);
  const ops = normalisePatch(call.body, USER_CATALOGUE);
  const updated = await call.services.directory.updateMember(call.ctx, id, (current) => {
    const doc = toScimUser(current, call.baseUrl);
    const write = toUserWrite(doc, applyPatch(doc, ops, USER_CATALOGUE));
    return { changes: toUpdateInput(write, ifMatch), idp: write.idp };
  });
  return answer(200, toScimUser(updated, call.baseUrl), projection(call));
}

export async function deleteUser(call: ScimCall, id: string): Promise<ScimResult> {
  await call.services.directory.deleteMember(call.ctx, id, expectedVersion(call.ifMatch));
  return { status: 204 };
}
