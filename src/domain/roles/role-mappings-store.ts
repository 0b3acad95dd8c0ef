import type { Knex } from 'knex';
import type { Queryable } from '../../db/database.js';
import { isUniqueViolation } from '../../db/errors.js';
import type { Role } from '../context.js';
import { Conflict, show } from '../errors.js';

/**
 * The only place that runs SQL on role_mappings, and the one definition of effective roles:
 * a member's roles are the roles on their membership (direct) plus the roles mapped to the name
 * of every team they are in. Nothing is copied: leaving a team, deleting or renaming it, or
 * changing the mapping changes the effective roles at the next read.
 */

export interface RoleMappingRow {
  id: string;
  account_id: string;
  /** The group's display name, matched against team names without regard to case. */
  group_name: string;
  roles: Role[];
  created_at: Date;
  updated_at: Date;
}

export interface RoleMappingRecord extends RoleMappingRow {
  /** The team the name matches today, if the IdP has pushed it (or an admin made it). */
  team: { id: string; name: string; member_count: number } | null;
}

/** One role a member holds through a team whose name is mapped. */
export interface GrantedRole {
  role: Role;
  team_id: string;
  team_name: string;
}

/** The join from a membership to the roles its teams grant. `memberColumn` is the SQL expression of the account_users id. */
const grantsFrom = (memberColumn: string): string =>
  `from team_members gtm
   join teams gt on gt.id = gtm.team_id
   join role_mappings grm on grm.account_id = gt.account_id and lower(grm.group_name) = lower(gt.name)
   cross join lateral unnest(grm.roles) as gr(role)
   where gtm.account_user_id = ${memberColumn}`;

/** SQL (a jsonb array of {role, team_id, team_name}) for a select over `account_users as au`. */
export const GRANTED_ROLES_JSON = `coalesce((select jsonb_agg(jsonb_build_object('role', gr.role, 'team_id', gt.id, 'team_name', gt.name) order by gr.role, lower(gt.name), gt.id) ${grantsFrom('au.id')}), '[]'::jsonb)`;

/** SQL (a sorted text[] without repeats) of the effective roles of the membership `alias`.id. */
export function effectiveRolesSql(alias: string): string {
  return `array(select distinct er.role from unnest(${alias}.roles || coalesce((select array_agg(gr.role) ${grantsFrom(`${alias}.id`)}), '{}'::text[])) as er(role) order by er.role)`;
}

/** Direct roles together with those granted by groups: what authorization checks. */
export async function effectiveRoles(q: Queryable, accountUserId: string): Promise<Role[]> {
  const row = (await q('account_users as au').where('au.id', accountUserId).first(q.raw(`${effectiveRolesSql('au')} as roles`))) as { roles: Role[] } | undefined;
  return row?.roles ?? [];
}

/** The roles a member holds through groups, each with the team that grants it. */
export async function grantedRoles(q: Queryable, accountUserId: string): Promise<GrantedRole[]> {
  const result = (await q.raw(`select gr.role, gt.id as team_id, gt.name as team_name ${grantsFrom('?')} order by gr.role, lower(gt.name), gt.id`, [accountUserId])) as { rows: GrantedRole[] };
  return result.rows;
}

const COLUMNS = ['rm.id', 'rm.account_id', 'rm.group_name', 'rm.roles', 'rm.created_at', 'rm.updated_at'] as const;

function recordQuery(q: Queryable, accountId: string): Knex.QueryBuilder {
  return q('role_mappings as rm')
    .leftJoin('teams as t', (j) => j.on('t.account_id', 'rm.account_id').andOn(q.raw('lower(t.name) = lower(rm.group_name)')))
    .where('rm.account_id', accountId)
    .select(COLUMNS)
    .select(
      q.raw(
        `case when t.id is null then null else jsonb_build_object('id', t.id, 'name', t.name, 'member_count', (select count(*) from team_members tm where tm.team_id = t.id)) end as team`,
      ),
    );
}

export async function listRoleMappings(q: Queryable, accountId: string): Promise<RoleMappingRecord[]> {
  return (await recordQuery(q, accountId).orderBy([{ column: q.raw('lower(rm.group_name)') as unknown as string }, { column: 'rm.id' }])) as RoleMappingRecord[];
}

export async function findRoleMapping(q: Queryable, accountId: string, id: string): Promise<RoleMappingRecord | undefined> {
  return (await recordQuery(q, accountId).where('rm.id', id).first()) as RoleMappingRecord | undefined;
}

/** The mapping of a group name (without regard to case), locked for the rest of the transaction. */
export async function lockRoleMappingByGroup(q: Queryable, accountId: string, groupName: string): Promise<RoleMappingRow | undefined> {
  return (await q('role_mappings').where({ account_id: accountId }).whereRaw('lower(group_name) = lower(?)', [groupName]).forUpdate().first()) as RoleMappingRow | undefined;
}

export async function lockRoleMapping(q: Queryable, accountId: string, id: string): Promise<RoleMappingRow | undefined> {
  return (await q('role_mappings').where({ account_id: accountId, id }).forUpdate().first()) as RoleMappingRow | undefined;
}

async function translateUnique<T>(groupName: string, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (isUniqueViolation(err)) throw new Conflict(`group ${show(groupName)} already has a role mapping in this account`, 'group');
    throw err;
  }
}

export async function insertRoleMapping(q: Queryable, row: Pick<RoleMappingRow, 'id' | 'account_id' | 'group_name' | 'roles'>): Promise<void> {
  await translateUnique(row.group_name, q('role_mappings').insert(row));
}

export async function updateRoleMapping(q: Queryable, accountId: string, id: string, changes: Partial<Pick<RoleMappingRow, 'group_name' | 'roles'>>): Promise<void> {
  await translateUnique(changes.group_name ?? '', q('role_mappings').where({ account_id: accountId, id }).update({ ...changes, updated_at: q.fn.now() }));
}

export async function deleteRoleMapping(q: Queryable, accountId: string, id: string): Promise<RoleMappingRow | undefined> {
  const [row] = (await q('role_mappings').where({ account_id: accountId, id }).del().returning(['id', 'group_name', 'roles'])) as RoleMappingRow[];
  return row;
}
