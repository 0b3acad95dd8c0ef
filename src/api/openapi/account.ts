import { operation } from './components.js';
import { constant, id, json, object, ref, string, time } from './schema.js';
import type { Paths, Schema } from './types.js';

/** GET /account: the account the credential belongs to. */

export const accountSchemas: Record<string, Schema> = {
  Account: object({
    id: id('acc'),
    object: constant('account'),
    name: string(),
    owner_account_user_id: id('au', 'The owner: an active admin, changed only by a transfer of ownership.'),
    created_at: time(),
    updated_at: time(),
  }),
};

export const accountPaths: Paths = {
  '/account': {
    get: operation({ operationId: 'getAccount', summary: 'The account: id, name, owner', tags: ['Account'], responses: { '200': json('The account.', ref('Account')) }, errors: [] }),
  },
};
