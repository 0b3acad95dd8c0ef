import type { Knex } from 'knex';
import type { Queryable } from '../../db/database.js';
import { StatementTemplates, statementTemplate } from '../../db/statement-template.js';
import { compileCondition, type ConditionSchema, type FieldSpec, orderBySql } from '../condition-store.js';
import type { ListResult } from '../query.js';
import { teamQuery, type TeamRecord, teamUpdatedAtSql } from '../teams/teams-store.js';
import { hydrate, lockedRow, lockingMemberQuery, membershipQuery, type MembershipRecord, type UpdateCompanion } from '../users/account-users-store.js';
import { ENTERPRISE_KEYS, type MemberField, type MemberQuery, type MemberSortField, type TeamField, type TeamQuery, type TeamSortField } from './directory-filter.js';
import { PAGE_DOCUMENT_COLUMNS, type PageDocument, pageDocuments } from './member-documents-store.js';
import type { Continuation, PageContinuations } from './page-continuations.js';

/**
 * The SQL behind the directory an identity provider reads and writes: filtered, sorted, paged
 * lists of members and teams (one query each; the filter is compiled, never applied in memory),
 * the attributes an IdP sent that are kept as sent, and team membership changed one row at a time.
 */

const text = (sql: string, extra: Partial<FieldSpec> = {}): FieldSpec => ({ sql, type: 'text', ...extra });

const MEMBER_FIELD_SQL: Record<MemberField, FieldSpec> = {
  id: text('au.id', { caseExact: true }),
  external_id: text('au.external_id', { caseExact: true }),
  user_name: text('u.user_name'),
  display_name: text('u.display_name'),
  given_name: text('u.given_name'),
  family_name: text('u.family_name'),
  active: { sql: 'au.active', type: 'boolean' },
  time_zone: text('u.time_zone'),
  preferred_language: text('u.preferred_language'),
  created_at: { sql: 'au.created_at', type: 'timestamp' },
  updated_at: { sql: 'au.updated_at', type: 'timestamp' },
  ...(Object.fromEntries(ENTERPRISE_KEYS.map((k) => [`enterprise.${k}`, text(`(au.enterprise->>'${k}')`)])) as Record<`enterprise.${(typeof ENTERPRISE_KEYS)[number]}`, FieldSpec>),
  'enterprise.manager': text(`(au.enterprise->'manager'->>'value')`, { caseExact: true }),
  'email.value': text('e.email', { collection: 'email' }),
  'email.type': text('e.type', { collection: 'email' }),
  'email.primary': { sql: 'e."primary"', type: 'boolean', collection: 'email' },
  'phone.value': text('p.value', { collection: 'phone' }),
  'phone.type': text('p.type', { collection: 'phone' }),
  'phone.primary': { sql: 'p."primary"', type: 'boolean', collection: 'phone' },
  'team.id': text('tm.team_id', { caseExact: true, collection: 'team' }),
};

const MEMBER_CONDITIONS: ConditionSchema = {
  what: 'filter',
  fields: MEMBER_FIELD_SQL,
  collections: {
    email: 'select 1 from user_emails e where e.user_id = u.id',
    phone: 'select 1 from user_phones p where p.user_id = u.id',
    team: 'select 1 from team_members tm where tm.account_user_id = au.id',
  },
};

const MEMBER_SORT_SQL: Record<MemberSortField, FieldSpec> = {
  id: MEMBER_FIELD_SQL.id,
  external_id: MEMBER_FIELD_SQL.external_id,
  user_name: MEMBER_FIELD_SQL.user_name,
  display_name: MEMBER_FIELD_SQL.display_name,
  given_name: MEMBER_FIELD_SQL.given_name,
  family_name: MEMBER_FIELD_SQL.family_name,
  active: MEMBER_FIELD_SQL.active,
  created_at: MEMBER_FIELD_SQL.created_at,
  updated_at: MEMBER_FIELD_SQL.updated_at,
  primary_email: text(`(select e.email from user_emails e where e.user_id = u.id and e."primary")`),
};

