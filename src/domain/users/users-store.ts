import type { Knex } from 'knex';
import type { Queryable } from '../../db/database.js';
import { isUniqueViolation, violatedConstraint } from '../../db/errors.js';
import { Conflict, show } from '../errors.js';
import type { UpdateCompanion } from './account-users-store.js';

/** The only place that runs SQL on users, user_emails and user_phones. */

export interface EmailRecord {
  id: string;
  email: string;
  type: string | null;
  primary: boolean;
  blocked: boolean;
  verified_at: string | null;
}

export interface PhoneRecord {
  id: string;
  number: string;
  value: string;
  type: string | null;
  country: string | null;
  primary: boolean;
  blocked: boolean;
  verified_at: string | null;
}

export interface UserRow {
  id: string;
  /** The name Rollcall shows: the display name, else the full name, else the user name. */
  name: string;
  /** SCIM displayName, as sent (null when none or cleared). */
  display_name: string | null;
  given_name: string | null;
  family_name: string | null;
  user_name: string;
  time_zone: string;
  preferred_language: string;
  notify_push: boolean;
  notify_email: boolean;
  notify_sms: boolean;
  notify_voice: boolean;
  last_sign_in_at: Date | null;
  managed_by_account_id: string | null;
  /**
   * This row is an invitation's copy of what the inviting account sent (migration 014), not a
   * person: it takes no part in sign-in or in the uniqueness of user names and emails.
   */
  is_invitation: boolean;
  created_at: Date;
  updated_at: Date;
}

export interface UserRecord extends UserRow {
  emails: EmailRecord[];
  phones: PhoneRecord[];
}

/** `of_invitation`: an email of an invitation's copy (unique among people only). */
export type NewEmail = Omit<EmailRecord, 'verified_at'> & { of_invitation?: boolean };
export type NewPhone = Omit<PhoneRecord, 'verified_at'>;

/** password_set_by_account_id: who set password_hash, written with it (migration 016; profile.ts passwordSetBy). */
export type UserInsert = Omit<UserRow, 'created_at' | 'updated_at' | 'last_sign_in_at'> & { password_hash?: string | null; password_set_by_account_id?: string | null };
export type UserUpdate = Partial<Omit<UserRow, 'id' | 'created_at' | 'updated_at'>> & { password_hash?: string | null; password_set_by_account_id?: string | null };

export const USER_COLUMNS = [
  'id', 'name', 'display_name', 'given_name', 'family_name', 'user_name', 'time_zone', 'preferred_language',
  'notify_push', 'notify_email', 'notify_sms', 'notify_voice', 'last_sign_in_at', 'managed_by_account_id',
  'is_invitation', 'created_at', 'updated_at',
] as const;

/** SQL for a user's emails and phones as JSON arrays, for selects that name the user row `u`. */
export const EMAILS_JSON = `coalesce((select json_agg(json_build_object('id', e.id, 'email', e.email, 'type', e.type, 'primary', e."primary", 'blocked', e.blocked, 'verified_at', e.verified_at) order by e."primary" desc, e.created_at, e.id) from user_emails e where e.user_id = u.id), '[]'::json)`;
export const PHONES_JSON = `coalesce((select json_agg(json_build_object('id', p.id, 'number', p.number, 'value', p.value, 'type', p.type, 'country', p.country, 'primary', p."primary", 'blocked', p.blocked, 'verified_at', p.verified_at) order by p."primary" desc, p.created_at, p.id) from user_phones p where p.user_id = u.id), '[]'::json)`;

/** Turns a unique violation on a user table into a Conflict that names the field and the value. */
export function uniqueConflict(err: unknown): Conflict | undefined {
  if (!isUniqueViolation(err)) return undefined;
  const constraint = violatedConstraint(err);
  // the indexes' second column (migration 014) is '' for people: "(lower(email), (case ...))=(a@b.c, )"
  const taken = /\)=\((.*?)(, )?\) already exists/.exec(String((err as { detail?: string }).detail ?? (err as Error).message))?.[1];
  const value = taken === undefined ? '' : ` ${show(taken)}`;
  switch (constraint) {
    case 'user_emails_email_unique':
      return new Conflict(`email${value} is already taken`, 'email');
    case 'users_user_name_unique':
      return new Conflict(`user_name${value} is already taken`, 'user_name');
    case 'user_phones_number_unique':
      return new Conflict('the same phone number is listed twice', 'phone');
    default:
      return undefined;
  }
}

async function translateUnique<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    throw uniqueConflict(err) ?? err;
  }
}

/**
 * The inserts of a new user with their emails and phones, for data-modifying WITHs of the
 * statement that makes their membership (account-users-store insertMembership): their foreign keys
 * are checked at the end of that statement, and a unique violation is named by uniqueConflict.
 */
export function newUserWrites(q: Queryable, row: UserInsert, emails: readonly NewEmail[], phones: readonly NewPhone[]): Knex.QueryBuilder[] {
  const writes = [q('users').insert(row)];
  if (emails.length) writes.push(q('user_emails').insert(emails.map((e) => ({ ...e, user_id: row.id }))));
  if (phones.length) writes.push(q('user_phones').insert(phones.map((p) => ({ ...p, user_id: row.id }))));
  return writes;
}

