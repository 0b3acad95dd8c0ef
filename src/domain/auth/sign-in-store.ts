import type { Queryable } from '../../db/database.js';
import type { Role } from '../context.js';
import { effectiveRolesSql } from '../roles/role-mappings-store.js';

/**
 * The only place that runs SQL for sign-in lookups: credentials, memberships with their account's
 * SSO policy. An invitation's copy of a person (users.is_invitation, user_emails.of_invitation,
 * migration 014) is never found by a sign-in, and an invited membership (invited_user_id set)
 * is never one to sign in to: every lookup here leaves them out, so that they answer as an unknown
 * user or a non-member do.
 */

export interface Credentials {
  user_id: string;
  password_hash: string | null;
  /** The account whose admin or IdP set the password; null when the person or the operator did (migration 016). */
  password_set_by_account_id: string | null;
}

const CREDENTIAL_COLUMNS = ['u.id as user_id', 'u.password_hash', 'u.password_set_by_account_id'] as const;

/** A membership as sign-in sees it: who, where, which roles, and whether the account enforces SSO. */
export interface SignInMembership {
  account_user_id: string;
  account_id: string;
  account_name: string;
  user_id: string;
  roles: Role[];
  active: boolean;
  sso_enforced: boolean;
  /** Set by the last deactivation (migration 016): a JWT issued before it is refused. */
  credentials_not_before: Date | null;
}

const MEMBERSHIP_SELECT = [
  'au.id as account_user_id', 'au.account_id', 'a.name as account_name', 'au.user_id', 'au.active', 'a.sso_enforced', 'au.credentials_not_before',
] as const;

function memberships(q: Queryable) {
  // Effective roles: those on the membership and those its groups grant (role mappings).
  return q('account_users as au')
    .join('accounts as a', 'a.id', 'au.account_id')
    .whereNull('au.invited_user_id')
    .select(MEMBERSHIP_SELECT)
    .select(q.raw(`${effectiveRolesSql('au')} as roles`));
}

/** The person signing in with this name: their user name first, else one of their emails (without case). */
export async function findCredentialsByLogin(q: Queryable, login: string): Promise<Credentials | undefined> {
  const lowered = login.toLowerCase();
  const byName = (await q('users as u').whereRaw('lower(u.user_name) = ?', [lowered]).andWhere('u.is_invitation', false).first(CREDENTIAL_COLUMNS)) as Credentials | undefined;
  if (byName) return byName;
  return (await q('users as u')
    .join('user_emails as e', 'e.user_id', 'u.id')
    .whereRaw('lower(e.email) = ?', [lowered])
    .andWhere('e.of_invitation', false)
    .andWhere('u.is_invitation', false)
    .first(CREDENTIAL_COLUMNS)) as Credentials | undefined;
}

/** The person (never an invitation's copy) with this email. */
export async function findUserIdByEmail(q: Queryable, email: string): Promise<string | undefined> {
  const row = (await q('user_emails').whereRaw('lower(email) = ?', [email.toLowerCase()]).andWhere('of_invitation', false).first('user_id')) as { user_id: string } | undefined;
  return row?.user_id;
}

/** The person (never an invitation's copy) whose user name or one of whose emails is this, without case. */
export async function findPersonIdByLogin(q: Queryable, login: string): Promise<string | undefined> {
  return (await findCredentialsByLogin(q, login))?.user_id;
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
    .andWhere('u.is_invitation', false)
    .andWhere((w) =>
      w.whereRaw('lower(u.user_name) = ?', [lowered]).orWhereExists((sub) =>
        sub.select(q.raw('1')).from('user_emails as e').whereRaw('e.user_id = u.id').andWhereRaw('lower(e.email) = ?', [lowered]).andWhere('e.of_invitation', false),
      ),
    )
    .first()) as SignInMembership | undefined;
}

/** Answers the sign-in's time on the database's clock (the clock credentials_not_before is on). */
export async function touchLastSignIn(q: Queryable, userId: string): Promise<Date> {
  const [row] = (await q('users').where({ id: userId }).update({ last_sign_in_at: q.fn.now() }).returning('last_sign_in_at')) as { last_sign_in_at: Date }[];
  return new Date(row.last_sign_in_at);
}
