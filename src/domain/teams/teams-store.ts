import type { Knex } from 'knex';
import type { Queryable } from '../../db/database.js';
import { isUniqueViolation, violatedConstraint } from '../../db/errors.js';
import { type AuditEventBinding, type AuditInsert, auditEventInsertFrom } from '../audit/audit-store.js';
import { Conflict, show } from '../errors.js';
import type { Page } from '../users/account-users-store.js';

/** The only place that runs SQL on teams and team_members. */

export interface TeamRow {
  id: string;
  account_id: string;
  name: string;
  description: string | null;
  external_id: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export interface TeamRecord extends TeamRow {
  member_ids: string[];
}

export type TeamUpdate = Partial<Pick<TeamRow, 'name' | 'description' | 'external_id'>>;

async function translateUnique<T>(name: string | undefined, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (isUniqueViolation(err) && violatedConstraint(err) === 'teams_name_unique') {
      throw new Conflict(`a team named ${show(name ?? '')} already exists in this account`, 'name');
    }
    throw err;
  }
}

/**
 * A team's version (its ETag) and last change as the team's row and the member changes counted
 * for it (team_member_changes, migration 009) make them: member changes move them without writing
 * the team's row, so that changes to one group's members do not queue on that row's lock.
 * `alias` names the teams row.
 */
export function teamVersionSql(alias: string): string {
  return `(${alias}.version + coalesce((select sum(c.changes) from team_member_changes c where c.team_id = ${alias}.id), 0))::int`;
}
export function teamUpdatedAtSql(alias: string): string {
  return `greatest(${alias}.updated_at, (select max(c.changed_at) from team_member_changes c where c.team_id = ${alias}.id))`;
}

/** A TeamRow's columns read from the teams row `alias`. */
const teamColumns = (alias: string): string =>
  `${alias}.id, ${alias}.account_id, ${alias}.name, ${alias}.description, ${alias}.external_id, ${alias}.created_at, ${teamVersionSql(alias)} as version, ${teamUpdatedAtSql(alias)} as updated_at`;

/** Teams with their member ids; `withMembers: false` skips the member list (large groups). */
export function teamQuery(q: Queryable, accountId: string, withMembers = true): Knex.QueryBuilder {
  const query = q('teams as t').where('t.account_id', accountId).select(q.raw(teamColumns('t')));
  return withMembers
    ? query.select(q.raw(`coalesce((select array_agg(tm.account_user_id order by tm.created_at, tm.account_user_id) from team_members tm where tm.team_id = t.id), '{}') as member_ids`))
    : query.select(q.raw(`'{}'::text[] as member_ids`));
}

export async function findTeam(q: Queryable, accountId: string, id: string, withMembers = true): Promise<TeamRecord | undefined> {
  return (await teamQuery(q, accountId, withMembers).where('t.id', id).first()) as TeamRecord | undefined;
}

/** A team by its name and size, without its member list. */
export interface TeamSummary {
  id: string;
  name: string;
  member_count: number;
}

const summaryColumns = (q: Queryable) => ['t.id', 't.name', q.raw('(select count(*)::int from team_members c where c.team_id = t.id) as member_count')];

/** The teams a member is in, by name. */
export async function teamsOfMember(q: Queryable, accountId: string, accountUserId: string): Promise<TeamSummary[]> {
  return (await q('teams as t')
    .join('team_members as tm', 'tm.team_id', 't.id')
    .where({ 't.account_id': accountId, 'tm.account_user_id': accountUserId })
    .select(summaryColumns(q))
    .orderBy([{ column: q.raw('lower(t.name)') as unknown as string }, { column: 't.id' }])) as TeamSummary[];
}

/** The account's teams by name, at most `limit` of them (what a choice of group offers). */
export async function teamSummaries(q: Queryable, accountId: string, limit: number): Promise<TeamSummary[]> {
  return (await q('teams as t')
    .where('t.account_id', accountId)
    .select(summaryColumns(q))
    .orderBy([{ column: q.raw('lower(t.name)') as unknown as string }, { column: 't.id' }])
    .limit(limit)) as TeamSummary[];
}

export async function listTeams(q: Queryable, accountId: string, page: Page): Promise<{ rows: TeamRecord[]; total: number }> {
  const rows = await teamQuery(q, accountId).orderBy([{ column: 't.created_at' }, { column: 't.id' }]).limit(page.limit).offset(page.offset);
  const [{ count }] = await q('teams').where({ account_id: accountId }).count<{ count: number }[]>('* as count');
  return { rows: rows as TeamRecord[], total: Number(count) };
}

