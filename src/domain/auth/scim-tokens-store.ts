import type { Queryable } from '../../db/database.js';
import { SCIM_TOKENS_CHANGED } from './scim-token-cache.js';

/** The only place that runs SQL on scim_tokens. */

export interface ScimTokenRow {
  id: string;
  account_id: string;
  name: string | null;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
  /** When it stops working (migration 022); null: never. */
  expires_at: Date | null;
}

const COLUMNS = ['id', 'account_id', 'name', 'created_at', 'last_used_at', 'revoked_at', 'expires_at'] as const;

export async function insertScimToken(q: Queryable, row: Pick<ScimTokenRow, 'id' | 'account_id' | 'name' | 'expires_at'> & { token_hash: string }): Promise<void> {
  await q('scim_tokens').insert(row);
}

export async function findScimToken(q: Queryable, accountId: string, id: string): Promise<ScimTokenRow | undefined> {
  return (await q('scim_tokens').where({ account_id: accountId, id }).first(COLUMNS)) as ScimTokenRow | undefined;
}

/**
 * The unrevoked, unexpired token with this hash, its use recorded at most once a minute (so that a busy IdP
 * does not write on every request). One statement, so one round trip per authenticated request:
 * a data-modifying WITH runs whether or not the outer select reads it, atomically with it.
 */
export async function useScimToken(q: Queryable, tokenHash: string): Promise<ScimTokenRow | undefined> {
  const result = (await q.raw(
    `with found as (
       select ${COLUMNS.join(', ')} from scim_tokens where token_hash = ? and revoked_at is null and (expires_at is null or expires_at > now()) limit 1
     ), touched as (
       update scim_tokens t set last_used_at = now() from found
       where t.id = found.id and (found.last_used_at is null or found.last_used_at < now() - interval '1 minute')
     )
     select * from found`,
    [tokenHash],
  )) as { rows: ScimTokenRow[] };
  return result.rows[0];
}

/** The account's unrevoked tokens, oldest first; expired ones too (they stay listed until revoked). */
export async function listScimTokens(q: Queryable, accountId: string): Promise<ScimTokenRow[]> {
  return (await q('scim_tokens').where({ account_id: accountId }).whereNull('revoked_at').orderBy([{ column: 'created_at' }, { column: 'id' }]).select(COLUMNS)) as ScimTokenRow[];
}

/**
 * Answers the revoked token, or undefined when there is no such unrevoked token in the account.
 * Every instance's token cache hears of it when the transaction commits (a notification).
 */
export async function revokeScimToken(q: Queryable, accountId: string, id: string): Promise<ScimTokenRow | undefined> {
  const [row] = (await q('scim_tokens').where({ account_id: accountId, id }).whereNull('revoked_at').update({ revoked_at: q.fn.now() }).returning(COLUMNS)) as ScimTokenRow[];
  if (row) await q.raw('select pg_notify(?, ?)', [SCIM_TOKENS_CHANGED, row.id]);
  return row;
}

/** The account a token (by its id, not its secret) belongs to. */
export async function findScimTokenAccountId(q: Queryable, id: string): Promise<string | undefined> {
  const row = (await q('scim_tokens').where({ id }).first('account_id')) as { account_id: string } | undefined;
  return row?.account_id;
}
