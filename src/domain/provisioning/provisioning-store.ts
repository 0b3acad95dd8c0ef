import type { Knex } from 'knex';
import type { Queryable } from '../../db/database.js';
import type { Page } from '../users/account-users-store.js';

/** The only place that runs SQL on provisioning_requests. */

export interface ProvisioningRequestRow {
  id: string;
  account_id: string;
  created_at: Date;
  method: string;
  path: string;
  status: number;
  duration_ms: number;
  user_agent: string | null;
  request_id: string | null;
  scim_token_id: string | null;
  resource_type: 'User' | 'Group' | null;
  resource_id: string | null;
  error_detail: string | null;
  request_body: unknown;
  response_body: unknown;
}

/** A row as a batch carries it: the time as ISO text and the bodies as JSON text (valid JSON: spliced into the batch as it is). */
export type ProvisioningRequestInsert = Omit<ProvisioningRequestRow, 'created_at' | 'request_body' | 'response_body'> & {
  created_at: string;
  request_body: string | null;
  response_body: string | null;
};

export interface ProvisioningFilterRows {
  /** 'success': below 400; 'failure': 400 and above; a number: that status. */
  status?: 'success' | 'failure' | number;
  resourceId?: string;
  resourceType?: 'User' | 'Group';
  since?: Date;
  until?: Date;
}

const COLUMNS = 'id, account_id, created_at, method, path, status, duration_ms, user_agent, request_id, scim_token_id, resource_type, resource_id, error_detail, request_body, response_body';

/**
 * Many rows in one statement whose text never changes: the batch is one JSON binding that the
 * database unpacks (json_to_recordset), so it runs as one prepared statement whatever the batch's
 * size, where a multi-row VALUES would be a new text (and a new prepared statement) per size. The
 * bodies, already JSON text, are spliced into the batch as JSON (not as strings of JSON): encoded
 * once here and parsed once by the database.
 */
export async function insertProvisioningRequests(q: Queryable, rows: readonly ProvisioningRequestInsert[]): Promise<void> {
  if (rows.length === 0) return;
  await q.raw(
    `insert into provisioning_requests (${COLUMNS})
     select ${COLUMNS}
     from json_to_recordset(?::json) as r(id text, account_id text, created_at timestamptz, method text, path text, status integer, duration_ms double precision,
       user_agent text, request_id text, scim_token_id text, resource_type text, resource_id text, error_detail text, request_body json, response_body json)`,
    [batchJson(rows)],
  );
}

/** [{...row, "request_body": <its JSON>, "response_body": <its JSON>}, ...] */
function batchJson(rows: readonly ProvisioningRequestInsert[]): string {
  const parts: string[] = [];
  for (const { request_body: request, response_body: response, ...rest } of rows) {
    const head = JSON.stringify(rest);
    parts.push(`${head.slice(0, -1)},"request_body":${request ?? 'null'},"response_body":${response ?? 'null'}}`);
  }
  return `[${parts.join(',')}]`;
}

function filtered(q: Queryable, accountId: string, filter: ProvisioningFilterRows): Knex.QueryBuilder {
  const query = q('provisioning_requests').where('account_id', accountId);
  if (filter.status === 'success') query.where('status', '<', 400);
  else if (filter.status === 'failure') query.where('status', '>=', 400);
  else if (filter.status !== undefined) query.where('status', filter.status);
  if (filter.resourceId !== undefined) query.where('resource_id', filter.resourceId);
  if (filter.resourceType !== undefined) query.where('resource_type', filter.resourceType);
  if (filter.since !== undefined) query.where('created_at', '>=', filter.since);
  if (filter.until !== undefined) query.where('created_at', '<', filter.until);
  return query;
}

/** Newest first. */
export async function listProvisioningRequests(q: Queryable, accountId: string, filter: ProvisioningFilterRows, page: Page): Promise<{ rows: ProvisioningRequestRow[]; total: number }> {
  const rows = await filtered(q, accountId, filter).orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(page.limit).offset(page.offset).select(q.raw(COLUMNS));
  const [{ count }] = await filtered(q, accountId, filter).count<{ count: number }[]>('* as count');
  return { rows: rows as ProvisioningRequestRow[], total: Number(count) };
}

export async function findProvisioningRequest(q: Queryable, accountId: string, id: string): Promise<ProvisioningRequestRow | undefined> {
  return (await q('provisioning_requests').where({ account_id: accountId, id }).first(q.raw(COLUMNS))) as ProvisioningRequestRow | undefined;
}

export async function lastProvisioningRequest(q: Queryable, accountId: string): Promise<Pick<ProvisioningRequestRow, 'created_at' | 'method' | 'path' | 'status'> | undefined> {
  return q('provisioning_requests').where('account_id', accountId).orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).first('created_at', 'method', 'path', 'status');
}

export async function countProvisioningRequestsSince(q: Queryable, accountId: string, since: Date): Promise<{ requests: number; failures: number }> {
  const [requests] = await q('provisioning_requests').where('account_id', accountId).where('created_at', '>=', since).count<{ count: number }[]>('* as count');
  // counted apart, so that this one reads the partial index of failures only
  const [failures] = await q('provisioning_requests').where('account_id', accountId).where('created_at', '>=', since).where('status', '>=', 400).count<{ count: number }[]>('* as count');
  return { requests: Number(requests.count), failures: Number(failures.count) };
}

/**
 * Deletes at most `limit` rows older than `before`, any account's; answers how many. Rows another
 * instance is deleting at the same moment are skipped (skip locked), so two instances' retention
 * passes never wait on each other, and a row is deleted once either way.
 */
export async function deleteProvisioningRequestsBefore(q: Queryable, before: Date, limit: number): Promise<number> {
  const result = await q.raw(
    'with deleted as (delete from provisioning_requests where id in (select id from provisioning_requests where created_at < ? limit ? for update skip locked) returning 1) select count(*) as count from deleted',
    [before, limit],
  );
  return Number((result as { rows: { count: number }[] }).rows[0].count);
}
