import type { Knex } from 'knex';

/**
 * SCIM bearer tokens (one account each, only a SHA-256 hash kept) and role mappings: a group
 * (team) display name that grants roles to its members. A mapping names the group rather than
 * pointing at a team row, so that it can be made before the IdP pushes the group and survives the
 * group being deleted and pushed again. Effective roles are computed when read
 * (team_members join teams join role_mappings), never copied onto memberships.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('scim_tokens', (t) => {
    t.text('id').primary();
    t.text('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.text('token_hash').notNullable().unique();
    t.text('name');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_used_at', { useTz: true });
    t.timestamp('revoked_at', { useTz: true });
    t.index(['account_id']);
  });

  await knex.schema.createTable('role_mappings', (t) => {
    t.text('id').primary();
    t.text('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.text('group_name').notNullable();
    t.specificType('roles', 'text[]').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  // One mapping per group name, compared without case (as team names are: teams_name_unique),
  // and the index the effective-roles join uses.
  await knex.raw('create unique index role_mappings_group_unique on role_mappings (account_id, lower(group_name))');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('role_mappings');
  await knex.schema.dropTable('scim_tokens');
}

/** What down() loses, said by `rollcall migrate --rollback` before it runs. */
export const dropsData = 'every SCIM token (identity providers are refused until given new ones) and every role mapping';
