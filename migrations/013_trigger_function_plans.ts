import type { Knex } from 'knex';

/**
 * What the triggers of the read model (migration 008) and of group versions (009), and the two
 * volatile readers (011, 012), cost on every member write, made cheaper:
 *
 * - team_member_changes_add and member_documents_existing were SQL functions, whose statement
 *   PostgreSQL plans again on every call; in plpgsql the plan is kept for the session.
 * - plpgsql keeps a plan, but for a statement with parameters (an array of member ids, NEW.id) it
 *   plans it again with the values for the first calls and then keeps doing so whenever the
 *   generic plan looks costlier, which for these small statements it always did: ~0.2 ms of
 *   planning per call (member_schedules_not_ended: 0.29 ms a call, 0.03 ms of it executing). These
 *   functions run with plan_cache_mode = force_generic_plan: planned once per session.
 *
 * EXPLAIN ANALYZE of one member added to a group, steady state over 6 runs per session: the
 * statement 0.73-0.89 ms -> 0.26-0.45 ms (the group-version trigger 0.29-0.40 -> 0.06-0.10 ms,
 * the read model's 0.15-0.21 -> 0.04-0.08 ms); a deactivation's UPDATE with its audit event
 * 0.32-0.37 -> 0.17-0.19 ms. Same bodies, same results.
 */
const SQL_VERSIONS = {
  team_member_changes_add: `
    create or replace function team_member_changes_add(changed_teams text[]) returns void language sql as $$
      insert into team_member_changes as c (team_id, shard, changes, changed_at)
        select r.team_id, pg_backend_pid() % 16, 1, now() from (select distinct unnest(changed_teams)) as r(team_id)
        where exists (select 1 from teams t where t.id = r.team_id)
        order by r.team_id
        on conflict (team_id, shard) do update set changes = c.changes + excluded.changes, changed_at = excluded.changed_at
    $$`,
  member_documents_existing: `
    create or replace function member_documents_existing(members text[]) returns text[] language sql stable as $$
      select array(select au.id from account_users au where au.id = any(members))
    $$`,
};

/** Functions whose statements take parameters (arguments, NEW/OLD values): planned generically. */
const GENERIC_PLAN_FUNCTIONS = [
  'member_documents_stale(text[])',
  'member_documents_existing(text[])',
  'member_documents_user_changed()',
  'member_documents_team_renamed()',
  'member_documents_role_mapping_changed()',
  'member_documents_idp_attributes_changed()',
  'team_member_changes_add(text[])',
  'team_member_changes_now(text)',
  'member_schedules_not_ended(text, text)',
];

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create or replace function team_member_changes_add(changed_teams text[]) returns void language plpgsql as $$
    begin
      insert into team_member_changes as c (team_id, shard, changes, changed_at)
        select r.team_id, pg_backend_pid() % 16, 1, now() from (select distinct unnest(changed_teams)) as r(team_id)
        where exists (select 1 from teams t where t.id = r.team_id)
        order by r.team_id
        on conflict (team_id, shard) do update set changes = c.changes + excluded.changes, changed_at = excluded.changed_at;
    end $$`);
  await knex.raw(`
    create or replace function member_documents_existing(members text[]) returns text[] language plpgsql stable as $$
    begin
      return array(select au.id from account_users au where au.id = any(members));
    end $$`);
  for (const fn of GENERIC_PLAN_FUNCTIONS) await knex.raw(`alter function ${fn} set plan_cache_mode = force_generic_plan`);
}

export async function down(knex: Knex): Promise<void> {
  for (const fn of GENERIC_PLAN_FUNCTIONS) await knex.raw(`alter function ${fn} reset plan_cache_mode`);
  await knex.raw(SQL_VERSIONS.team_member_changes_add);
  await knex.raw(SQL_VERSIONS.member_documents_existing);
}

/** What down() loses, said by `rollcall migrate --rollback` before it runs: no data (function settings only). */
export const dropsData = false;
