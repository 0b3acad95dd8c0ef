import type { ApiTokenRow } from '../domain/auth/api-tokens-store.js';
import type { ScimTokenRow } from '../domain/auth/scim-tokens-store.js';
import type { API_TOKEN_CREATE, API_TOKEN_LIST, SCIM_TOKEN_CREATE, SCIM_TOKEN_LIST, TOKEN_REVOKE } from './commands.js';
import { linksNote, print, required, type Runner, withServices } from './command.js';

/**
 * `rollcall api-token ...` and `rollcall scim-token ...`: tokens for the operator. A token is shown
 * once, when it is made; lists show its id, name and use, never the token.
 */

const iso = (date: Date | null): string | null => (date ? new Date(date).toISOString() : null);

const apiTokenJson = (t: ApiTokenRow) => ({ id: t.id, account_id: t.account_id, account_user_id: t.account_user_id, name: t.name, created_at: iso(t.created_at), last_used_at: iso(t.last_used_at) });
const scimTokenJson = (t: ScimTokenRow) => ({ id: t.id, account_id: t.account_id, name: t.name, created_at: iso(t.created_at), last_used_at: iso(t.last_used_at), expires_at: iso(t.expires_at) });

const used = (t: { last_used_at: Date | null }): string => (t.last_used_at ? `last used ${iso(t.last_used_at)}` : 'never used');

export const apiTokenCreate: Runner<typeof API_TOKEN_CREATE> = async (values, config) => {
  const accountUserId = required(values, 'account-user');
  const token = await withServices(config, (services) => services.apiTokens.createAsOperator(accountUserId, values.name));
  print(values.json, { token: token.token, id: token.id }, `API token ${token.id} (shown once): ${token.token}`);
};

export const apiTokenList: Runner<typeof API_TOKEN_LIST> = async (values, config) => {
  const accountId = required(values, 'account');
  const tokens = await withServices(config, (services) => services.apiTokens.listAsOperator(accountId, values['account-user']));
  print(
    values.json,
    { data: tokens.map(apiTokenJson) },
    tokens.length
      ? tokens.map((t) => `${t.id}  member ${t.account_user_id}  ${t.name ?? '(no name)'}  created ${iso(t.created_at)}  ${used(t)}`).join('\n')
      : 'No API tokens.',
  );
};

export const apiTokenRevoke: Runner<typeof TOKEN_REVOKE> = async (values, config) => {
  const id = required(values, 'id');
  const { accountId } = await withServices(config, (services) => services.apiTokens.revokeAsOperator(id));
  print(values.json, { revoked: { id, account_id: accountId } }, `API token ${id} of account ${accountId} revoked: it no longer works.`);
};

export const scimTokenCreate: Runner<typeof SCIM_TOKEN_CREATE> = async (values, config) => {
  const accountId = required(values, 'account');
  const { id, token } = await withServices(config, (services) => services.scimTokens.createAsOperator(accountId, values.name));
  const baseUrl = `${config.publicUrl}/scim/v2`;
  print(
    values.json,
    { token, base_url: baseUrl, id },
    `SCIM token ${id} (shown once): ${token}\nSCIM base URL: ${baseUrl}\n` +
      `In the identity provider: SCIM 2.0, authentication "HTTP Header" / "Secret Token", value: the token above.${linksNote(config)}`,
  );
};

export const scimTokenList: Runner<typeof SCIM_TOKEN_LIST> = async (values, config) => {
  const accountId = required(values, 'account');
  const tokens = await withServices(config, (services) => services.scimTokens.listAsOperator(accountId));
  print(
    values.json,
    { data: tokens.map(scimTokenJson) },
    tokens.length
      ? tokens.map((t) => `${t.id}  ${t.name ?? '(no name)'}  created ${iso(t.created_at)}  ${used(t)}  ${t.expires_at ? `expires ${iso(t.expires_at)}` : 'never expires'}`).join('\n')
      : 'No SCIM tokens.',
  );
};

export const scimTokenRevoke: Runner<typeof TOKEN_REVOKE> = async (values, config) => {
  const id = required(values, 'id');
  const { accountId } = await withServices(config, (services) => services.scimTokens.revokeAsOperator(id));
  print(values.json, { revoked: { id, account_id: accountId } }, `SCIM token ${id} of account ${accountId} revoked: the identity provider using it is refused from now on.`);
};
