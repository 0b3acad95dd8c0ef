import type { Knex } from 'knex';

/**
 * A member's emails, phones and team ids are read in one order everywhere (the primary first,
 * then oldest first; team ids sorted): indexes in that order let PostgreSQL read them sorted
 * instead of sorting each member's few rows, which a page of 100 members did 300 times (~0.2-0.5 ms
 * of a ~3.5 ms page at 100k members, BENCHMARKS.md). Each replaces an index on its first column
 * alone, which it serves as well.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('create index user_emails_in_order on user_emails (user_id, "primary" desc, created_at, id)');
  await knex.raw('drop index user_emails_user_id_index');
  await knex.raw('create index user_phones_in_order on user_phones (user_id, "primary" desc, created_at, id)');
  await knex.raw('create index team_members_by_member on team_members (account_user_id, team_id)');
  await knex.raw('drop index team_members_account_user_id_index');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('create index team_members_account_user_id_index on team_members (account_user_id)');
  await knex.raw('drop index team_members_by_member');
  await knex.raw('drop index user_phones_in_order');
  await knex.raw('create index user_emails_user_id_index on user_emails (user_id)');
  await knex.raw('drop index user_emails_in_order');
}

/** What down() loses, said by `rollcall migrate --rollback` before it runs: no data (indexes only). */
export const dropsData = false;
