import type { Knex } from 'knex';

/**
 * The schedules on which a member still has a place (a slot in a layer that has not ended, or an
 * override that has not ended; now() is the transaction's start), as one jsonb array of
 * {id, name} ordered by name and id, or null when there are none. Rule 4 (no delete while
 * scheduled) and the audit event of a deactivation read it (schedules-store.ts).
 *
 * A function, and VOLATILE, for one reason: under READ COMMITTED each query in a volatile function
 * takes a fresh snapshot. A deactivation written by one statement without a transaction (the member
 * checked by its version, not locked first) reads this from its audit event's insert, which takes
 * its row from the membership's UPDATE: after that UPDATE has the row, so after any assignment of
 * the member that held the row's share lock (schedules-service) has committed, which a subquery,
 * reading in the statement's own snapshot, would not see.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create function member_schedules_not_ended(account text, member text) returns jsonb language plpgsql volatile as $$
    begin
      return (
        select jsonb_agg(jsonb_build_object('id', s.id, 'name', s.name) order by s.name, s.id)
        from schedules s
        where s.account_id = account
          and (exists (select 1 from schedule_layers l join schedule_layer_members m on m.layer_id = l.id
                       where l.schedule_id = s.id and m.account_user_id = member and (l.ends_at is null or l.ends_at > now()))
            or exists (select 1 from schedule_overrides o
                       where o.schedule_id = s.id and o.account_user_id = member and o.ends_at > now())));
    end $$`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop function member_schedules_not_ended');
}

/** What down() loses, said by `rollcall migrate --rollback` before it runs: no data (a function only). */
export const dropsData = false;
