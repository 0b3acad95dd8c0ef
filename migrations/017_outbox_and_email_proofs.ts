import type { Knex } from 'knex';

/**
 * The notification outbox and one-time email proofs (issue 12).
 *
 * - outbox_messages: email waiting to be sent, written in the same statement or transaction as the
 *   change that causes it, so a change and its message are never half-written; a delivery worker
 *   (src/domain/notifications/outbox.ts) on any instance claims due ones with SKIP LOCKED. Once a
 *   message is sent its bodies are cleared (they hold one-time links). next_attempt_at is null when
 *   no attempt is due any more: sent, or given up (last_error says why).
 * - email_proofs: a one-time link's token, as its SHA-256 hash only: proof that a person controls
 *   an address (accepting an invitation). `purpose` says what it may be used for, `subject_id` what
 *   it is about (an account_user id); used_at is set by the one use that consumes it.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('outbox_messages', (t) => {
    t.text('id').primary(); // msg_...
    t.text('to_address').notNullable();
    t.text('subject').notNullable();
    t.text('text_body'); // null once sent
    t.text('html_body');
    t.text('kind').notNullable(); // what it is for, e.g. 'invitation': for logs and the CLI
    t.text('account_id').references('accounts.id').onDelete('SET NULL');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('next_attempt_at', { useTz: true }).defaultTo(knex.fn.now());
    t.timestamp('sent_at', { useTz: true });
    t.text('last_error');
  });
  // what the worker's claim scans: due, unsent messages only
  await knex.raw('create index outbox_messages_due on outbox_messages (next_attempt_at) where next_attempt_at is not null');
  await knex.raw('create index outbox_messages_created on outbox_messages (created_at)');
  await knex.raw('create index outbox_messages_account on outbox_messages (account_id) where account_id is not null');
  // Every instance's worker hears of a new message when its transaction commits (a LISTEN on
  // outbox_queued): the instance that wrote it nudges its own worker, and the others need not wait
  // for their next interval. Once per statement, whatever the number of rows.
  await knex.raw(`create function outbox_queued_notify() returns trigger language plpgsql as $$
    begin
      perform pg_notify('outbox_queued', '');
      return null;
    end $$`);
  await knex.raw('create trigger outbox_queued after insert on outbox_messages for each statement execute function outbox_queued_notify()');

  await knex.schema.createTable('email_proofs', (t) => {
    t.text('id').primary(); // prf_...
    t.text('token_hash').notNullable().unique(); // SHA-256 of the token; the token itself is never stored
    t.text('email').notNullable();
    t.text('purpose').notNullable();
    t.text('subject_id').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('used_at', { useTz: true });
    t.index(['expires_at']);
    t.index(['purpose', 'subject_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('email_proofs');
  await knex.schema.dropTable('outbox_messages'); // its trigger goes with it
  await knex.raw('drop function outbox_queued_notify()');
}

/** What down() loses, said by `rollcall migrate --rollback` before it runs. */
export const dropsData = 'the email outbox (queued, sent and given-up messages) and unused email proofs';
