import { BadRequest, type Params } from './params.js';

/**
 * Filters of a list endpoint's query string. A list takes only the parameters it names: any other
 * is refused (400 naming it), never ignored, since a filter silently ignored answers a question
 * that was not asked (GET /api/v4/audit_events?action=... once returned every event).
 */

/** The page parameters every list takes (pagination.ts). */
export const PAGE_PARAMS = ['limit', 'offset', 'page'] as const;

/** Refuses a parameter outside `allowed`, naming it and what is taken. */
export function onlyParams(query: Params, allowed: readonly string[]): void {
  for (const key of Object.keys(query)) {
    if (!allowed.includes(key)) {
      throw new BadRequest(key, `${key} is not a parameter of this list: it takes ${allowed.join(', ')}`);
    }
  }
}

/** One string value: a parameter given twice (?a=1&a=2) or as a[x]= is refused rather than one of them picked. */
export function queryString(query: Params, key: string, maxLength = 200): string | undefined {
  const raw = query[key];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw new BadRequest(key, `${key} must be given once, as one value`);
  if (raw === '' || raw.length > maxLength) throw new BadRequest(key, `${key} must be from 1 to ${maxLength} characters, not ${JSON.stringify(raw.slice(0, 60))}`);
  return raw;
}

/** One of `values`. */
export function queryChoice<T extends string>(query: Params, key: string, values: readonly T[]): T | undefined {
  const raw = queryString(query, key);
  if (raw === undefined) return undefined;
  if (!(values as readonly string[]).includes(raw)) throw new BadRequest(key, `${key} must be one of ${values.join(', ')}, not ${JSON.stringify(raw.slice(0, 60))}`);
  return raw as T;
}

// a date (midnight UTC), or a date and time with seconds optional and a zone required: a time
// without one would be read in the server's zone, which the caller cannot know
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/;

/** 2026-02-31 is no day (Date would read it as March 3rd). */
function realDay(raw: string): boolean {
  const [year, month, day] = raw.slice(0, 10).split('-').map(Number);
  return new Date(Date.UTC(year, month - 1, day)).getUTCDate() === day && month >= 1 && month <= 12;
}

/** An instant in ISO 8601: 2026-12-01, 2026-12-01T09:30:00Z, 2026-12-01T10:30+01:00. */
export function queryTime(query: Params, key: string): Date | undefined {
  const raw = queryString(query, key, 40);
  if (raw === undefined) return undefined;
  const normalized = raw.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const time = ISO_8601.test(raw) && realDay(raw) ? new Date(raw.length === 10 ? `${raw}T00:00:00Z` : normalized) : undefined;
  if (!time || Number.isNaN(time.getTime())) {
    throw new BadRequest(key, `${key} must be a time in ISO 8601 (2026-12-01 or 2026-12-01T09:30:00Z), not ${JSON.stringify(raw)}`);
  }
  return time;
}
