import type { Knex } from 'knex';

/**
 * A team's version (its SCIM ETag) and last change move with every member added or removed, but
 * member changes no longer update the team's row to say so: that row's lock, held until COMMIT had
 * flushed the WAL, made every change to one group wait for the one before it (an IdP adding people
 * to a big group one PATCH at a time, BENCHMARKS.md "Member add/remove").
 *
 * - team_member_changes counts the statements that added or removed members of each team, kept by
 *   statement-level triggers on team_members (whichever path: SCIM groups, a member's teams set
 *   through the REST API, a member deleted). A team's version is its row's version plus its count;
 *   its last change the later of its row's updated_at and the count's changed_at (teams-store.ts).
 *   Versions are opaque: they grow with every change, not always by one.
 * - Sharded by `pg_backend_pid() % 16`, as account_member_counts (migration 006) is: concurrent
 *   changes to one team from different connections write different rows.
 * - A team being deleted takes its rows with it (the cascade); its members' rows, deleted by the
 *   same cascade, must not insert them again (nor fail on the foreign key).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('team_member_changes', (t) => {
    t.text('team_id').notNullable().references('teams.id').onDelete('CASCADE');
    t.smallint('shard').notNullable();
    t.bigInteger('changes').notNullable().defaultTo(0);
    t.timestamp('changed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['team_id', 'shard']);
  });

  // one change per team per statement, however many of its members the statement added or
  // removed; no `?` in these bodies: knex.raw would read it as a binding
  await knex.raw(`
    create function team_member_changes_add(changed_teams text[]) returns void language sql as $$
      insert into team_member_changes as c (team_id, shard, changes, changed_at)
        select r.team_id, pg_backend_pid() % 16, 1, now() from (select distinct unnest(changed_teams)) as r(team_id)
        where exists (select 1 from teams t where t.id = r.team_id)
        order by r.team_id
        on conflict (team_id, shard) do update set changes = c.changes + excluded.changes, changed_at = excluded.changed_at
    $$`);
  await knex.raw(`
    create function team_member_changes_count() returns trigger language plpgsql as $$
    begin
      if tg_op = 'UPDATE' then
        perform team_member_changes_add(array(select o.team_id from old_rows o union all select n.team_id from new_rows n));
      elsif tg_op = 'INSERT' then
        perform team_member_changes_add(array(select n.team_id from new_rows n));
      else
        perform team_member_changes_add(array(select o.team_id from old_rows o));
      end if;
      return null;
    end $$`);
  await knex.raw('create trigger team_member_changes_added after insert on team_members referencing new table as new_rows for each statement execute function team_member_changes_count()');
  await knex.raw('create trigger team_member_changes_changed after update on team_members referencing old table as old_rows new table as new_rows for each statement execute function team_member_changes_count()');
  await knex.raw('create trigger team_member_changes_removed after delete on team_members referencing old table as old_rows for each statement execute function team_member_changes_count()');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop trigger team_member_changes_removed on team_members');
  await knex.raw('drop trigger team_member_changes_changed on team_members');
  await knex.raw('drop trigger team_member_changes_added on team_members');
  await knex.raw('drop function team_member_changes_count');
  await knex.raw('drop function team_member_changes_add');
  await knex.schema.dropTable('team_member_changes');
}

/** What down() loses, said by `rollcall migrate --rollback` before it runs: no data (groups' change counters (their versions start again)). */
export const dropsData = false;
