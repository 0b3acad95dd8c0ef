import type { Knex } from 'knex';

/**
 * Verified email domains (issue 12): an account admin adds a domain, publishes a TXT record with
 * the row's verification_token, and Rollcall marks the domain verified once DNS shows it.
 *
 * - The domain is stored lower-cased; the unique index on lower(domain) still says what is meant
 *   (one row per domain and account, whatever the case it was typed in).
 * - account_domains_verified_unique: a domain is verified by ONE account at most. Pending rows of
 *   other accounts may exist (each with its own token); the database refuses a second verification
 *   even when two verify at the same instant. It is also the index verifiedDomainOwner reads.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('account_domains', (t) => {
    t.text('id').primary();
    t.text('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.text('domain').notNullable();
    t.text('verification_token').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('verified_at', { useTz: true });
  });
  await knex.raw('create unique index account_domains_account_domain_unique on account_domains (account_id, lower(domain))');
  await knex.raw('create unique index account_domains_verified_unique on account_domains (lower(domain)) where verified_at is not null');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('account_domains');
}

/** What down() loses, said by `rollcall migrate --rollback` before it runs. */
export const dropsData = "every account's email domains and their verification";
