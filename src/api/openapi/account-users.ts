import { ROLES } from '../../domain/context.js';
import { listOf, operation, pageParameters } from './components.js';
import { arrayOf, boolean, id, integer, json, jsonBody, nullable, object, oneOfStrings, pathId, ref, string, time } from './schema.js';
import type { Paths, Schema } from './types.js';

/** /account_users: a person's membership in the account, with the person nested in it. */

const roleFlags: Schema = object(Object.fromEntries(ROLES.map((role) => [role, boolean()])), {
  description: 'Every role, true when held (directly or through a group).',
});

const roleSource: Schema = {
  description: '`{"role", "source": "direct"}`, or `{"role", "source": "group", "team_id", "group"}` for a role a mapped group grants.',
  oneOf: [
    object({ role: oneOfStrings(ROLES), source: { type: 'string', const: 'direct' } }),
    object({ role: oneOfStrings(ROLES), source: { type: 'string', const: 'group' }, team_id: id('tem'), group: string('The team (group) name.') }),
  ],
};

const accountUser: Schema = object({
  id: id('au'),
  object: { type: 'string', const: 'account_user' },
  account_id: id('acc'),
  user_id: id('usr'),
  roles: ref('RoleFlags'),
  role_sources: arrayOf(ref('RoleSource'), 'Where each role comes from, by role.'),
  active: boolean('False: deactivated, no access at all.'),
  invited: boolean('An invitation not yet accepted.'),
  external_id: nullable(string('The IdP\'s id for the member (SCIM externalId).')),
  member_team_ids: arrayOf(id('tem')),
  version: integer('Grows with every change of the membership.'),
  user: ref('Person'),
  created_at: time(),
  updated_at: time(),
});

const membershipInput: Record<string, Schema> = {
  user_attributes: ref('ProfileInput'),
  roles: {
    type: 'object',
    description: 'Grants (true) and takes (false) the roles named; the others stay. An unknown role is 422.',
    properties: Object.fromEntries(ROLES.map((role) => [role, boolean()])),
  },
  member_team_ids: arrayOf(string(), 'Replaces the member\'s teams (ids of this account\'s teams).'),
  active: boolean(),
  external_id: nullable(string()),
};

export const accountUserSchemas: Record<string, Schema> = {
  RoleFlags: roleFlags,
  RoleSource: roleSource,
  AccountUser: accountUser,
  AccountUserCreate: { type: 'object', properties: membershipInput, required: ['user_attributes'], description: '`user_attributes` needs at least one email (`emails_attributes`); without `name` the name shown is the user name.' },
  AccountUserUpdate: { type: 'object', properties: membershipInput, description: 'A profile change from an account that does not manage the person is 403.' },
};

export const accountUserId = pathId('au', 'An account user id (`au_…`).');

export const accountUserPaths: Paths = {
  '/account_users': {
    get: operation({
      operationId: 'listAccountUsers',
      summary: 'List the account\'s members',
      tags: ['Account users'],
      parameters: pageParameters,
      responses: { '200': json('A page of members, oldest first.', listOf('AccountUser')) },
      errors: [],
    }),
    post: operation({
      operationId: 'createAccountUser',
      summary: 'Add a person to the account (admins)',
      description: 'An email or user name that already belongs to a person never makes a second user: a person this account manages (or at a domain it verified) is added as they are; anyone else is invited (`invited: true`).',
      tags: ['Account users'],
      requestBody: jsonBody(ref('AccountUserCreate')),
      responses: { '201': json('The new membership.', ref('AccountUser')) },
      errors: ['Forbidden', 'Conflict'],
    }),
  },
  '/account_users/{id}': {
    parameters: [accountUserId],
    get: operation({
      operationId: 'getAccountUser',
      summary: 'One member',
      tags: ['Account users'],
      responses: { '200': json('The member.', ref('AccountUser')) },
      errors: ['NotFound'],
    }),
    put: operation({
      operationId: 'replaceAccountUser',
      summary: 'Change a member',
      tags: ['Account users'],
      requestBody: jsonBody(ref('AccountUserUpdate')),
      responses: { '200': json('The member as changed.', ref('AccountUser')) },
      errors: ['Forbidden', 'NotFound', 'Conflict'],
    }),
    patch: operation({
      operationId: 'updateAccountUser',
      summary: 'Change a member (same as PUT)',
      tags: ['Account users'],
      requestBody: jsonBody(ref('AccountUserUpdate')),
      responses: { '200': json('The member as changed.', ref('AccountUser')) },
      errors: ['Forbidden', 'NotFound', 'Conflict'],
    }),
    delete: operation({
      operationId: 'deleteAccountUser',
      summary: 'Remove a member from the account (admins)',
      description: 'The person stays for their other accounts. The owner cannot be removed (409), nor a member still on a schedule (409 naming it).',
      tags: ['Account users'],
      responses: { '204': { description: 'Removed.' } },
      errors: ['Forbidden', 'NotFound', 'Conflict'],
    }),
  },
};
