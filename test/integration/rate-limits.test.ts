import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimited } from '../../src/domain/errors.js';
import { RateLimits } from '../../src/domain/limits/rate-limits.js';
import { scimClient } from '../support/scim-client.js';
import { startTestApp, type TestAccount, type TestApp } from '../support/test-app.js';

/** Issue 13: per-token limits (RATE_LIMIT_SCIM, RATE_LIMIT_API), answered 429 with Retry-After, shared through the database. */

let app: TestApp;
let acme: TestAccount;
let globex: TestAccount;

beforeAll(async () => {
  app = await startTestApp({ rateLimits: { scimPerMinute: 5, apiPerMinute: 4 } });
  acme = await app.createAccount('Acme');
  globex = await app.createAccount('Globex');
});
afterAll(() => app?.stop());

describe('rate limits', () => {
  it('SCIM: past the limit a token gets 429 tooMany with Retry-After; another token is not held back', async () => {
    const scim = scimClient(app, (await app.services.scimTokens.createAsOperator(acme.accountId)).token);
    for (let i = 0; i < 5; i++) expect((await scim('GET', '/Users?count=1')).status).toBe(200);
    const refused = await scim('GET', '/Users?count=1');
    expect(refused.status).toBe(429);
    expect(refused.body.scimType).toBe('tooMany');
    expect(refused.body.detail).toMatch(/at most 5 every 60 seconds/);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const other = scimClient(app, (await app.services.scimTokens.createAsOperator(globex.accountId)).token);
    expect((await other('GET', '/Users?count=1')).status).toBe(200);
  });

  it('REST: per member, 429 in the API\'s error shape with Retry-After', async () => {
    for (let i = 0; i < 4; i++) expect((await app.request('GET', '/api/v4/account', { token: acme.token })).status).toBe(200);
    const refused = await app.request('GET', '/api/v4/account', { token: acme.token });
    expect(refused.status).toBe(429);
    expect(refused.body.errors[0].message).toMatch(/Too many requests for this member/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await app.request('GET', '/api/v4/account', { token: globex.token })).status).toBe(200);
  });

  it('two instances share one budget through the database', async () => {
    const first = new RateLimits(app.database.knex, { scimPerMinute: 5, apiPerMinute: 0 });
    const second = new RateLimits(app.database.knex, { scimPerMinute: 5, apiPerMinute: 0 });
    const ctx = { accountId: acme.accountId, actor: { type: 'scim_token' as const, tokenId: `stok_shared${Date.now()}` }, channel: 'scim' as const };
    try {
      for (let i = 0; i < 3; i++) first.take(ctx);
      await first.sync();
      second.take(ctx);
      second.take(ctx);
      await second.sync(); // reads back the 3 the first counted
      expect(() => second.take(ctx)).toThrow(RateLimited);
      await first.sync();
      first.take(ctx); // the first has not heard of the second's two yet: one sync interval's overshoot at most
      await first.sync();
      expect(() => first.take(ctx)).toThrow(RateLimited);
    } finally {
      first.stop();
      second.stop();
    }
  });
});
