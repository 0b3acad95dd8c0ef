import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StartedServer, startServer } from '../support/started-server.js';
import { onPostgres } from '../support/test-database.js';

/**
 * Behind a pooler in transaction mode a LISTEN cannot be carried (the session is not the
 * client's), so DATABASE_LISTEN_URL sends the one listening connection to PostgreSQL itself while
 * every statement goes through DATABASE_URL. The two URLs here differ by application_name, which
 * PostgreSQL shows for each connection.
 */

describe.runIf(onPostgres())('DATABASE_LISTEN_URL (PostgreSQL)', () => {
  const tag = randomBytes(4).toString('hex');
  const withName = (url: string, name: string) => `${url}${url.includes('?') ? '&' : '?'}application_name=${name}`;
  let server: StartedServer;

  beforeAll(async () => {
    server = await startServer({
      serverEnv: (env) => ({ DATABASE_URL: withName(env.DATABASE_URL!, `rollcall_pool_${tag}`), DATABASE_LISTEN_URL: withName(env.DATABASE_URL!, `rollcall_listen_${tag}`) }),
    });
  });
  afterAll(() => server?.stop());

  it('opens the listening connection there, and runs statements through DATABASE_URL', async () => {
    // a SCIM token seen valid is cached, which starts the feed that hears revocations
    const res = await fetch(`${server.scimBaseUrl}/Users?count=1`, { headers: { authorization: `Bearer ${server.scimToken}` } });
    expect(res.status).toBe(200);
    const probe = knexFactory({ client: 'pg', connection: server.env.DATABASE_URL, pool: { min: 0, max: 1 } });
    try {
      let rows: { application_name: string; query: string }[] = [];
      for (let i = 0; i < 250; i++) {
        rows = (await probe.raw(`select application_name, query from pg_stat_activity where application_name like ?`, [`rollcall_%_${tag}`])).rows;
        if (rows.some((r) => r.application_name === `rollcall_listen_${tag}` && /^LISTEN/i.test(r.query))) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(rows.filter((r) => /^LISTEN/i.test(r.query)).map((r) => r.application_name)).toEqual([`rollcall_listen_${tag}`]);
      expect(rows.some((r) => r.application_name === `rollcall_pool_${tag}`)).toBe(true);
    } finally {
      await probe.destroy();
    }
  });
});
