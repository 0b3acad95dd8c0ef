import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { Invalid, show } from '../errors.js';

/** The rules every profile value obeys, whichever adapter it came through. */

export const LANGUAGES = ['en', 'es', 'fr', 'de', 'nl'] as const;
export type Language = (typeof LANGUAGES)[number];

// One @, no spaces or angle brackets, a dotted domain of letters, digits and hyphens.
const EMAIL = /^[^\s@<>()[\],;:"]+@(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

export function checkEmail(value: unknown, field = 'email'): string {
  if (typeof value !== 'string' || value.trim() === '') throw new Invalid(field, `${field} is required`);
  const email = value.trim();
  if (email.length > 254 || !EMAIL.test(email)) throw new Invalid(field, `${field} ${show(value)} is not a valid email address`);
  return email;
}

/** Whether Rollcall can send email to this value (checkEmail would take it). */
export function isUsableEmail(value: unknown): boolean {
  return typeof value === 'string' && value.trim().length <= 254 && EMAIL.test(value.trim());
}

export interface ParsedPhone {
  /** E.164, e.g. +14155550123. */
  number: string;
  /** ISO 3166 alpha-2 derived from the number, e.g. US. */
  country: string | null;
  /** The value exactly as it was sent. */
  value: string;
}

/** True when the value is a phone number Rollcall can dial (what checkPhone accepts). */
export function isDialablePhone(value: unknown): boolean {
  return typeof value === 'string' && !!parsePhoneNumberFromString(value.trim())?.isValid();
}

/** Parses a phone number with libphonenumber-js (metadata "max": validity per number range). */
export function checkPhone(value: unknown, field = 'phone'): ParsedPhone {
  if (typeof value !== 'string' || value.trim() === '') throw new Invalid(field, `${field} is required`);
  const parsed = parsePhoneNumberFromString(value.trim());
  if (!parsed || !parsed.isValid()) {
    throw new Invalid(field, `${field} ${show(value)} is not a valid phone number (use the international format, e.g. +14155550123)`);
  }
  return { number: parsed.number, country: parsed.country ?? null, value };
}

// Valid zones only, and at most ZONE_CACHE_MAX spellings of them: an invalid name is checked
// again each time (cheap), so a client sending distinct wrong names cannot grow the heap (issue 13).
const ZONE_CACHE_MAX = 2_000;
const zoneCache = new Map<string, string>();

/** An IANA time zone name; answers the canonical spelling Intl knows it by. */
export function checkTimeZone(value: unknown, field = 'time_zone'): string {
  if (typeof value !== 'string' || value.trim() === '') throw new Invalid(field, `${field} must be an IANA time zone such as Europe/Paris`);
  const name = value.trim();
  // the longest IANA name is 32 characters: a long one is not asked of Intl at all
  let canonical: string | null | undefined = name.length > 64 ? null : zoneCache.get(name);
  if (canonical === undefined) {
    try {
      canonical = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
    } catch {
      canonical = null;
    }
    // Intl also accepts offsets such as "+01:00", which are not zones.
    if (canonical && !/^[A-Za-z]/.test(canonical)) canonical = null;
    if (canonical && zoneCache.size < ZONE_CACHE_MAX) zoneCache.set(name, canonical);
  }
  if (!canonical) throw new Invalid(field, `${field} ${show(value)} is not an IANA time zone (e.g. America/New_York)`);
  return name === 'UTC' || name === 'Etc/UTC' ? 'UTC' : name;
}

/** The language Rollcall speaks for a language or locale (fr-CA, en_US), or undefined. */
export function languageOf(value: unknown): Language | undefined {
  if (typeof value !== 'string') return undefined;
  const language = value.trim().toLowerCase().split(/[-_]/)[0];
  return (LANGUAGES as readonly string[]).includes(language) ? (language as Language) : undefined;
}

/** en, es, fr, de or nl; a locale such as fr-CA or en_US maps to its language. */
export function checkLanguage(value: unknown, field = 'preferred_language'): Language {
  if (typeof value !== 'string') throw new Invalid(field, `${field} must be one of ${LANGUAGES.join(', ')}`);
  const language = languageOf(value);
  if (!language) {
    throw new Invalid(field, `${field} ${show(value)} is not supported: use one of ${LANGUAGES.join(', ')} (or a locale of one, e.g. fr-CA)`);
  }
  return language;
}

export function checkName(value: unknown, field = 'name'): string {
  if (typeof value !== 'string' || value.trim() === '') throw new Invalid(field, `${field} is required`);
  const name = value.trim();
  if (name.length > 200) throw new Invalid(field, `${field} is longer than 200 characters`);
  return name;
}

/** Longest user name kept (characters). */
export const USER_NAME_MAX = 254;

/**
 * Any non-empty string of at most USER_NAME_MAX characters without control characters (RFC 7643
 * allows any string: directories carry `DOMAIN\user`, `barbara jensen`, quotes), compared without
 * case for uniqueness. Leading and trailing spaces are dropped.
 */
export function checkUserName(value: unknown, field = 'user_name'): string {
  if (typeof value !== 'string' || value.trim() === '') throw new Invalid(field, `${field} is required`);
  const userName = value.trim();
  if (userName.length > USER_NAME_MAX) throw new Invalid(field, `${field} ${show(value)} is longer than ${USER_NAME_MAX} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(userName)) throw new Invalid(field, `${field} ${show(value)} holds a control character`);
  return userName;
}

/**
 * A full name split into given and family names, where nothing else is known of them: the last
 * word the family name, the rest the given name; a single word splits into nothing.
 */
export function splitFullName(full: string | null | undefined): { given_name?: string; family_name?: string } {
  const words = (full ?? '').trim().split(/\s+/).filter(Boolean);
  return words.length > 1 ? { given_name: words.slice(0, -1).join(' '), family_name: words[words.length - 1] } : {};
}