/** A member as the directory shows it: the membership, what the IdP sent that is kept as sent, its teams. */
export interface DirectoryMember {
  membership: MembershipRecord;
  /** Attributes the IdP sent that Rollcall does not model, as sent. */
  idp: Record<string, unknown>;
  teams: { id: string; name: string }[];
}

/**
 * Whole members with their kept IdP attributes and their teams' names, in one statement (one round
 * trip per page or per member, whatever the page size).
 */
function directoryMemberQuery(q: Queryable, accountId: string): Knex.QueryBuilder {
  return membershipQuery(q, accountId).select(
    q.raw('(select a.attributes from member_idp_attributes a where a.account_user_id = au.id) as idp_attributes'),
    // each team's name looked up by its key: as a join, PostgreSQL hashed the whole teams table
    // once per member (1,000 teams: ~0.1 ms a member, most of a page built cold)
    q.raw(`coalesce((select json_agg(json_build_object('id', dtm.team_id, 'name', (select t.name from teams t where t.id = dtm.team_id)) order by dtm.team_id) from team_members dtm where dtm.account_user_id = au.id), '[]'::json) as teams`),
  );
}

function directoryMembers(rows: readonly Record<string, unknown>[]): DirectoryMember[] {
  const memberships = hydrate(rows);
  return memberships.map((membership, i) => ({
    membership,
    idp: (rows[i].idp_attributes as Record<string, unknown> | null) ?? {},
    teams: (rows[i].teams as { id: string; name: string }[] | null) ?? [],
  }));
}

// compiled once: only the values change from one read to the next
const directoryMemberById = statementTemplate<{ accountId: string; id: string }>((p) => directoryMemberQuery(p.knex, p('accountId')).where('au.id', p('id')));

export async function findDirectoryMember(q: Queryable, accountId: string, id: string): Promise<DirectoryMember | undefined> {
  return directoryMembers(await directoryMemberById.run(q, { accountId, id }))[0];
}

// the ids as one array binding: one prepared statement, planned once, whatever their number (a
// binding per id was planned on every call, ~3 ms for a page of 100)
const directoryMembersByIds = statementTemplate<{ accountId: string; ids: readonly string[] }>((p) => directoryMemberQuery(p.knex, p('accountId')).whereRaw('au.id = any(?::text[])', [p('ids')]));

/** Whole members by id, in no particular order (those not in the account are left out). */
export async function findDirectoryMembers(q: Queryable, accountId: string, ids: readonly string[]): Promise<DirectoryMember[]> {
  if (ids.length === 0) return [];
  return directoryMembers(await directoryMembersByIds.run(q, { accountId, ids }));
}

/**
 * A page's documents joined to its ids (`ids`: id and rn, in order), with the membership rows
 * their stamps read, in page order. The membership by its key for each row (LATERAL, with a
 * LIMIT so that PostgreSQL keeps it a lookup): as a join, it read the whole account_users table
 * by hash for a page of 100 at 10k members (~1 ms of a ~2 ms page).
 */
function documentsOf(k: Queryable, ids: Knex.QueryBuilder, format: string): Knex.QueryBuilder {
  return k
    .from(ids.as('m'))
    .joinRaw('cross join lateral (select a.xmin from account_users a where a.id = m.id limit 1) as sa')
    .leftJoin('member_documents as d', 'd.account_user_id', 'm.id')
    .select(k.raw(PAGE_DOCUMENT_COLUMNS.join(', '), [format]))
    .orderBy('m.rn');
}

/**
 * The page of matching ids (account_users alone when neither the filter nor the sort reads users,
 * so the default order comes straight from its (account_id, created_at, id) index), with their
 * stored documents in `format` (member-documents-store.ts), in one statement; the total is counted only
 * when the page does not tell it.
 */