/**
 * Locks the team row for the rest of the transaction and reads it. `update` (FOR UPDATE): the team
 * itself changes, or its version must not move until COMMIT (an If-Match); every other change to
 * the team waits. `share` (FOR SHARE): members are added or removed, which concurrent member
 * changes may do at the same time; only an `update` lock waits for them (and they for it).
 *
 * Under `update` the row is read by a second statement: a lock that had to wait for a member
 * change answers the locked row as it now is, but counts the member changes (the version) in the
 * snapshot taken before the wait, without the change it waited for. Once the lock is held no
 * member change is open, so the next statement counts them all.
 */
export async function lockTeam(q: Queryable, accountId: string, id: string, mode: 'update' | 'share' = 'update'): Promise<TeamRow | undefined> {
  const read = () => q('teams as t').where({ 't.account_id': accountId, 't.id': id }).select(q.raw(teamColumns('t')));
  if (mode === 'share') return (await read().forShare().first()) as TeamRow | undefined;
  const locked = await q('teams').where({ account_id: accountId, id }).forUpdate().first('id');
  return locked ? ((await read().first()) as TeamRow) : undefined;
}

/** The team row as it now is, read by the statement that writes `audit` (a data-modifying WITH). */
export async function readTeamWith(q: Queryable, accountId: string, id: string, audit: AuditInsert): Promise<TeamRow> {
  return (await q('teams as t').with('audit_event', audit).where({ 't.account_id': accountId, 't.id': id }).select(q.raw(teamColumns('t'))).first()) as TeamRow;
}

export async function insertTeam(q: Queryable, row: Pick<TeamRow, 'id' | 'account_id' | 'name' | 'description' | 'external_id'>): Promise<void> {
  await translateUnique(row.name, q('teams').insert(row));
}

/** Applies the changes and bumps version and updated_at; answers the row as it now is. `audit`, when given, is written by the same statement. */
export async function updateTeam(q: Queryable, accountId: string, id: string, changes: TeamUpdate, audit?: AuditInsert): Promise<TeamRow> {
  const update = q('teams').where({ account_id: accountId, id }).update({ ...changes, version: q.raw('version + 1'), updated_at: q.fn.now() }, '*');
  const statement = q.with('updated', update).from('updated as t').select(q.raw(teamColumns('t')));
  if (audit) statement.with('audit_event', audit);
  const [updated] = (await translateUnique(changes.name, statement)) as TeamRow[];
  return updated;
}

export async function deleteTeam(q: Queryable, accountId: string, id: string): Promise<boolean> {
  return (await q('teams').where({ account_id: accountId, id }).del().returning('id')).length > 0;
}

/** Adds members; those already in the team are left as they are. Answers the ids newly added. */
export async function addTeamMembers(q: Queryable, teamId: string, accountUserIds: readonly string[]): Promise<string[]> {
  if (accountUserIds.length === 0) return [];
  const rows = (await q('team_members')
    .insert(accountUserIds.map((id) => ({ team_id: teamId, account_user_id: id })))
    .onConflict(['team_id', 'account_user_id'])
    .ignore()
    .returning('account_user_id')) as { account_user_id: string }[];
  return rows.map((r) => r.account_user_id);
}

/**
 * Adds those of `accountUserIds` that are members of the account, in one statement (the check
 * and the insert); those already in the team are left as they are. Answers the ids newly added and,
 * in the order given, those that are not members of the account (the caller refuses the change).
 */
export async function addAccountMembersToTeam(q: Queryable, accountId: string, teamId: string, accountUserIds: readonly string[]): Promise<{ added: string[]; strangers: string[] }> {
  if (accountUserIds.length === 0) return { added: [], strangers: [] };
  const result = (await q.raw(
    `with known as (select au.id from account_users au where au.account_id = ? and au.id = any(?::text[])),
     added as (insert into team_members (team_id, account_user_id) select ?, known.id from known on conflict (team_id, account_user_id) do nothing returning account_user_id)
     select known.id, added.account_user_id is not null as added from known left join added on added.account_user_id = known.id`,
    [accountId, [...accountUserIds], teamId],
  )) as { rows: { id: string; added: boolean }[] };
  const known = new Set(result.rows.map((r) => r.id));
  return { added: result.rows.filter((r) => r.added).map((r) => r.id), strangers: accountUserIds.filter((id) => !known.has(id)) };
}

