import type { Knex } from 'knex';

/**
 * A read model: each member's rendered document (the SCIM adapter's User resource, as JSON text),
 * so that a page of an import or an IdP's lookup reads stored text instead of building every member
 * from six tables and rendering it again (BENCHMARKS.md, "Pages").
 *
 * A stored document is served only while it is current, which the database decides, not the code
 * paths that write (SCIM, the REST API, a team rename, a role mapping, SQL run by hand):
 *
 * - `stamp` says what the document was rendered from: the row version (`xmin`, which every update
 *   of a row changes) of the member's account_users row, and `version`. A read serves the body
 *   only when its stamp equals the stamp of those rows as they are now
 *   (directory/member-documents-store.ts). So the writes that change a membership most often (PATCH,
 *   a deactivation, the version bump of every member write) cost the read model nothing.
 * - `version` counts the changes made elsewhere: the person's shown columns, emails, phones, team
 *   membership, a team's name, role mappings and the kept IdP attributes. Triggers below add one
 *   (and drop the body), in the transaction that makes the change.
 * - A document is never stored under a stamp newer than what it was rendered from: the stamp is
 *   read before the member is (a change in between leaves the document under the older stamp,
 *   which no longer matches, and the next read renders it again).
 * - `format` names the renderer (its version and what it depends on, e.g. the base URL); a document
 *   made by another format is not used.
 * - A member's row goes with the member (foreign key, cascade).
 */

