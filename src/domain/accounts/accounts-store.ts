import type { Queryable } from '../../db/database.js';

/** The only place that runs SQL on accounts. */

export interface AccountRow {
  id: string;
  name: string;
  owner_account_user_id: string | null;
  created_at: Date;
  updated_at: Date;
}

export async function insertAccount(q: Queryable, row: Pick<AccountRow, 'id' | 'name'>): Promise<void> {
  await q('accounts').insert(row);
}

export async function setAccountOwner(q: Queryable, accountId: string, accountUserId: string): Promise<void> {
  await q('accounts').where({ id: accountId }).update({ owner_account_user_id: accountUserId, updated_at: q.fn.now() });
}

export async function findAccount(q: Queryable, id: string): Promise<AccountRow | undefined> {
  return (await q('accounts').where({ id }).first()) as AccountRow | undefined;
}

/**
 * Locks the account row: serialises ownership changes and owner checks. FOR NO KEY UPDATE, not FOR
 * UPDATE: every insert that references the account (an audit event, a schedule) takes a KEY SHARE
 * lock on this row, which FOR UPDATE would block, deadlocking a member delete against any change
 * that holds that member's row and then writes its audit event.
 */
export async function lockAccount(q: Queryable, id: string): Promise<AccountRow | undefined> {
  return (await q('accounts').where({ id }).forNoKeyUpdate().first()) as AccountRow | undefined;
}

export async function countAccounts(q: Queryable): Promise<number> {
  const [{ count }] = await q('accounts').count<{ count: number }[]>('* as count');
  return Number(count);
}

/** Whether this membership owns its account: one primary-key read, for the owner's rules (owner-rules.ts). */
export async function isAccountOwner(q: Queryable, accountId: string, accountUserId: string): Promise<boolean> {
  const row = (await q('accounts').where({ id: accountId, owner_account_user_id: accountUserId }).first('id')) as { id: string } | undefined;
  return row !== undefined;
}

/** Whether the account enforces SSO (only its admins may use a password). */
export async function accountEnforcesSso(q: Queryable, id: string): Promise<boolean> {
  const row = (await q('accounts').where({ id }).first('sso_enforced')) as { sso_enforced: boolean } | undefined;
  return row?.sso_enforced === true;
}
