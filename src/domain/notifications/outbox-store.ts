import type { Knex } from 'knex';
import type { Queryable } from '../../db/database.js';

/** The only place that runs SQL on outbox_messages. */

export interface OutboxMessageRow {
  id: string;
  to_address: string;
  subject: string;
  /** Null once the message is sent: bodies hold one-time links. */
  text_body: string | null;
  html_body: string | null;
  kind: string;
  account_id: string | null;
  created_at: Date;
  attempts: number;
  /** Null when no attempt is due any more: sent, or given up. */
  next_attempt_at: Date | null;
  sent_at: Date | null;
  last_error: string | null;
}

export type OutboxMessageInsert = Pick<OutboxMessageRow, 'id' | 'to_address' | 'subject' | 'text_body' | 'html_body' | 'kind' | 'account_id'>;

/** A message's row without its bodies: what lists and logs may show. */
export type OutboxMessageSummary = Omit<OutboxMessageRow, 'text_body' | 'html_body'>;

const SUMMARY_COLUMNS = ['id', 'to_address', 'subject', 'kind', 'account_id', 'created_at', 'attempts', 'next_attempt_at', 'sent_at', 'last_error'] as const;
const CLAIMED_COLUMNS = [...SUMMARY_COLUMNS, 'text_body', 'html_body'] as const;

/**
 * The insert of one message, not yet run: awaited alone, or run as a data-modifying WITH of the
 * statement of the change that causes it (a companion write), so both are written or neither.
 * Due at once (next_attempt_at defaults to now()).
 */
export function outboxMessageInsert(q: Queryable, row: OutboxMessageInsert): Knex.QueryBuilder {
  return q('outbox_messages').insert(row);
}

/**
 * Claims the oldest due message for `leaseSeconds`: one statement that counts the attempt and moves
 * next_attempt_at past the lease, so no other worker (on any instance) takes it meanwhile. SKIP
 * LOCKED lets concurrent claims pass over the row another claim is taking; under READ COMMITTED a
 * row updated by a claim that committed meanwhile is checked again against the WHERE and left out.
 * A worker that dies mid-send leaves the message to be claimed again when the lease ends.
 */
export async function claimDueOutboxMessage(q: Queryable, leaseSeconds: number): Promise<OutboxMessageRow | undefined> {
  const result = (await q.raw(
    `update outbox_messages m
        set attempts = m.attempts + 1, next_attempt_at = now() + make_interval(secs => ?)
      where m.id = (select d.id from outbox_messages d
                     where d.next_attempt_at <= now() and d.sent_at is null
                     order by d.next_attempt_at, d.id
                     limit 1
                     for update skip locked)
        and m.next_attempt_at <= now() and m.sent_at is null
      returning ${CLAIMED_COLUMNS.map((c) => `m.${c}`).join(', ')}`,
    [leaseSeconds],
  )) as { rows: OutboxMessageRow[] };
  return result.rows[0];
}

/** Sent: the bodies are cleared (they hold one-time links) and no attempt is due any more. */
export async function markOutboxMessageSent(q: Queryable, id: string): Promise<void> {
  await q('outbox_messages')
    .where({ id })
    .whereNull('sent_at')
    .update({ sent_at: q.fn.now(), text_body: null, html_body: null, next_attempt_at: null, last_error: null });
}

/**
 * A failed attempt: the error kept, and the next attempt due in `retryInSeconds` (null: given up).
 * Only while the claim is still this one (`attempts` as claimed): a worker whose lease ran out does
 * not overwrite what the worker that claimed the message after it recorded.
 */
export async function markOutboxMessageFailed(q: Queryable, id: string, attempts: number, error: string, retryInSeconds: number | null): Promise<void> {
  await q('outbox_messages')
    .where({ id, attempts })
    .whereNull('sent_at')
    .update({
      last_error: error,
      next_attempt_at: retryInSeconds === null ? null : q.raw('now() + make_interval(secs => ?)', [retryInSeconds]),
    });
}

/** Newest first, without bodies. `unsent`: only messages not sent (waiting, or given up). */
export async function listOutboxMessages(q: Queryable, options: { limit: number; unsent?: boolean }): Promise<OutboxMessageSummary[]> {
  const query = q('outbox_messages').select(SUMMARY_COLUMNS).orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(options.limit);
  if (options.unsent) query.whereNull('sent_at');
  return (await query) as OutboxMessageSummary[];
}

/** How many messages wait for an attempt (given-up ones not counted). */
export async function countQueuedOutboxMessages(q: Queryable): Promise<number> {
  const [{ count }] = await q('outbox_messages').whereNotNull('next_attempt_at').whereNull('sent_at').count<{ count: number }[]>('* as count');
  return Number(count);
}

/**
 * Makes the given-up messages due again with a fresh count of attempts (after the operator fixed
 * the SMTP relay); `ids` limits it to those. Messages still waiting for a retry are left alone: one
 * of them may be in a worker's hands right now. Answers how many were requeued.
 */
export async function requeueGivenUpOutboxMessages(q: Queryable, ids?: readonly string[]): Promise<number> {
  const query = q('outbox_messages').whereNull('sent_at').whereNull('next_attempt_at');
  if (ids) query.whereIn('id', ids);
  const rows = (await query.update({ attempts: 0, next_attempt_at: q.fn.now() }).returning(['id'])) as { id: string }[];
  return rows.length;
}

/** Deletes messages sent more than `olderThanSeconds` ago (their bodies are long gone; the rows only record that they were sent). Answers how many. */
export async function deleteSentOutboxMessages(q: Queryable, olderThanSeconds: number): Promise<number> {
  const rows = (await q('outbox_messages')
    .where('sent_at', '<', q.raw('now() - make_interval(secs => ?)', [olderThanSeconds]))
    .del()
    .returning(['id'])) as { id: string }[];
  return rows.length;
}