export async function searchMemberDocuments(q: Queryable, accountId: string, query: MemberQuery, format: string, continuations?: PageContinuations): Promise<ListResult<PageDocument>> {
  if (!query.where && !query.sort && continuations) return walkMembers(q, accountId, query, format, continuations);
  const compiled = query.where ? compileCondition(query.where, MEMBER_CONDITIONS) : undefined;
  const order = orderBySql(query.sort ? MEMBER_SORT_SQL[query.sort.field] : undefined, query.sort?.descending ?? false, ['au.created_at', 'au.id']);
  // `u.` (never `au.`) is how the field SQL above names the users table
  const readsUser = /\bu\./.test(`${compiled?.sql ?? ''} ${order}`);
  const matchingIn = (k: Queryable, account: unknown, filterValues: readonly unknown[]) => {
    const inner = k('account_users as au').where('au.account_id', account as string);
    if (readsUser) inner.join('users as u', 'u.id', 'au.user_id');
    if (compiled) inner.whereRaw(compiled.sql, filterValues as Knex.RawBinding[]);
    return inner;
  };
  const filterValues = compiled?.bindings ?? [];
  const firstPage = firstPageTemplates.get(`${readsUser}|${order}|${query.limit}|${compiled?.sql ?? ''}`, (p) =>
    documentsOf(p.knex, pageIds(p.knex, matchingIn(p.knex, p('accountId'), filterValues.map((_, i) => p(`f${i}`))), 'au.id', order, { limit: query.limit, offset: 0 }), p('format')),
  );
  return page(q, query, () => matchingIn(q, accountId, filterValues), 'au.id', order, (ids) => documentsOf(q, ids, format), pageDocuments, firstPage && (() => firstPage.run(q, { accountId, format, ...Object.fromEntries(filterValues.map((v, i) => [`f${i}`, v])) })));
}

/**
 * First pages of filtered or sorted member lists (every lookup an identity provider sends:
 * `userName eq "..."`, startIndex 1) compiled once per shape (the filter's SQL, the order, the page
 * size; the values are bindings), not by knex on every request (~10% of a lookup's server CPU).
 * Bounded: shapes past the first few hundred are compiled per request as before.
 */
const firstPageTemplates = new StatementTemplates(300);

/**
 * The page size is written into the statement's text, not bound: PostgreSQL then plans a page
 * statement once per session (a generic plan) instead of on every request (a custom plan: with
 * `limit $n` the generic plan's estimate assumes a tenth of the table and never wins), ~0.9 ms of
 * PostgreSQL CPU per page. One prepared text per page size; sizes are few (Okta asks 100). The size
 * is an integer checked by the SCIM adapter (call.ts) and by knex.
 */
const LIMIT_IN_TEXT = { skipBinding: true } as const;

/**
 * A continuation whose account has seen member inserts or deletes since its page was served is
 * used only this soon after (a walk asks for its next page within moments); older, it may be
 * another walk's, and the page is answered with OFFSET instead.
 */
const CHANGED_CONTINUATION_MAX_AGE_MS = 60_000;

/** How many pages back a request looks for where an earlier page ended (page-continuations.ts, nearest). */
const CONTINUATION_STEPS_BACK = 32;

/** The account's member count and generation (account_member_counts, kept by triggers: migration 006). */
const COUNTS_SQL = 'select coalesce(sum(c.members), 0)::int as total, coalesce(sum(c.changes), 0)::text as generation from account_member_counts c where c.account_id = ?';

async function memberCounts(q: Queryable, accountId: string): Promise<{ total: number; generation: string }> {
  const result = (await q.raw(COUNTS_SQL, [accountId])) as { rows: { total: number; generation: string }[] };
  return result.rows[0];
}

/**
 * The unfiltered list in the default order (account_id, created_at, id): what an import walks.
 * One statement per page: the page from the index, its stored documents, and the total and
 * generation from the count rows (O(1) whatever the account's size). When the page before this
 * one was served here, the page starts after its last member's key instead of skipping `offset`
 * members. That answer is the OFFSET answer exactly when no member came or went since (same
 * generation); when some did, it is the page after the one served moments ago, which is what a
 * walker wants (OFFSET would skip one member per earlier delete, or repeat one per insert before
 * the position), and if that page was served long ago (perhaps to another walk), or is not the
 * page just before, the continuation is dropped and the page is answered with OFFSET. A request
 * whose page just before was not served yet (several in flight) continues from the nearest page
 * end a few pages back and skips the rest (same generation only).
 */
