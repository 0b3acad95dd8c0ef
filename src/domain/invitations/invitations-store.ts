import type { Queryable } from '../../db/database.js';

/** The only place that runs SQL on invitations: memberships whose invited_user_id is set (migration 014). */

/** A pending invitation as the invited person (and the operator) sees it. */
export interface InvitationRow {
  id: string;
  account_id: string;
  account_name: string;
  /** The person invited. */
  invited_user_id: string;
  /** The invitation's copy (the membership's user row until it is accepted). */
  copy_user_id: string;
  /** What the inviting account sent as the user name. */
  user_name: string;
  invited_at: Date;
}

function invitations(q: Queryable) {
  return q('account_users as au')
    .join('accounts as a', 'a.id', 'au.account_id')
    .join('users as c', 'c.id', 'au.user_id')
    .whereNotNull('au.invited_user_id')
    .select('au.id', 'au.account_id', 'a.name as account_name', 'au.invited_user_id', 'au.user_id as copy_user_id', 'c.user_name', 'au.invited_at')
    .orderBy([{ column: 'au.invited_at' }, { column: 'au.id' }]);
}

export async function listInvitationsOfPerson(q: Queryable, userId: string): Promise<InvitationRow[]> {
  return (await invitations(q).where('au.invited_user_id', userId)) as InvitationRow[];
}

/** Pending invitations, of one account and/or of the person with this email, for the operator. */
export async function listInvitations(q: Queryable, filter: { accountId?: string; email?: string }): Promise<InvitationRow[]> {
  const query = invitations(q);
  if (filter.accountId) query.where('au.account_id', filter.accountId);
  if (filter.email) {
    query.whereExists((sub) => sub.select(q.raw('1')).from('user_emails as e').whereRaw('e.user_id = au.invited_user_id').whereRaw('lower(e.email) = ?', [filter.email!.toLowerCase()]).where('e.of_invitation', false));
  }
  return (await query.limit(1000)) as InvitationRow[];
}

export async function findInvitation(q: Queryable, id: string): Promise<InvitationRow | undefined> {
  return (await invitations(q).where('au.id', id).first()) as InvitationRow | undefined;
}

/** Locks the invitation's membership for the rest of the transaction. */
export async function lockInvitation(q: Queryable, id: string): Promise<{ id: string; account_id: string; copy_user_id: string; invited_user_id: string } | undefined> {
  return (await q('account_users').where('id', id).whereNotNull('invited_user_id').forUpdate().first('id', 'account_id', 'user_id as copy_user_id', 'invited_user_id')) as
    | { id: string; account_id: string; copy_user_id: string; invited_user_id: string }
    | undefined;
}

/** Whether the person is already an ordinary member of the account (joined another way meanwhile). */
export async function isMemberOf(q: Queryable, accountId: string, userId: string): Promise<boolean> {
  return !!(await q('account_users').where({ account_id: accountId, user_id: userId }).first('id'));
}

/**
 * The invitation becomes an ordinary membership of the person it invited (their profile is what
 * the account sees from now on), and the copy of what the account sent goes. The membership's
 * version moves: an IdP holding the old ETag reads it again.
 */
export async function acceptInvitationRow(q: Queryable, invitation: { id: string; copy_user_id: string; invited_user_id: string }): Promise<void> {
  await q('account_users')
    .where('id', invitation.id)
    .update({ user_id: invitation.invited_user_id, invited_user_id: null, invited_at: null, version: q.raw('version + 1'), updated_at: q.fn.now() });
  await q('users').where({ id: invitation.copy_user_id, is_invitation: true }).del();
}

/** A person's primary email (never an invitation copy's). */
export async function primaryEmailOf(q: Queryable, userId: string): Promise<string | undefined> {
  const row = (await q('user_emails').where({ user_id: userId, primary: true, of_invitation: false }).first('email')) as { email: string } | undefined;
  return row?.email;
}

/** What the joining rule needs to know of the identifiers an account sends (joining-rule.ts). */
export interface Identification {
  /** The people owning the user name or one of the emails, the one named by the user name first. */
  people: JoiningPerson[];
  /** The accounts that have verified the domain of any email sent. */
  verifiersOfEmailsSent: string[];
  /** The adding account's name, for the invitation's email. */
  accountName: string;
  /** Whether the adding account enforces SSO (only its admins may use a password). */
  accountSsoEnforced: boolean;
}

export interface JoiningPerson {
  id: string;
  managed_by_account_id: string | null;
  primary_email: string | null;
  /** The account that has verified the domain of their primary email, if any. */
  primary_domain_verifier: string | null;
  /** The emails sent that are theirs. */
  matched_emails: string[];
  /** Their membership of the adding account, or the invitation of them there, if any. */
  membership_id: string | null;
}

const domainOf = (email: string): string => email.slice(email.lastIndexOf('@') + 1).toLowerCase();

/**
 * One statement, whatever the answer (so that an address nobody has and one that belongs to
 * someone elsewhere cost the same): the people (never invitation copies) the identifiers belong
 * to, with who may link them and whether they are already in the account, the verifiers of the
 * domains of the emails sent, and the account's name.
 */
export async function identifyForJoining(q: Queryable, accountId: string, userName: string | undefined, emails: readonly string[]): Promise<Identification> {
  const lowered = [...new Set(emails.map((e) => e.toLowerCase()))];
  const domains = [...new Set(lowered.filter((e) => e.includes('@')).map(domainOf))];
  // one statement, planned once per session (migration 019)
  const result = (await q.raw('select * from identify_for_joining(?, ?, ?::text[], ?::text[])', [accountId, (userName ?? '').toLowerCase(), lowered, domains])) as {
    rows: { people: (JoiningPerson & { by_name: boolean })[]; verifiers: string[]; account_name: string; account_sso_enforced: boolean }[];
  };
  const row = result.rows[0];
  return { people: row.people.map(({ by_name: _byName, ...p }) => p), verifiersOfEmailsSent: row.verifiers, accountName: row.account_name, accountSsoEnforced: row.account_sso_enforced };
}

/** Whether the address is one of the person's own (never an invitation copy's). */
export async function isEmailOf(q: Queryable, email: string, userId: string): Promise<boolean> {
  return !!(await q('user_emails').whereRaw('lower(email) = ?', [email.toLowerCase()]).where({ user_id: userId, of_invitation: false }).first('id'));
}
