import type { Knex } from 'knex';
import { findAccount } from '../accounts/accounts-store.js';
import { recordAudit } from '../audit/audit-service.js';
import { type Context, parseRole, type Role, ROLES, requireAccountManager, transact } from '../context.js';
import { Invalid, NotFound, show } from '../errors.js';
import { newId } from '../ids.js';
import {
  deleteRoleMapping, findRoleMapping, insertRoleMapping, listRoleMappings, lockRoleMapping, lockRoleMappingByGroup,
  type RoleMappingRecord, updateRoleMapping,
} from './role-mappings-store.js';

/**
 * Groups grant roles: an admin maps a group display name (any case, before or after the IdP pushes
 * the group) to roles; every member of the team of that name holds them on top of their own.
 */
export class RoleMappingsService {
  constructor(private readonly db: Knex) {}

  /** Creates the mapping of a group name, or replaces the roles of the existing one. */
  async set(ctx: Context, groupName: unknown, roles: unknown): Promise<{ mapping: RoleMappingRecord; created: boolean }> {
    requireAccountManager(ctx, 'map groups to roles');
    const group = checkGroupName(groupName);
    const wanted = checkRoles(roles);
    return transact(this.db, async (trx) => {
      if (!(await findAccount(trx, ctx.accountId))) throw new NotFound('account', ctx.accountId);
      const existing = await lockRoleMappingByGroup(trx, ctx.accountId, group);
      let id: string;
      if (existing) {
        id = existing.id;
        const update: Parameters<typeof updateRoleMapping>[3] = {};
        if (sameRoles(existing.roles, wanted) && existing.group_name === group) return { mapping: (await findRoleMapping(trx, ctx.accountId, id))!, created: false };
        if (existing.group_name !== group) update.group_name = group;
        update.roles = wanted;
        await updateRoleMapping(trx, ctx.accountId, id, update);
        await recordAudit(trx, ctx, { action: 'role_mapping.update', targetType: 'role_mapping', targetId: id, changes: { group, roles: { from: existing.roles, to: wanted } } });
      } else {
        id = newId('rmp');
        await insertRoleMapping(trx, { id, account_id: ctx.accountId, group_name: group, roles: wanted });
        await recordAudit(trx, ctx, { action: 'role_mapping.create', targetType: 'role_mapping', targetId: id, changes: { group, roles: wanted } });
      }
      return { mapping: (await findRoleMapping(trx, ctx.accountId, id))!, created: !existing };
    });
  }

  /** For the operator (CLI). */
  async setAsOperator(accountId: string, groupName: string, roles: string[]): Promise<{ mapping: RoleMappingRecord; created: boolean }> {
    return this.set(operator(accountId), groupName, roles);
  }

  async list(ctx: Context): Promise<RoleMappingRecord[]> {
    requireAccountManager(ctx, 'read role mappings');
    return transact(this.db, (trx) => listRoleMappings(trx, ctx.accountId));
  }

  async listAsOperator(accountId: string): Promise<RoleMappingRecord[]> {
    return this.list(operator(accountId));
  }

  async get(ctx: Context, id: string): Promise<RoleMappingRecord> {
    requireAccountManager(ctx, 'read role mappings');
    const found = await transact(this.db, (trx) => findRoleMapping(trx, ctx.accountId, id));
    if (!found) throw new NotFound('role_mapping', id);
    return found;
  }

  /** Changes the group name or the roles of a mapping named by its id. */
  async update(ctx: Context, id: string, changes: { group?: unknown; roles?: unknown }): Promise<RoleMappingRecord> {
    requireAccountManager(ctx, 'map groups to roles');
    const group = changes.group === undefined ? undefined : checkGroupName(changes.group);
    const roles = changes.roles === undefined ? undefined : checkRoles(changes.roles);
    return transact(this.db, async (trx) => {
      const existing = await lockRoleMapping(trx, ctx.accountId, id);
      if (!existing) throw new NotFound('role_mapping', id);
      const update: Parameters<typeof updateRoleMapping>[3] = {};
      const audit: Record<string, unknown> = {};
      if (group !== undefined && group !== existing.group_name) update.group_name = audit.group = group;
      if (roles !== undefined && !sameRoles(roles, existing.roles)) {
        update.roles = roles;
        audit.roles = { from: existing.roles, to: roles };
      }
      if (Object.keys(update).length) {
        await updateRoleMapping(trx, ctx.accountId, id, update);
        await recordAudit(trx, ctx, { action: 'role_mapping.update', targetType: 'role_mapping', targetId: id, changes: audit });
      }
      return (await findRoleMapping(trx, ctx.accountId, id))!;
    });
  }

  /** Removes the mapping: members keep only the roles their membership or other groups give them. */
  async delete(ctx: Context, id: string): Promise<void> {
    requireAccountManager(ctx, 'delete role mappings');
    await transact(this.db, async (trx) => {
      const deleted = await deleteRoleMapping(trx, ctx.accountId, id);
      if (!deleted) throw new NotFound('role_mapping', id);
      await recordAudit(trx, ctx, { action: 'role_mapping.delete', targetType: 'role_mapping', targetId: id, changes: { group: deleted.group_name, roles: deleted.roles } });
    });
  }

  /** For the operator (CLI): removes the mapping of a group name. */
  async deleteByGroupAsOperator(accountId: string, groupName: string): Promise<void> {
    const ctx = operator(accountId);
    const group = checkGroupName(groupName);
    await transact(this.db, async (trx) => {
      const existing = await lockRoleMappingByGroup(trx, accountId, group);
      if (!existing) throw new NotFound('role_mapping for group', group);
      await deleteRoleMapping(trx, accountId, existing.id);
      await recordAudit(trx, ctx, { action: 'role_mapping.delete', targetType: 'role_mapping', targetId: existing.id, changes: { group: existing.group_name, roles: existing.roles } });
    });
  }
}

const operator = (accountId: string): Context => ({ accountId, actor: { type: 'system' }, channel: 'cli' });

function checkGroupName(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new Invalid('group', 'group is required: the display name of the group (team)');
  const name = value.trim();
  if (name.length > 200) throw new Invalid('group', `group ${show(name)} is longer than 200 characters`);
  return name;
}

/** A non-empty list of known role names; answered sorted, without repeats. */
export function checkRoles(value: unknown): Role[] {
  if (!Array.isArray(value)) throw new Invalid('roles', `roles must be a list of role names (${ROLES.join(', ')})`);
  const roles = new Set<Role>();
  value.forEach((item, i) => {
    const role = typeof item === 'string' ? parseRole(item) : undefined;
    if (!role) throw new Invalid(`roles[${i}]`, `roles[${i}]: ${show(item)} is not a role (use ${ROLES.join(', ')})`);
    roles.add(role);
  });
  if (roles.size === 0) throw new Invalid('roles', 'roles must name at least one role: delete the mapping to grant none');
  return [...roles].sort();
}

const sameRoles = (a: readonly Role[], b: readonly Role[]): boolean => [...a].sort().join() === [...b].sort().join();
