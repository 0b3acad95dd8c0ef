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

/** An account as the operator lists it (rollcall account list). */
export interface AccountSummary {
  id: string;
  name: string;
  owner_account_user_id: string | null;
  /** The owner's primary email. */
  owner_email: string | null;
  /** Memberships, invitations not accepted yet left out. */
  members: number;
  created_at: Date;
}

/** Every account, oldest first, for the operator. */
export async function listAccountSummaries(q: Queryable): Promise<AccountSummary[]> {
  const rows = (await q('accounts as a')
    .select(
      'a.id',
      'a.name',
      'a.owner_account_user_id',
      'a.created_at',
      q.raw(`(select e.email from account_users o join user_emails e on e.user_id = o.user_id and e."primary" where o.id = a.owner_account_user_id) as owner_email`),
      q.raw('(select count(*) from account_users m where m.account_id = a.id and m.invited_user_id is null) as members'),
    )
    .orderBy([{ column: 'a.created_at' }, { column: 'a.id' }])) as AccountSummary[];
  return rows.map((r) => ({ ...r, members: Number(r.members) }));
}

/**
 * The account's member (not an invitation) whose person has this email, for naming a new owner by
 * email. Reads account_users and user_emails here because only ownership needs this lookup.
 */
export async function findMemberIdByEmail(q: Queryable, accountId: string, email: string): Promise<string | undefined> {
  const row = (await q('account_users as au')
    .join('user_emails as e', 'e.user_id', 'au.user_id')
    .where('au.account_id', accountId)
    .whereNull('au.invited_user_id')
    .whereRaw('lower(e.email) = lower(?)', [email])
    .first('au.id')) as { id: string } | undefined;
  return row?.id;
}
