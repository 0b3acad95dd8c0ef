import type { Knex } from 'knex';

/**
 * The joining rule's one statement (invitations-store identifyForJoining) as a plpgsql function run
 * with plan_cache_mode = force_generic_plan, as migration 013 does for the trigger helpers: sent as
 * a statement, PostgreSQL planned it again with the values on every POST (a custom plan looked
 * cheaper than the generic one), ~0.7 ms of planning for 0.1 ms of work; here it is planned once
 * per session. It also answers whether the account enforces SSO (a password sent for a member who
 * cannot use it is then not stored).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create function identify_for_joining(p_account text, p_user_name text, p_emails text[], p_domains text[])
      returns table (people json, verifiers text[], account_name text, account_sso_enforced boolean)
      language plpgsql stable
      set plan_cache_mode = force_generic_plan
    as $$
    begin
      return query
      with matched as (
        select u.id, null::text as email from users u where lower(u.user_name) = p_user_name and not u.is_invitation
        union all
        select e.user_id, e.email from user_emails e where lower(e.email) = any(p_emails) and not e.of_invitation
      ), joined as (
        select u.id, u.managed_by_account_id, pe.email as primary_email,
          (select d.account_id from account_domains d
            where lower(d.domain) = lower(substring(pe.email from position('@' in pe.email) + 1)) and d.verified_at is not null) as primary_domain_verifier,
          coalesce(array_agg(m.email) filter (where m.email is not null), '{}') as matched_emails,
          (select au.id from account_users au where au.account_id = p_account and (au.user_id = u.id or au.invited_user_id = u.id) limit 1) as membership_id,
          bool_or(m.email is null) as by_name
        from matched m join users u on u.id = m.id
        left join user_emails pe on pe.user_id = u.id and pe."primary"
        group by u.id, u.managed_by_account_id, pe.email
      )
      select coalesce((select json_agg(f order by f.by_name desc, f.id) from joined f), '[]'::json),
        coalesce((select array_agg(d.account_id) from account_domains d where lower(d.domain) = any(p_domains) and d.verified_at is not null), '{}'::text[]),
        (select a.name from accounts a where a.id = p_account),
        coalesce((select a.sso_enforced from accounts a where a.id = p_account), false);
    end
    $$`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop function identify_for_joining(text, text, text[], text[])');
}

/** What down() loses, said by `rollcall migrate --rollback` before it runs: no data (a function only). */
export const dropsData = false;
