import type { MembershipChanges } from '../domain/users/account-users-service.js';
import { Invalid } from '../domain/errors.js';
import type { EmailInput, PhoneInput, ProfileChanges } from '../domain/users/profile.js';
import { BadRequest, destroyFlag, optBoolean, optNestedList, optNullableString, optObject, optString, optStringArray, type Params } from './params.js';

/** The permitted parameters of users and account users, read into domain changes. */

function readEmails(params: Params, key: string, field: string): EmailInput[] | undefined {
  return optNestedList(params, key, field)?.map((item, i) => {
    const f = `${field}[${i}]`;
    return { id: optString(item, 'id', `${f}.id`), email: optString(item, 'email', `${f}.email`), primary: optBoolean(item, 'primary', `${f}.primary`), destroy: destroyFlag(item, f) };
  });
}

function readPhones(params: Params, key: string, field: string): PhoneInput[] | undefined {
  return optNestedList(params, key, field)?.map((item, i) => {
    const f = `${field}[${i}]`;
    return { id: optString(item, 'id', `${f}.id`), phone: optString(item, 'phone', `${f}.phone`), primary: optBoolean(item, 'primary', `${f}.primary`), destroy: destroyFlag(item, f) };
  });
}

/**
 * Profile fields; `prefix` names where they sit in the body for error messages. On create the
 * email and phone lists are the whole lists; on update they are nested-attribute edits.
 */
export function readProfile(params: Params, prefix: string, mode: 'create' | 'update'): ProfileChanges {
  const f = (key: string) => (prefix ? `${prefix}.${key}` : key);
  const emails = readEmails(params, 'emails_attributes', f('emails_attributes'));
  const phones = readPhones(params, 'phones_attributes', f('phones_attributes'));
  const listMode = mode === 'create' ? 'replace' : 'merge';
  return {
    name: optString(params, 'name', f('name')),
    given_name: optNullableString(params, 'given_name', f('given_name')),
    family_name: optNullableString(params, 'family_name', f('family_name')),
    user_name: optString(params, 'user_name', f('user_name')),
    time_zone: optString(params, 'time_zone', f('time_zone')),
    preferred_language: optString(params, 'preferred_language', f('preferred_language')),
    notify_push: optBoolean(params, 'notify_push', f('notify_push')),
    notify_email: optBoolean(params, 'notify_email', f('notify_email')),
    notify_sms: optBoolean(params, 'notify_sms', f('notify_sms')),
    notify_voice: optBoolean(params, 'notify_voice', f('notify_voice')),
    emails: emails && { mode: listMode, items: emails },
    phones: phones && { mode: listMode, items: phones },
  };
}

/**
 * The REST API's contract for a new person: they come with an email (PagerTree's model; the
 * domain also takes people without one, as identity providers send them over SCIM).
 */
export function requireAnEmail(profile: ProfileChanges, field: string): ProfileChanges {
  if (!profile.emails?.items.length) throw new Invalid(field, 'a user needs at least one email');
  return profile;
}

/** roles: {"admin": true, "billing": false, ...}; keys not named keep their current value. */
function readRoleFlags(params: Params): Record<string, boolean> | undefined {
  const roles = optObject(params, 'roles');
  if (!roles) return undefined;
  const flags: Record<string, boolean> = {};
  for (const [key, value] of Object.entries(roles)) {
    if (typeof value !== 'boolean') throw new BadRequest(`roles.${key}`, `roles.${key} must be true or false`);
    flags[key] = value;
  }
  return flags;
}

export function readMembership(params: Params): MembershipChanges {
  return {
    role_flags: readRoleFlags(params),
    active: optBoolean(params, 'active'),
    external_id: optNullableString(params, 'external_id'),
    team_ids: optStringArray(params, 'member_team_ids'),
  };
}
