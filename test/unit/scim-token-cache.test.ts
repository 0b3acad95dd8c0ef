import { describe, expect, it } from 'vitest';
import type { ChangeFeed, ChangeListener } from '../../src/db/change-feed.js';
import { SCIM_TOKENS_CHANGED, ScimTokenCache } from '../../src/domain/auth/scim-token-cache.js';
import type { ScimTokenRow } from '../../src/domain/auth/scim-tokens-store.js';

/** A feed driven by the test: what PostgreSQL would deliver, and when the connection drops. */
class HandDrivenFeed implements ChangeFeed {
  live = true;
  private readonly listeners = new Map<string, ChangeListener>();
  listen(channel: string, listener: ChangeListener): void {
    this.listeners.set(channel, listener);
  }
  deliver(channel: string, payload: string): void {
    this.listeners.get(channel)?.onChange(payload);
  }
  drop(): void {
    this.live = false;
    for (const l of this.listeners.values()) l.onGap();
  }
  async close(): Promise<void> {}
}

const row = (id: string, expiresAt: Date | null = null): ScimTokenRow => ({ id, account_id: 'acc_1', name: null, created_at: new Date(0), last_used_at: null, revoked_at: null, expires_at: expiresAt });

function counting(answer: ScimTokenRow | undefined) {
  const load = async () => {
    load.calls++;
    return answer;
  };
  load.calls = 0;
  return load;
}

describe('ScimTokenCache', () => {
  it('answers a valid token from memory after the first load, and never caches an unknown one', async () => {
    const cache = new ScimTokenCache(new HandDrivenFeed());
    const valid = counting(row('stok_1'));
    await cache.through('h1', valid);
    expect(await cache.through('h1', valid)).toEqual(row('stok_1'));
    expect(valid.calls).toBe(1);
    const unknown = counting(undefined);
    await cache.through('h2', unknown);
    await cache.through('h2', unknown);
    expect(unknown.calls).toBe(2);
  });

  it('forgets a token when its revocation is notified, and only that token', async () => {
    const feed = new HandDrivenFeed();
    const cache = new ScimTokenCache(feed);
    const one = counting(row('stok_1'));
    const two = counting(row('stok_2'));
    await cache.through('h1', one);
    await cache.through('h2', two);
    feed.deliver(SCIM_TOKENS_CHANGED, 'stok_1');
    await cache.through('h1', one);
    await cache.through('h2', two);
    expect([one.calls, two.calls]).toEqual([2, 1]);
  });

  it('does not store what a load read before a revocation was heard', async () => {
    const feed = new HandDrivenFeed();
    const cache = new ScimTokenCache(feed);
    const racing = async () => {
      feed.deliver(SCIM_TOKENS_CHANGED, 'stok_1'); // committed while the load was on its way
      return row('stok_1');
    };
    await cache.through('h1', racing);
    const after = counting(undefined);
    expect(await cache.through('h1', after)).toBeUndefined();
    expect(after.calls).toBe(1);
  });

  it('while the feed is down, forgets everything and asks the database every time', async () => {
    const feed = new HandDrivenFeed();
    const cache = new ScimTokenCache(feed);
    const load = counting(row('stok_1'));
    await cache.through('h1', load);
    feed.drop();
    await cache.through('h1', load);
    await cache.through('h1', load);
    expect(load.calls).toBe(3);
    feed.live = true;
    await cache.through('h1', load);
    await cache.through('h1', load);
    expect(load.calls).toBe(4);
  });

  it('asks the database again once an entry is older than its lifetime', async () => {
    let now = 1_000;
    const cache = new ScimTokenCache(new HandDrivenFeed(), 30_000, 100, () => now);
    const load = counting(row('stok_1'));
    await cache.through('h1', load);
    now += 29_999;
    await cache.through('h1', load);
    now += 2;
    await cache.through('h1', load);
    expect(load.calls).toBe(2);
  });

  it('never answers a token from memory past its expiry (migration 022), which nothing notifies', async () => {
    let now = 1_000;
    const cache = new ScimTokenCache(new HandDrivenFeed(), 30_000, 100, () => now);
    const load = counting(row('stok_1', new Date(11_000)));
    await cache.through('h1', load);
    now = 10_999;
    await cache.through('h1', load);
    expect(load.calls).toBe(1);
    now = 11_000;
    await cache.through('h1', load);
    expect(load.calls).toBe(2);
    // a row already expired when loaded (the database said valid a moment before) is not stored
    await cache.through('h1', load);
    expect(load.calls).toBe(3);
  });
});
