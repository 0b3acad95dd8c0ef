import type { Knex } from 'knex';

/**
 * Sign-in: browser sessions, JWT signing keys, login throttling counters, SAML request ids and
 * used assertion ids, and each account's SAML SSO settings. Everything a second app instance needs
 * to honour a sign-in lives here, never in one process's memory.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('accounts', (t) => {
    t.text('sso_idp_entity_id');
    t.text('sso_idp_sso_url');
    t.jsonb('sso_idp_certificates').notNullable().defaultTo('[]'); // PEM strings: several during a rotation
    t.boolean('sso_enforced').notNullable().defaultTo(false);
    t.boolean('sso_allow_idp_initiated').notNullable().defaultTo(false);
    t.boolean('sso_jit').notNullable().defaultTo(false);
    t.timestamp('sso_updated_at', { useTz: true });
  });

  await knex.schema.createTable('sessions', (t) => {
    t.text('id').primary();
    t.text('token_hash').notNullable().unique(); // SHA-256 of the cookie value; the value itself is never stored
    t.text('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.text('account_user_id').notNullable().references('account_users.id').onDelete('CASCADE');
    t.text('method').notNullable(); // password | saml
    t.text('client_address');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_seen_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.index(['account_user_id']);
    t.index(['expires_at']);
  });

  await knex.schema.createTable('jwt_signing_keys', (t) => {
    t.text('id').primary(); // the JWT "kid"
    t.text('secret').notNullable(); // HS256 key, base64url
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('login_attempts', (t) => {
    t.text('key').primary(); // "user:<lower-cased name>" or "ip:<address>"
    t.integer('failures').notNullable().defaultTo(0);
    t.timestamp('window_started_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('saml_requests', (t) => {
    t.text('id').primary(); // the AuthnRequest ID, answered as InResponseTo
    t.text('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.index(['expires_at']);
  });

  await knex.schema.createTable('saml_used_assertions', (t) => {
    t.text('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.text('assertion_id').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.primary(['account_id', 'assertion_id']);
    t.index(['expires_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('saml_used_assertions');
  await knex.schema.dropTable('saml_requests');
  await knex.schema.dropTable('login_attempts');
  await knex.schema.dropTable('jwt_signing_keys');
  await knex.schema.dropTable('sessions');
  await knex.schema.alterTable('accounts', (t) => {
    for (const column of ['sso_idp_entity_id', 'sso_idp_sso_url', 'sso_idp_certificates', 'sso_enforced', 'sso_allow_idp_initiated', 'sso_jit', 'sso_updated_at']) {
      t.dropColumn(column);
    }
  });
}

/** What down() loses, said by `rollcall migrate --rollback` before it runs. */
export const dropsData = "every session, SAML request record, sign-in attempt record and JWT signing key, and each account's SSO settings";
