import type { Queryable } from '../../db/database.js';

/**
 * The only place that runs SQL on saml_requests (the AuthnRequest ids this deployment issued, so
 * that any instance can check an InResponseTo) and saml_used_assertions (each assertion id once).
 */

export async function insertSamlRequest(q: Queryable, accountId: string, id: string, lifetimeSeconds: number): Promise<void> {
  await q('saml_requests').where('expires_at', '<', q.fn.now()).del().returning('id');
  await q('saml_requests').insert({ id, account_id: accountId, expires_at: q.raw('now() + make_interval(secs => ?)', [lifetimeSeconds]) });
}

/** When the request was issued, if it is this account's and still open. */
export async function findSamlRequest(q: Queryable, accountId: string, id: string): Promise<Date | undefined> {
  const row = (await q('saml_requests').where({ id, account_id: accountId }).andWhere('expires_at', '>', q.fn.now()).first('created_at')) as { created_at: Date } | undefined;
  return row ? new Date(row.created_at) : undefined;
}

/** Takes the request out: true for exactly one caller, however many instances race for it. */
export async function consumeSamlRequest(q: Queryable, accountId: string, id: string): Promise<boolean> {
  const rows = (await q('saml_requests').where({ id, account_id: accountId }).andWhere('expires_at', '>', q.fn.now()).del().returning('id')) as unknown[];
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
