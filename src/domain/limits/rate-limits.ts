import type { Knex } from 'knex';
import type { Context } from '../context.js';
import { type RateLimit, RateLimiter } from './rate-limiter.js';

/**
 * The request limits every caller of the APIs is held to (RATE_LIMIT_SCIM, RATE_LIMIT_API): per
 * SCIM token, and per member for the REST API (their API tokens, JWTs and session together).
 * Okta and Entra both slow down and retry on 429 with Retry-After.
 */

export interface RateLimitRules {
  /** Requests per minute per SCIM token; 0 = none. */
  scimPerMinute: number;
  /** Requests per minute per member on /api/v4; 0 = none. */
  apiPerMinute: number;
}

export const NO_RATE_LIMITS: RateLimitRules = { scimPerMinute: 0, apiPerMinute: 0 };

export class RateLimits {
  private readonly limiter: RateLimiter;
  private readonly scim: RateLimit;
  private readonly api: RateLimit;

  constructor(db: Knex, rules: RateLimitRules, options: { syncMs?: number } = {}) {
    this.limiter = new RateLimiter(db, options);
    this.scim = { limit: rules.scimPerMinute, windowSeconds: 60 };
    this.api = { limit: rules.apiPerMinute, windowSeconds: 60 };
  }

  /** Counts one request of the caller; throws RateLimited past the limit. */
  take(ctx: Context): void {
    if (ctx.actor.type === 'scim_token') this.limiter.take(`scim:${ctx.actor.tokenId}`, this.scim, 'this SCIM token');
    else if (ctx.actor.type === 'account_user') this.limiter.take(`api:${ctx.actor.accountUserId}`, this.api, 'this member');
  }

  /** Adds the counts to the database now (tests; the timer does it otherwise). */
  sync(): Promise<void> {
    return this.limiter.sync();
  }

  stop(): void {
    this.limiter.stop();
  }
}
