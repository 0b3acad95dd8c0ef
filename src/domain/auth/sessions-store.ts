import type { Queryable } from '../../db/database.js';

/** The only place that runs SQL on sessions. A session is found by the SHA-256 of its cookie value. */

export type SessionMethod = 'password' | 'saml';

export interface SessionRow {
  id: string;
  account_id: string;
  account_user_id: string;
  method: SessionMethod;
  created_at: Date;
  expires_at: Date;
}

export async function insertSession(
  q: Queryable,
  row: { id: string; token_hash: string; account_id: string; account_user_id: string; method: SessionMethod; client_address: string | null; lifetimeSeconds: number },
): Promise<Date> {
  const { lifetimeSeconds, ...values } = row;
  const [inserted] = (await q('sessions')
    .insert({ ...values, expires_at: q.raw(`now() + make_interval(secs => ?)`, [lifetimeSeconds]) })
    .returning('expires_at')) as { expires_at: Date }[];
  return new Date(inserted.expires_at);
}

/** An unexpired session. */
export async function findSessionByHash(q: Queryable, tokenHash: string): Promise<SessionRow | undefined> {
  return (await q('sessions')
    .where({ token_hash: tokenHash })
    .andWhere('expires_at', '>', q.fn.now())
    .first('id', 'account_id', 'account_user_id', 'method', 'created_at', 'expires_at')) as SessionRow | undefined;
}

/** Records use at most once a minute, so that a busy session does not write on every request. */
export async function touchSession(q: Queryable, id: string): Promise<void> {
  await q('sessions').where({ id }).andWhere('last_seen_at', '<', q.raw("now() - interval '1 minute'")).update({ last_seen_at: q.fn.now() });
}

export async function deleteSessionByHash(q: Queryable, tokenHash: string): Promise<SessionRow | undefined> {
  const [row] = (await q('sessions').where({ token_hash: tokenHash }).del().returning(['id', 'account_id', 'account_user_id', 'method', 'created_at', 'expires_at'])) as SessionRow[];
  return row;
}

export async function deleteExpiredSessions(q: Queryable): Promise<void> {
  await q('sessions').where('expires_at', '<', q.fn.now()).del().returning('id');
}
