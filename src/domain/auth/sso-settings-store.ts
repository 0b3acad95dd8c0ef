import type { Queryable } from '../../db/database.js';
import { effectiveRolesSql } from '../roles/role-mappings-store.js';

/** The only place that runs SQL on an account's SSO settings (columns of accounts). */

export interface SsoSettingsRow {
  id: string;
  name: string;
  sso_idp_entity_id: string | null;
  sso_idp_sso_url: string | null;
  sso_idp_certificates: string[];
  sso_enforced: boolean;
  sso_allow_idp_initiated: boolean;
  sso_jit: boolean;
  sso_updated_at: Date | null;
}

export type SsoSettingsUpdate = Omit<SsoSettingsRow, 'id' | 'name' | 'sso_updated_at'>;

const COLUMNS = ['id', 'name', 'sso_idp_entity_id', 'sso_idp_sso_url', 'sso_idp_certificates', 'sso_enforced', 'sso_allow_idp_initiated', 'sso_jit', 'sso_updated_at'] as const;

export async function findSsoSettings(q: Queryable, accountId: string): Promise<SsoSettingsRow | undefined> {
  return (await q('accounts').where({ id: accountId }).first(COLUMNS)) as SsoSettingsRow | undefined;
}

export async function lockSsoSettings(q: Queryable, accountId: string): Promise<SsoSettingsRow | undefined> {
  return (await q('accounts').where({ id: accountId }).forUpdate().first(COLUMNS)) as SsoSettingsRow | undefined;
}

export async function updateSsoSettings(q: Queryable, accountId: string, settings: SsoSettingsUpdate): Promise<void> {
  await q('accounts')
    .where({ id: accountId })
    .update({ ...settings, sso_idp_certificates: JSON.stringify(settings.sso_idp_certificates), sso_updated_at: q.fn.now(), updated_at: q.fn.now() });
}

/**
 * Whether some active admin of the account (the admin role held directly or through a group, not
 * an invitation) has a password that opens this account: set by the person, the operator or this
 * account (migration 016). Such an admin can still sign in when the IdP is down or misconfigured.
 */
export async function hasBreakGlassAdmin(q: Queryable, accountId: string): Promise<boolean> {
  const row = await q('account_users as au')
    .join('users as u', 'u.id', 'au.user_id')
    .where('au.account_id', accountId)
    .andWhere('au.active', true)
    .whereNull('au.invited_user_id')
    .andWhere('u.is_invitation', false)
    .whereNotNull('u.password_hash')
    .andWhere((w) => w.whereNull('u.password_set_by_account_id').orWhere('u.password_set_by_account_id', accountId))
    .andWhereRaw(`'admin' = any(${effectiveRolesSql('au')})`)
    .first(q.raw('1 as found'));
  return row !== undefined;
}
