import type { MemberField, MemberSortField, TeamField, TeamSortField } from '../../domain/directory/directory-filter.js';
import type { Condition } from '../../domain/query.js';
import { ScimError } from '../errors.js';
import { URN } from '../schemas.js';
import { type AttrPath, type Filter, showPath } from './ast.js';
import { FilterSyntaxError, FilterTooCostlyError, parseAttrPath, parseFilter } from './parser.js';

/**
 * A parsed SCIM filter as the domain's query description (domain/query.ts): SCIM attribute names
 * (matched without case) become domain fields; an attribute we cannot filter on is 400
 * invalidFilter, never a silently empty list. The store turns the result into SQL.
 */

interface Mapping<F extends string> {
  /** lower-cased SCIM path (core URN stripped) -> domain field */
  fields: Record<string, F>;
  /** lower-cased multi-valued attribute -> [collection, sub-attribute -> field] */
  collections: Record<string, { collection: string; subs: Record<string, F> }>;
  coreUrn: string;
  extensions: Record<string, string>;
}

const enterprise = URN.enterprise.toLowerCase();

const USER_MAPPING: Mapping<MemberField> = {
  fields: {
    id: 'id',
    externalid: 'external_id',
    username: 'user_name',
    displayname: 'display_name',
    'name.givenname': 'given_name',
    'name.familyname': 'family_name',
    active: 'active',
    timezone: 'time_zone',
    preferredlanguage: 'preferred_language',
    'meta.created': 'created_at',
    'meta.lastmodified': 'updated_at',
    [`${enterprise}:employeenumber`]: 'enterprise.employeeNumber',
    [`${enterprise}:costcenter`]: 'enterprise.costCenter',
    [`${enterprise}:organization`]: 'enterprise.organization',
    [`${enterprise}:division`]: 'enterprise.division',
    [`${enterprise}:department`]: 'enterprise.department',
    [`${enterprise}:manager`]: 'enterprise.manager',
    [`${enterprise}:manager.value`]: 'enterprise.manager',
  },
  collections: {
    emails: { collection: 'email', subs: { value: 'email.value', type: 'email.type', primary: 'email.primary' } },
    phonenumbers: { collection: 'phone', subs: { value: 'phone.value', type: 'phone.type', primary: 'phone.primary' } },
    groups: { collection: 'team', subs: { value: 'team.id' } },
  },
  coreUrn: URN.user.toLowerCase(),
  extensions: { [enterprise]: enterprise },
};

const GROUP_MAPPING: Mapping<TeamField> = {
  fields: { id: 'id', externalid: 'external_id', displayname: 'name', 'meta.created': 'created_at', 'meta.lastmodified': 'updated_at' },
  collections: { members: { collection: 'member', subs: { value: 'member.id' } } },
  coreUrn: URN.group.toLowerCase(),
  extensions: {},
};

function invalid(message: string): never {
  throw new ScimError(400, 'invalidFilter', message);
}

function keyOf<F extends string>(path: AttrPath, mapping: Mapping<F>): { key: string; attr: string; sub?: string } {
  const attr = path.attr.toLowerCase();
  const sub = path.sub?.toLowerCase();
  const uri = path.uri?.toLowerCase();
  if (uri && uri !== mapping.coreUrn) {
    if (!mapping.extensions[uri]) invalid(`${showPath(path)} is not an attribute that can be filtered on`);
    return { key: `${uri}:${attr}${sub ? `.${sub}` : ''}`, attr: `${uri}:${attr}`, sub };
  }
  return { key: sub ? `${attr}.${sub}` : attr, attr, sub };
}

