import type { Queryable } from '../../db/database.js';

/** The only place that runs the admin console's overview queries: counts and the owner, one statement. */

export interface AccountOverviewRow {
  id: string;
  name: string;
  created_at: Date;
  owner_account_user_id: string | null;
  owner_name: string | null;
  owner_email: string | null;
  active_members: number;
  deactivated_members: number;
  /** Invitations this account sent that the person has not answered (rule 1). */
  invited: number;
  /** Active members whose membership was not made through the account's IdP over SCIM. */
  not_from_idp: number;
  teams: number;
  scim_tokens: number;
  scim_last_used_at: Date | null;
}

/**
 * One read for the overview. Where a membership came from is the channel of the event that made it
 * (create, link or invite: written in the same statement as the membership, so every one has it),
 * as the People page shows it.
 */
export async function readAccountOverview(q: Queryable, accountId: string): Promise<AccountOverviewRow | undefined> {
  const result = (await q.raw(
    `select a.id, a.name, a.created_at, a.owner_account_user_id,
       (select u.name from account_users o join users u on u.id = o.user_id where o.id = a.owner_account_user_id) as owner_name,
       (select e.email from account_users o join user_emails e on e.user_id = o.user_id and e."primary" where o.id = a.owner_account_user_id) as owner_email,
       (select count(*) from account_users m where m.account_id = a.id and m.invited_user_id is null and m.active) as active_members,
       (select count(*) from account_users m where m.account_id = a.id and m.invited_user_id is null and not m.active) as deactivated_members,
       (select count(*) from account_users m where m.account_id = a.id and m.invited_user_id is not null) as invited,
       (select count(*) from account_users m where m.account_id = a.id and m.invited_user_id is null and m.active
          and coalesce((select ev.channel from audit_events ev
                        where ev.account_id = m.account_id and ev.target_type = 'account_user' and ev.target_id = m.id
                          and ev.action in ('account_user.create', 'account_user.link', 'account_user.invite')
                        order by ev.seq limit 1), 'local') <> 'scim') as not_from_idp,
       (select count(*) from teams t where t.account_id = a.id) as teams,
       (select count(*) from scim_tokens s where s.account_id = a.id and s.revoked_at is null) as scim_tokens,
       (select max(s.last_used_at) from scim_tokens s where s.account_id = a.id) as scim_last_used_at
     from accounts a where a.id = ?`,
    [accountId],
  )) as { rows: AccountOverviewRow[] };
  const row = result.rows[0];
  if (!row) return undefined;
  const n = (v: unknown) => Number(v ?? 0);
  return {
    ...row,
    active_members: n(row.active_members),
    deactivated_members: n(row.deactivated_members),
    invited: n(row.invited),
    not_from_idp: n(row.not_from_idp),
    teams: n(row.teams),
    scim_tokens: n(row.scim_tokens),
  };
}
