import type { Knex } from 'knex';
import type { Queryable } from '../../db/database.js';
import type { Page } from '../users/account-users-store.js';

/** The only place that runs SQL on audit_events. */

export interface AuditEventRow {
  id: string;
  account_id: string | null;
  actor_type: string;
  actor_id: string | null;
  channel: string;
  action: string;
  target_type: string;
  target_id: string | null;
  changes: Record<string, unknown>;
  request_id: string | null;
  created_at: Date;
}

/** The insert of one event, not yet run: a store runs it in the statement of the change it describes (a data-modifying WITH). */
export type AuditInsert = Knex.QueryBuilder;

export function auditEventInsert(q: Queryable, row: Omit<AuditEventRow, 'created_at'>): AuditInsert {
  return q('audit_events').insert({ ...row, changes: JSON.stringify(row.changes) });
}

/** An event's row as a statement binds it: `changes` as JSON text (or statement-template placeholders for them all). */
export type AuditEventBinding = Omit<AuditEventRow, 'created_at' | 'changes'> & { changes: string };

/** The columns an event's insert names, in order. */
const AUDIT_BINDING_COLUMNS = ['id', 'account_id', 'actor_type', 'actor_id', 'channel', 'action', 'target_type', 'target_id', 'request_id'] as const;

/**
 * The insert of one event written once for each row of `source` (a WITH of the same statement: the
 * change it describes, so no change, no event), whose `changes` (JSON text) get keys the statement
 * itself computes: each a jsonb value, set when not null. For an event that names what the
 * database holds when the change is written (the schedules a deactivated member is still on).
 */
export function auditEventInsertFrom(q: Queryable, source: string, row: AuditEventBinding, computed: Readonly<Record<string, Knex.Raw | Knex.QueryBuilder>>): Knex.Raw {
  let changes: Knex.Raw = q.raw('?::jsonb', [row.changes]);
  for (const [key, value] of Object.entries(computed)) {
    changes = q.raw(`? || coalesce((select jsonb_build_object(?::text, c.value) from (select ? as value) c where c.value is not null), '{}'::jsonb)`, [changes, key, value]);
  }
  const columns = [...AUDIT_BINDING_COLUMNS, 'changes'].map((c) => `"${c}"`).join(', ');
  const values = AUDIT_BINDING_COLUMNS.map(() => '?').join(', ');
  return q.raw(`insert into audit_events (${columns}) select ${values}, ? from "${source}"`, [...AUDIT_BINDING_COLUMNS.map((c) => row[c]), changes]);
}

export async function insertAuditEvent(q: Queryable, row: Omit<AuditEventRow, 'created_at'>): Promise<void> {
  await auditEventInsert(q, row);
}

/** An event as the trail lists it: with the actor's name (the member's, or the SCIM token's), null for the operator or one since deleted. */
export type AuditEventListRow = AuditEventRow & { actor_name: string | null };

export interface AuditFilterRows {
  action?: string;
  targetId?: string;
  targetType?: string;
  channel?: string;
  actorId?: string;
  since?: Date;
  until?: Date;
}

const LIST_COLUMNS = [
  'e.id', 'e.account_id', 'e.actor_type', 'e.actor_id', 'e.channel', 'e.action', 'e.target_type', 'e.target_id', 'e.changes', 'e.request_id', 'e.created_at',
] as const;

/** The events of an account with their actors' names: one left join per kind of actor, each by primary key. */
function withActorNames(q: Queryable): Knex.QueryBuilder {
  return q('audit_events as e')
    .leftJoin('account_users as au', function () {
      this.on('au.id', '=', 'e.actor_id').andOn('e.actor_type', '=', q.raw('?', ['account_user']));
    })
    .leftJoin('users as u', 'u.id', 'au.user_id')
    .leftJoin('scim_tokens as st', function () {
      this.on('st.id', '=', 'e.actor_id').andOn('e.actor_type', '=', q.raw('?', ['scim_token']));
    })
    .select(...LIST_COLUMNS, q.raw('coalesce(u.name, st.name) as actor_name'));
}

function filtered(query: Knex.QueryBuilder, accountId: string, filter: AuditFilterRows): Knex.QueryBuilder {
  query.where('e.account_id', accountId);
  if (filter.action !== undefined) query.where('e.action', filter.action);
  if (filter.targetId !== undefined) query.where('e.target_id', filter.targetId);
  if (filter.targetType !== undefined) query.where('e.target_type', filter.targetType);
  if (filter.channel !== undefined) query.where('e.channel', filter.channel);
  if (filter.actorId !== undefined) query.where('e.actor_id', filter.actorId);
  if (filter.since !== undefined) query.where('e.created_at', '>=', filter.since);
  if (filter.until !== undefined) query.where('e.created_at', '<', filter.until);
  return query;
}

/** Newest first. */
export async function listAuditEvents(q: Queryable, accountId: string, page: Page, filter: AuditFilterRows = {}): Promise<{ rows: AuditEventListRow[]; total: number }> {
  const rows = await filtered(withActorNames(q), accountId, filter).orderBy('e.seq', 'desc').limit(page.limit).offset(page.offset);
  const [{ count }] = await filtered(q('audit_events as e'), accountId, filter).count<{ count: number }[]>('* as count');
  return { rows: rows as AuditEventListRow[], total: Number(count) };
}

/** Clocks of the server and the database may differ by this much: the window around a request that its events fall in. */
const CLOCK_SLACK_MS = 60_000;

/**
 * The events one request wrote (same account, request id and channel), oldest first: "what it
 * changed". Only those from its time (with slack for clocks), as a client-sent X-Request-Id may repeat.
 */
export async function listAuditEventsOfRequest(
  q: Queryable,
  accountId: string,
  requestId: string,
  within: { channel: string; from: Date; durationMs: number },
): Promise<AuditEventListRow[]> {
  const from = new Date(within.from.getTime() - CLOCK_SLACK_MS);
  const until = new Date(within.from.getTime() + within.durationMs + CLOCK_SLACK_MS);
  const rows = await withActorNames(q)
    .where({ 'e.account_id': accountId, 'e.request_id': requestId, 'e.channel': within.channel })
    .where('e.created_at', '>=', from)
    .where('e.created_at', '<=', until)
    .orderBy('e.seq', 'asc')
    .limit(1000);
  return rows as AuditEventListRow[];
}
