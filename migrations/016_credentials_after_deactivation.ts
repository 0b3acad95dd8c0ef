import type { Knex } from 'knex';

/**
 * Issue 12, sign-in side.
 *
 * - Deactivation is final for the credentials issued before it. The rule is the database's, so
 *   that it holds on every write path, SCIM's one-statement version-checked UPDATEs included: when
 *   a membership's `active` goes from true to false, a BEFORE UPDATE trigger stamps
 *   account_users.credentials_not_before with now(), deletes the member's sessions and revokes
 *   their API tokens. JWTs cannot be deleted (they live with the client): sign-in refuses those
 *   issued before credentials_not_before (sign-in-store findSignInMembership reads it).
 * - users.password_set_by_account_id: the account whose admin or IdP set the password; null when
 *   the person themself or the operator did. Password sign-in to account X honours the password
 *   only when it is null or X (a password chosen by one account never opens another). Passwords
 *   already stored are taken as set by the account that manages the person: the only account
 *   other than the person that could write them (DESIGN rule 2). A person who is a member of other
 *   accounts and signs in to them with such a password sets it again (or the operator does, with
 *   `rollcall user set-password`). No foreign key: an account's removal must not turn a password
 *   it set into one that opens every account.
 * - JWT signing keys are now stored encrypted (jwt-keys-store, secret-box): the plaintext keys
 *   are dropped. JWTs live 15 minutes, so clients that hold one sign in again; nothing else is lost.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('alter table account_users add column credentials_not_before timestamptz');
  await knex.raw('alter table users add column password_set_by_account_id text');
  await knex.raw('update users set password_set_by_account_id = managed_by_account_id where password_hash is not null');

  await knex.raw(`
    create function account_users_credentials_end() returns trigger language plpgsql as $$
    begin
      new.credentials_not_before := now();
      delete from sessions where account_user_id = new.id;
      update api_tokens set revoked_at = now() where account_user_id = new.id and revoked_at is null;
      return new;
    end
    $$`);
  await knex.raw(`
    create trigger account_users_credentials_end before update of active on account_users for each row
    when (old.active and not new.active) execute function account_users_credentials_end()`);

  await knex.raw('delete from jwt_signing_keys');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop trigger account_users_credentials_end on account_users');
  await knex.raw('drop function account_users_credentials_end()');
  await knex.raw('alter table users drop column password_set_by_account_id');
  await knex.raw('alter table account_users drop column credentials_not_before');
  // The encrypted keys mean nothing to the code before this migration (it would take them for keys).
  await knex.raw('delete from jwt_signing_keys');
}

/** What down() loses, said by `rollcall migrate --rollback` before it runs. */
export const dropsData = "when each deactivated member's credentials ended, which account set each password, and every JWT signing key (everyone signs in again)";
