import type { Knex } from 'knex';
import type { Queryable } from '../../db/database.js';
import { Invalid } from '../errors.js';
import { newId } from '../ids.js';
import { deleteStaleEmailProofs, emailProofInsert, findUsableEmailProof, spendEmailProofs, useEmailProof } from './email-proofs-store.js';
import { generateSecret, hashSecret } from './secret-tokens.js';

/**
 * One-time email proofs: a random token (rc_prf_...) sent to an address in a link; whoever comes back
 * with it controls that address. Only its SHA-256 hash is stored. A proof is for one purpose (e.g.
 * 'invitation') and about one subject (e.g. an account_user id); it is used once, before it expires.
 *
 * Typical use (invitations): in the transaction that invites, `const proof = emailProofWrite(trx,
 * {...})`, run `proof.insert` and `outboxInsert(trx, { to, kind: 'invitation', text: `...
 * ${publicUrl}/invitations/confirm?token=${proof.token}` })`; after the commit deliverQueuedSoon().
 * The confirm page calls peekEmailProof to show what is being confirmed, and consumeEmailProof when
 * the person confirms.
 */

export interface EmailProofRequest {
  /** The address the link is sent to. */
  email: string;
  /** What the proof may be used for, e.g. 'invitation'. */
  purpose: string;
  /** What it is about, e.g. an account_user id. */
  subjectId: string;
  /** How long the link works, in seconds. */
  ttlSeconds: number;
}

/** What a usable proof proves. */
export interface EmailProof {
  email: string;
  subjectId: string;
  expiresAt: Date;
}

/** A proof not yet written: its token (to put in the link, never stored) and its INSERT. */
export interface EmailProofWrite {
  id: string;
  token: string;
  /** Await it, or run it as a companion write of the change's statement, or in its transaction. */
  insert: Knex.QueryBuilder;
}

const PURPOSE = /^[a-z][a-z0-9_.-]{0,63}$/;
const TOKEN = /^rc_prf_[A-Za-z0-9_-]{43}$/;
const MAX_TTL_SECONDS = 30 * 24 * 3600;

function checkPurpose(purpose: string): void {
  if (!PURPOSE.test(purpose)) throw new Invalid('purpose', `${JSON.stringify(purpose)} is not a proof purpose (lower-case letters, digits, _ . -)`);
}

/** A new proof's token and INSERT, not yet run. */
export function emailProofWrite(q: Queryable, request: EmailProofRequest): EmailProofWrite {
  checkPurpose(request.purpose);
  const email = request.email.trim();
  if (!email.includes('@')) throw new Invalid('email', `${JSON.stringify(request.email)} is not an email address`);
  if (request.subjectId === '') throw new Invalid('subjectId', 'a proof is about something: subjectId is empty');
  if (!Number.isInteger(request.ttlSeconds) || request.ttlSeconds < 1 || request.ttlSeconds > MAX_TTL_SECONDS) {
    throw new Invalid('ttlSeconds', `a proof lasts from 1 second to 30 days, not ${request.ttlSeconds}`);
  }
  const id = newId('prf');
  const { secret, hash } = generateSecret('rc_prf');
  const insert = emailProofInsert(q, { id, token_hash: hash, email, purpose: request.purpose, subject_id: request.subjectId, ttl_seconds: request.ttlSeconds });
  return { id, token: secret, insert };
}

/** Writes a new proof; answers its token (shown once: put it in the link) and id. */
export async function issueEmailProof(q: Queryable, request: EmailProofRequest): Promise<{ id: string; token: string }> {
  const { id, token, insert } = emailProofWrite(q, request);
  await insert;
  return { id, token };
}

/**
 * Uses the proof: answers what it proves, once. A token that is unknown, expired, already used or
 * for another purpose answers undefined (the caller cannot tell which, and neither can whoever
 * holds the link).
 */
export async function consumeEmailProof(q: Queryable, token: string, purpose: string): Promise<EmailProof | undefined> {
  checkPurpose(purpose);
  if (!TOKEN.test(token)) return undefined;
  const row = await useEmailProof(q, hashSecret(token), purpose);
  return row && { email: row.email, subjectId: row.subject_id, expiresAt: row.expires_at };
}

/** What the proof would prove if used now, without using it (a page shown before the person confirms). */
export async function peekEmailProof(q: Queryable, token: string, purpose: string): Promise<EmailProof | undefined> {
  checkPurpose(purpose);
  if (!TOKEN.test(token)) return undefined;
  const row = await findUsableEmailProof(q, hashSecret(token), purpose);
  return row && { email: row.email, subjectId: row.subject_id, expiresAt: row.expires_at };
}

/** Makes every unused proof of this purpose and subject unusable (a new link replaces them, the invitation is gone). Answers how many. */
export async function revokeEmailProofs(q: Queryable, purpose: string, subjectId: string): Promise<number> {
  checkPurpose(purpose);
  return spendEmailProofs(q, purpose, subjectId);
}

/** Deletes proofs expired or used more than a day ago (housekeeping: they prove nothing any more). */
export async function purgeStaleEmailProofs(q: Queryable): Promise<number> {
  return deleteStaleEmailProofs(q, 24 * 3600);
}
