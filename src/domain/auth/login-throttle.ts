import type { Trx } from '../context.js';
import { RateLimited } from '../errors.js';
import { clearCounter, countFailure, openCounters } from './login-throttle-store.js';

/**
 * Failed password sign-ins are counted per user name and per client address in fixed windows,
 * in the database (every instance sees the same counts). Past the limit, sign-in is refused
 * until the window ends, even with the right password.
 */
export const THROTTLE = { windowSeconds: 15 * 60, perUserName: 5, perAddress: 20 } as const;

function keys(userName: string, address: string | undefined): { key: string; limit: number }[] {
  const out: { key: string; limit: number }[] = [{ key: `user:${userName.trim().toLowerCase()}`, limit: THROTTLE.perUserName }];
  if (address) out.push({ key: `ip:${address}`, limit: THROTTLE.perAddress });
  return out;
}

export async function refuseWhenThrottled(trx: Trx, userName: string, address: string | undefined): Promise<void> {
  const limits = keys(userName, address);
  const counters = await openCounters(trx, limits.map((l) => l.key), THROTTLE.windowSeconds);
  let retryAfter = 0;
  for (const counter of counters) {
    const limit = limits.find((l) => l.key === counter.key)!.limit;
    if (counter.failures >= limit) retryAfter = Math.max(retryAfter, counter.remaining_seconds);
  }
  if (retryAfter > 0) {
    throw new RateLimited(`Too many failed sign-in attempts: try again in ${Math.ceil(retryAfter / 60)} minute(s)`, retryAfter);
  }
}

export async function countFailedSignIn(trx: Trx, userName: string, address: string | undefined): Promise<void> {
  await countFailure(trx, keys(userName, address).map((l) => l.key), THROTTLE.windowSeconds);
}

/** A successful sign-in clears the user name's counter (not the address's: one address, many people). */
export async function clearFailedSignIns(trx: Trx, userName: string): Promise<void> {
  await clearCounter(trx, keys(userName, undefined)[0].key);
}
