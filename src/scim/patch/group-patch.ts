import type { TeamChange } from '../../domain/directory/directory-service.js';
import { ScimError } from '../errors.js';
import type { Filter } from '../filter/ast.js';
import type { PatchOperation } from './normalise.js';

/**
 * Group PATCH operations as team changes the domain applies one by one in SQL (add or remove one
 * member = one row), never by reading the member list and writing it back:
 * - members add with a list of {value} (or bare ids), replace with a list (the whole set);
 * - members remove with `members[value eq "id"]` (Okta; `or` of several allowed), with a value
 *   list `[{"value":"id"}]` (Entra: only those), or with no value (all members);
 * - displayName and externalId add/replace (Okta renames with a pathless {"id","displayName"}).
 */

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function memberIds(value: unknown, label: string): string[] {
  if (value === null || value === undefined) return [];
  const items = Array.isArray(value) ? value : [value];
  return items.map((item, i) => {
    const id = isObject(item) ? Object.entries(item).find(([k]) => k.toLowerCase() === 'value')?.[1] : item;
    if (typeof id !== 'string' || id === '') throw new ScimError(400, 'invalidValue', `${label}[${i}] must name a member by its "value" (a user id)`);
    return id;
  });
}

/** The ids a `members[...]` filter names: `value eq "id"`, joined with `or`. */
function idsOfFilter(filter: Filter, label: string): string[] {
  if (filter.type === 'compare' && filter.op === 'eq' && filter.path.attr.toLowerCase() === 'value' && !filter.path.sub && typeof filter.value === 'string') return [filter.value];
  if (filter.type === 'or') return [...idsOfFilter(filter.left, label), ...idsOfFilter(filter.right, label)];
  throw new ScimError(400, 'invalidFilter', `${label}: a members filter compares value with eq (joined with or), e.g. members[value eq "usr-id"]`);
}

export function toTeamChanges(ops: readonly PatchOperation[], currentId: string): TeamChange[] {
  const changes: TeamChange[] = [];
  for (const op of ops) {
    const { path, filter, subAfterFilter } = op.path;
    if (path.uri && !/:core:2\.0:Group$/i.test(path.uri)) throw new ScimError(400, 'invalidPath', `${op.pathText} is not an attribute of a Group`);
    const attr = path.attr.toLowerCase();
    const label = op.pathText;
    if (attr === 'members') {
      if (path.sub || subAfterFilter) throw new ScimError(400, 'invalidPath', `${label}: members are changed as a whole entry`);
      if (filter) {
        if (op.op !== 'remove') throw new ScimError(400, 'invalidPath', `${label}: a filter on members is for remove only`);
        changes.push({ kind: 'remove_members', ids: idsOfFilter(filter, label) });
      } else if (op.op === 'add') {
        changes.push({ kind: 'add_members', ids: memberIds(op.value, 'members') });
      } else if (op.op === 'replace') {
        changes.push({ kind: 'set_members', ids: memberIds(op.value, 'members') });
      } else if (op.hasValue && op.value !== null && !(Array.isArray(op.value) && op.value.length === 0)) {
        changes.push({ kind: 'remove_members', ids: memberIds(op.value, 'members') });
      } else {
        changes.push({ kind: 'remove_all_members' });
      }
      continue;
    }
    if (filter || path.sub) throw new ScimError(400, 'invalidPath', `${label} is not an attribute of a Group that can be patched`);
    switch (attr) {
      case 'displayname':
        if (op.op === 'remove' || typeof op.value !== 'string' || op.value.trim() === '') throw new ScimError(400, 'invalidValue', 'displayName is required and cannot be removed');
        changes.push({ kind: 'rename', name: op.value });
        break;
      case 'externalid':
        if (op.op !== 'remove' && op.value !== null && op.value !== '' && typeof op.value !== 'string') throw new ScimError(400, 'invalidValue', 'externalId must be a string');
        changes.push({ kind: 'set_external_id', value: op.op === 'remove' || op.value === '' || op.value === null ? null : (op.value as string) });
        break;
      case 'id':
        if (op.op === 'remove' || op.value !== currentId) throw new ScimError(400, 'mutability', 'id cannot be changed');
        break;
      case 'meta':
      case 'schemas':
        break;
      default:
        throw new ScimError(400, 'invalidPath', `${label} is not an attribute of a Group`);
    }
  }
  return changes;
}
