import type { Queryable } from '../../db/database.js';

/** The only place that runs SQL on rate_limit_counts. */

export interface WindowCount {
  key: string;
  /** The window's start, in milliseconds since the epoch. */
  windowStart: number;
  count: number;
}

/**
 * Adds each delta to its window's count (made when missing) and answers the totals, in one
 * statement. Rows are written in key order, so two instances syncing at once never deadlock.
 */
export async function addToWindows(q: Queryable, deltas: readonly WindowCount[]): Promise<WindowCount[]> {
  if (deltas.length === 0) return [];
  const sorted = [...deltas].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.windowStart - b.windowStart));
  const result = (await q.raw(
    `insert into rate_limit_counts as c (key, window_start, count)
       select k, to_timestamp(w / 1000.0), n from unnest(?::text[], ?::float8[], ?::int[]) as d(k, w, n)
     on conflict (key, window_start) do update set count = c.count + excluded.count
     returning c.key, (extract(epoch from c.window_start) * 1000)::float8 as window_start, c.count`,
    [sorted.map((d) => d.key), sorted.map((d) => d.windowStart), sorted.map((d) => d.count)],
  )) as { rows: { key: string; window_start: number; count: number }[] };
  return result.rows.map((r) => ({ key: r.key, windowStart: Math.round(Number(r.window_start)), count: Number(r.count) }));
}

/** Drops the counts of windows that ended before `beforeMs`. */
export async function deleteWindowsBefore(q: Queryable, beforeMs: number): Promise<void> {
  await q.raw('delete from rate_limit_counts where window_start < to_timestamp(? / 1000.0)', [beforeMs]);
}
