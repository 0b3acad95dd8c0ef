import type { Queryable } from '../../db/database.js';
import type { Context } from '../context.js';
import { hashPassword, checkPassword } from '../auth/passwords.js';
import { Forbidden, Invalid } from '../errors.js';
import { newId } from '../ids.js';
import type { UpdateCompanion } from './account-users-store.js';
import { type ContactChange, type IncomingContact, planContacts } from './contact-plan.js';
import { checkEmail, checkLanguage, checkName, checkPhone, checkTimeZone, checkUserName } from './profile-rules.js';
import {
  clearPrimary, deleteEmails, deletePhones, insertEmails, insertPhones, type NewEmail, type NewPhone,
  contactsWrittenWith, updateEmail, updatePhone, updateUser, type UserInsert, type UserRecord, type UserUpdate, userUpdateWrittenWith,
} from './users-store.js';

/** A person's profile: what rule 2 of DESIGN.md protects. Shared by every use case that writes one. */

export interface EmailInput {
  id?: string;
  email?: string;
  type?: string | null;
  primary?: boolean;
  destroy?: boolean;
}

export interface PhoneInput {
  id?: string;
  phone?: string;
  type?: string | null;
  primary?: boolean;
  destroy?: boolean;
}

export interface ProfileChanges {
  /** The name shown; set alone (REST), it is the display name too. */
  name?: string;
  /** SCIM displayName: null clears it. */
  display_name?: string | null;
  given_name?: string | null;
  family_name?: string | null;
  user_name?: string;
  time_zone?: string;
  preferred_language?: string;
  notify_push?: boolean;
  notify_email?: boolean;
  notify_sms?: boolean;
  notify_voice?: boolean;
  password?: string;
  emails?: { mode: 'merge' | 'replace'; items: EmailInput[] };
  phones?: { mode: 'merge' | 'replace'; items: PhoneInput[] };
}

const SCALAR_FIELDS = ['name', 'display_name', 'given_name', 'family_name', 'user_name', 'time_zone', 'preferred_language', 'notify_push', 'notify_email', 'notify_sms', 'notify_voice'] as const;

export function hasProfileChanges(changes: ProfileChanges | undefined): boolean {
  return !!changes && Object.values(changes).some((v) => v !== undefined);
}

/**
 * Rule 2: the profile is written by the account that manages the user, or by the user.
 * Another account's admins and IdP manage only the membership.
 */
export function canEditProfile(ctx: Context, user: Pick<UserRecord, 'id' | 'managed_by_account_id'>): boolean {
  // Through an account that does not manage them, a person edits their own profile only after
  // proving who they are with their password: a SAML sign-in is that account's IdP vouching (it
  // reaches only the people it manages), and an API token may have been minted in such a session.
  if (ctx.actor.type === 'account_user' && ctx.actor.method !== 'password' && user.managed_by_account_id !== ctx.accountId) return false;
  if (ctx.actor.type === 'account_user' && ctx.actor.userId === user.id) return true;
  if (ctx.actor.type === 'account_user' && !ctx.actor.roles.includes('admin')) return false;
  return user.managed_by_account_id === ctx.accountId;
}

export function requireProfileEditor(ctx: Context, user: Pick<UserRecord, 'id' | 'managed_by_account_id'>): void {
  if (!canEditProfile(ctx, user)) {
    throw new Forbidden(
      ctx.actor.type === 'account_user' && !ctx.actor.roles.includes('admin')
        ? 'A member may update only their own profile'
        : "This person's profile is managed by another account; only their membership in this account can be changed here",
    );
  }
}

