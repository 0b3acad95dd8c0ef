import type { Queryable } from '../../db/database.js';

/** The only place that runs SQL on jwt_signing_keys: HS256 keys shared by every app instance. */

export interface SigningKeyRow {
  id: string;
  /** The HS256 key sealed by the SecretBox with the row's id as context (migration 016); never the key itself. */
  secret: string;
  created_at: Date;
}

/** Newest first. */
export async function listSigningKeys(q: Queryable): Promise<SigningKeyRow[]> {
  return (await q('jwt_signing_keys').orderBy('created_at', 'desc').orderBy('id').select('id', 'secret', 'created_at')) as SigningKeyRow[];
}

export async function insertSigningKey(q: Queryable, row: { id: string; secret: string }): Promise<void> {
  await q('jwt_signing_keys').insert(row);
}

/** Keys older than `seconds`, which can no longer have signed an unexpired token. */
export async function deleteSigningKeysOlderThan(q: Queryable, seconds: number): Promise<void> {
  await q('jwt_signing_keys').where('created_at', '<', q.raw('now() - make_interval(secs => ?)', [seconds])).del().returning('id');
}