async function walkMembers(q: Queryable, accountId: string, query: MemberQuery, format: string, continuations: PageContinuations): Promise<ListResult<PageDocument>> {
  if (query.limit === 0) return { rows: [], total: (await memberCounts(q, accountId)).total };
  const order = 'au.created_at asc, au.id asc';
  const run = async (after: Continuation | undefined, skip: number) => {
    const ids = q('account_users as au')
      .where('au.account_id', accountId)
      // the key as text: computed for the page only, not for every member OFFSET skips (the outer select reads it)
      .select('au.id as id', 'au.created_at', q.raw(`row_number() over (order by ${order}) as rn`))
      .orderByRaw(order)
      .limit(query.limit, LIMIT_IN_TEXT);
    if (after) ids.whereRaw('(au.created_at, au.id) > (?::timestamptz, ?)', [after.createdAt, after.id]);
    ids.offset(skip);
    const documents = documentsOf(q, ids, format)
      .crossJoin(q.raw(`(${COUNTS_SQL}) as counts`, [accountId]))
      .select(q.raw('m.created_at::text as created_key'), 'counts.total', 'counts.generation');
    return (await documents) as Record<string, unknown>[];
  };

  const found = query.offset > 0 ? continuations.nearest(accountId, query.offset, query.limit, CONTINUATION_STEPS_BACK) : undefined;
  const after = found?.continuation;
  let rows = await run(after, query.offset - (found?.offset ?? 0));
  const changed = after !== undefined && rows.length > 0 && rows[0].generation !== after.generation;
  // under change, only the page right after one served moments ago continues: counting members to
  // skip from an older position would mix that position with today's
  if (changed && (found!.offset !== query.offset || Date.now() - after.servedAt > CHANGED_CONTINUATION_MAX_AGE_MS)) {
    rows = await run(undefined, query.offset);
  }
  if (rows.length === 0) return { rows: [], total: (await memberCounts(q, accountId)).total };
  const last = rows[rows.length - 1];
  if (rows.length === query.limit) {
    continuations.set(accountId, query.offset + query.limit, { createdAt: last.created_key as string, id: last.id as string, generation: last.generation as string, servedAt: Date.now() });
  }
  return { rows: pageDocuments(rows), total: Number(rows[0].total) };
}

const TEAM_FIELD_SQL: Record<TeamField, FieldSpec> = {
  id: text('t.id', { caseExact: true }),
  external_id: text('t.external_id', { caseExact: true }),
  name: text('t.name'),
  created_at: { sql: 't.created_at', type: 'timestamp' },
  updated_at: { sql: teamUpdatedAtSql('t'), type: 'timestamp' },
  'member.id': text('tm.account_user_id', { caseExact: true, collection: 'member' }),
};

const TEAM_CONDITIONS: ConditionSchema = {
  what: 'filter',
  fields: TEAM_FIELD_SQL,
  collections: { member: 'select 1 from team_members tm where tm.team_id = t.id' },
};

export async function searchTeams(q: Queryable, accountId: string, query: TeamQuery, withMembers: boolean): Promise<ListResult<TeamRecord>> {
  const matching = () => {
    const inner = q('teams as t').where('t.account_id', accountId);
    if (query.where) {
      const compiled = compileCondition(query.where, TEAM_CONDITIONS);
      inner.whereRaw(compiled.sql, compiled.bindings);
    }
    return inner;
  };
  const sort: TeamSortField | undefined = query.sort?.field;
  const order = orderBySql(sort ? TEAM_FIELD_SQL[sort] : undefined, query.sort?.descending ?? false, ['t.created_at', 't.id']);
  return page(q, query, matching, 't.id', order, (ids) => teamQuery(q, accountId, withMembers).join(ids.as('m'), 'm.id', 't.id').orderBy('m.rn'), (rows) => rows as unknown as TeamRecord[]);
}

/**
 * One page in the given order. No window count over every match (that sorted and counted the whole
 * account on every page): the page alone, then the total from the page when it is the last one
 * (not full), else one count.
 */
