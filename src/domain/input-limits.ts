import { Invalid } from './errors.js';

/**
 * Sizes the domain refuses with Invalid (issue 13), whichever adapter a value came through:
 * bounded so that a value always fits PostgreSQL's indexes and one request cannot grow a person
 * without end. README.md, "What a client gets for bad input", lists them.
 */
export const INPUT_LIMITS = {
  /** An externalId (membership or team): indexed, and a B-tree row holds at most ~2.7 KB. */
  maxExternalIdLength: 1024,
  /** Emails one person has. */
  maxEmails: 20,
  /** Phone numbers one person has. */
  maxPhones: 20,
  /** Years of any date or time a schedule takes (layers, overrides, on_call?at). */
  minYear: 1970,
  maxYear: 9999,
} as const;

/** An externalId as given (null clears it); one over maxExternalIdLength is Invalid. */
export function checkExternalId<T extends string | null | undefined>(value: T, field = 'external_id'): T {
  if (typeof value === 'string' && value.length > INPUT_LIMITS.maxExternalIdLength) {
    throw new Invalid(field, `${field} is ${value.length} characters long; at most ${INPUT_LIMITS.maxExternalIdLength} are accepted`);
  }
  return value;
}

/** At most maxEmails / maxPhones per person, counted on the list a change leaves. */
export function checkContactCount(what: 'email' | 'phone', count: number): void {
  const max = what === 'email' ? INPUT_LIMITS.maxEmails : INPUT_LIMITS.maxPhones;
  if (count > max) throw new Invalid(`${what}s`, `a user has at most ${max} ${what}s, not ${count}`);
}

/** A year a schedule can hold: JavaScript dates end at year 275760, PostgreSQL's ranges elsewhere. */
export function checkYear(date: Date, field: string): Date {
  const year = date.getUTCFullYear();
  if (Number.isNaN(year) || year < INPUT_LIMITS.minYear || year > INPUT_LIMITS.maxYear) {
    throw new Invalid(field, `${field} must be between the years ${INPUT_LIMITS.minYear} and ${INPUT_LIMITS.maxYear}`);
  }
  return date;
}
