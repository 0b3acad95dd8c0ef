import type { Knex } from 'knex';
import type { Queryable } from '../../db/database.js';
import { consumeEmailProof, emailProofWrite, peekEmailProof, revokeEmailProofs } from '../auth/email-proofs.js';
import { outboxInsert } from '../notifications/outbox.js';
import type { InvitedPerson } from './joining-rule.js';

/**
 * The email that asks a person to answer an invitation: a one-time link (an email proof) to
 * /invitations/confirm, where they accept or decline. Following it proves they control the
 * address, which accepting needs; the link alone says nothing of the person to anyone else.
 */

export const INVITATION_PROOF_PURPOSE = 'invitation';
/** How long an invitation link can be used. */
const LINK_LIFETIME_SECONDS = 7 * 24 * 3600;

/**
 * The proof and the message, as writes for the statement (or transaction) that makes the
 * invitation: both are written with it or not at all.
 */
/** `publicUrl`: where the link points (PUBLIC_URL). */
export function invitationMessageWrites(q: Queryable, publicUrl: string, account: { id: string; name: string }, invitationId: string, person: InvitedPerson): Knex.QueryBuilder[] {
  // a person without an address sees the invitation when they sign in (/invitations)
  if (!person.address.includes('@')) return [];
  const accountName = account.name;
  const proof = emailProofWrite(q, { email: person.address, purpose: INVITATION_PROOF_PURPOSE, subjectId: invitationId, ttlSeconds: LINK_LIFETIME_SECONDS });
  const link = `${publicUrl.replace(/\/$/, '')}/invitations/confirm?token=${encodeURIComponent(proof.token)}`;
  const text = [
    `${accountName} has added you to their on-call account in Rollcall.`,
    '',
    `You are already a Rollcall user, so they see nothing of your profile until you accept. Accept or decline here (the link works once, for 7 days):`,
    link,
    '',
    `If you do not know ${accountName}, decline, or ignore this message.`,
  ].join('\n');
  return [
    proof.insert,
    outboxInsert(q, { to: person.address, subject: `${accountName} invites you to join them on Rollcall`, text, kind: 'invitation', accountId: account.id }),
  ];
}

export async function peekInvitationProof(q: Queryable, token: string) {
  return peekEmailProof(q, token, INVITATION_PROOF_PURPOSE);
}

export async function consumeInvitationProof(q: Queryable, token: string) {
  return consumeEmailProof(q, token, INVITATION_PROOF_PURPOSE);
}

/** Every link still out for this invitation stops working (it was answered). */
export async function revokeInvitationLinks(q: Queryable, invitationId: string): Promise<void> {
  await revokeEmailProofs(q, INVITATION_PROOF_PURPOSE, invitationId);
}
