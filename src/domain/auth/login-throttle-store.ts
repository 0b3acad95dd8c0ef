import type { Queryable } from '../../db/database.js';

/** The only place that runs SQL on login_attempts: failure counters in fixed windows, shared by every instance. */

export interface AttemptCounter {
  key: string;
  failures: number;
  /** Seconds until the current window ends. */
  remaining_seconds: number;
}

/** The counters of these keys whose window is still open. */
export async function openCounters(q: Queryable, keys: readonly string[], windowSeconds: number): Promise<AttemptCounter[]> {
  const rows = (await q('login_attempts')
    .whereIn('key', keys)
    .andWhere('window_started_at', '>', q.raw('now() - make_interval(secs => ?)', [windowSeconds]))
    .select('key', 'failures', q.raw('ceil(extract(epoch from (window_started_at + make_interval(secs => ?) - now())))::int as remaining_seconds', [windowSeconds]))) as AttemptCounter[];
  return rows.map((r) => ({ ...r, failures: Number(r.failures), remaining_seconds: Math.max(1, Number(r.remaining_seconds)) }));
}

/** Counts one failure for each key, starting a new window where the old one has ended. */
export async function countFailure(q: Queryable, keys: readonly string[], windowSeconds: number): Promise<void> {
  for (const key of keys) {
    await q.raw(
      `insert into login_attempts (key, failures, window_started_at) values (?, 1, now())
       on conflict (key) do update set
         failures = case when login_attempts.window_started_at <= now() - make_interval(secs => ?) then 1 else login_attempts.failures + 1 end,
         window_started_at = case when login_attempts.window_started_at <= now() - make_interval(secs => ?) then now() else login_attempts.window_started_at end`,
      [key, windowSeconds, windowSeconds],
    );
  }
}

export async function clearCounter(q: Queryable, key: string): Promise<void> {
  await q('login_attempts').where({ key }).del().returning('key');
}
