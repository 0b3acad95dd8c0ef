import type { Queryable } from '../../db/database.js';
import { Conflict } from '../errors.js';
import type { GrantedRole } from '../roles/role-mappings-store.js';
import type { Role } from '../context.js';
import { isAccountOwner } from './accounts-store.js';

/**
 * The owner's standing: their admin role and their active flag change only through an ownership
 * transfer (OwnershipService.transfer), never by another admin, the IdP (SCIM) or the owner's own
 * edit. Otherwise any admin could demote or deactivate the owner and be left with the account.
 * Every membership update comes through AccountUsersService.planUpdate, which asks here.
 */

export const TRANSFER_OWNERSHIP = 'POST /api/v4/account/transfer_ownership';

/** What a membership change would do to its member's standing, if they own the account. */
export function standingChange(
  member: { active: boolean; roles: readonly Role[]; granted_roles: readonly GrantedRole[] },
  update: { active?: boolean; roles?: readonly Role[] },
): 'deactivate' | 'demote' | undefined {
  if (update.active === false && member.active) return 'deactivate';
  const adminThroughGroup = member.granted_roles.some((g) => g.role === 'admin');
  if (update.roles !== undefined && member.roles.includes('admin') && !update.roles.includes('admin') && !adminThroughGroup) return 'demote';
  return undefined;
}

/**
 * Refuses (409) a change that would deactivate the owner or take their admin role. Reads the
 * account's owner (one primary-key read) only when the change does either to someone: most
 * changes read nothing more.
 */
export async function requireOwnerStandingKept(
  q: Queryable,
  accountId: string,
  member: { id: string; active: boolean; roles: readonly Role[]; granted_roles: readonly GrantedRole[] },
  update: { active?: boolean; roles?: readonly Role[] },
): Promise<void> {
  const change = standingChange(member, update);
  if (!change || !(await isAccountOwner(q, accountId, member.id))) return;
  const what = change === 'deactivate' ? 'be deactivated' : 'lose the admin role';
  throw new Conflict(`This member owns the account and cannot ${what}: the owner first transfers ownership to another admin (${TRANSFER_OWNERSHIP})`);
}
