import type { Knex } from 'knex';

/**
 * An exact number of members per account, kept by the database, so that an unfiltered list's
 * totalResults is read from a few rows instead of counting the account (O(N): ~20 ms of
 * PostgreSQL per page at 100k members, BENCHMARKS.md "Page walk").
 *
 * - Sharded: each change adds to the row of its account and of `pg_backend_pid() % 16`, so that
 *   concurrent creates in one account (each connection is one backend) do not queue on one row's
 *   lock until commit. The count is the sum of an account's rows; a row may go negative.
 * - Exact and transactional: the rows change in the statement (and so the transaction) that
 *   inserts or deletes members; a reader's snapshot sees a member and its count together or
 *   neither.
 * - `changes` counts every insert and delete ever made in the account: the list uses its sum as a
 *   generation, to know that no member came or went since a page was served (keyset continuation,
 *   directory-store.ts).
 * - Statement-level triggers with transition tables: a bulk insert (the benchmark's seed, 2,000
 *   rows per statement) changes one row per account, not one per member.
 * Backfilled here under the lock that creating the triggers takes (no insert or delete can slip
 * between the triggers and the backfill).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('account_member_counts', (t) => {
    t.text('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.smallint('shard').notNullable();
    t.bigInteger('members').notNullable().defaultTo(0);
    t.bigInteger('changes').notNullable().defaultTo(0);
    t.primary(['account_id', 'shard']);
  });

  // no `?` in these bodies: knex.raw would read it as a binding
  await knex.raw(`
    create function account_member_counts_add() returns trigger language plpgsql as $$
    begin
      insert into account_member_counts as c (account_id, shard, members, changes)
        select n.account_id, pg_backend_pid() % 16, count(*), count(*) from added_members n group by n.account_id
        on conflict (account_id, shard) do update set members = c.members + excluded.members, changes = c.changes + excluded.changes;
      return null;
    end $$`);
  // An account being deleted takes its count rows with it (the cascade): its members' deletes,
  // cascaded too, must not insert them again (nor fail on the foreign key).
  await knex.raw(`
    create function account_member_counts_remove() returns trigger language plpgsql as $$
    begin
      insert into account_member_counts as c (account_id, shard, members, changes)
        select o.account_id, pg_backend_pid() % 16, -count(*), count(*) from removed_members o
        where exists (select 1 from accounts a where a.id = o.account_id)
        group by o.account_id
        on conflict (account_id, shard) do update set members = c.members + excluded.members, changes = c.changes + excluded.changes;
      return null;
    end $$`);
  // Nothing moves a member to another account today; if something ever does, the counts follow.
  await knex.raw(`
    create function account_member_counts_move() returns trigger language plpgsql as $$
    begin
      insert into account_member_counts as c (account_id, shard, members, changes)
        values (old.account_id, pg_backend_pid() % 16, -1, 1), (new.account_id, pg_backend_pid() % 16, 1, 1)
        on conflict (account_id, shard) do update set members = c.members + excluded.members, changes = c.changes + excluded.changes;
      return null;
    end $$`);
  await knex.raw(`
    create function account_member_counts_clear() returns trigger language plpgsql as $$
    begin
      delete from account_member_counts;
      return null;
    end $$`);

  await knex.raw('create trigger account_member_counts_add after insert on account_users referencing new table as added_members for each statement execute function account_member_counts_add()');
  await knex.raw('create trigger account_member_counts_remove after delete on account_users referencing old table as removed_members for each statement execute function account_member_counts_remove()');
  await knex.raw('create trigger account_member_counts_move after update of account_id on account_users for each row when (old.account_id is distinct from new.account_id) execute function account_member_counts_move()');
  await knex.raw('create trigger account_member_counts_clear after truncate on account_users for each statement execute function account_member_counts_clear()');

  await knex.raw('insert into account_member_counts (account_id, shard, members, changes) select account_id, 0, count(*), count(*) from account_users group by account_id');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop trigger account_member_counts_clear on account_users');
  await knex.raw('drop trigger account_member_counts_move on account_users');
  await knex.raw('drop trigger account_member_counts_remove on account_users');
  await knex.raw('drop trigger account_member_counts_add on account_users');
  await knex.raw('drop function account_member_counts_clear()');
  await knex.raw('drop function account_member_counts_move()');
  await knex.raw('drop function account_member_counts_remove()');
  await knex.raw('drop function account_member_counts_add()');
  await knex.schema.dropTable('account_member_counts');
}

/** What down() loses, said by `rollcall migrate --rollback` before it runs: no data (the member counts are counted again from account_users by up()). */
export const dropsData = false;
