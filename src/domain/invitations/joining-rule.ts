import type { Queryable } from '../../db/database.js';
import type { Context } from '../context.js';
import { verifiedDomainOwner } from '../domains/domains-store.js';
import { Conflict, show } from '../errors.js';
import { findMembership, type MembershipRecord } from '../users/account-users-store.js';
import type { IdentifiedPerson } from '../users/users-store.js';
import { findMembershipIdOfPeople } from './invitations-store.js';

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
  | { kind: 'already-member'; member: MembershipRecord }
  | { kind: 'link'; person: IdentifiedPerson }
  | { kind: 'invite'; person: InvitedPerson };

const domainOf = (email: string | null): string | undefined => (email?.includes('@') ? email.slice(email.lastIndexOf('@') + 1).toLowerCase() : undefined);

async function mayLink(q: Queryable, ctx: Context, person: IdentifiedPerson): Promise<boolean> {
  if (ctx.actor.type === 'system' && ctx.channel === 'cli') return true; // the operator
  if (person.managed_by_account_id === ctx.accountId) return true;
  const domain = domainOf(person.primary_email);
  return domain !== undefined && (await verifiedDomainOwner(q, domain)) === ctx.accountId;
}

/** `matches`: the people the identifiers sent belong to, the one named by the user name first (findPeopleByIdentity). */
export async function joiningRule(q: Queryable, ctx: Context, matches: readonly IdentifiedPerson[]): Promise<Joining> {
  const memberId = await findMembershipIdOfPeople(q, ctx.accountId, matches.map((m) => m.id));
  if (memberId) return { kind: 'already-member', member: (await findMembership(q, ctx.accountId, memberId))! };
  let linkable = true;
  // one after the other: a transaction is one connection
  for (const m of matches) linkable = linkable && (await mayLink(q, ctx, m));
  if (linkable) {
    // people this account may see: it may be told that its identifiers name two of them
    if (matches.length > 1) throw new Conflict('the user_name and the emails given belong to different people', 'user_name');
    return { kind: 'link', person: matches[0] };
  }
  const person = matches[0];
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
