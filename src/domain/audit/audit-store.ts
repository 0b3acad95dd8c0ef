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

/** Newest first. */
export async function listAuditEvents(q: Queryable, accountId: string, page: Page): Promise<{ rows: AuditEventRow[]; total: number }> {
  const rows = await q('audit_events')
    .where({ account_id: accountId })
    .orderBy('seq', 'desc')
    .limit(page.limit)
    .offset(page.offset)
    .select('id', 'account_id', 'actor_type', 'actor_id', 'channel', 'action', 'target_type', 'target_id', 'changes', 'request_id', 'created_at');
  const [{ count }] = await q('audit_events').where({ account_id: accountId }).count<{ count: number }[]>('* as count');
  return { rows: rows as AuditEventRow[], total: Number(count) };
}
