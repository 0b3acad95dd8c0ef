import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresChangeFeed } from '../../src/db/change-feed.js';
import { type AuthApp, startAuthApp, startTwoInstancesOnPostgres } from '../support/auth-app.js';
import { createScratchPostgres, onPostgres } from '../support/test-database.js';

/**
 * SCIM tokens are answered from an in-process cache (one statement per IdP request instead of
 * two); a revoked token must still stop working at once on the instance that revoked it, and on
 * every other instance as soon as the database's notification reaches it.
 */

const scimList = (app: AuthApp, token: string) => app.request('GET', '/scim/v2/Users?count=1', { token });

async function scimTokenFor(app: AuthApp, ownerToken: string): Promise<{ id: string; token: string }> {
  const created = await app.request('POST', '/api/v4/scim_tokens', { token: ownerToken, json: { name: 'IdP' } });
  expect(created.status).toBe(201);
  return { id: created.body.id, token: created.body.token };
}

describe('a revoked SCIM token, on one instance', () => {
  let app: AuthApp;
  beforeAll(async () => {
    app = await startAuthApp();
  });
  afterAll(() => app?.stop());

  it('is refused on the very next request after the revocation answers, though it was just used', async () => {
    const account = await app.createAccount('Acme');
    const scim = await scimTokenFor(app, account.ownerToken);
    expect((await scimList(app, scim.token)).status).toBe(200);
    expect((await scimList(app, scim.token)).status).toBe(200); // answered from the cache now
    expect((await app.request('DELETE', `/api/v4/scim_tokens/${scim.id}`, { token: account.ownerToken })).status).toBe(204);
    const refused = await scimList(app, scim.token);
    expect(refused.status).toBe(401);
    expect(refused.body.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
  });

  it('another token of the account keeps working', async () => {
    const account = await app.createAccount('Globex');
    const [kept, revoked] = [await scimTokenFor(app, account.ownerToken), await scimTokenFor(app, account.ownerToken)];
    for (const t of [kept, revoked]) expect((await scimList(app, t.token)).status).toBe(200);
    expect((await app.request('DELETE', `/api/v4/scim_tokens/${revoked.id}`, { token: account.ownerToken })).status).toBe(204);
    expect((await scimList(app, revoked.token)).status).toBe(401);
    expect((await scimList(app, kept.token)).status).toBe(200);
  });
});

describe.skipIf(!onPostgres())('a revoked SCIM token, across instances on one PostgreSQL (skipped on PGlite, which is one process by design)', () => {
  let a: AuthApp;
  let b: AuthApp;
  beforeAll(async () => {
    [a, b] = await startTwoInstancesOnPostgres(process.env.TEST_DATABASE_URL!);
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
  });

  it('revoked on one instance, is refused by the other, which had it cached, once the notification arrives', async () => {
    const account = await a.createAccount('Acme');
    const scim = await scimTokenFor(a, account.ownerToken);
    expect((await scimList(b, scim.token)).status).toBe(200);
    expect((await scimList(b, scim.token)).status).toBe(200);
    expect((await a.request('DELETE', `/api/v4/scim_tokens/${scim.id}`, { token: account.ownerToken })).status).toBe(204);
    // the notification travels through PostgreSQL to B's listening connection: wait for it (bounded)
    let status = 200;
    for (let tries = 0; tries < 100 && status === 200; tries++) {
      status = (await scimList(b, scim.token)).status;
      if (status === 200) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(status).toBe(401);
  });
});

describe.skipIf(!onPostgres())('the change feed on PostgreSQL (skipped on PGlite)', () => {
  it('delivers committed notifications only, reports a dropped connection as a gap, and comes back by itself', async () => {
    const scratch = await createScratchPostgres(process.env.TEST_DATABASE_URL!);
    const feed = new PostgresChangeFeed(scratch.url);
    const sender = new pg.Client({ connectionString: scratch.url });
    await sender.connect();
    try {
      const changes: string[] = [];
      let gaps = 0;
      feed.listen('rollcall_test_channel', { onChange: (payload) => changes.push(payload), onGap: () => gaps++ });
      const until = async (what: () => boolean) => {
        for (let tries = 0; tries < 200 && !what(); tries++) await new Promise((resolve) => setTimeout(resolve, 25));
        expect(what()).toBe(true);
      };
      await until(() => feed.live);

      await sender.query('begin');
      await sender.query(`select pg_notify('rollcall_test_channel', 'rolled back')`);
      await sender.query('rollback');
      await sender.query(`select pg_notify('rollcall_test_channel', 'first')`);
      await until(() => changes.length === 1);
      expect(changes).toEqual(['first']);

      // an operator (or a failover) ends the listening session
      await sender.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query like 'listen %'`);
      await until(() => gaps === 1);
      await until(() => feed.live);
      await sender.query(`select pg_notify('rollcall_test_channel', 'after the gap')`);
      await until(() => changes.length === 2);
      expect(changes).toEqual(['first', 'after the gap']);
    } finally {
      await feed.close();
      await sender.end();
      await scratch.drop();
    }
  });
});