/**
 * Adds or removes members of a team by one statement, without a transaction: the team share-locked
 * as lockTeam('share') does (an If-Match, a rename or a whole member list waits for it, and it for
 * them), the members changed, and the audit event (`audit`, its `changes` left to the statement:
 * the members added or removed) written when any changed. For an add, nothing is written unless
 * every id is a member of the account. Answers undefined when the team is not the account's; else
 * the ids that are not the account's members (an add), and the team's version just after the
 * change: as committed once the lock was held (migration 012), plus the one change this statement
 * counts when it changed any member (migration 009).
 */
export async function changeTeamMembersAlone(q: Queryable, accountId: string, teamId: string, kind: 'add' | 'remove', accountUserIds: readonly string[], audit: Omit<AuditEventBinding, 'changes'>): Promise<{ strangers: string[]; version: number } | undefined> {
  const ids = [...new Set(accountUserIds)];
  const team = q('teams as t').where({ 't.account_id': accountId, 't.id': teamId }).select('t.id', 't.version').forShare();
  const statement = q.with('team', team);
  if (kind === 'add') {
    statement
      .with('known', q('account_users as au').where('au.account_id', accountId).whereRaw('au.id = any(?::text[])', [ids]).select('au.id'))
      .with('changed', q.raw(
        `insert into team_members (team_id, account_user_id)
         select team.id, known.id from team, known where (select count(*) from known) = ? order by known.id
         on conflict (team_id, account_user_id) do nothing returning account_user_id`,
        [ids.length],
      ));
  } else {
    statement.with('changed', q.raw('delete from team_members tm using team where tm.team_id = team.id and tm.account_user_id = any(?::text[]) returning tm.account_user_id', [ids]));
  }
  const members = kind === 'add' ? `jsonb_build_object('added', event.ids, 'removed', '[]'::jsonb)` : `jsonb_build_object('added', '[]'::jsonb, 'removed', event.ids)`;
  statement
    .with('event', q.raw('select jsonb_agg(account_user_id order by account_user_id) as ids from changed having count(*) > 0'))
    .with('audit_event', auditEventInsertFrom(q, 'event', { ...audit, changes: '{}' }, { members: q.raw(members) }))
    .from('team')
    .select(q.raw('(team.version + team_member_changes_now(team.id) + (select count(*) from event))::int as version'))
    .select(q.raw(kind === 'add' ? 'array(select id from known) as known' : `'{}'::text[] as known`));
  const [row] = (await statement) as { version: number; known: string[] }[];
  if (!row) return undefined;
  const known = new Set(row.known);
  return { strangers: kind === 'add' ? ids.filter((id) => !known.has(id)) : [], version: row.version };
}

/** Removes members; ids not in the team are ignored. Answers the ids removed. */
export async function removeTeamMembers(q: Queryable, teamId: string, accountUserIds: readonly string[]): Promise<string[]> {
  if (accountUserIds.length === 0) return [];
  const rows = (await q('team_members').where({ team_id: teamId }).whereIn('account_user_id', accountUserIds).del().returning('account_user_id')) as { account_user_id: string }[];
  return rows.map((r) => r.account_user_id);
}

export async function teamMemberIds(q: Queryable, teamId: string): Promise<string[]> {
  const rows = (await q('team_members').where({ team_id: teamId }).select('account_user_id')) as { account_user_id: string }[];
  return rows.map((r) => r.account_user_id);
}

/** Which of these ids are teams of the account. */
export async function existingTeamIds(q: Queryable, accountId: string, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = (await q('teams').where({ account_id: accountId }).whereIn('id', ids).select('id')) as { id: string }[];
  return new Set(rows.map((r) => r.id));
}

/** Puts a member in exactly these teams of the account. Answers what was added and removed. */
export async function setTeamsOfMember(q: Queryable, accountUserId: string, teamIds: readonly string[]): Promise<{ added: string[]; removed: string[] }> {
  const current = ((await q('team_members').where({ account_user_id: accountUserId }).select('team_id')) as { team_id: string }[]).map((r) => r.team_id);
  const added = teamIds.filter((id) => !current.includes(id));
  const removed = current.filter((id) => !teamIds.includes(id));
  if (removed.length) await q('team_members').where({ account_user_id: accountUserId }).whereIn('team_id', removed).del().returning('team_id');
  if (added.length) await q('team_members').insert(added.map((team_id) => ({ team_id, account_user_id: accountUserId }))).onConflict(['team_id', 'account_user_id']).ignore();
  return { added, removed };
}

/** Empties a team; answers the ids removed. */
export async function removeAllTeamMembers(q: Queryable, teamId: string): Promise<string[]> {
  const rows = (await q('team_members').where({ team_id: teamId }).del().returning('account_user_id')) as { account_user_id: string }[];
  return rows.map((r) => r.account_user_id);
}
