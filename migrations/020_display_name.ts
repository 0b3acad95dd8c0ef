import type { Knex } from 'knex';

/**
 * SCIM displayName as its own attribute (issue 14): set, replaced and cleared on its own, never
 * written into name.formatted. users.name stays the name Rollcall shows (REST `name`): the display
 * name when there is one, else the person's full name, else their user name. Until now every user
 * showed their name as displayName, so that is what each keeps.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('alter table users add column display_name text');
  await knex.raw('update users set display_name = name');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('alter table users drop column display_name');
}

/** What down() loses, said by `rollcall migrate --rollback` before it runs. */
export const dropsData = "every person's SCIM displayName (users.display_name)";
