import type { Knex } from 'knex';

/**
 * The member changes counted for a team (team_member_changes, migration 009) as committed when it is
 * called. VOLATILE: under READ COMMITTED each call reads with a fresh snapshot, so a statement that
 * share-locks the team and then calls it counts every member change that committed while it waited
 * for the lock (a subquery would count them as of the statement's start). Used by a member change
 * written by one statement, to answer the team's version (its ETag) just after it (teams-store.ts).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create function team_member_changes_now(team text) returns bigint language plpgsql volatile as $$
    begin
      return coalesce((select sum(c.changes) from team_member_changes c where c.team_id = team), 0);
    end $$`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop function team_member_changes_now');
}

/** What down() loses, said by `rollcall migrate --rollback` before it runs: no data (a function only). */
export const dropsData = false;
