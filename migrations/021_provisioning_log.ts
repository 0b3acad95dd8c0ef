import type { Knex } from 'knex';

/**
 * The provisioning log (issue 15): one row per authenticated SCIM request, written in batches off
 * the request's path (domain/provisioning/provisioning-log.ts), bodies with secrets removed, kept
 * PROVISIONING_LOG_RETENTION_DAYS. And indexes for the audit trail's filters.
 *
 * - (account_id, created_at desc, id desc): the console's newest-first list and the time filters.
 * - (account_id, resource_id, created_at desc) where a resource is named: one person's or group's
 *   requests (an IdP's lookups name none, and are most requests: not indexed there).
 * - (account_id, created_at desc) where status >= 400: the failures view and the summary's count of
 *   failures (a plain index on status alone would not serve a list that is always per account).
 * - BRIN on created_at: retention's deletes, which cross accounts. Rows arrive in time order, so a
 *   block range index finds the old ones, at almost no cost per insert (a btree would be a fourth
 *   full index entry on every SCIM request).
 *
 * audit_events gains (account_id, request_id), for "what a request changed", and (account_id,
 * target_id), for the trail's person/team filter. Every write inserts an audit event, so these are
 * two more index entries per change: measured with the log (BENCHMARKS.md).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('provisioning_requests', (t) => {
    t.text('id').primary();
    t.text('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.text('method').notNullable();
    t.text('path').notNullable(); // with the query: it holds the IdP's filter
    t.integer('status').notNullable();
    t.double('duration_ms').notNullable();
    t.text('user_agent');
    t.text('request_id');
    // no foreign key: a revoked or deleted token's requests stay in the log
    t.text('scim_token_id');
    t.text('resource_type'); // 'User' | 'Group' | null
    t.text('resource_id');
    t.text('error_detail');
    // json, not jsonb: stored as sent and shown as stored, never queried inside; json only checks
    // the text where jsonb builds its binary form on every insert (measured: BENCHMARKS.md)
    t.json('request_body');
    t.json('response_body');
  });
  await knex.raw('create index provisioning_requests_account_time on provisioning_requests (account_id, created_at desc, id desc)');
  await knex.raw('create index provisioning_requests_account_resource on provisioning_requests (account_id, resource_id, created_at desc) where resource_id is not null');
  await knex.raw('create index provisioning_requests_account_failures on provisioning_requests (account_id, created_at desc) where status >= 400');
  await knex.raw('create index provisioning_requests_created_at on provisioning_requests using brin (created_at)');

  await knex.raw('create index audit_events_account_request on audit_events (account_id, request_id) where request_id is not null');
  await knex.raw('create index audit_events_account_target on audit_events (account_id, target_id, seq)');
}

/** Drops the provisioning log (its data is lost: dropsData below); the audit trail only loses two indexes. */
export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists audit_events_account_target');
  await knex.raw('drop index if exists audit_events_account_request');
  await knex.schema.dropTable('provisioning_requests');
}

/** What down() loses, said by `rollcall migrate --rollback` before it runs. */
export const dropsData = 'the provisioning log: every recorded SCIM request (provisioning_requests)';
