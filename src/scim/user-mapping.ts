import { parseRole, type Role, ROLES } from '../domain/context.js';
import type { DirectoryMember } from '../domain/directory/directory-service.js';
import type { CreateAccountUser, MembershipChanges, UpdateAccountUser } from '../domain/users/account-users-service.js';
import { effectiveRolesOf } from '../domain/users/account-users-store.js';
import type { ProfileChanges } from '../domain/users/profile.js';
import { isDialablePhone, isUsableEmail, languageOf, splitFullName } from '../domain/users/profile-rules.js';
import { ScimError } from './errors.js';
import { URN } from './schemas.js';

/**
 * SCIM User <-> Rollcall member (DESIGN.md section 4). Values come back as they were sent: a phone
 * number as the IdP wrote it (its E.164 form is kept beside it), preferredLanguage and locale as
 * written (the notification language is the nearest one Rollcall speaks), name.formatted, title,
 * addresses and the other attributes Rollcall does not model are kept per membership.
 */

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const present = (v: unknown): boolean => v !== undefined && v !== null && v !== '';

/** Attributes kept as sent (member_idp_attributes), by their SCIM names. */
const KEPT = ['nickName', 'profileUrl', 'title', 'userType', 'addresses', 'preferredLanguage', 'locale'] as const;
const KEPT_NAME_PARTS = ['formatted', 'middleName', 'honorificPrefix', 'honorificSuffix'] as const;
/** The attributes the kept ones are read from (keptAttributes): a PATCH that names none of them leaves the kept attributes as they are. */
const KEPT_FROM: readonly string[] = [...KEPT, 'name', 'phoneNumbers', 'emails'];

export function etagOf(version: number): string {
  return `W/"${version}"`;
}

/** The attributes that have a value. A new object: deleting keys would leave V8 a slow dictionary-mode object to serialise (5% of a page's server CPU). */
function compact(doc: Json): Json {
  const out: Json = {};
  for (const key in doc) {
    const value = doc[key];
    if (value !== undefined && value !== null) out[key] = value;
  }
  return out;
}

export function userLocation(baseUrl: string, id: string): string {
  return `${baseUrl}/Users/${id}`;
}

export function toScimUser(member: DirectoryMember, baseUrl: string): Json {
  const m = member.membership;
  const u = m.user;
  const idp = member.idp;
  const idpName = isObject(idp.name) ? idp.name : {};
  const groupOnly = new Map(m.granted_roles.filter((g) => !m.roles.includes(g.role)).map((g) => [g.role, g]));
  const enterprise = m.enterprise ?? {};
  // the given and family names as sent; split from the full name only where nothing else is known
  // (a person added over REST with a name alone), so that an IdP sees both (Okta's tests need them)
  const parts = u.given_name || u.family_name ? { given_name: u.given_name, family_name: u.family_name } : splitFullName(u.name !== u.user_name ? u.name : undefined);
  const updated = new Date(Math.max(new Date(m.updated_at).getTime(), new Date(u.updated_at).getTime()));
  const doc: Json = {
    schemas: [URN.user, ...(Object.keys(enterprise).length ? [URN.enterprise] : []), URN.rollcall],
    id: m.id,
    externalId: m.external_id,
    userName: u.user_name,
    // formatted as sent, else from the parts; never the display name (issue 14)
    name: compact({ formatted: idpName.formatted ?? ([parts.given_name, parts.family_name].filter(Boolean).join(' ') || undefined), familyName: parts.family_name, givenName: parts.given_name, middleName: idpName.middleName, honorificPrefix: idpName.honorificPrefix, honorificSuffix: idpName.honorificSuffix }),
    displayName: u.display_name ?? undefined,
    nickName: idp.nickName,
    profileUrl: idp.profileUrl,
    title: idp.title,
    userType: idp.userType,
    preferredLanguage: idp.preferredLanguage ?? u.preferred_language,
    locale: idp.locale,
    timezone: u.time_zone,
    active: m.active,
    emails: emailsOut(u.emails, idp.unusableEmails),
    phoneNumbers: phonesOut(u.phones, idp.undialablePhoneNumbers),
    addresses: idp.addresses,
    groups: member.teams.map((t) => ({ value: t.id, $ref: `${baseUrl}/Groups/${t.id}`, display: t.name })),
    // Effective roles; those held only through a group say so (type "group"), and a PUT that sends
    // them back does not make them direct (roles_from_idp in the domain drops them).
    roles: effectiveRolesOf(m).map((role) => {
      const grant = groupOnly.get(role);
      return grant ? { value: role, type: 'group', display: `${role} (granted by group ${grant.team_name})` } : { value: role, type: 'direct' };
    }),
    [URN.enterprise]: Object.keys(enterprise).length ? enterprise : undefined,
    [URN.rollcall]: { notifyPush: u.notify_push, notifyEmail: u.notify_email, notifySms: u.notify_sms, notifyVoice: u.notify_voice, roles: [...m.roles], ...(u.is_invitation ? { invited: true } : {}), ...(u.emails.length ? {} : { noEmailToNotify: true }) },
    meta: {
      resourceType: 'User',
      created: new Date(m.created_at).toISOString(),
      lastModified: updated.toISOString(),
      location: userLocation(baseUrl, m.id),
      version: etagOf(m.version),
    },
  };
  return compact(doc);
}

