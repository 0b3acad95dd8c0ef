import type { Trx } from '../context.js';
import { RateLimited } from '../errors.js';
import { clearCounter, countFailure, openCounters } from './login-throttle-store.js';

/**
 * Failed password sign-ins are counted in fixed windows, in the database (every instance sees the
 * same counts), under two keys:
 * - the person and the client address: all of a person's names (user name, every email) count
 *   together, keyed by their user id, so that trying each alias does not multiply the budget;
 *   a name that is no one's is counted by itself, in the same way;
 * - the client address alone, across people.
 * Past either limit, sign-in from that address is refused until the window ends, even with the
 * right password. No key is the person alone: a stranger failing from their own address never
 * locks the person out of another address (break-glass: an SSO-only account's admin can still
 * sign in from theirs).
 */
export const THROTTLE = { windowSeconds: 15 * 60, perPersonAndAddress: 5, perAddress: 20 } as const;

/** Who a sign-in names: the person when the name is someone's, else the name as typed. */
export type LoginSubject = { userId: string } | { login: string };

function keys(subject: LoginSubject, address: string | undefined): { key: string; limit: number }[] {
  const who = 'userId' in subject ? `user:${subject.userId}` : `name:${subject.login.trim().toLowerCase()}`;
  const out: { key: string; limit: number }[] = [{ key: `${who}|ip:${address ?? '-'}`, limit: THROTTLE.perPersonAndAddress }];
  if (address) out.push({ key: `ip:${address}`, limit: THROTTLE.perAddress });
  return out;
}

export async function refuseWhenThrottled(trx: Trx, subject: LoginSubject, address: string | undefined): Promise<void> {
  const limits = keys(subject, address);
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

export async function countFailedSignIn(trx: Trx, subject: LoginSubject, address: string | undefined): Promise<void> {
  await countFailure(trx, keys(subject, address).map((l) => l.key), THROTTLE.windowSeconds);
}

/** A successful sign-in clears the person's counter at that address (not the address's: one address, many people). */
export async function clearFailedSignIns(trx: Trx, subject: LoginSubject, address: string | undefined): Promise<void> {
  await clearCounter(trx, keys(subject, address)[0].key);
}
