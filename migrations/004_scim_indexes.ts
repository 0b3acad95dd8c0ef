import type { Knex } from 'knex';

/**
 * What the SCIM endpoint needs of the schema:
 * - indexes for the filters identity providers send (userName/emails/displayName compared without
 *   case, `sw` prefixes, externalId lookups on users and groups), so a filter is one indexed query;
 * - member_idp_attributes: what an account's IdP sent that Rollcall does not model (title,
 *   addresses, name.formatted, preferredLanguage and locale as written, ...), kept per membership
 *   and returned as sent.
 */
export async function up(knex: Knex): Promise<void> {
  // `lower(x) like 'abc%'` (sw) can use a text_pattern_ops index whatever the collation.
  await knex.raw('create index users_user_name_pattern on users (lower(user_name) text_pattern_ops)');
  await knex.raw('create index users_name_lower on users (lower(name) text_pattern_ops)');
  await knex.raw('create index user_emails_email_pattern on user_emails (lower(email) text_pattern_ops)');
  await knex.raw('create index account_users_account_external_id_lower on account_users (account_id, lower(external_id))');
  await knex.raw('create index teams_account_external_id_lower on teams (account_id, lower(external_id))');
  await knex.raw('create index teams_name_pattern on teams (account_id, lower(name) text_pattern_ops)');

  await knex.schema.createTable('member_idp_attributes', (t) => {
    t.text('account_user_id').primary().references('account_users.id').onDelete('CASCADE');
    t.jsonb('attributes').notNullable().defaultTo('{}');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('member_idp_attributes');
  await knex.raw('drop index teams_name_pattern');
  await knex.raw('drop index teams_account_external_id_lower');
  await knex.raw('drop index account_users_account_external_id_lower');
  await knex.raw('drop index user_emails_email_pattern');
  await knex.raw('drop index users_name_lower');
  await knex.raw('drop index users_user_name_pattern');
}

/** What down() loses, said by `rollcall migrate --rollback` before it runs. */
export const dropsData = 'the attributes identity providers sent for members and Rollcall keeps as sent (member_idp_attributes)';
