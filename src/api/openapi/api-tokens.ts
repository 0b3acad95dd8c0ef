import { listOf, operation } from './components.js';
import { accountUserId } from './account-users.js';
import { id, json, jsonBody, nullable, object, pathId, ref, string, time } from './schema.js';
import type { Paths, Schema } from './types.js';

/** A member's API tokens: minted by the member, listed without secrets, revoked by the member or an admin. */

const apiToken: Schema = object({
  id: id('tok'),
  object: { type: 'string', const: 'api_token' },
  account_user_id: id('au'),
  name: nullable(string()),
  created_at: time(),
  last_used_at: nullable(time()),
});

const newApiToken: Schema = object(
  {
    id: id('tok'),
    object: { type: 'string', const: 'api_token' },
    account_user_id: id('au'),
    token: { type: 'string', pattern: '^rc_api_', description: 'The secret, shown this once: send it as `Authorization: Bearer <token>`.' },
  },
  { description: 'A new API token with its secret.' },
);

export const apiTokenSchemas: Record<string, Schema> = { ApiToken: apiToken, NewApiToken: newApiToken };

export const apiTokenPaths: Paths = {
  '/account_users/{id}/api_tokens': {
    parameters: [accountUserId],
    get: operation({
      operationId: 'listApiTokens',
      summary: 'A member\'s API tokens, without secrets (the member, or an admin)',
      tags: ['API tokens'],
      responses: { '200': json('All of the member\'s tokens (one page).', listOf('ApiToken')) },
      errors: ['Forbidden', 'NotFound'],
    }),
    post: operation({
      operationId: 'createApiToken',
      summary: 'Mint an API token (the member themself only)',
      description: 'Anyone else, an admin included, gets 403: a token acts as its member. The operator can with `rollcall api-token create`.',
      tags: ['API tokens'],
      requestBody: jsonBody({ type: 'object', properties: { name: string('A label for the token.') } }, { required: false }),
      responses: { '201': json('The token, shown once.', ref('NewApiToken')) },
      errors: ['Forbidden', 'NotFound'],
    }),
  },
  '/api_tokens/{id}': {
    parameters: [pathId('tok', 'An API token id (`tok_…`).')],
    delete: operation({
      operationId: 'revokeApiToken',
      summary: 'Revoke an API token at once (its member, or an admin)',
      tags: ['API tokens'],
      responses: { '204': { description: 'Revoked.' } },
      errors: ['Forbidden', 'NotFound'],
    }),
  },
};
