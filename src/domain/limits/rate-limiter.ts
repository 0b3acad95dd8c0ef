import type { Knex } from 'knex';
import { logger } from '../../log.js';
import { RateLimited } from '../errors.js';
import { addToWindows, deleteWindowsBefore } from './rate-limits-store.js';

/**
 * Fixed-window request limits per key (a SCIM token, a member), shared by every instance on one
 * database. A request costs no database work: it is counted here and refused when what this
 * instance knows of the window's total (the total read at the last sync, plus what it counted
 * since) reaches the limit. A few times a second the counts are added to the database and the
 * totals read back, other instances' included. So several instances may together let through up
 * to one sync interval's worth of requests past the limit, never more; the database being out of
 * reach only delays the sync.
 */

export interface RateLimit {
  /** Requests per window; 0 = no limit. */
  limit: number;
  windowSeconds: number;
}

export interface RateLimiterOptions {
  /** How often counts are added to the database and totals read back. */
  syncMs?: number;
  /** Injectable clock for the window arithmetic. */
  now?: () => number;
}

interface Window {
  key: string;
  windowStart: number;
  windowMs: number;
  /** The total the database answered at the last sync. */
  known: number;
  /** Counted here since the last sync. */
  unsynced: number;
}

export class RateLimiter {
  private readonly windows = new Map<string, Window>();
  private readonly syncMs: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;
  private lastCleanup = 0;

  constructor(
    private readonly db: Knex,
    options: RateLimiterOptions = {},
  ) {
    this.syncMs = options.syncMs ?? 250;
    this.now = options.now ?? Date.now;
  }

  /** Counts one request under `key`; throws RateLimited (with Retry-After) when its window is used up. */
  take(key: string, rule: RateLimit, what: string): void {
    if (rule.limit <= 0) return;
    const now = this.now();
    const windowMs = rule.windowSeconds * 1000;
    const windowStart = Math.floor(now / windowMs) * windowMs;
    const id = `${key}|${windowStart}`;
    let window = this.windows.get(id);
    if (!window) {
      window = { key, windowStart, windowMs, known: 0, unsynced: 0 };
      this.windows.set(id, window);
    }
    if (window.known + window.unsynced >= rule.limit) {
      const retryAfter = Math.max(1, Math.ceil((windowStart + windowMs - now) / 1000));
      throw new RateLimited(`Too many requests for ${what}: at most ${rule.limit} every ${rule.windowSeconds} seconds. Retry after ${retryAfter} seconds.`, retryAfter);
    }
    window.unsynced += 1;
    this.scheduleSync();
  }

  /** Adds what was counted here to the database and reads the totals back (the timer's work; tests call it). */
  async sync(): Promise<void> {
    if (this.syncing) return this.syncing;
    this.syncing = this.syncOnce().finally(() => {
      this.syncing = undefined;
    });
    return this.syncing;
  }

  /** Stops the timer; what was not synced is dropped (the window ends soon anyway). */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private scheduleSync(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.sync();
    }, this.syncMs);
    this.timer.unref();
  }

  private async syncOnce(): Promise<void> {
    const now = this.now();
    const sent = new Map<string, number>();
    for (const [id, w] of this.windows) {
      if (w.windowStart + w.windowMs <= now) {
        this.windows.delete(id); // ended: nothing it holds decides anything any more
      } else if (w.unsynced > 0) {
        sent.set(id, w.unsynced);
      }
    }
    if (sent.size === 0) return;
    try {
      const totals = await addToWindows(this.db, [...sent].map(([id, count]) => ({ key: this.windows.get(id)!.key, windowStart: this.windows.get(id)!.windowStart, count })));
      for (const total of totals) {
        const w = this.windows.get(`${total.key}|${total.windowStart}`);
        if (!w) continue;
        w.unsynced -= sent.get(`${total.key}|${total.windowStart}`) ?? 0;
        w.known = total.count;
      }
      if (now - this.lastCleanup > 60_000) {
        this.lastCleanup = now;
        await deleteWindowsBefore(this.db, now - 3600_000);
      }
    } catch (err) {
      // the counts stay here and go with the next sync; requests are never held up by it
      logger.warn('rate limit counts not synced', { reason: err instanceof Error ? err.message : String(err) });
      this.scheduleSync();
    }
  }
}
