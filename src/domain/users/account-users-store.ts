import type { Knex } from 'knex';
import type { Queryable } from '../../db/database.js';
import { isUniqueViolation, violatedConstraint } from '../../db/errors.js';
import { StatementTemplates, statementTemplate } from '../../db/statement-template.js';
import { type AuditEventRow, type AuditInsert, auditEventInsertFrom } from '../audit/audit-store.js';
import type { Role } from '../context.js';
import { GRANTED_ROLES_JSON, type GrantedRole } from '../roles/role-mappings-store.js';
import { memberSchedulesNotEnded } from '../schedules/schedules-store.js';
import { Conflict } from '../errors.js';
import { EMAILS_JSON, PHONES_JSON, USER_COLUMNS, type UserRecord, uniqueConflict } from './users-store.js';

/** The only place that runs SQL on account_users (memberships). */

export interface MembershipRow {
  id: string;
  account_id: string;
  user_id: string;
  roles: Role[];
  active: boolean;
  external_id: string | null;
  enterprise: Record<string, unknown>;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export interface MembershipRecord extends MembershipRow {
  /** `roles` (from MembershipRow) are the DIRECT roles, set on the membership itself. */
  team_ids: string[];
  /** Roles held through teams whose name is mapped to roles (role_mappings), one entry per role and team. */
  granted_roles: GrantedRole[];
  user: UserRecord;
}

/** Direct roles together with those granted by groups, sorted, without repeats: what the member holds. */
export function effectiveRolesOf(m: Pick<MembershipRecord, 'roles' | 'granted_roles'>): Role[] {
  return [...new Set([...m.roles, ...m.granted_roles.map((g) => g.role)])].sort();
}

/** `invited_user_id`: the person an invitation invites (its user_id is then the invitation's copy). */
export type MembershipInsert = Pick<MembershipRow, 'id' | 'account_id' | 'user_id' | 'roles' | 'active' | 'external_id' | 'enterprise'> & { invited_user_id?: string };
export type MembershipUpdate = Partial<Pick<MembershipRow, 'roles' | 'active' | 'external_id' | 'enterprise'>>;

const MEMBERSHIP_COLUMNS = ['id', 'account_id', 'user_id', 'roles', 'active', 'external_id', 'enterprise', 'version', 'created_at', 'updated_at'] as const;

/**
 * One select that answers whole memberships (membership, user, emails, phones, team ids) in one
 * round trip. Callers add where / order / limit; `hydrate` shapes the rows.
 */
export function membershipQuery(q: Queryable, accountId: string): Knex.QueryBuilder {
  return q('account_users as au')
    .join('users as u', 'u.id', 'au.user_id')
    .where('au.account_id', accountId)
    .select(MEMBERSHIP_COLUMNS.map((c) => `au.${c}`))
    .select(USER_COLUMNS.map((c) => `u.${c} as u_${c}`))
    .select(
      q.raw(`${EMAILS_JSON} as u_emails`),
      q.raw(`${PHONES_JSON} as u_phones`),
      q.raw(`coalesce((select array_agg(tm.team_id order by tm.team_id) from team_members tm where tm.account_user_id = au.id), '{}') as team_ids`),
      q.raw(`${GRANTED_ROLES_JSON} as granted_roles`),
    );
}

/** The user's columns as membershipQuery names them. */
const USER_COLUMN_ALIASES = USER_COLUMNS.map((c) => [c, `u_${c}`] as const);

export function hydrate(rows: readonly Record<string, unknown>[]): MembershipRecord[] {
  return rows.map((row) => {
    const user: Record<string, unknown> = { emails: row.u_emails, phones: row.u_phones };
    for (const [c, alias] of USER_COLUMN_ALIASES) user[c] = row[alias];
    const membership: Record<string, unknown> = { team_ids: row.team_ids ?? [], granted_roles: row.granted_roles ?? [], user };
    for (const c of MEMBERSHIP_COLUMNS) membership[c] = row[c];
    return membership as unknown as MembershipRecord;
  });
}

export async function findMembership(q: Queryable, accountId: string, id: string): Promise<MembershipRecord | undefined> {
  return hydrate(await membershipById.run(q, { accountId, id }))[0];
}

export async function findMembershipOfUser(q: Queryable, accountId: string, userId: string): Promise<MembershipRecord | undefined> {
  return hydrate(await membershipQuery(q, accountId).where('au.user_id', userId))[0];
}

export interface Page {
  limit: number;
  offset: number;
}

/** A stable order (created_at, id) so that paging neither skips nor repeats a row. */
export async function listMemberships(q: Queryable, accountId: string, page: Page): Promise<{ rows: MembershipRecord[]; total: number }> {
  // one after the other: a transaction is one connection, and pg warns about overlapping queries on it
  const rows = await membershipQuery(q, accountId).orderBy([{ column: 'au.created_at' }, { column: 'au.id' }]).limit(page.limit).offset(page.offset);
  const [{ count }] = await q('account_users').where({ account_id: accountId }).count<{ count: number }[]>('* as count');
  return { rows: hydrate(rows), total: Number(count) };
}

/**
 * Where a membership came from, as its first event (create, link or invite) says: through the
 * account's identity provider over SCIM ('scim'), made at SAML sign-in (just-in-time, 'sso'), or
 * made here by an admin, the REST API or the operator ('local'). No column holds it: the event is
 * written in the statement that makes the membership (rule 6), so it is there for every one.
 */
export type MemberSource = 'scim' | 'sso' | 'local';

export interface SourcedMembership extends MembershipRecord {
  source: MemberSource;
}

const MADE_BY_ACTIONS = ['account_user.create', 'account_user.link', 'account_user.invite'] as const;

/** SQL of the channel of the event that made the membership `au` (null when none: 'local'). */
const MADE_THROUGH_SQL = `(select e.channel from audit_events e where e.account_id = au.account_id and e.target_type = 'account_user' and e.target_id = au.id and e.action in (${MADE_BY_ACTIONS.map((a) => `'${a}'`).join(', ')}) order by e.seq limit 1)`;

/** The event that made the membership `au`, when it came through one of `channels`. */
function madeThrough(q: Queryable, channels: readonly string[]): Knex.QueryBuilder {
  return q('audit_events as me')
    .select(q.raw('1'))
    .whereRaw('me.account_id = au.account_id')
    .where('me.target_type', 'account_user')
    .whereRaw('me.target_id = au.id')
    .whereIn('me.action', MADE_BY_ACTIONS)
    .whereIn('me.channel', channels);
}

function sourceOf(channel: unknown): MemberSource {
  return channel === 'scim' ? 'scim' : channel === 'sso' ? 'sso' : 'local';
}

/** `%text%` for LIKE, with the pattern characters in `text` taken literally. */
const containsPattern = (text: string): string => `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export interface MemberSearch {
  /** A part of the name, user name or an email, without regard to case. */
  text?: string;
  source?: MemberSource;
}

/**
 * Memberships whose person's name, user name or an email contains `text` (without regard to case),
 * and that came from `source`, or all of them; by name, then id, so that paging neither skips nor
 * repeats a row. An invitation is matched and shown by its copy (what this account sent), like
 * every read of the account.
 */
export async function searchMemberships(q: Queryable, accountId: string, search: MemberSearch, page: Page): Promise<{ rows: SourcedMembership[]; total: number }> {
  const { text, source } = search;
  const matching = (query: Knex.QueryBuilder): Knex.QueryBuilder => {
    // A membership is made once, by one event: "its making event came through these channels" is
    // a semi-join (anti-join for 'local') that PostgreSQL can hash over the account's events, where
    // MADE_THROUGH_SQL, a lookup per member, took 7 s for 20,000 members.
    if (source === 'local') query.whereNotExists(madeThrough(q, ['scim', 'sso']));
    else if (source) query.whereExists(madeThrough(q, [source]));
    if (!text) return query;
    const pattern = containsPattern(text);
    return query.where((w) =>
      w
        .whereRaw(`lower(u.name) like ? escape '\\'`, [pattern])
        .orWhereRaw(`lower(u.user_name) like ? escape '\\'`, [pattern])
        .orWhereExists((e) => e.select(q.raw('1')).from('user_emails as se').whereRaw('se.user_id = u.id').whereRaw(`lower(se.email) like ? escape '\\'`, [pattern])),
    );
  };
  const byName = () => [{ column: q.raw('lower(u.name)') as unknown as string }, { column: 'au.id' }];
  const members = () => matching(q('account_users as au').join('users as u', 'u.id', 'au.user_id').where('au.account_id', accountId));
  // The page's ids first, from the membership and person rows alone; then only those members
  // whole. Sorted whole, every member's emails, phones and teams were read before the sort picked
  // 25 (PostgreSQL evaluates those subqueries below the sort): 0.7 s for 20,000 members.
  const pageIds = members().select('au.id').orderBy(byName()).limit(page.limit).offset(page.offset);
  const rows = await membershipQuery(q, accountId).whereIn('au.id', pageIds).select(q.raw(`${MADE_THROUGH_SQL} as made_through`)).orderBy(byName());
  const [{ count }] = await members().count<{ count: number }[]>('* as count');
  const hydrated = hydrate(rows);
  return { rows: hydrated.map((m, i) => ({ ...m, source: sourceOf((rows[i] as Record<string, unknown>).made_through) })), total: Number(count) };
}

/** A membership of the account with its source (searchMemberships), or undefined. */
export async function findSourcedMembership(q: Queryable, accountId: string, id: string): Promise<SourcedMembership | undefined> {
  const [row] = (await membershipQuery(q, accountId).where('au.id', id).select(q.raw(`${MADE_THROUGH_SQL} as made_through`))) as Record<string, unknown>[];
  return row && { ...hydrate([row])[0], source: sourceOf(row.made_through) };
}

/** Locks the membership row for the rest of the transaction; answers false when it does not exist. */
export async function lockMembership(q: Queryable, accountId: string, id: string): Promise<MembershipRow | undefined> {
  return (await q('account_users').where({ account_id: accountId, id }).forUpdate().first()) as MembershipRow | undefined;
}

/**
 * `query` (membershipQuery or a query built on it, for one member) with the membership row locked
 * FOR UPDATE: the lock and the read in one statement. Under READ COMMITTED, when the row was
 * changed by a transaction this one had to wait for, PostgreSQL answers the newest version of the
 * locked row but evaluates the rest (the user, emails, teams, kept attributes) in the snapshot
 * taken before the wait: a mix. `seen_version` is the version as that snapshot saw it (lockedRow).
 */
export function lockingMemberQuery(q: Knex, query: Knex.QueryBuilder): Knex.QueryBuilder {
  return query.select(q.raw('(select seen.version from account_users seen where seen.id = au.id) as seen_version')).forUpdate('au');
}

/**
 * The row a lockingMemberQuery answered, or `reread` when its seen version is not the locked
 * version: the caller reads the member again (a new statement sees what the other transaction
 * committed, and the lock is now held).
 */
export function lockedRow(rows: readonly Record<string, unknown>[]): { row?: Record<string, unknown>; reread: boolean } {
  const row = rows[0];
  if (!row) return { reread: false };
  return row.seen_version === row.version ? { row, reread: false } : { reread: true };
}

// compiled once: only the values change from one write to the next
const membershipById = statementTemplate<{ accountId: string; id: string }>((p) => membershipQuery(p.knex, p('accountId')).where('au.id', p('id')));
const lockedMembershipById = statementTemplate<{ accountId: string; id: string }>((p) => lockingMemberQuery(p.knex, membershipQuery(p.knex, p('accountId')).where('au.id', p('id'))));

/** Locks the membership (FOR UPDATE) and reads it whole, in one statement (see lockingMemberQuery). */
export async function lockWholeMembership(q: Queryable, accountId: string, id: string): Promise<MembershipRecord | undefined> {
  const locked = lockedRow(await lockedMembershipById.run(q, { accountId, id }));
  if (locked.reread) return findMembership(q, accountId, id);
  return locked.row && hydrate([locked.row])[0];
}

/**
 * Writes that go with a change to a membership (its audit event, the kept IdP attributes): run as
 * data-modifying WITHs of the membership's own statement, so the change and these are one round
 * trip. Their foreign keys to the membership are checked at the end of the statement.
 */
export type CompanionWrites = readonly (AuditInsert | Knex.QueryBuilder)[];

function withCompanions(statement: Knex.QueryBuilder, companions: CompanionWrites): Knex.QueryBuilder {
  companions.forEach((write, i) => statement.with(`companion_${i + 1}`, write));
  return statement;
}

/** Answers the new row as stored (version, timestamps). `companions` are written by the same statement. */
export async function insertMembership(q: Queryable, row: MembershipInsert, companions: CompanionWrites = []): Promise<MembershipRow> {
  try {
    const insert = withCompanions(q('account_users'), companions);
    const invited = row.invited_user_id ? { invited_at: q.fn.now() } : {};
    const [inserted] = (await insert.insert({ ...row, ...invited, enterprise: JSON.stringify(row.enterprise) }).returning(MEMBERSHIP_COLUMNS)) as MembershipRow[];
    return inserted;
  } catch (err) {
    if (isUniqueViolation(err) && violatedConstraint(err) === 'account_users_membership_unique') {
      throw new Conflict('this person is already a member of the account', 'email');
    }
    // a new person written with the membership (newUserWrites): a user name or email taken meanwhile
    throw uniqueConflict(err) ?? err;
  }
}

/** A change to a membership with its audit event, written by one statement. */
export interface AuditedMembershipUpdate {
  changes: MembershipUpdate;
  audit: Omit<AuditEventRow, 'created_at'>;
  /**
   * The event also records the schedules that still name the member (`still_scheduled_on`, left
   * out when none): read by the event's insert once the UPDATE has the member's row, with a
   * snapshot of its own (member_schedules_not_ended, migration 011).
   */
  recordStillScheduled?: boolean;
  /**
   * Written only if the membership's version is still this one (the member was read without a
   * lock): otherwise nothing is written, the event and companions included.
   */
  expectedVersion?: number;
}

/**
 * A write that goes with a membership's UPDATE (the kept IdP attributes, the person's row, emails
 * and phones), run as the WITH `name` of the UPDATE's statement. `write` is given the name of the
 * WITH that holds the updated row: the write takes its row from there (or checks it exists), so it
 * is written only when the UPDATE wrote. A write may read another companion's WITH by its name to
 * run after it (an insert after a delete of the same table).
 */
export interface UpdateCompanion {
  name: string;
  write(changed: string): Knex.QueryBuilder | Knex.Raw;
}

/** The membership columns a change sets, in the order its statement names them. */
const UPDATABLE_COLUMNS = ['roles', 'active', 'external_id', 'enterprise'] as const;
type UpdatableColumn = (typeof UPDATABLE_COLUMNS)[number];

/** A value the statement binds, by name: a statement-template placeholder, or the value itself. */
type Bind = <T>(name: string) => T;

interface UpdateShape {
  columns: readonly UpdatableColumn[];
  recordStillScheduled: boolean;
  versionChecked: boolean;
}

/**
 * The UPDATE of a membership (the columns given; version and updated_at bumped) as the WITH
 * `changed`, its audit event and companions taking their row from it, answering the row as it now
 * is. Built from `bind` so that one builder serves both the compiled template and a statement built
 * per request.
 */
function auditedUpdateStatement(q: Queryable, shape: UpdateShape, bind: Bind, companions: readonly UpdateCompanion[] = []): Knex.QueryBuilder {
  const set: Record<string, unknown> = {};
  for (const column of shape.columns) set[column] = bind(column);
  const update = q('account_users').where({ account_id: bind<string>('account_id'), id: bind<string>('id') });
  if (shape.versionChecked) update.where('version', bind<number>('expected_version'));
  update.update({ ...set, version: q.raw('version + 1'), updated_at: q.fn.now() }).returning(MEMBERSHIP_COLUMNS);
  const audit = auditEventInsertFrom(
    q,
    'changed',
    {
      id: bind('audit_id'),
      account_id: bind('audit_account_id'),
      actor_type: bind('audit_actor_type'),
      actor_id: bind('audit_actor_id'),
      channel: bind('audit_channel'),
      action: bind('audit_action'),
      target_type: bind('audit_target_type'),
      target_id: bind('audit_target_id'),
      changes: bind('audit_changes'),
      request_id: bind('audit_request_id'),
    },
    shape.recordStillScheduled ? { still_scheduled_on: memberSchedulesNotEnded(q, bind('account_id'), bind('id')) } : {},
  );
  const statement = q.with('changed', update).with('audit_event', audit);
  for (const companion of companions) statement.with(companion.name, companion.write('changed'));
  return statement.select(MEMBERSHIP_COLUMNS).from('changed');
}

// compiled once per shape (the columns set, whether the event reads the schedules, whether the
// version is checked): at most 2^4 * 2 * 2 texts; a change with companions is built per request
const auditedUpdates = new StatementTemplates(2 ** UPDATABLE_COLUMNS.length * 4);

/**
 * Applies the changes, bumps version and updated_at and writes the audit event, in one statement;
 * answers the row as it now is, or undefined when `expectedVersion` was given and is no longer the
 * membership's (nothing written). `companions` (the kept IdP attributes) are written by the same
 * statement.
 */
export async function updateMembership(q: Queryable, accountId: string, id: string, update: AuditedMembershipUpdate, companions: readonly UpdateCompanion[] = []): Promise<MembershipRow | undefined> {
  const shape: UpdateShape = {
    columns: UPDATABLE_COLUMNS.filter((c) => update.changes[c] !== undefined),
    recordStillScheduled: update.recordStillScheduled === true,
    versionChecked: update.expectedVersion !== undefined,
  };
  const { audit, changes } = update;
  const values: Record<string, unknown> = {
    account_id: accountId,
    id,
    expected_version: update.expectedVersion,
    audit_id: audit.id,
    audit_account_id: audit.account_id,
    audit_actor_type: audit.actor_type,
    audit_actor_id: audit.actor_id,
    audit_channel: audit.channel,
    audit_action: audit.action,
    audit_target_type: audit.target_type,
    audit_target_id: audit.target_id,
    audit_changes: JSON.stringify(audit.changes),
    audit_request_id: audit.request_id,
  };
  for (const column of shape.columns) values[column] = column === 'enterprise' ? JSON.stringify(changes.enterprise) : changes[column];
  if (companions.length === 0) {
    const template = auditedUpdates.get(`${shape.columns.join()}|${shape.recordStillScheduled}|${shape.versionChecked}`, (p) => auditedUpdateStatement(p.knex, shape, <T>(name: string) => p(name) as T));
    if (template) return (await template.run(q, values))[0] as unknown as MembershipRow | undefined;
  }
  try {
    return ((await auditedUpdateStatement(q, shape, <T>(name: string) => values[name] as T, companions)) as MembershipRow[])[0];
  } catch (err) {
    // the person's row written with it (a user name taken meanwhile)
    throw uniqueConflict(err) ?? err;
  }
}

/** Removes the membership, and an invitation's copy with it (the copy belongs to that membership alone). */
export async function deleteMembership(q: Queryable, accountId: string, id: string): Promise<boolean> {
  const deleted = (await q('account_users').where({ account_id: accountId, id }).del().returning(['id', 'user_id', 'invited_user_id'])) as { user_id: string; invited_user_id: string | null }[];
  const copy = deleted.find((d) => d.invited_user_id !== null);
  if (copy) await q('users').where({ id: copy.user_id, is_invitation: true }).del();
  return deleted.length > 0;
}

/** Which of these ids are memberships of the account. */
export async function existingMembershipIds(q: Queryable, accountId: string, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = (await q('account_users').where({ account_id: accountId }).whereIn('id', ids).select('id')) as { id: string }[];
  return new Set(rows.map((r) => r.id));
}

/** The account of a membership, for the operator who names a membership without its account. */
export async function findMembershipAccountId(q: Queryable, id: string): Promise<string | undefined> {
  const row = (await q('account_users').where({ id }).first('account_id')) as { account_id: string } | undefined;
  return row?.account_id;
}

/**
 * Share-locks these memberships of the account (in id order, so two callers cannot deadlock) for
 * the rest of the transaction; answers those that exist. Whoever puts a member on a schedule takes
 * it, so that a delete (which takes the row FOR UPDATE in lockMembership) and an assignment of the
 * same member run one after the other.
 */
export async function lockMembershipsShared(q: Queryable, accountId: string, ids: readonly string[]): Promise<Pick<MembershipRow, 'id' | 'active'>[]> {
  if (ids.length === 0) return [];
  return (await q('account_users').where({ account_id: accountId }).whereIn('id', ids).orderBy('id').forShare().select('id', 'active')) as Pick<MembershipRow, 'id' | 'active'>[];
}

/**
 * Moves the membership to a new version without changing it, inside a transaction that holds its
 * row: a write that read the member before (a version-checked SCIM write) then finds the version
 * changed, reads again and is decided against what this transaction committed (an ownership
 * transfer: the new owner's standing is then checked, owner-rules.ts).
 */
export async function bumpMembershipVersion(q: Queryable, accountId: string, id: string): Promise<void> {
  await q('account_users').where({ account_id: accountId, id }).update({ version: q.raw('version + 1'), updated_at: q.fn.now() });
}