/**
 * Emails as sent: those Rollcall can write to, then those it cannot (e.g. "emailName357", which
 * Microsoft's validator sends), kept as sent in member_idp_attributes and never used, so one such
 * value does not stop the person from being provisioned.
 */
function emailsOut(emails: DirectoryMember['membership']['user']['emails'], unusable: unknown): Json[] | undefined {
  const kept = Array.isArray(unusable) ? (unusable as Json[]) : [];
  const hasPrimary = emails.some((e) => e.primary);
  const all = [...emails.map((e) => compact({ value: e.email, type: e.type, primary: e.primary })), ...kept.map((e) => compact({ ...e, primary: hasPrimary ? false : e.primary }))];
  return all.length ? all : undefined;
}

/**
 * Phones as sent: those Rollcall can dial (E.164 kept beside the value), then those it cannot read
 * as an international number (e.g. "312-320-0500", no country code), which are kept as sent in
 * member_idp_attributes and never used for notifications, so one such value does not stop the
 * person from being provisioned.
 */
function phonesOut(phones: DirectoryMember['membership']['user']['phones'], undialable: unknown): Json[] | undefined {
  const kept = Array.isArray(undialable) ? (undialable as Json[]) : [];
  const hasPrimary = phones.some((p) => p.primary);
  const all = [...phones.map((p) => compact({ value: p.value, type: p.type, primary: p.primary })), ...kept.map((p) => compact({ ...p, primary: hasPrimary ? false : p.primary }))];
  return all.length ? all : undefined;
}

function rolesFrom(doc: Json, useCore: boolean, useExtension: boolean): Role[] | undefined {
  const core = useCore ? doc.roles : undefined;
  const ext = useExtension && isObject(doc[URN.rollcall]) ? (doc[URN.rollcall] as Json).roles : undefined;
  if (core === undefined && ext === undefined) return undefined;
  const values = [...(Array.isArray(core) ? core : []).map((r) => (isObject(r) ? r.value : r)), ...(Array.isArray(ext) ? ext : [])];
  const roles = new Set<Role>();
  for (const value of values) {
    if (value === null || value === undefined || value === '') continue;
    const role = typeof value === 'string' ? parseRole(value) : undefined;
    if (!role) throw new ScimError(400, 'invalidValue', `roles: ${JSON.stringify(value)} is not a role (use ${ROLES.join(', ')})`);
    roles.add(role);
  }
  return [...roles];
}

/** What Rollcall keeps as sent, from a whole (canonical) document. */
export function keptAttributes(doc: Json): Json {
  const kept: Json = {};
  if (Array.isArray(doc.phoneNumbers)) {
    const undialable = (doc.phoneNumbers as Json[]).filter((p) => present(p.value) && !isDialablePhone(p.value));
    if (undialable.length) kept.undialablePhoneNumbers = undialable;
  }
  if (Array.isArray(doc.emails)) {
    const unusable = (doc.emails as Json[]).filter((e) => present(e.value) && !isUsableEmail(e.value));
    if (unusable.length) kept.unusableEmails = unusable;
  }
  for (const key of KEPT) if (present(doc[key]) && !(Array.isArray(doc[key]) && (doc[key] as unknown[]).length === 0)) kept[key] = doc[key];
  if (isObject(doc.name)) {
    const name: Json = {};
    for (const part of KEPT_NAME_PARTS) if (present(doc.name[part])) name[part] = doc.name[part];
    if (Object.keys(name).length) kept.name = name;
  }
  return kept;
}

export interface UserWrite {
  user: ProfileChanges;
  membership: MembershipChanges;
  /** What is kept as sent (replacing what was), or undefined when a PATCH named none of it: those are left as they are. */
  idp?: Json;
}

/**
 * The domain changes for a canonical document. `touched` (PATCH) limits them to the attributes
 * the operations changed; without it (POST, PUT) the document is the whole resource: what it
 * leaves out is cleared, except roles, active, emails and password, which an IdP that does not
 * send them does not manage (so a profile push never strips roles set in Rollcall).
 */
