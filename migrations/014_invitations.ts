import type { Knex } from 'knex';

/**
 * Invitations (DESIGN rule 1): an account that adds a person it has no right to link (another
 * account manages them, and the adding account has not verified their email's domain) gets an
 * invited membership. Its user row is the invitation's copy: what the inviting account sent
 * (user name, names, emails, phones, time zone), never the person's stored profile, so every read
 * and filter of that account sees only what it sent. The membership names the person it invites;
 * accepting points the membership at that person and drops the copy, declining removes both.
 *
 * - users.is_invitation / user_emails.of_invitation: the copy's rows. They take no part in the
 *   uniqueness of user names and emails (a person's address appears once among people, and again
 *   in each account that invited them); the unique indexes keep their names and their leading
 *   column, so lookups by lower(user_name) or lower(email) still use them.
 * - account_users.invited_user_id: the person invited, while the membership is an invitation.
 *   One invitation per person and account.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('alter table users add column is_invitation boolean not null default false');
  await knex.raw('alter table user_emails add column of_invitation boolean not null default false');
  await knex.raw('alter table account_users add column invited_user_id text references users(id) on delete cascade');
  await knex.raw('alter table account_users add column invited_at timestamptz');

  await knex.raw('drop index users_user_name_unique');
  await knex.raw(`create unique index users_user_name_unique on users (lower(user_name), (case when is_invitation then id else '' end))`);
  await knex.raw('drop index user_emails_email_unique');
  await knex.raw(`create unique index user_emails_email_unique on user_emails (lower(email), (case when of_invitation then id else '' end))`);
  await knex.raw('create unique index account_users_invitation_unique on account_users (account_id, invited_user_id) where invited_user_id is not null');
  await knex.raw('create index account_users_invited_user on account_users (invited_user_id) where invited_user_id is not null');
}

export async function down(knex: Knex): Promise<void> {
  // Invitations cannot be kept without these columns: their memberships and copies go.
  await knex.raw('delete from account_users where invited_user_id is not null');
  await knex.raw('delete from users where is_invitation');
  await knex.raw('drop index account_users_invited_user');
  await knex.raw('drop index account_users_invitation_unique');
  await knex.raw('drop index user_emails_email_unique');
  await knex.raw('create unique index user_emails_email_unique on user_emails (lower(email))');
  await knex.raw('drop index users_user_name_unique');
  await knex.raw('create unique index users_user_name_unique on users (lower(user_name))');
  await knex.raw('alter table account_users drop column invited_at');
  await knex.raw('alter table account_users drop column invited_user_id');
  await knex.raw('alter table user_emails drop column of_invitation');
  await knex.raw('alter table users drop column is_invitation');
}

/** What down() loses, said by `rollcall migrate --rollback` before it runs. */
export const dropsData = 'every pending invitation (the invited memberships and the people copied for them)';
