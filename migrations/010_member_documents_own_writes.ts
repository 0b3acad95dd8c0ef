import type { Knex } from 'knex';

/**
 * A stored document's stamp is its membership row's `xmin` and the count of changes made elsewhere
 * (migration 008). A transaction that has itself inserted or updated the membership row changes
 * that `xmin`: every document stored before it no longer matches once it commits, and no other
 * transaction can store one from what it has not committed. So a change to the member's person,
 * emails, phones, teams or kept attributes made after the membership's own write, in the same
 * transaction, needs no count: the triggers leave those memberships out.
 *
 * This takes the read model's cost off a new member (POST /Users: the person's emails and phones,
 * the membership and its kept attributes are written by one statement, and the triggers, fired at
 * its end, find the membership written by this transaction) and off any write that changes the
 * membership row before its children.
 *
 * A membership inserted or updated in a subtransaction (a savepoint) has that subtransaction's id
 * as its `xmin`, not the transaction's: its documents are marked stale as before (safe, not free).
 * Memberships that no longer exist (deleted by a cascade) are left out here too, so the callers'
 * member_documents_existing is now only a narrowing.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create or replace function member_documents_stale(members text[]) returns void language plpgsql as $$
    begin
      insert into member_documents as d (account_user_id, version)
        select au.id, 1 from account_users au
        where au.id = any(members) and au.xmin <> pg_current_xact_id()::xid
        order by au.id
        on conflict (account_user_id) do update set version = d.version + 1, format = null, stamp = null, body = null;
    end $$`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    create or replace function member_documents_stale(members text[]) returns void language plpgsql as $$
    begin
      insert into member_documents as d (account_user_id, version)
        select m.id, 1 from (select distinct unnest(members) as id) m where m.id is not null order by m.id
        on conflict (account_user_id) do update set version = d.version + 1, format = null, stamp = null, body = null;
    end $$`);
}

/** What down() loses, said by `rollcall migrate --rollback` before it runs: no data (a function only). */
export const dropsData = false;
