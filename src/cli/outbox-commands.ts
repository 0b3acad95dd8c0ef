import { listOutbox, type OutboxEntry, retryGivenUp } from '../domain/notifications/outbox.js';
import type { OUTBOX_LIST, OUTBOX_RETRY } from './commands.js';
import { print, type Runner, UsageError, withServices } from './command.js';

/**
 * `rollcall outbox ...`: what email waits, was sent or was given up. Never a message's body (it
 * holds one-time links). On the embedded database, stop the server first (one process at a time).
 */

function limitOf(value: string | undefined): number {
  if (value === undefined) return 50;
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError('--limit is a whole number from 1 to 1000');
  return limit;
}

function line(m: OutboxEntry): string {
  const outcome =
    m.status === 'sent'
      ? `sent ${m.sentAt?.toISOString()}`
      : m.status === 'queued'
        ? 'queued'
        : `${m.status === 'given_up' ? 'given up' : `retry at ${m.nextAttemptAt?.toISOString()}`}; last error: ${m.lastError ?? 'none'}`;
  return `${m.id}  ${m.kind}  ${m.to}  created ${m.createdAt.toISOString()}  attempts ${m.attempts}  ${outcome}`;
}

export const outboxList: Runner<typeof OUTBOX_LIST> = async (values, config) => {
  const limit = limitOf(values.limit);
  const messages = await withServices(config, (_services, database) => listOutbox(database.knex, { limit, unsent: values.unsent }));
  const note = config.smtpUrl ? '' : '\n(SMTP_URL is not set: the server keeps email queued and sends nothing.)';
  print(
    values.json,
    {
      data: messages.map((m) => ({
        id: m.id,
        kind: m.kind,
        to: m.to,
        account_id: m.accountId,
        created_at: m.createdAt.toISOString(),
        attempts: m.attempts,
        status: m.status,
        next_attempt_at: m.nextAttemptAt?.toISOString() ?? null,
        sent_at: m.sentAt?.toISOString() ?? null,
        last_error: m.lastError,
      })),
    },
    (messages.length ? messages.map(line).join('\n') : 'No messages.') + note,
  );
};

export const outboxRetry: Runner<typeof OUTBOX_RETRY> = async (values, config) => {
  const requeued = await withServices(config, (_services, database) => retryGivenUp(database.knex, values.id ? [values.id] : undefined));
  print(values.json, { requeued }, `${requeued} message(s) queued again; a running server sends them at its next look (OUTBOX_INTERVAL_MS).`);
};
