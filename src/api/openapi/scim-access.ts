import { MAX_TOKEN_DAYS } from '../../domain/auth/scim-tokens-service.js';
import { ROLES } from '../../domain/context.js';
import { listOf, operation } from './components.js';
import { arrayOf, constant, id, integer, json, jsonBody, nullable, object, oneOfStrings, pathId, ref, string, time } from './schema.js';
import type { Paths, Schema } from './types.js';

/** What an admin sets up for provisioning: the account's SCIM tokens, and groups that grant roles. */

const scimTokenProperties: Record<string, Schema> = {
  id: id('stok'),
  object: constant('scim_token'),
  name: nullable(string()),
  created_at: time(),
  last_used_at: nullable(time()),
  expires_at: nullable(time('When it stops working; null: never.')),
};

const roleMapping: Schema = object({
  id: id('rmp'),
  object: constant('role_mapping'),
  group: string('A group (team) display name, matched without regard to case.'),
  roles: arrayOf(oneOfStrings(ROLES)),
  team: nullable(object({ id: id('tem'), name: string(), member_count: integer() }, { description: 'The team of that name, when there is one.' })),
  created_at: time(),
  updated_at: time(),
});

const roleMappingInput: Schema = {
  type: 'object',
  properties: { group: string('The group\'s display name.'), roles: arrayOf(oneOfStrings(ROLES), 'Replaces the roles the group grants.') },
};

export const scimAccessSchemas: Record<string, Schema> = {
  ScimToken: object(scimTokenProperties),
  NewScimToken: object(
    {
      ...scimTokenProperties,
      token: { type: 'string', pattern: '^rc_scim_', description: 'The secret, shown this once.' },
      base_url: string('The SCIM base URL, from the host this request reached.'),
    },
    { description: 'A new SCIM token with its secret.' },
  ),
  RoleMapping: roleMapping,
  RoleMappingInput: roleMappingInput,
};

const mappingId = pathId('rmp', 'A role mapping id (`rmp_…`).');

export const scimAccessPaths: Paths = {
  '/scim_tokens': {
    get: operation({
      operationId: 'listScimTokens',
      summary: 'The account\'s SCIM tokens, without secrets (admins)',
      tags: ['SCIM setup'],
      responses: { '200': json('All of them (one page).', listOf('ScimToken')) },
      errors: ['Forbidden'],
    }),
    post: operation({
      operationId: 'createScimToken',
      summary: 'Make a SCIM token for an identity provider (admins)',
      tags: ['SCIM setup'],
      requestBody: jsonBody(
        {
          type: 'object',
          description: 'Without expires_at or expires_in_days the token never expires; not both.',
          properties: {
            name: string('A label, e.g. `Okta`.'),
            expires_at: string(`ISO 8601 date or time in the future, at most ${MAX_TOKEN_DAYS} days away.`),
            expires_in_days: { type: ['integer', 'string'], description: `Whole days from 1 to ${MAX_TOKEN_DAYS} (a string of digits too).` },
          },
        },
        { required: false },
      ),
      responses: { '201': json('The token, shown once, and where to use it.', ref('NewScimToken')) },
      errors: ['Forbidden'],
    }),
  },
  '/scim_tokens/{id}': {
    parameters: [pathId('stok', 'A SCIM token id (`stok_…`).')],
    delete: operation({
      operationId: 'revokeScimToken',
      summary: 'Revoke a SCIM token (admins): 401 at /scim/v2 from then on',
      tags: ['SCIM setup'],
      responses: { '204': { description: 'Revoked.' } },
      errors: ['Forbidden', 'NotFound'],
    }),
  },
  '/role_mappings': {
    get: operation({
      operationId: 'listRoleMappings',
      summary: 'Groups that grant roles (admins)',
      tags: ['SCIM setup'],
      responses: { '200': json('All of them (one page).', listOf('RoleMapping')) },
      errors: ['Forbidden'],
    }),
    post: operation({
      operationId: 'setRoleMapping',
      summary: 'Map a group to roles (admins): creates the mapping, or replaces its roles',
      tags: ['SCIM setup'],
      requestBody: jsonBody({ ...roleMappingInput, required: ['group', 'roles'] }),
      responses: { '201': json('A new mapping.', ref('RoleMapping')), '200': json('The group was mapped already: its roles replaced.', ref('RoleMapping')) },
      errors: ['Forbidden'],
    }),
  },
  '/role_mappings/{id}': {
    parameters: [mappingId],
    get: operation({ operationId: 'getRoleMapping', summary: 'One mapping (admins)', tags: ['SCIM setup'], responses: { '200': json('The mapping.', ref('RoleMapping')) }, errors: ['Forbidden', 'NotFound'] }),
    put: operation({
      operationId: 'replaceRoleMapping',
      summary: 'Change a mapping (admins)',
      tags: ['SCIM setup'],
      requestBody: jsonBody(ref('RoleMappingInput')),
      responses: { '200': json('The mapping as changed.', ref('RoleMapping')) },
      errors: ['Forbidden', 'NotFound', 'Conflict'],
    }),
    patch: operation({
      operationId: 'updateRoleMapping',
      summary: 'Change a mapping (admins; same as PUT)',
      tags: ['SCIM setup'],
      requestBody: jsonBody(ref('RoleMappingInput')),
      responses: { '200': json('The mapping as changed.', ref('RoleMapping')) },
      errors: ['Forbidden', 'NotFound', 'Conflict'],
    }),
    delete: operation({
      operationId: 'deleteRoleMapping',
      summary: 'Delete a mapping (admins): its members lose those roles at once',
      tags: ['SCIM setup'],
      responses: { '204': { description: 'Deleted.' } },
      errors: ['Forbidden', 'NotFound'],
    }),
  },
};
