import type { Queryable } from '../../db/database.js';

/**
 * The only place that runs SQL on saml_requests (the AuthnRequest ids this deployment issued, so
 * that any instance can check an InResponseTo) and saml_used_assertions (each assertion id once).
 *
 * A row with test_by_account_user_id is an admin's test sign-in (migration 022): the sign-in
 * path never finds it (findSamlRequest, consumeSamlRequest), only the test's own functions do, so
 * an answer to a test request can never open a session.
 */

export async function insertSamlRequest(q: Queryable, accountId: string, id: string, lifetimeSeconds: number): Promise<void> {
  await q('saml_requests').where('expires_at', '<', q.fn.now()).del().returning('id');
  await q('saml_requests').insert({ id, account_id: accountId, expires_at: q.raw('now() + make_interval(secs => ?)', [lifetimeSeconds]) });
}

/** When the request was issued, if it is this account's and still open. */
export async function findSamlRequest(q: Queryable, accountId: string, id: string): Promise<Date | undefined> {
  const row = (await q('saml_requests').where({ id, account_id: accountId }).whereNull('test_by_account_user_id').andWhere('expires_at', '>', q.fn.now()).first('created_at')) as
    | { created_at: Date }
    | undefined;
  return row ? new Date(row.created_at) : undefined;
}

/** Takes the request out: true for exactly one caller, however many instances race for it. */
export async function consumeSamlRequest(q: Queryable, accountId: string, id: string): Promise<boolean> {
  const rows = (await q('saml_requests').where({ id, account_id: accountId }).whereNull('test_by_account_user_id').andWhere('expires_at', '>', q.fn.now()).del().returning('id')) as unknown[];
  return rows.length > 0;
}

/** Records the assertion id; false when it was seen before (a replay). */
export async function recordUsedAssertion(q: Queryable, accountId: string, assertionId: string, keepUntil: Date): Promise<boolean> {
  await q('saml_used_assertions').where('expires_at', '<', q.fn.now()).del().returning('assertion_id');
  const rows = (await q('saml_used_assertions')
    .insert({ account_id: accountId, assertion_id: assertionId, expires_at: keepUntil })
    .onConflict(['account_id', 'assertion_id'])
    .ignore()
    .returning('assertion_id')) as unknown[];
  return rows.length > 0;
}

/** What a test sign-in's row holds: who started it, and once answered, what came back. */
export interface SamlTestRow {
  id: string;
  account_id: string;
  test_by_account_user_id: string;
  test_outcome: unknown;
  created_at: Date;
  expires_at: Date;
}

export async function insertSamlTestRequest(q: Queryable, accountId: string, id: string, accountUserId: string, lifetimeSeconds: number): Promise<void> {
  await q('saml_requests').where('expires_at', '<', q.fn.now()).del().returning('id');
  await q('saml_requests').insert({ id, account_id: accountId, test_by_account_user_id: accountUserId, expires_at: q.raw('now() + make_interval(secs => ?)', [lifetimeSeconds]) });
}

/** The account's test request with this id, answered or not, while it is kept. */
export async function findSamlTestRequest(q: Queryable, accountId: string, id: string): Promise<SamlTestRow | undefined> {
  return (await q('saml_requests')
    .where({ id, account_id: accountId })
    .whereNotNull('test_by_account_user_id')
    .andWhere('expires_at', '>', q.fn.now())
    .first('id', 'account_id', 'test_by_account_user_id', 'test_outcome', 'created_at', 'expires_at')) as SamlTestRow | undefined;
}

/**
 * Stores the answer of a test request that has none yet (the first answer wins; a second post of
 * the same or another response changes nothing) and keeps it `keepSeconds` for the admin to read.
 */
export async function recordSamlTestOutcome(q: Queryable, accountId: string, id: string, outcome: unknown, keepSeconds: number): Promise<boolean> {
  const rows = (await q('saml_requests')
    .where({ id, account_id: accountId })
    .whereNotNull('test_by_account_user_id')
    .whereNull('test_outcome')
    .andWhere('expires_at', '>', q.fn.now())
    .update({ test_outcome: JSON.stringify(outcome), expires_at: q.raw('now() + make_interval(secs => ?)', [keepSeconds]) })
    .returning('id')) as unknown[];
  return rows.length > 0;
}
