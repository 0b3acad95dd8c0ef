import type { Queryable } from '../../db/database.js';
import type { Role } from '../context.js';
import { effectiveRolesSql } from '../roles/role-mappings-store.js';

/** The only place that runs SQL for sign-in lookups: credentials, memberships with their account's SSO policy. */

export interface Credentials {
  user_id: string;
  password_hash: string | null;
}

/** A membership as sign-in sees it: who, where, which roles, and whether the account enforces SSO. */
export interface SignInMembership {
  account_user_id: string;
  account_id: string;
  account_name: string;
  user_id: string;
  roles: Role[];
  active: boolean;
  sso_enforced: boolean;
}

const MEMBERSHIP_SELECT = [
  'au.id as account_user_id', 'au.account_id', 'a.name as account_name', 'au.user_id', 'au.active', 'a.sso_enforced',
] as const;

function memberships(q: Queryable) {
  // Effective roles: those on the membership and those its groups grant (role mappings).
  return q('account_users as au').join('accounts as a', 'a.id', 'au.account_id').select(MEMBERSHIP_SELECT).select(q.raw(`${effectiveRolesSql('au')} as roles`));
}

/** The person signing in with this name: their user name first, else one of their emails (without case). */
export async function findCredentialsByLogin(q: Queryable, login: string): Promise<Credentials | undefined> {
  const lowered = login.toLowerCase();
  const byName = (await q('users').whereRaw('lower(user_name) = ?', [lowered]).first('id as user_id', 'password_hash')) as Credentials | undefined;
  if (byName) return byName;
  return (await q('users as u')
    .join('user_emails as e', 'e.user_id', 'u.id')
    .whereRaw('lower(e.email) = ?', [lowered])
    .first('u.id as user_id', 'u.password_hash')) as Credentials | undefined;
}

export async function findUserIdByEmail(q: Queryable, email: string): Promise<string | undefined> {
  const row = (await q('user_emails').whereRaw('lower(email) = ?', [email.toLowerCase()]).first('user_id')) as { user_id: string } | undefined;
  return row?.user_id;
}

export async function listMembershipsOfUser(q: Queryable, userId: string): Promise<SignInMembership[]> {
  return (await memberships(q).where('au.user_id', userId).orderBy('a.name').orderBy('a.id')) as SignInMembership[];
}

export async function findSignInMembership(q: Queryable, accountUserId: string): Promise<SignInMembership | undefined> {
  return (await memberships(q).where('au.id', accountUserId).first()) as SignInMembership | undefined;
}

/** The member of this account whose user name or one of whose emails is `nameId` (without case). */
export async function findMemberByNameId(q: Queryable, accountId: string, nameId: string): Promise<SignInMembership | undefined> {
  const lowered = nameId.toLowerCase();
  return (await memberships(q)
    .join('users as u', 'u.id', 'au.user_id')
    .where('au.account_id', accountId)
    .andWhere((w) =>
      w.whereRaw('lower(u.user_name) = ?', [lowered]).orWhereExists((sub) =>
        sub.select(q.raw('1')).from('user_emails as e').whereRaw('e.user_id = u.id').andWhereRaw('lower(e.email) = ?', [lowered]),
      ),
    )
    .first()) as SignInMembership | undefined;
}

export async function touchLastSignIn(q: Queryable, userId: string): Promise<void> {
  await q('users').where({ id: userId }).update({ last_sign_in_at: q.fn.now() });
}
