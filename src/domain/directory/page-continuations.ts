/**
 * Where the last page of an unfiltered member list ended, so that the request for the next page
 * (an Okta import asks startIndex 1, 101, 201, ...) continues from that member's key instead of
 * making PostgreSQL skip every member before it (OFFSET: O(startIndex)).
 *
 * In this process only, bounded (least recently used first out). A request that finds nothing
 * here (another instance served the page before, the entry was evicted, the server restarted) is
 * answered with OFFSET, as before: the same answer, only slower.
 */

/** Where a page ended: the sort key of its last member, and the account's member generation then. */
export interface Continuation {
  /** The last member's created_at as PostgreSQL prints it (microseconds; a JS Date keeps milliseconds). */
  createdAt: string;
  id: string;
  /** Sum of every member insert and delete the account has seen (account_member_counts.changes). */
  generation: string;
  /** Date.now() when the page was served. */
  servedAt: number;
}

const DEFAULT_CAPACITY = 10_000;

export class PageContinuations {
  private readonly entries = new Map<string, Continuation>();

  constructor(private readonly capacity = DEFAULT_CAPACITY) {}

  /** The continuation for the page that starts after `offset` members of the account's list. */
  get(accountId: string, offset: number): Continuation | undefined {
    const key = `${accountId}|${offset}`;
    const found = this.entries.get(key);
    if (found) {
      // most recently used last: Map keeps insertion order
      this.entries.delete(key);
      this.entries.set(key, found);
    }
    return found;
  }

  /**
   * The continuation at `offset`, else the nearest one before it at `offset - step`, `offset -
   * 2 * step`, ... (at most `steps` back), with where it is. Pages asked concurrently (a walk with
   * several requests in flight) find the page just before theirs not yet served, but one a few
   * pages back: the database then skips those few pages instead of every member before them.
   */
  nearest(accountId: string, offset: number, step: number, steps: number): { offset: number; continuation: Continuation } | undefined {
    for (let at = offset, n = 0; at > 0 && n <= steps; at -= step, n++) {
      const continuation = this.get(accountId, at);
      if (continuation) return { offset: at, continuation };
    }
    return undefined;
  }

  set(accountId: string, offset: number, continuation: Continuation): void {
    const key = `${accountId}|${offset}`;
    this.entries.delete(key);
    this.entries.set(key, continuation);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }
}
