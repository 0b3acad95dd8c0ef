import type { Knex } from 'knex';
import type { Queryable } from '../../db/database.js';
import { type Context, requireAccountManager, transact, type Trx } from '../context.js';
import { newId } from '../ids.js';
import type { Page } from '../users/account-users-store.js';
import { type AuditEventListRow, type AuditEventRow, type AuditFilterRows, type AuditInsert, auditEventInsert, insertAuditEvent, listAuditEvents } from './audit-store.js';

/** What the trail may be filtered by. */
export type AuditFilter = AuditFilterRows;

export interface AuditEntry {
  action: string;
  targetType: string;
  targetId: string | null;
  changes?: Record<string, unknown>;
}

function actorOf(ctx: Context): { actor_type: string; actor_id: string | null } {
  switch (ctx.actor.type) {
    case 'account_user':
      return { actor_type: 'account_user', actor_id: ctx.actor.accountUserId };
    case 'scim_token':
      return { actor_type: 'scim_token', actor_id: ctx.actor.tokenId };
    case 'system':
      return { actor_type: 'system', actor_id: null };
  }
}

/** The row of one event: for a store that writes it in the statement of the change it describes. */
export function eventRow(ctx: Context, entry: AuditEntry): Omit<AuditEventRow, 'created_at'> {
  return {
    id: newId('aud'),
    account_id: ctx.accountId,
    ...actorOf(ctx),
    channel: ctx.channel,
    action: entry.action,
    target_type: entry.targetType,
    target_id: entry.targetId,
    changes: entry.changes ?? {},
    request_id: ctx.requestId ?? null,
  };
}

/** Writes one audit event inside the transaction of the change it describes. */
export async function recordAudit(trx: Trx, ctx: Context, entry: AuditEntry): Promise<void> {
  await insertAuditEvent(trx, eventRow(ctx, entry));
}

/**
 * The audit event of a change, for the store that makes the change to write in the same statement
 * (one round trip instead of two; the same statement, so the same rule: no change without its event).
 */
export function auditWith(q: Queryable, ctx: Context, entry: AuditEntry): AuditInsert {
  return auditEventInsert(q, eventRow(ctx, entry));
}

export class AuditService {
  constructor(private readonly db: Knex) {}

  /** Newest first, with the actors' names; every filter given must hold (exact values; since inclusive, until exclusive). */
  async list(ctx: Context, page: Page, filter: AuditFilter = {}): Promise<{ rows: AuditEventListRow[]; total: number }> {
    requireAccountManager(ctx, 'read the audit trail');
    return transact(this.db, (trx) => listAuditEvents(trx, ctx.accountId, page, filter));
  }
}