export function toUserWrite(doc: Json, touched?: ReadonlySet<string>): UserWrite {
  const has = (attr: string) => !touched || touched.has(attr);
  const user: ProfileChanges = {};
  const membership: MembershipChanges = {};
  const name = isObject(doc.name) ? doc.name : {};

  if (has('userName')) {
    if (typeof doc.userName !== 'string' || doc.userName.trim() === '') throw new ScimError(400, 'invalidValue', 'userName is required');
    user.user_name = doc.userName;
  }
  if (has('name')) {
    user.given_name = typeof name.givenName === 'string' && name.givenName !== '' ? name.givenName : null;
    user.family_name = typeof name.familyName === 'string' && name.familyName !== '' ? name.familyName : null;
  }
  if (has('displayName') || has('name')) {
    // displayName is its own attribute: cleared by "", null or remove; the name shown falls back
    // to the full name, then the userName
    user.display_name = typeof doc.displayName === 'string' && doc.displayName.trim() !== '' ? doc.displayName : null;
    const shown = [doc.displayName, name.formatted, [name.givenName, name.familyName].filter((p) => typeof p === 'string' && p).join(' '), doc.userName].find((v) => typeof v === 'string' && v.trim() !== '');
    if (typeof shown === 'string') user.name = shown;
  }
  if (has('emails') && Array.isArray(doc.emails)) {
    const items = (doc.emails as Json[]).filter((e) => present(e.value) && isUsableEmail(e.value)).map((e) => ({ email: e.value as string, type: (e.type as string | undefined) ?? null, primary: e.primary === true }));
    if (items.length) user.emails = { mode: 'replace', items };
  }
  if (has('phoneNumbers')) {
    const phones = Array.isArray(doc.phoneNumbers) ? (doc.phoneNumbers as Json[]) : [];
    user.phones = { mode: 'replace', items: phones.filter((p) => present(p.value) && isDialablePhone(p.value)).map((p) => ({ phone: p.value as string, type: (p.type as string | undefined) ?? null, primary: p.primary === true })) };
  }
  if (has('timezone') && present(doc.timezone)) user.time_zone = doc.timezone as string;
  if (has('preferredLanguage') || has('locale')) {
    const language = languageOf(doc.preferredLanguage) ?? languageOf(doc.locale);
    if (language) user.preferred_language = language;
  }
  if (has('password') && present(doc.password)) user.password = doc.password as string;
  if (has(URN.rollcall) && isObject(doc[URN.rollcall])) {
    const ext = doc[URN.rollcall] as Json;
    for (const [scim, field] of [['notifyPush', 'notify_push'], ['notifyEmail', 'notify_email'], ['notifySms', 'notify_sms'], ['notifyVoice', 'notify_voice']] as const) {
      if (typeof ext[scim] === 'boolean') user[field] = ext[scim] as boolean;
    }
  }

  if (has('active') && typeof doc.active === 'boolean') membership.active = doc.active;
  if (has('externalId')) membership.external_id = present(doc.externalId) ? (doc.externalId as string) : null;
  if (has(URN.enterprise)) {
    const ext = isObject(doc[URN.enterprise]) ? { ...(doc[URN.enterprise] as Json) } : {};
    for (const [k, v] of Object.entries(ext)) if (!present(v) || (isObject(v) && !present(v.value))) delete ext[k];
    membership.enterprise = ext;
  }
  if (has('roles') || has(URN.rollcall)) {
    // A PATCH of one of the two spellings of roles is about that one alone.
    const roles = rolesFrom(doc, has('roles'), has(URN.rollcall));
    if (roles !== undefined) membership.roles_from_idp = roles;
  }
  // Not read again for a PATCH that named none of them (Okta's `active`): the kept attributes as the
  // document shows them may differ from those stored (name.formatted and preferredLanguage show the
  // profile's when none were sent), and writing that difference is no change the PATCH asked for.
  const keepsAttributes = !touched || KEPT_FROM.some((attr) => touched.has(attr));
  return { user, membership, idp: keepsAttributes ? keptAttributes(doc) : undefined };
}

export function toCreateInput(write: UserWrite): CreateAccountUser {
  const user = { ...write.user };
  if (!user.emails && typeof user.user_name === 'string' && user.user_name.includes('@')) {
    // A user needs an email: an IdP that sends none names the person by their address.
    user.emails = { mode: 'replace', items: [{ email: user.user_name, primary: true }] };
  }
  return { user, membership: write.membership };
}

export function toUpdateInput(write: UserWrite, expectedVersion: number | undefined): UpdateAccountUser {
  return { user: write.user, membership: write.membership, expectedVersion, foreignProfile: 'ignore' };
}