async function page<T>(
  q: Queryable,
  query: { limit: number; offset: number },
  matching: () => Knex.QueryBuilder,
  idColumn: string,
  order: string,
  whole: (ids: Knex.QueryBuilder) => Knex.QueryBuilder,
  shape: (rows: Record<string, unknown>[]) => T[],
  /** The first page's statement, when it is compiled once (searchMemberDocuments). */
  firstPage?: () => Promise<Record<string, unknown>[]>,
): Promise<ListResult<T>> {
  const total = async () => Number(((await matching().count<{ count: number }[]>('* as count')) as { count: number }[])[0].count);
  if (query.limit === 0) return { rows: [], total: await total() };
  const rows = query.offset === 0 && firstPage ? await firstPage() : ((await whole(pageIds(q, matching(), idColumn, order, query))) as Record<string, unknown>[]);
  if (rows.length > 0 && rows.length < query.limit) return { rows: shape(rows), total: query.offset + rows.length };
  if (rows.length === 0 && query.offset === 0) return { rows: [], total: 0 };
  return { rows: shape(rows), total: await total() };
}

/** The ids of one page of `matching`, numbered in `order` (rn). */
function pageIds(k: Queryable, matching: Knex.QueryBuilder, idColumn: string, order: string, query: { limit: number; offset: number }): Knex.QueryBuilder {
  return matching
    .select(`${idColumn} as id`, k.raw(`row_number() over (order by ${order}) as rn`))
    .orderByRaw(order)
    .limit(query.limit, LIMIT_IN_TEXT)
    .offset(query.offset);
}

// compiled once: only the values change from one write to the next
const lockedDirectoryMemberById = statementTemplate<{ accountId: string; id: string }>((p) => lockingMemberQuery(p.knex, directoryMemberQuery(p.knex, p('accountId')).where('au.id', p('id'))));

/** Locks the membership (FOR UPDATE) and reads the whole member as the directory shows it, in one statement (see lockingMemberQuery). */
export async function lockDirectoryMember(q: Queryable, accountId: string, id: string): Promise<DirectoryMember | undefined> {
  const locked = lockedRow(await lockedDirectoryMemberById.run(q, { accountId, id }));
  if (locked.reread) return findDirectoryMember(q, accountId, id);
  return locked.row && directoryMembers([locked.row])[0];
}

/** The upsert of a member's kept IdP attributes, not yet run (a companion of the membership's own statement). */
export function idpAttributesUpsert(q: Queryable, accountUserId: string, attributes: Record<string, unknown>): Knex.QueryBuilder {
  return q('member_idp_attributes')
    .insert({ account_user_id: accountUserId, attributes: JSON.stringify(attributes) })
    .onConflict('account_user_id')
    .merge({ attributes: JSON.stringify(attributes), updated_at: q.fn.now() });
}

/** The upsert of a member's kept IdP attributes as a companion of the membership's UPDATE: written only when that UPDATE writes (its row comes from it). */
export function idpAttributesWrittenWith(q: Queryable, attributes: Record<string, unknown>): UpdateCompanion {
  return {
    name: 'kept_attributes',
    write: (changed) =>
      q.raw(`insert into member_idp_attributes (account_user_id, attributes) select id, ?::jsonb from "${changed}" on conflict (account_user_id) do update set attributes = excluded.attributes, updated_at = now()`, [JSON.stringify(attributes)]),
  };
}

export async function saveIdpAttributes(q: Queryable, accountUserId: string, attributes: Record<string, unknown>): Promise<void> {
  await idpAttributesUpsert(q, accountUserId, attributes);
}

/** Display names of the members of these teams, for a group's `members`. */
export async function memberNames(q: Queryable, accountId: string, accountUserIds: readonly string[]): Promise<Map<string, string>> {
  if (accountUserIds.length === 0) return new Map();
  const rows = (await q('account_users as au')
    .join('users as u', 'u.id', 'au.user_id')
    .where('au.account_id', accountId)
    .whereIn('au.id', [...new Set(accountUserIds)])
    .select('au.id', 'u.name')) as { id: string; name: string }[];
  return new Map(rows.map((r) => [r.id, r.name]));
}