/** Tables of many rows per member, and the function that marks the documents their changes touch. */
const CHILD_TABLES = [
  ['user_emails', 'member_documents_contacts_changed'],
  ['user_phones', 'member_documents_contacts_changed'],
  ['team_members', 'member_documents_team_members_changed'],
] as const;

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('member_documents', (t) => {
    t.text('account_user_id').primary().references('account_users.id').onDelete('CASCADE');
    t.bigInteger('version').notNullable().defaultTo(0);
    t.text('format');
    t.text('stamp');
    t.text('body');
  });

  // One function marks the documents of these memberships stale; the triggers below say which.
  // Rows are taken in id order, as readers storing documents take them, so the two cannot deadlock.
  // The memberships must exist: where a change can come from a cascade that deleted them (a
  // member's or an account's delete), its trigger passes only those that still exist (their rows
  // went with them). plpgsql, so that the statement's plan is kept from one call to the next (a
  // SQL function's is made on every call). No `?` in these bodies: knex.raw would read it as a
  // binding.
  await knex.raw(`
    create function member_documents_stale(members text[]) returns void language plpgsql as $$
    begin
      insert into member_documents as d (account_user_id, version)
        select m.id, 1 from (select distinct unnest(members) as id) m where m.id is not null order by m.id
        on conflict (account_user_id) do update set version = d.version + 1, format = null, stamp = null, body = null;
    end $$`);
  await knex.raw(`
    create function member_documents_existing(members text[]) returns text[] language sql stable as $$
      select array(select au.id from account_users au where au.id = any(members))
    $$`);

  // users: only the columns a document shows (a sign-in's last_sign_in_at or a new password do
  // not); the person's memberships exist (they are read here)
  await knex.raw(`
    create function member_documents_user_changed() returns trigger language plpgsql as $$
    begin
      perform member_documents_stale(array(select au.id from account_users au where au.user_id = new.id));
      return null;
    end $$`);
  await knex.raw(`
    create trigger member_documents_user_changed after update on users for each row
    when ((old.name, old.given_name, old.family_name, old.user_name, old.time_zone, old.preferred_language, old.notify_push, old.notify_email, old.notify_sms, old.notify_voice, old.updated_at)
      is distinct from (new.name, new.given_name, new.family_name, new.user_name, new.time_zone, new.preferred_language, new.notify_push, new.notify_email, new.notify_sms, new.notify_voice, new.updated_at))
    execute function member_documents_user_changed()`);

  // Emails and phones, by their user; team membership, by the member (a document lists the
  // member's groups, and the roles groups grant). One trigger per event, each with its transition
  // table(s): an update sees the rows before and after (a row moved to another user or member
  // changes both documents).
  await knex.raw(`
    create function member_documents_contacts_changed() returns trigger language plpgsql as $$
    begin
      if tg_op = 'UPDATE' then
        perform member_documents_stale(array(select au.id from account_users au where au.user_id in (select c.user_id from old_rows c union select c.user_id from new_rows c)));
      elsif tg_op = 'INSERT' then
        perform member_documents_stale(array(select au.id from account_users au where au.user_id in (select c.user_id from new_rows c)));
      else
        perform member_documents_stale(array(select au.id from account_users au where au.user_id in (select c.user_id from old_rows c)));
      end if;
      return null;
    end $$`);
  await knex.raw(`
    create function member_documents_team_members_changed() returns trigger language plpgsql as $$
    begin
      -- rows removed may go with their member (a cascade): only members that still exist
      if tg_op = 'UPDATE' then
        perform member_documents_stale(member_documents_existing(array(select c.account_user_id from old_rows c union select c.account_user_id from new_rows c)));
      elsif tg_op = 'INSERT' then
        perform member_documents_stale(array(select c.account_user_id from new_rows c));
      else
        perform member_documents_stale(member_documents_existing(array(select c.account_user_id from old_rows c)));
      end if;
      return null;
    end $$`);
  for (const [table, fn] of CHILD_TABLES) {
    await knex.raw(`create trigger member_documents_${table}_added after insert on ${table} referencing new table as new_rows for each statement execute function ${fn}()`);
    await knex.raw(`create trigger member_documents_${table}_changed after update on ${table} referencing old table as old_rows new table as new_rows for each statement execute function ${fn}()`);
    await knex.raw(`create trigger member_documents_${table}_removed after delete on ${table} referencing old table as old_rows for each statement execute function ${fn}()`);
  }

  // a team's name: its members' groups show it, and role mappings match it
  await knex.raw(`
    create function member_documents_team_renamed() returns trigger language plpgsql as $$
    begin
      perform member_documents_stale(array(select tm.account_user_id from team_members tm where tm.team_id = new.id));
      return null;
    end $$`);
  await knex.raw('create trigger member_documents_team_renamed after update of name on teams for each row when (old.name is distinct from new.name) execute function member_documents_team_renamed()');

  // role mappings: the members of the teams whose name the mapping matched, before and after
  await knex.raw(`
    create function member_documents_role_mapping_changed() returns trigger language plpgsql as $$
    declare
      mapping_account text := coalesce(new.account_id, old.account_id);
    begin
      -- a mapping deleted with its account: its members may be gone already
      perform member_documents_stale(member_documents_existing(array(
        select tm.account_user_id from teams t join team_members tm on tm.team_id = t.id
        where t.account_id = mapping_account and lower(t.name) in (lower(old.group_name), lower(new.group_name)))));
      return null;
    end $$`);
  await knex.raw('create trigger member_documents_role_mapping_changed after insert or update or delete on role_mappings for each row execute function member_documents_role_mapping_changed()');

  // what the IdP sent that is kept as sent
  await knex.raw(`
    create function member_documents_idp_attributes_changed() returns trigger language plpgsql as $$
    begin
      if tg_op = 'INSERT' then
        perform member_documents_stale(array[new.account_user_id]);
      else
        -- deleted with its member (a cascade), or moved: only members that still exist
        perform member_documents_stale(member_documents_existing(array[new.account_user_id, old.account_user_id]));
      end if;
      return null;
    end $$`);
  await knex.raw('create trigger member_documents_idp_attributes_changed after insert or update or delete on member_idp_attributes for each row execute function member_documents_idp_attributes_changed()');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop trigger member_documents_idp_attributes_changed on member_idp_attributes');
  await knex.raw('drop function member_documents_idp_attributes_changed');
  await knex.raw('drop trigger member_documents_role_mapping_changed on role_mappings');
  await knex.raw('drop function member_documents_role_mapping_changed');
  await knex.raw('drop trigger member_documents_team_renamed on teams');
  await knex.raw('drop function member_documents_team_renamed');
  for (const [table] of CHILD_TABLES) {
    await knex.raw(`drop trigger member_documents_${table}_removed on ${table}`);
    await knex.raw(`drop trigger member_documents_${table}_changed on ${table}`);
    await knex.raw(`drop trigger member_documents_${table}_added on ${table}`);
  }
  await knex.raw('drop function member_documents_team_members_changed');
  await knex.raw('drop function member_documents_contacts_changed');
  await knex.raw('drop trigger member_documents_user_changed on users');
  await knex.raw('drop function member_documents_user_changed');
  await knex.raw('drop function member_documents_existing');
  await knex.raw('drop function member_documents_stale');
  await knex.schema.dropTable('member_documents');
}

/** What down() loses, said by `rollcall migrate --rollback` before it runs: no data (stored SCIM documents, rendered again from the rows when stale). */
export const dropsData = false;
