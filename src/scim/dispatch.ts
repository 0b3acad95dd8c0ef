import { listParams, type ScimCall, type ScimResult } from './call.js';
import { scimId } from './decode.js';
import { ScimError } from './errors.js';
import { createGroup, deleteGroup, getGroup, listGroups, patchGroup, replaceGroup } from './groups-handlers.js';
import { createUser, deleteUser, getUser, listUsers, patchUser, replaceUser } from './users-handlers.js';

/** Routes one operation on /Users or /Groups to its handler: the HTTP router and /Bulk both use it. */

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

const HANDLERS = {
  Users: { list: listUsers, get: getUser, create: createUser, replace: replaceUser, patch: patchUser, remove: deleteUser },
  Groups: { list: listGroups, get: getGroup, create: createGroup, replace: replaceGroup, patch: patchGroup, remove: deleteGroup },
} as const;

export type ResourceName = keyof typeof HANDLERS;

export async function dispatch(method: Method, resource: ResourceName, id: string | undefined, call: ScimCall): Promise<ScimResult> {
  const h = HANDLERS[resource];
  if (id === undefined) {
    if (method === 'GET') return h.list(call, listParams(call.query));
    if (method === 'POST') return h.create(call);
  } else {
    scimId(resource, id);
    if (method === 'GET') return h.get(call, id);
    if (method === 'PUT') return h.replace(call, id);
    if (method === 'PATCH') return h.patch(call, id);
    if (method === 'DELETE') return h.remove(call, id);
  }
  throw new ScimError(405, undefined, `${method} is not supported on /${resource}${id === undefined ? '' : '/{id}'}`);
}

/** "/Users", "/Groups/tem_x" (as in a Bulk operation's path) -> resource and id. */
export function parseResourcePath(path: string): { resource: ResourceName; id?: string } | undefined {
  const match = /^\/?(Users|Groups)(?:\/([^/?#]+))?\/?$/i.exec(path.trim());
  if (!match) return undefined;
  const resource: ResourceName = match[1].toLowerCase() === 'users' ? 'Users' : 'Groups';
  if (match[2] === undefined) return { resource };
  try {
    return { resource, id: decodeURIComponent(match[2]) };
  } catch {
    return undefined; // `%ff%fe`: no resource's path
  }
}
