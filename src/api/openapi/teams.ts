import { listOf, operation, pageParameters } from './components.js';
import { arrayOf, constant, id, integer, json, jsonBody, nullable, object, pathId, ref, string, time } from './schema.js';
import type { Paths, Schema } from './types.js';

/** /teams: named groups of members; a team's name may be mapped to roles (role mappings). */

const team: Schema = object({
  id: id('tem'),
  object: constant('team'),
  name: string('Unique in the account, whatever its case.'),
  description: nullable(string()),
  external_id: nullable(string('The IdP\'s id for the group (SCIM externalId).')),
  member_ids: arrayOf(id('au'), 'Account user ids.'),
  version: integer(),
  created_at: time(),
  updated_at: time(),
});

const teamInput: Schema = {
  type: 'object',
  properties: {
    name: string(),
    description: nullable(string()),
    external_id: nullable(string()),
    member_ids: arrayOf(string(), 'Account user ids of this account; replaces the member list.'),
  },
};

export const teamSchemas: Record<string, Schema> = { Team: team, TeamInput: teamInput };

const teamId = pathId('tem', 'A team id (`tem_…`).');

export const teamPaths: Paths = {
  '/teams': {
    get: operation({
      operationId: 'listTeams',
      summary: 'List teams',
      tags: ['Teams'],
      parameters: pageParameters,
      responses: { '200': json('A page of teams, oldest first.', listOf('Team')) },
      errors: [],
    }),
    post: operation({
      operationId: 'createTeam',
      summary: 'Create a team (admins)',
      tags: ['Teams'],
      requestBody: jsonBody({ ...teamInput, required: ['name'] }),
      responses: { '201': json('The new team.', ref('Team')) },
      errors: ['Forbidden', 'Conflict'],
    }),
  },
  '/teams/{id}': {
    parameters: [teamId],
    get: operation({ operationId: 'getTeam', summary: 'One team', tags: ['Teams'], responses: { '200': json('The team.', ref('Team')) }, errors: ['NotFound'] }),
    put: operation({
      operationId: 'replaceTeam',
      summary: 'Change a team (admins)',
      tags: ['Teams'],
      requestBody: jsonBody(ref('TeamInput')),
      responses: { '200': json('The team as changed.', ref('Team')) },
      errors: ['Forbidden', 'NotFound', 'Conflict'],
    }),
    patch: operation({
      operationId: 'updateTeam',
      summary: 'Change a team (admins; same as PUT)',
      tags: ['Teams'],
      requestBody: jsonBody(ref('TeamInput')),
      responses: { '200': json('The team as changed.', ref('Team')) },
      errors: ['Forbidden', 'NotFound', 'Conflict'],
    }),
    delete: operation({
      operationId: 'deleteTeam',
      summary: 'Delete a team (admins)',
      description: 'A team that a schedule names answers 409 naming the schedule.',
      tags: ['Teams'],
      responses: { '204': { description: 'Deleted.' } },
      errors: ['Forbidden', 'NotFound', 'Conflict'],
    }),
  },
};