function convert<F extends string>(filter: Filter, mapping: Mapping<F>, inside?: { name: string; subs: Record<string, F> }): Condition<F> {
  switch (filter.type) {
    case 'and':
    case 'or':
      return { kind: filter.type, conditions: [convert(filter.left, mapping, inside), convert(filter.right, mapping, inside)] };
    case 'not':
      return { kind: 'not', condition: convert(filter.filter, mapping, inside) };
    case 'valuePath': {
      if (inside) invalid('a value filter cannot be nested in another');
      const { key } = keyOf(filter.path, mapping);
      const collection = mapping.collections[key];
      if (!collection) invalid(`${showPath(filter.path)} is not a multi-valued attribute that can be filtered on`);
      return { kind: 'some', collection: collection.collection, where: convert(filter.filter, mapping, { name: key, subs: collection.subs }) };
    }
    case 'present':
    case 'compare': {
      let field: F | undefined;
      if (inside) {
        if (filter.path.uri || filter.path.sub) invalid(`${showPath(filter.path)} is not a sub-attribute of ${inside.name}`);
        field = inside.subs[filter.path.attr.toLowerCase()];
        if (!field) invalid(`${inside.name}.${filter.path.attr} cannot be filtered on`);
      } else {
        const { key, attr, sub } = keyOf(filter.path, mapping);
        field = mapping.fields[key];
        const collection = mapping.collections[attr];
        if (!field && collection) {
          // `emails co "x"` means emails.value; `emails.type eq "work"` its type
          field = collection.subs[sub ?? 'value'];
        }
        if (!field) invalid(`${showPath(filter.path)} is not an attribute that can be filtered on`);
      }
      return filter.type === 'present' ? { kind: 'present', field: field! } : { kind: 'compare', field: field!, op: filter.op, value: filter.value };
    }
  }
}

function parsed(text: string): Filter {
  try {
    return parseFilter(text);
  } catch (err) {
    if (err instanceof FilterTooCostlyError) invalid(`The filter is refused by its ${err.limit} limit: ${err.message}`);
    if (err instanceof FilterSyntaxError) invalid(`The filter is not valid: ${err.message}`);
    throw err;
  }
}

export function userCondition(filter: string): Condition<MemberField> {
  return convert(parsed(filter), USER_MAPPING);
}

export function groupCondition(filter: string): Condition<TeamField> {
  return convert(parsed(filter), GROUP_MAPPING);
}

const USER_SORT: Record<string, MemberSortField> = {
  id: 'id', externalid: 'external_id', username: 'user_name', displayname: 'display_name', 'name.givenname': 'given_name', 'name.familyname': 'family_name',
  active: 'active', 'meta.created': 'created_at', 'meta.lastmodified': 'updated_at', emails: 'primary_email', 'emails.value': 'primary_email',
};
const GROUP_SORT: Record<string, TeamSortField> = { id: 'id', externalid: 'external_id', displayname: 'name', 'meta.created': 'created_at', 'meta.lastmodified': 'updated_at' };

function sortField<S extends string>(sortBy: string, table: Record<string, S>, coreUrn: string): S {
  let path: AttrPath;
  try {
    path = parseAttrPath(sortBy.trim());
  } catch {
    throw new ScimError(400, 'invalidValue', `sortBy ${JSON.stringify(sortBy)} is not an attribute path`);
  }
  if (path.uri && path.uri.toLowerCase() !== coreUrn) throw new ScimError(400, 'invalidValue', `sortBy ${JSON.stringify(sortBy)} is not an attribute that can be sorted on`);
  const key = `${path.attr}${path.sub ? `.${path.sub}` : ''}`.toLowerCase();
  const field = table[key];
  if (!field) throw new ScimError(400, 'invalidValue', `sortBy ${JSON.stringify(sortBy)} is not an attribute that can be sorted on (use one of: ${Object.keys(table).join(', ')})`);
  return field;
}

export const userSortField = (sortBy: string): MemberSortField => sortField(sortBy, USER_SORT, URN.user.toLowerCase());
export const groupSortField = (sortBy: string): TeamSortField => sortField(sortBy, GROUP_SORT, URN.group.toLowerCase());
