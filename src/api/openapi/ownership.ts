import { operation } from './components.js';
import { json, jsonBody, ref, string } from './schema.js';
import type { Paths } from './types.js';

/** POST /account/transfer_ownership: the owner hands the account to another active admin. */

export const ownershipPaths: Paths = {
  '/account/transfer_ownership': {
    post: operation({
      operationId: 'transferOwnership',
      summary: 'Hand the account to another active admin (the owner only)',
      description: 'The owner\'s admin role and active flag change only this way.',
      tags: ['Account'],
      requestBody: jsonBody({ type: 'object', properties: { account_user_id: string('The new owner (`au_…`).') }, required: ['account_user_id'] }),
      responses: { '200': json('The account with its new owner.', ref('Account')) },
      errors: ['Forbidden', 'Conflict'],
    }),
  },
};
