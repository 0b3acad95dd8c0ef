import type { Queryable } from '../../db/database.js';
import type { Context } from '../context.js';
import { Conflict, show } from '../errors.js';
import { findMembership, type MembershipRecord } from '../users/account-users-store.js';
import { identifyForJoining, type JoiningPerson } from './invitations-store.js';

/**
 * DESIGN rule 1, "one person, one user, joined with proof": what adding a provisioned userName or
 * email that already belongs to a person does. The account links the person when it has the
 * right to (it manages them, it has verified the domain of their primary email, or the operator
 * adds them); otherwise the membership is an invitation, which the person accepts with proof of
 * their address. Whether the person exists elsewhere never shows in the answer: an invitation is
 * answered as a new person is.
 */

/** A person an account invites, and the address the invitation is sent to. */
export interface InvitedPerson {
  id: string;
  address: string;
}

export type Joining =
  /** Nobody has these identifiers: a new person, managed by the account. */
  | { kind: 'new' }
  /**
   * Nobody has them, but an email sent is at a domain another account has verified: the account
   * may not create people there (the domain belongs to its verifier). The person is made, managed
   * by no account, and the account's membership is an invitation they accept with proof.
   */
  | { kind: 'new-invited' }
  | { kind: 'already-member'; member: MembershipRecord }
  | { kind: 'link'; person: JoiningPerson }
  | { kind: 'invite'; person: InvitedPerson };

/** The rule's answer, with the adding account's name (for an invitation's email). */
export type JoiningAnswer = Joining & { accountName: string; accountSsoEnforced: boolean };

const isOperator = (ctx: Context): boolean => ctx.actor.type === 'system' && ctx.channel === 'cli';

function mayLink(ctx: Context, person: JoiningPerson): boolean {
  return isOperator(ctx) || person.managed_by_account_id === ctx.accountId || person.primary_domain_verifier === ctx.accountId;
}

/** What adding a person with this user name and these emails does in the context's account. */
export async function joiningRule(q: Queryable, ctx: Context, userName: string | undefined, emails: readonly string[]): Promise<JoiningAnswer> {
  const { people, verifiersOfEmailsSent, accountName, accountSsoEnforced } = await identifyForJoining(q, ctx.accountId, userName, emails);
  return { ...(await decide(q, ctx, people, verifiersOfEmailsSent)), accountName, accountSsoEnforced };
}

async function decide(q: Queryable, ctx: Context, people: readonly JoiningPerson[], verifiersOfEmailsSent: readonly string[]): Promise<Joining> {
  if (people.length === 0) {
    const claimedElsewhere = verifiersOfEmailsSent.some((account) => account !== ctx.accountId);
    return claimedElsewhere && !isOperator(ctx) ? { kind: 'new-invited' } : { kind: 'new' };
  }
  const memberId = people.find((p) => p.membership_id)?.membership_id;
  if (memberId) return { kind: 'already-member', member: (await findMembership(q, ctx.accountId, memberId))! };
  if (people.every((m) => mayLink(ctx, m))) {
    // people this account may see: it may be told that its identifiers name two of them
    if (people.length > 1) throw new Conflict('the user_name and the emails given belong to different people', 'user_name');
    return { kind: 'link', person: people[0] };
  }
  const person = people[0];
  return { kind: 'invite', person: { id: person.id, address: person.matched_emails[0] ?? person.primary_email ?? '' } };
}

/** The Conflict for identifiers that name a person already in the account, saying which of them matched, as the account sees that member. */
export function alreadyMemberConflict(member: MembershipRecord, userName: string | undefined, emails: readonly string[]): Conflict {
  const sameName = member.user.user_name.toLowerCase() === userName?.toLowerCase();
  const email = emails.find((e) => member.user.emails.some((own) => own.email.toLowerCase() === e.toLowerCase()));
  return sameName || !email
    ? new Conflict(`user_name ${show(userName)} is already a member of this account`, 'user_name')
    : new Conflict(`email ${show(email)} belongs to a person who is already a member of this account`, 'email');
}
