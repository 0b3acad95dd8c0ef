import type { Knex } from 'knex';
import type { Queryable } from '../../db/database.js';

/** The only place that runs SQL on email_proofs. */

export interface EmailProofRow {
  id: string;
  email: string;
  purpose: string;
  subject_id: string;
  created_at: Date;
  expires_at: Date;
  used_at: Date | null;
}

export interface EmailProofInsert {
  id: string;
  token_hash: string;
  email: string;
  purpose: string;
  subject_id: string;
  /** The proof expires this long after the database's now(). */
  ttl_seconds: number;
}

const ANSWERED = ['email', 'subject_id', 'expires_at'] as const;
export type UsableEmailProof = Pick<EmailProofRow, (typeof ANSWERED)[number]>;

/** The insert of one proof, not yet run: awaited alone or run as a companion write (a data-modifying WITH). */
export function emailProofInsert(q: Queryable, row: EmailProofInsert): Knex.QueryBuilder {
  const { ttl_seconds, ...columns } = row;
  return q('email_proofs').insert({ ...columns, expires_at: q.raw('now() + make_interval(secs => ?)', [ttl_seconds]) });
}

/**
 * Uses the proof: one statement that marks it used only if it is unused and unexpired, so of two
 * uses at once one gets the row and the other nothing (the second waits for the first's row lock,
 * then finds used_at set). Answers what it proves, or undefined.
 */
export async function useEmailProof(q: Queryable, tokenHash: string, purpose: string): Promise<UsableEmailProof | undefined> {
  const [row] = (await q('email_proofs')
    .where({ token_hash: tokenHash, purpose })
    .whereNull('used_at')
    .where('expires_at', '>', q.fn.now())
    .update({ used_at: q.fn.now() })
    .returning(ANSWERED)) as UsableEmailProof[];
  return row;
}

/** The proof if it could be used now, without using it. */
export async function findUsableEmailProof(q: Queryable, tokenHash: string, purpose: string): Promise<UsableEmailProof | undefined> {
  return (await q('email_proofs')
    .where({ token_hash: tokenHash, purpose })
    .whereNull('used_at')
    .where('expires_at', '>', q.fn.now())
    .first(ANSWERED)) as UsableEmailProof | undefined;
}

/** Marks every unused proof of this purpose and subject used (a new link replaces them, or their subject is gone). Answers how many. */
export async function spendEmailProofs(q: Queryable, purpose: string, subjectId: string): Promise<number> {
  const rows = (await q('email_proofs').where({ purpose, subject_id: subjectId }).whereNull('used_at').update({ used_at: q.fn.now() }).returning(['id'])) as { id: string }[];
  return rows.length;
}

/** Deletes proofs that expired or were used more than `olderThanSeconds` ago. Answers how many. */
export async function deleteStaleEmailProofs(q: Queryable, olderThanSeconds: number): Promise<number> {
  const cutoff = q.raw('now() - make_interval(secs => ?)', [olderThanSeconds]);
  const rows = (await q('email_proofs')
    .where((w) => w.where('expires_at', '<', cutoff).orWhere('used_at', '<', cutoff))
    .del()
    .returning(['id'])) as { id: string }[];
  return rows.length;
}