function checkedScalars(changes: ProfileChanges): UserUpdate {
  const out: UserUpdate = {};
  if (changes.name !== undefined) out.name = checkName(changes.name);
  // a name set alone (the REST API's `name`) is the display name too; SCIM says both
  const display = changes.display_name !== undefined ? changes.display_name : changes.name;
  if (display !== undefined) out.display_name = display === null || display.trim() === '' ? null : checkName(display, 'display_name');
  if (changes.given_name !== undefined) out.given_name = changes.given_name === null || changes.given_name === '' ? null : checkName(changes.given_name, 'given_name');
  if (changes.family_name !== undefined) out.family_name = changes.family_name === null || changes.family_name === '' ? null : checkName(changes.family_name, 'family_name');
  if (changes.user_name !== undefined) out.user_name = checkUserName(changes.user_name);
  if (changes.time_zone !== undefined) out.time_zone = checkTimeZone(changes.time_zone);
  if (changes.preferred_language !== undefined) out.preferred_language = checkLanguage(changes.preferred_language);
  for (const flag of ['notify_push', 'notify_email', 'notify_sms', 'notify_voice'] as const) {
    if (changes[flag] !== undefined) out[flag] = changes[flag];
  }
  return out;
}

function emailChange(change: NonNullable<ProfileChanges['emails']>): ContactChange<{ email: string }> {
  return {
    mode: change.mode,
    items: change.items.map((item, i): IncomingContact<{ email: string }> => {
      const email = item.email === undefined ? undefined : checkEmail(item.email, `emails[${i}].email`);
      return { id: item.id, destroy: item.destroy, primary: item.primary, type: item.type, value: email ? { key: email.toLowerCase(), fields: { email } } : undefined };
    }),
  };
}

function phoneChange(change: NonNullable<ProfileChanges['phones']>): ContactChange<{ number: string; value: string; country: string | null }> {
  return {
    mode: change.mode,
    items: change.items.map((item, i) => {
      const phone = item.phone === undefined ? undefined : checkPhone(item.phone, `phones[${i}].phone`);
      return { id: item.id, destroy: item.destroy, primary: item.primary, type: item.type, value: phone ? { key: phone.number, fields: phone } : undefined };
    }),
  };
}