/**
 * The UPDATE of a user's row as a companion of their membership's UPDATE (`changed` names the WITH
 * holding that row): written only when the membership's UPDATE wrote, by the same statement.
 */
export function userUpdateWrittenWith(q: Queryable, id: string, changes: UserUpdate): UpdateCompanion {
  return { name: 'person', write: (changed) => q('users').where({ id }).whereExists(q.select(q.raw('1')).from(changed)).update({ ...changes, updated_at: q.fn.now() }) };
}

/**
 * A user's emails or phones deleted and inserted as companions of their membership's UPDATE: the
 * inserts run after the deletes (they read the deletes' WITH), so a new primary or a number sent
 * again in another form takes the place of the row deleted. Rows changed in place (a type, a
 * primary flag) are not written this way: two writes of one row in one statement are not ordered.
 */
export function contactsWrittenWith(q: Queryable, table: 'user_emails' | 'user_phones', userId: string, deletes: readonly string[], inserts: readonly (NewEmail | NewPhone)[]): UpdateCompanion[] {
  const removed = `${table}_removed`;
  const companions: UpdateCompanion[] = [];
  if (deletes.length) {
    companions.push({
      name: removed,
      write: (changed) => q.raw(`delete from ${table} where user_id = ? and id = any(?::text[]) and exists (select 1 from "${changed}") returning id`, [userId, [...deletes]]),
    });
  }
  if (inserts.length) {
    const rows = inserts.map((row) => ({ ...row, user_id: userId }));
    const columns = Object.keys(rows[0]).map((c) => `"${c}"`).join(', ');
    const afterDeletes = deletes.length ? ` and (select count(*) from "${removed}") >= 0` : '';
    companions.push({
      name: `${table}_added`,
      // the rows typed by the table's own row type
      write: (changed) => q.raw(`insert into ${table} (${columns}) select ${columns} from jsonb_populate_recordset(null::${table}, ?::jsonb) where exists (select 1 from "${changed}")${afterDeletes}`, [JSON.stringify(rows)]),
    });
  }
  return companions;
}

/** Answers the row as it now is. */
export async function updateUser(q: Queryable, id: string, changes: UserUpdate): Promise<UserRow> {
  const [updated] = (await translateUnique(q('users').where({ id }).update({ ...changes, updated_at: q.fn.now() }).returning(USER_COLUMNS))) as UserRow[];
  return updated;
}

export async function findUsers(q: Queryable, ids: readonly string[]): Promise<UserRecord[]> {
  if (ids.length === 0) return [];
  return (await q('users as u')
    .select(USER_COLUMNS.map((c) => `u.${c}`))
    .select(q.raw(`${EMAILS_JSON} as emails`), q.raw(`${PHONES_JSON} as phones`))
    .whereIn('u.id', ids)) as UserRecord[];
}

export async function insertEmails(q: Queryable, userId: string, emails: readonly NewEmail[]): Promise<void> {
  if (emails.length === 0) return;
  await translateUnique(q('user_emails').insert(emails.map((e) => ({ ...e, user_id: userId }))));
}

export async function updateEmail(q: Queryable, userId: string, id: string, changes: Partial<Omit<EmailRecord, 'id'>>): Promise<void> {
  await translateUnique(q('user_emails').where({ id, user_id: userId }).update(changes));
}

export async function deleteEmails(q: Queryable, userId: string, ids: readonly string[]): Promise<void> {
  if (ids.length) await q('user_emails').where({ user_id: userId }).whereIn('id', ids).del().returning('id');
}

export async function insertPhones(q: Queryable, userId: string, phones: readonly NewPhone[]): Promise<void> {
  if (phones.length === 0) return;
  await translateUnique(q('user_phones').insert(phones.map((p) => ({ ...p, user_id: userId }))));
}

export async function updatePhone(q: Queryable, userId: string, id: string, changes: Partial<Omit<PhoneRecord, 'id'>>): Promise<void> {
  await translateUnique(q('user_phones').where({ id, user_id: userId }).update(changes));
}

export async function deletePhones(q: Queryable, userId: string, ids: readonly string[]): Promise<void> {
  if (ids.length) await q('user_phones').where({ user_id: userId }).whereIn('id', ids).del().returning('id');
}

/** Clears the primary flag of every email (or phone) of a user, before another one takes it. */
export async function clearPrimary(q: Queryable, table: 'user_emails' | 'user_phones', userId: string): Promise<void> {
  await q(table).where({ user_id: userId, primary: true }).update({ primary: false });
}

export async function setPasswordHash(q: Queryable, userId: string, hash: string): Promise<void> {
  // the operator's (or the person's) password opens every account the person is a member of
  await q('users').where({ id: userId }).update({ password_hash: hash, password_set_by_account_id: null, updated_at: q.fn.now() });
}
