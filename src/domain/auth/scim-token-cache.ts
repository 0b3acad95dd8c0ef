import type { ChangeFeed } from '../../db/change-feed.js';
import type { ScimTokenRow } from './scim-tokens-store.js';

/**
 * Valid SCIM tokens, by hash, so that an identity provider's requests (Entra looks up every user
 * each cycle) cost one statement instead of two: the token check is half of a lookup's round trips.
 *
 * Only VALID tokens are held, and only while the change feed is live. A revocation, wherever it is
 * committed (this instance, another one, the CLI), notifies SCIM_TOKENS_CHANGED with the token's id
 * and every instance forgets it when the notification arrives (milliseconds); the revoking instance
 * forgets it at once. If the feed drops, everything is forgotten and nothing is cached until it is
 * back. A load that started before a revocation was heard is not stored (`generation`). Entries
 * also expire after `ttlMs`, which bounds a revocation made behind Rollcall's back (SQL by hand)
 * and keeps the token's once-a-minute use stamp (scim-tokens-store.ts) roughly true.
 */

export const SCIM_TOKENS_CHANGED = 'rollcall_scim_tokens';

const DEFAULT_TTL_MS = 30_000;
const DEFAULT_MAX_ENTRIES = 10_000;

export class ScimTokenCache {
  private readonly entries = new Map<string, { row: ScimTokenRow; until: number }>();
  /** Bumped by every forgetting: a load that began under an older generation may be stale. */
  private generation = 0;

  constructor(
    private readonly feed: ChangeFeed,
    private readonly ttlMs = DEFAULT_TTL_MS,
    private readonly maxEntries = DEFAULT_MAX_ENTRIES,
    private readonly now: () => number = Date.now,
  ) {
    feed.listen(SCIM_TOKENS_CHANGED, { onChange: (tokenId) => this.forget(tokenId), onGap: () => this.forgetAll() });
  }

  /** The cached row for this hash, else what `load` answers (stored when valid and still trustworthy). */
  async through(tokenHash: string, load: () => Promise<ScimTokenRow | undefined>): Promise<ScimTokenRow | undefined> {
    if (this.feed.live) {
      const hit = this.entries.get(tokenHash);
      if (hit && hit.until > this.now() && !expired(hit.row, this.now())) return hit.row;
      if (hit) this.entries.delete(tokenHash);
    }
    const generation = this.generation;
    const row = await load();
    if (row && this.feed.live && generation === this.generation && !expired(row, this.now())) {
      if (this.entries.size >= this.maxEntries) this.entries.clear();
      // never held past the token's expiry (migration 022): nothing notifies when a token expires
      const expiresAt = row.expires_at ? new Date(row.expires_at).getTime() : Infinity;
      this.entries.set(tokenHash, { row, until: Math.min(this.now() + this.ttlMs, expiresAt) });
    }
    return row;
  }

  /** Forget the token with this id (revoked). */
  forget(tokenId: string): void {
    this.generation++;
    for (const [hash, entry] of this.entries) if (entry.row.id === tokenId) this.entries.delete(hash);
  }

  forgetAll(): void {
    this.generation++;
    this.entries.clear();
  }
}

function expired(row: ScimTokenRow, now: number): boolean {
  return row.expires_at !== null && row.expires_at !== undefined && new Date(row.expires_at).getTime() <= now;
}