/** Emails and phones in the order the stores read them: the primary first, then by id (all of a new user's share created_at). */
function inReadOrder<T extends { primary: boolean; id: string }>(list: T[]): T[] {
  return list.sort((a, b) => (a.primary !== b.primary ? (a.primary ? -1 : 1) : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * A new person managed by the context's account, checked and given their ids: written by the
 * statement that makes their first membership (users-store newUserWrites), so that the person and
 * the membership are one statement, atomic without a transaction.
 */
export interface NewPerson {
  row: UserInsert;
  emails: NewEmail[];
  phones: NewPhone[];
}

/**
 * Checks a new person's profile and gives them and their emails and phones their ids; hashes a
 * password. With `invitation`, the row is an invitation's copy of what the account sent (the same
 * rules and the same work, so that an invitation and a new person cost and answer alike), and a
 * password is never stored on it: a password chosen by one account never opens another.
 */
export async function planNewPerson(ctx: Context, input: ProfileChanges, options: { invitation?: boolean } = {}): Promise<NewPerson> {
  const invitation = options.invitation === true;
  const scalars = checkedScalars(input);
  // A person may have no email (an IdP's user without a mailbox): then the user name names them.
  const emailPlan = planContacts('email', [], emailChange({ mode: 'replace', items: input.emails?.items ?? [] }), { minimum: 0, newId: () => newId('eml') });
  const phonePlan = planContacts('phone', [], phoneChange({ mode: 'replace', items: input.phones?.items ?? [] }), { minimum: 0, newId: () => newId('phn') });
  const primaryEmail = emailPlan.inserts.find((e) => e.primary)?.email;
  const userName = scalars.user_name ?? primaryEmail;
  if (!userName) throw new Invalid('user_name', 'a user needs a user_name or an email');
  // without a name, the display name comes from the names given, or the user name
  const name = scalars.name ?? ([scalars.given_name, scalars.family_name].filter(Boolean).join(' ') || userName);
  return {
    row: {
      id: newId('usr'),
      name,
      display_name: scalars.display_name ?? null,
      given_name: scalars.given_name ?? null,
      family_name: scalars.family_name ?? null,
      user_name: userName,
      time_zone: scalars.time_zone ?? 'UTC',
      preferred_language: scalars.preferred_language ?? 'en',
      notify_push: scalars.notify_push ?? true,
      notify_email: scalars.notify_email ?? true,
      notify_sms: scalars.notify_sms ?? true,
      notify_voice: scalars.notify_voice ?? true,
      managed_by_account_id: ctx.accountId,
      is_invitation: invitation,
      password_hash: await passwordHashToStore(input.password, invitation),
      password_set_by_account_id: input.password === undefined ? null : passwordSetBy(ctx, undefined),
    },
    emails: emailPlan.inserts.map((e) => ({ ...e, blocked: false, ...(invitation ? { of_invitation: true } : {}) })),
    phones: phonePlan.inserts.map((p) => ({ ...p, blocked: false })),
  };
}

/** The hash of a password sent for a new row: computed for an invitation's copy too (the same cost), but not kept. */
async function passwordHashToStore(password: string | undefined, invitation: boolean): Promise<string | null> {
  if (password === undefined) return null;
  const hash = await hashPassword(checkPassword(password));
  return invitation ? null : hash;
}

/**
 * The new person as stored by the statement that wrote them at `writtenAt` (the statement's
 * transaction time, which every row it inserts takes as created_at and updated_at).
 */
export function storedPerson(person: NewPerson, writtenAt: Date): UserRecord {
  const { password_hash: _hash, password_set_by_account_id: _setBy, ...row } = person.row;
  return {
    ...row,
    last_sign_in_at: null,
    created_at: writtenAt,
    updated_at: writtenAt,
    emails: inReadOrder(person.emails.map((e) => ({ id: e.id, email: e.email, type: e.type, primary: e.primary, blocked: e.blocked, verified_at: null }))),
    phones: inReadOrder(person.phones.map((p) => ({ id: p.id, number: p.number, value: p.value, type: p.type, country: p.country, primary: p.primary, blocked: p.blocked, verified_at: null }))),
  };
}

/**
 * Profile changes to an existing user, planned against the user as read (the caller has checked
 * the right to make them): what changes, for the audit event (empty when nothing does), and the
 * writes that make it, not yet run.
 */
export interface ProfileUpdate {
  diff: Record<string, unknown>;
  /** Whether applying it writes anything (the user's row, emails or phones). */
  writes: boolean;
  /** Runs the writes; answers the user as they now are when that is known without reading them again (undefined once emails or phones were written). */
  apply(q: Queryable): Promise<UserRecord | undefined>;
  /**
   * Its writes as companions of the membership's UPDATE (one statement), and the user as they are
   * once that has run at `writtenAt`; undefined when one statement cannot make them: an email or
   * phone changed in place (its type, a primary flag moving), which would be a second write of a
   * row the statement may also delete or insert around.
   */
  inMembershipStatement(q: Queryable): { companions: UpdateCompanion[]; after(writtenAt: Date): UserRecord } | undefined;
}

/** Emails or phones as a plan leaves them, in the order the stores read them: primary first, then the kept ones as they were, then the new ones by id. */
function contactsAfter<T extends { id: string; primary: boolean }>(current: readonly T[], plan: { deletes: readonly string[] }, added: readonly T[]): T[] {
  const kept = current.filter((c) => !plan.deletes.includes(c.id));
  const all = [...kept, ...[...added].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))];
  return [...all.filter((c) => c.primary), ...all.filter((c) => !c.primary)];
}

/** An email added to an invitation's copy is the copy's (unique among people only). */
const copyFlag = (user: Pick<UserRecord, 'is_invitation'>): { of_invitation?: true } => (user.is_invitation ? { of_invitation: true } : {});

/**
 * Who a password written now is set by (users.password_set_by_account_id, migration 016): null
 * when the person sets their own or the operator does (it opens every account the person is in);
 * otherwise the context's account, whose admin or IdP chose it (it opens that account only).
 */
export function passwordSetBy(ctx: Context, userId: string | undefined): string | null {
  if (ctx.actor.type === 'system') return null;
  if (ctx.actor.type === 'account_user' && ctx.actor.userId === userId) return null;
  return ctx.accountId;
}

export async function planProfileUpdate(user: UserRecord, changes: ProfileChanges, ctx?: Context): Promise<ProfileUpdate> {
  const scalars = checkedScalars(changes);
  const diff: Record<string, unknown> = {};
  for (const field of SCALAR_FIELDS) {
    if (scalars[field] !== undefined && scalars[field] !== user[field]) diff[field] = scalars[field];
  }
  const update: UserUpdate = { ...(diff as UserUpdate) };
  // an invitation's copy never holds a password (planNewPerson)
  if (changes.password !== undefined && !user.is_invitation) {
    update.password_hash = await hashPassword(checkPassword(changes.password));
    // without a context (none today) the password is taken as the person's own
    update.password_set_by_account_id = ctx ? passwordSetBy(ctx, user.id) : null;
    diff.password = 'changed';
  }
  const emails = changes.emails && planContacts('email', user.emails.map((e) => ({ id: e.id, key: e.email.toLowerCase(), primary: e.primary, type: e.type, fields: { email: e.email } })), emailChange(changes.emails), { minimum: user.emails.length ? 1 : 0, newId: () => newId('eml') });
  const phones = changes.phones && planContacts('phone', user.phones.map((p) => ({ id: p.id, key: p.number, primary: p.primary, type: p.type, fields: { number: p.number, value: p.value, country: p.country } })), phoneChange(changes.phones), { minimum: 0, newId: () => newId('phn') });
  if (emails && (emails.deletes.length || emails.updates.length || emails.inserts.length)) diff.emails = 'changed';
  if (phones && (phones.deletes.length || phones.updates.length || phones.inserts.length)) diff.phones = 'changed';
  const rowChanges = Object.keys(update).length > 0;
  return {
    diff,
    writes: rowChanges || diff.emails !== undefined || diff.phones !== undefined || emails?.primaryChanges === true || phones?.primaryChanges === true,
    inMembershipStatement(q) {
      const inPlace = (plan: typeof emails | typeof phones) => plan !== undefined && (plan.updates.length > 0 || plan.primaryChanges);
      if (inPlace(emails) || inPlace(phones)) return undefined;
      const newEmails = (emails?.inserts ?? []).map((e) => ({ ...e, blocked: false, ...copyFlag(user) }));
      const newPhones = (phones?.inserts ?? []).map((p) => ({ ...p, blocked: false }));
      const companions = [
        ...(rowChanges ? [userUpdateWrittenWith(q, user.id, update)] : []),
        ...contactsWrittenWith(q, 'user_emails', user.id, emails?.deletes ?? [], newEmails),
        ...contactsWrittenWith(q, 'user_phones', user.id, phones?.deletes ?? [], newPhones),
      ];
      const { password_hash: _hash, password_set_by_account_id: _setBy, ...shown } = update;
      return {
        companions,
        after: (writtenAt) => ({
          ...user,
          ...shown,
          ...(rowChanges ? { updated_at: writtenAt } : {}),
          emails: emails ? contactsAfter(user.emails, emails, newEmails.map((e) => ({ ...e, verified_at: null }))) : user.emails,
          phones: phones ? contactsAfter(user.phones, phones, newPhones.map((p) => ({ ...p, verified_at: null }))) : user.phones,
        }),
      };
    },
    async apply(q) {
      const after: UserRecord = rowChanges ? { ...user, ...(await updateUser(q, user.id, update)) } : user;
      if (emails) {
        await deleteEmails(q, user.id, emails.deletes);
        if (emails.primaryChanges) await clearPrimary(q, 'user_emails', user.id);
        for (const u of emails.updates) await updateEmail(q, user.id, u.id, u.changes);
        await insertEmails(q, user.id, emails.inserts.map((e) => ({ ...e, blocked: false, ...copyFlag(user) })));
      }
      if (phones) {
        await deletePhones(q, user.id, phones.deletes);
        if (phones.primaryChanges) await clearPrimary(q, 'user_phones', user.id);
        for (const u of phones.updates) await updatePhone(q, user.id, u.id, u.changes);
        await insertPhones(q, user.id, phones.inserts.map((p) => ({ ...p, blocked: false })));
      }
      return diff.emails || diff.phones ? undefined : after;
    },
  };
}
