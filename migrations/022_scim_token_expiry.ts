import type { Knex } from 'knex';

/**
 * The admin console's two schema changes (issue 15; one migration number was given to it):
 *
 * - scim_tokens.expires_at: SCIM tokens may expire; null for a token that never does (every token
 *   made before this). An expired token is refused like a revoked one (scim-tokens-store.ts
 *   useScimToken) and stays listed, marked expired, until an admin revokes it.
 * - saml_requests.test_by_account_user_id and test_outcome: an AuthnRequest an admin started from
 *   the console's "test sign-in". Its answer is checked like any other but signs nobody in: the
 *   ACS stores what the assertion carried (or why it was refused) for that admin to read. A test
 *   request is never found by the sign-in path (saml-requests-store.ts), so its answer cannot
 *   become a session.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('alter table scim_tokens add column expires_at timestamptz');
  await knex.raw('alter table saml_requests add column test_by_account_user_id text, add column test_outcome jsonb');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('alter table saml_requests drop column test_by_account_user_id, drop column test_outcome');
  await knex.raw('alter table scim_tokens drop column expires_at');
}

/** What down() loses, said by `rollcall migrate --rollback` before it runs. */
export const dropsData = "the SCIM tokens' expiry dates (scim_tokens.expires_at: every token would work again until revoked) and the SSO test sign-ins' results";
