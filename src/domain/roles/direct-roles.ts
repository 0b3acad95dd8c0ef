import { parseRole, type Role, ROLES } from '../context.js';
import { Invalid, show } from '../errors.js';
import type { GrantedRole } from './role-mappings-store.js';

/** How a change names the roles of a membership (see MembershipChanges in account-users-service). */
export interface RoleChanges {
  /** The whole set of DIRECT roles, as given (the REST API's operator paths, account creation). */
  roles?: Role[];
  /**
   * The roles an identity provider sends (SCIM `roles`): it read the EFFECTIVE roles and sends them
   * back. A role the member holds only through a group is dropped, so that a round trip never turns
   * a group's grant into a direct role (which would outlive the member leaving the group). Roles
   * that are already direct stay direct when sent; direct roles not sent are taken away.
   */
  roles_from_idp?: Role[];
  /**
   * Roles to grant (true) or take (false); the others stay as they are. A true flag for a role the
   * member already holds through a group changes nothing (the REST API shows effective roles, so a
   * client that sends back what it read must not make group grants direct); a false flag for a role
   * held only through a group is refused, naming the group, as the membership cannot take it away.
   */
  role_flags?: Record<string, boolean>;
}

/**
 * The direct roles a membership has after `changes`, given its current direct roles and the roles
 * its teams grant. Answers a sorted set.
 */
export function directRolesAfter(current: readonly Role[], granted: readonly GrantedRole[], changes: RoleChanges): Role[] {
  const groupOnly = new Map<Role, GrantedRole>();
  for (const g of granted) if (!current.includes(g.role) && !groupOnly.has(g.role)) groupOnly.set(g.role, g);

  let base: readonly Role[] = changes.roles ?? current;
  if (changes.roles_from_idp !== undefined) base = changes.roles_from_idp.filter((r) => !groupOnly.has(r));
  const set = new Set(base);
  for (const [name, wanted] of Object.entries(changes.role_flags ?? {})) {
    const role = parseRole(name);
    if (!role) throw new Invalid(`roles.${name}`, `roles: ${show(name)} is not a role (use ${ROLES.join(', ')})`);
    const grant = groupOnly.get(role);
    if (wanted && grant) continue; // already held through the group
    if (!wanted && grant) {
      throw new Invalid(
        `roles.${role}`,
        `roles.${role}: the role is granted by the group ${show(grant.team_name)} (team ${grant.team_id}), not set on the membership: ` +
          'remove the member from that team or change its role mapping',
      );
    }
    if (wanted) set.add(role);
    else set.delete(role);
  }
  return [...set].sort();
}
