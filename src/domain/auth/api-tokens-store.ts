import type { Queryable } from '../../db/database.js';
import type { Role } from '../context.js';
import { effectiveRolesSql } from '../roles/role-mappings-store.js';

/** The only place that runs SQL on api_tokens. */

export interface ApiTokenRow {
  id: string;
  account_id: string;
  account_user_id: string;
  name: string | null;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export interface TokenHolder {
  token_id: string;
  account_id: string;
  account_user_id: string;
  user_id: string;
  roles: Role[];
  active: boolean;
}

export async function insertApiToken(q: Queryable, row: Pick<ApiTokenRow, 'id' | 'account_id' | 'account_user_id' | 'name'> & { token_hash: string }): Promise<void> {
  await q('api_tokens').insert(row);
}

/** The membership behind an unrevoked token, with its current effective roles (direct and granted by groups) and status. */
export async function findTokenHolder(q: Queryable, tokenHash: string): Promise<TokenHolder | undefined> {
  return (await q('api_tokens as t')
    .join('account_users as au', 'au.id', 't.account_user_id')
    .where('t.token_hash', tokenHash)
    .whereNull('t.revoked_at')
    // an invited membership is no one to act as (its copy is not a person)
    .whereNull('au.invited_user_id')
    .select('t.id as token_id', 't.account_id', 't.account_user_id', 'au.user_id', q.raw(`${effectiveRolesSql('au')} as roles`), 'au.active')
    .first()) as TokenHolder | undefined;
}

/** Records use at most once a minute, so that a busy token does not write on every request. */
export async function touchApiToken(q: Queryable, id: string): Promise<void> {
  await q('api_tokens')
    .where({ id })
    .andWhere((w) => w.whereNull('last_used_at').orWhere('last_used_at', '<', q.raw("now() - interval '1 minute'")))
    .update({ last_used_at: q.fn.now() });
}

export async function listApiTokens(q: Queryable, accountId: string, accountUserId: string): Promise<ApiTokenRow[]> {
  return (await q('api_tokens')
    .where({ account_id: accountId, account_user_id: accountUserId })
    .whereNull('revoked_at')
    .orderBy('created_at')
    .select('id', 'account_id', 'account_user_id', 'name', 'created_at', 'last_used_at', 'revoked_at')) as ApiTokenRow[];
}

export async function revokeApiToken(q: Queryable, accountId: string, id: string): Promise<ApiTokenRow | undefined> {
  const [row] = (await q('api_tokens').where({ account_id: accountId, id }).whereNull('revoked_at').update({ revoked_at: q.fn.now() }).returning(['id', 'account_user_id'])) as ApiTokenRow[];
  return row;
}

/** The account's unrevoked tokens (or one member's), oldest first: for the operator. */
export async function listAccountApiTokens(q: Queryable, accountId: string, accountUserId?: string): Promise<ApiTokenRow[]> {
  const query = q('api_tokens').where({ account_id: accountId }).whereNull('revoked_at');
  if (accountUserId !== undefined) query.andWhere({ account_user_id: accountUserId });
  return (await query
    .orderBy([{ column: 'created_at' }, { column: 'id' }])
    .select('id', 'account_id', 'account_user_id', 'name', 'created_at', 'last_used_at', 'revoked_at')) as ApiTokenRow[];
}

/** The account a token (by its id, not its secret) belongs to. */
export async function findApiTokenAccountId(q: Queryable, id: string): Promise<string | undefined> {
  const row = (await q('api_tokens').where({ id }).first('account_id')) as { account_id: string } | undefined;
  return row?.account_id;
}
