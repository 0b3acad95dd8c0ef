import type { Knex } from 'knex';

/**
 * Schedules, their rotation layers (an ordered list of members taking turns) and one-off overrides.
 *
 * Every reference to a member is a plain foreign key (NO ACTION): the database itself refuses to
 * delete a membership that any schedule still names, whatever the code above it does. NO ACTION
 * rather than RESTRICT because it is checked at the end of the statement, so deleting a whole
 * account (which cascades to its schedules and its memberships alike) still works. The delete use
 * case checks first (for a 409 that names the schedules) and clears references that have ended.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('schedules', (t) => {
    t.text('id').primary();
    t.text('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.text('name').notNullable();
    t.text('time_zone').notNullable();
    t.text('team_id').references('teams.id').onDelete('SET NULL');
    t.integer('version').notNullable().defaultTo(1);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['account_id', 'created_at', 'id']);
    t.index(['team_id']);
  });
  await knex.raw('create unique index schedules_name_unique on schedules (account_id, lower(name))');

  await knex.schema.createTable('schedule_layers', (t) => {
    t.text('id').primary();
    t.text('schedule_id').notNullable().references('schedules.id').onDelete('CASCADE');
    t.integer('position').notNullable(); // 0 = bottom; a higher layer wins where both have someone
    t.text('name');
    t.timestamp('starts_at', { useTz: true }).notNullable();
    t.timestamp('ends_at', { useTz: true });
    t.integer('rotation_length').notNullable();
    t.text('rotation_unit').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['schedule_id', 'position'], { indexName: 'schedule_layers_position_unique' });
  });
  await knex.raw(`alter table schedule_layers add constraint schedule_layers_rotation_check
    check (rotation_length > 0 and rotation_unit in ('hour', 'day', 'week'))`);
  await knex.raw('alter table schedule_layers add constraint schedule_layers_range_check check (ends_at is null or ends_at > starts_at)');

  await knex.schema.createTable('schedule_layer_members', (t) => {
    t.text('layer_id').notNullable().references('schedule_layers.id').onDelete('CASCADE');
    t.integer('position').notNullable();
    // null: a slot left vacant by a member deleted after the layer ended (keeps the past rotation order)
    t.text('account_user_id').references('account_users.id');
    t.primary(['layer_id', 'position']);
    t.index(['account_user_id']);
  });

  await knex.schema.createTable('schedule_overrides', (t) => {
    t.text('id').primary();
    t.text('schedule_id').notNullable().references('schedules.id').onDelete('CASCADE');
    t.text('account_user_id').notNullable().references('account_users.id');
    t.timestamp('starts_at', { useTz: true }).notNullable();
    t.timestamp('ends_at', { useTz: true }).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['schedule_id', 'starts_at']);
    t.index(['account_user_id']);
  });
  await knex.raw('alter table schedule_overrides add constraint schedule_overrides_range_check check (ends_at > starts_at)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('schedule_overrides');
  await knex.schema.dropTable('schedule_layer_members');
  await knex.schema.dropTable('schedule_layers');
  await knex.schema.dropTable('schedules');
}

/** What down() loses, said by `rollcall migrate --rollback` before it runs. */
export const dropsData = 'every schedule with its layers, layer members and overrides';
