import type { Request } from 'express';
import { Invalid, show } from '../../domain/errors.js';
import type { Page } from '../../domain/users/account-users-store.js';
import { html, type Html } from '../html.js';

/**
 * What the console's lists (people, provisioning log, audit trail) read from their query string:
 * filters and the page, each checked here so that a bad value is a 400 page naming the field and
 * the value (the console's error handler shows an Invalid's message), never a 500.
 */

/** Rows per page of every list. */
export const PAGE_SIZE = 25;

/** The longest filter value taken (ids are 24 characters; names and actions far shorter). */
const MAX_PARAM_LENGTH = 254;

/** A query parameter as one trimmed string, or undefined when absent or empty. Repeated (?q=a&q=b) is refused. */
export function textParam(req: Request, name: string): string | undefined {
  const value = req.query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new Invalid(name, `${name}: give one value`);
  const trimmed = value.trim();
  if (trimmed.length > MAX_PARAM_LENGTH) throw new Invalid(name, `${name}: at most ${MAX_PARAM_LENGTH} characters, not ${trimmed.length}`);
  return trimmed === '' ? undefined : trimmed;
}

/** One of `choices`, or undefined when absent or empty. */
export function choiceParam<T extends string>(req: Request, name: string, choices: readonly T[]): T | undefined {
  const value = textParam(req, name);
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) throw new Invalid(name, `${name}: ${show(value)} is not one of ${choices.join(', ')}`);
  return value as T;
}

/**
 * A time as a date ("2026-12-06") or a date and time ("2026-12-06T14:30", what a datetime-local
 * field sends, or with seconds or a zone), read as UTC when it names no zone: the console shows UTC.
 */
export function timeParam(req: Request, name: string): Date | undefined {
  const value = textParam(req, name);
  if (value === undefined) return undefined;
  const match = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?)(Z|[+-]\d{2}:\d{2})?)?$/.exec(value);
  const date = match ? new Date(`${match[1]}T${match[2] ?? '00:00'}${match[3] ?? 'Z'}`) : undefined;
  // a day that does not exist (2026-02-30) would roll over into the next month
  const rolledOver = match && !match[3] && date && !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) !== match[1];
  if (!date || Number.isNaN(date.getTime()) || rolledOver) {
    throw new Invalid(name, `${name}: ${show(value)} is not a date (2026-12-06) or a date and time (2026-12-06T14:30, UTC)`);
  }
  return date;
}

/** since before until, when both are given. */
export function checkTimeRange(since: Date | undefined, until: Date | undefined): void {
  if (since && until && since.getTime() >= until.getTime()) throw new Invalid('until', 'until: must be later than since');
}

/** The page asked for (?page=N, from 1) as the domain's limit and offset. */
export function pageParam(req: Request): { number: number; page: Page } {
  const value = textParam(req, 'page');
  const number = value === undefined ? 1 : /^\d{1,6}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(number) || number < 1) throw new Invalid('page', `page: ${show(value)} is not a page number (1, 2, ...)`);
  return { number, page: { limit: PAGE_SIZE, offset: (number - 1) * PAGE_SIZE } };
}

/** A time as a datetime-local field shows it (UTC, to the minute). */
export function timeFieldValue(date: Date | undefined): string {
  return date ? date.toISOString().slice(0, 16) : '';
}

/** `path` with these parameters (empty ones left out). */
export function linkTo(path: string, params: Record<string, string | number | undefined>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== '') query.set(key, String(value));
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/**
 * "Showing 26–50 of 120" and links to the previous and next pages, keeping the filters. `label`
 * names the navigation landmark (one per list).
 */
export function pager(view: { path: string; params: Record<string, string | undefined>; number: number; total: number; shown: number; label: string }): Html {
  const first = view.total === 0 ? 0 : (view.number - 1) * PAGE_SIZE + 1;
  const last = (view.number - 1) * PAGE_SIZE + view.shown;
  const pages = Math.max(1, Math.ceil(view.total / PAGE_SIZE));
  const previous = view.number > 1 ? linkTo(view.path, { ...view.params, page: view.number - 1 === 1 ? undefined : view.number - 1 }) : undefined;
  const next = view.number < pages ? linkTo(view.path, { ...view.params, page: view.number + 1 }) : undefined;
  return html`<nav class="pager" aria-label="${view.label}">
<p>${view.shown === 0 ? html`No rows on this page.` : html`Showing ${first}–${last} of ${view.total}`} (page ${view.number} of ${pages})</p>
<p>${previous ? html`<a href="${previous}" rel="prev">Previous page</a>` : ''}${previous && next ? ' · ' : ''}${next ? html`<a href="${next}" rel="next">Next page</a>` : ''}</p>
</nav>`;
}
