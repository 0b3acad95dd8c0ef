import type { Page } from '../domain/users/account-users-store.js';
import { BadRequest, type Params, queryInteger } from './params.js';

export const DEFAULT_LIMIT = 10;
export const MAX_LIMIT = 100;

/** limit (1-100, default 10) with offset, or page (from 1). */
export function readPage(query: Params): Page {
  const limit = queryInteger(query, 'limit', 1, MAX_LIMIT) ?? DEFAULT_LIMIT;
  const offset = queryInteger(query, 'offset', 0, Number.MAX_SAFE_INTEGER);
  const page = queryInteger(query, 'page', 1, Number.MAX_SAFE_INTEGER);
  if (offset !== undefined && page !== undefined) throw new BadRequest('page', 'give offset or page, not both');
  return { limit, offset: offset ?? ((page ?? 1) - 1) * limit };
}

export interface ListBody<T> {
  data: T[];
  has_more: boolean;
  total_count: number;
}

export function listBody<T>(data: T[], total: number, page: Page): ListBody<T> {
  return { data, has_more: page.offset + data.length < total, total_count: total };
}
