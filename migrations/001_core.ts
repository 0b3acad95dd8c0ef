import type { Knex } from 'knex';

/** Accounts, people, memberships, teams, API tokens and the audit trail. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('accounts', (t) => {
    t.text('id').primary();
    t.text('name').notNullable();
    t.text('owner_account_user_id'); // set in the transaction that creates the owner; FK added below
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('users', (t) => {
    t.text('id').primary();
    t.text('name').notNullable();
    t.text('given_name');
    t.text('family_name');
    t.text('user_name').notNullable();
    t.text('time_zone').notNullable().defaultTo('UTC');
    t.text('preferred_language').notNullable().defaultTo('en');
    t.text('password_hash');
    t.boolean('notify_push').notNullable().defaultTo(true);
    t.boolean('notify_email').notNullable().defaultTo(true);
    t.boolean('notify_sms').notNullable().defaultTo(true);
    t.boolean('notify_voice').notNullable().defaultTo(true);
    t.timestamp('last_sign_in_at', { useTz: true });
    t.text('managed_by_account_id').references('accounts.id').onDelete('SET NULL');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  // Uniqueness that ignores case is the database's job, not a read-then-write in code.
  await knex.raw('create unique index users_user_name_unique on users (lower(user_name))');

  await knex.schema.createTable('user_emails', (t) => {
    t.text('id').primary();
    t.text('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('email').notNullable();
    t.text('type');
    t.boolean('primary').notNullable().defaultTo(false);
    t.boolean('blocked').notNullable().defaultTo(false);
    t.timestamp('verified_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['user_id']);
  });
  await knex.raw('create unique index user_emails_email_unique on user_emails (lower(email))');
  await knex.raw('create unique index user_emails_one_primary on user_emails (user_id) where "primary"');

  await knex.schema.createTable('user_phones', (t) => {
    t.text('id').primary();
    t.text('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('number').notNullable(); // E.164
    t.text('value').notNullable(); // as sent
    t.text('type');
    t.text('country');
    t.boolean('primary').notNullable().defaultTo(false);
    t.boolean('blocked').notNullable().defaultTo(false);
    t.timestamp('verified_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['user_id', 'number'], { indexName: 'user_phones_number_unique' });
  });
  await knex.raw('create unique index user_phones_one_primary on user_phones (user_id) where "primary"');

  await knex.schema.createTable('account_users', (t) => {
    t.text('id').primary();
    t.text('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.text('user_id').notNullable().references('users.id').onDelete('RESTRICT');
    t.specificType('roles', 'text[]').notNullable().defaultTo('{}');
    t.boolean('active').notNullable().defaultTo(true);
    t.text('external_id');
    t.jsonb('enterprise').notNullable().defaultTo('{}');
    t.integer('version').notNullable().defaultTo(1);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['account_id', 'user_id'], { indexName: 'account_users_membership_unique' });
    t.index(['user_id']);
    t.index(['account_id', 'created_at', 'id']);
    t.index(['account_id', 'external_id']);
  });
  await knex.schema.alterTable('accounts', (t) => {
    t.foreign('owner_account_user_id').references('account_users.id').onDelete('RESTRICT');
  });

  await knex.schema.createTable('teams', (t) => {
    t.text('id').primary();
    t.text('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.text('name').notNullable();
    t.text('description');
    t.text('external_id');
    t.integer('version').notNullable().defaultTo(1);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['account_id', 'created_at', 'id']);
  });
  await knex.raw('create unique index teams_name_unique on teams (account_id, lower(name))');

  await knex.schema.createTable('team_members', (t) => {
    t.text('team_id').notNullable().references('teams.id').onDelete('CASCADE');
    t.text('account_user_id').notNullable().references('account_users.id').onDelete('CASCADE');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['team_id', 'account_user_id']);
    t.index(['account_user_id']);
  });

  await knex.schema.createTable('api_tokens', (t) => {
    t.text('id').primary();
    t.text('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.text('account_user_id').notNullable().references('account_users.id').onDelete('CASCADE');
    t.text('token_hash').notNullable().unique();
    t.text('name');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_used_at', { useTz: true });
    t.timestamp('revoked_at', { useTz: true });
    t.index(['account_user_id']);
  });

  await knex.schema.createTable('audit_events', (t) => {
    t.bigIncrements('seq').primary();
    t.text('id').notNullable().unique();
    t.text('account_id').references('accounts.id').onDelete('CASCADE');
    t.text('actor_type').notNullable(); // account_user | scim_token | system
    t.text('actor_id');
    t.text('channel').notNullable(); // api | scim | sso | cli | web
    t.text('action').notNullable();
    t.text('target_type').notNullable();
    t.text('target_id');
    t.jsonb('changes').notNullable().defaultTo('{}');
    t.text('request_id');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['account_id', 'seq']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('audit_events');
  await knex.schema.dropTable('api_tokens');
  await knex.schema.dropTable('team_members');
  await knex.schema.dropTable('teams');
  await knex.schema.alterTable('accounts', (t) => t.dropForeign(['owner_account_user_id']));
  await knex.schema.dropTable('account_users');
  await knex.schema.dropTable('user_phones');
  await knex.schema.dropTable('user_emails');
  await knex.schema.dropTable('users');
  await knex.schema.dropTable('accounts');
}

/** What down() loses, said by `rollcall migrate --rollback` before it runs. */
export const dropsData = 'every account, person (users, their emails and phones), membership, team, API token and audit event';
