import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Knex } from 'knex';
import { loadConfig } from '../src/config.js';
import { createServices } from '../src/domain/services.js';
import { createApp } from '../src/http/app.js';
import { benchDatabase } from './database.js';
import { entraCreateBody, entraLookupPath, entraPatchBody, oktaActiveBody, oktaAddMemberBody, oktaCreateBody, oktaLookupPath, oktaPutBody, oktaRemoveMemberBody, pagePath, scimHeaders } from './idp-requests.js';
import { seed } from './seed.js';

/**
 * The SQL statements each benchmark request costs (every round trip to the database is one more
 * write and read on a socket): seeds a small account on a scratch database, serves the app in
 * this process, sends one request of each kind and lists the statements knex ran for it.
 *
 *   node --import tsx bench/query-trace.ts [--database embedded]
 */

async function main(): Promise<void> {
  const kind = process.argv.includes('embedded') ? 'embedded' : 'postgres';
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const db = await benchDatabase(kind, log);
  const database = await db.open();
  let server: Server | undefined;
  try {
    const seeded = await seed(database.knex, { users: 1000, teams: 10, teamSize: 50, bigGroupSize: 500 }, () => {});
    // with the change feed, as the server runs: the SCIM token is checked once, then cached
    const services = createServices(database.knex, database.changes);
    const config = { ...loadConfig({}), publicUrl: 'http://127.0.0.1' };
    const app = createApp({ config, database, services });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    let statements: string[] = [];
    database.knex.on('query', (q: Knex.Sql) => statements.push(q.sql.replace(/\s+/g, ' ').slice(0, 220)));

    const send = async (label: string, method: string, path: string, body?: string) => {
      statements = [];
      const res = await fetch(url + path, { method, headers: scimHeaders(seeded.scimToken, body !== undefined), body });
      const text = await res.text();
      process.stdout.write(`\n## ${label}: ${method} ${path.slice(0, 90)} -> ${res.status}, ${statements.length} statements\n`);
      for (const s of statements) process.stdout.write(`  ${s}\n`);
      return text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    };

    const [id] = seeded.memberIds;
    // lists answer from stored documents: the first read renders and stores them, the next reads them
    await send('lookup existing (document rendered)', 'GET', oktaLookupPath(seeded.userNames[3]));
    await send('lookup existing (document stored)', 'GET', oktaLookupPath(seeded.userNames[3]));
    await send('lookup missing', 'GET', oktaLookupPath('nobody@bench.example'));
    await send('entra lookup', 'GET', entraLookupPath(seeded.userNames[3]));
    await send('page (documents rendered)', 'GET', pagePath(501));
    await send('page (documents stored)', 'GET', pagePath(501));
    await send('post (okta)', 'POST', '/scim/v2/Users', oktaCreateBody('trace'));
    await send('post (entra)', 'POST', '/scim/v2/Users', entraCreateBody('entra.trace@bench.example', 'trace'));
    const doc = await send('get', 'GET', `/scim/v2/Users/${id}`);
    await send('put', 'PUT', `/scim/v2/Users/${id}`, oktaPutBody(doc ?? {}, 1));
    await send('patch active', 'PATCH', `/scim/v2/Users/${id}`, oktaActiveBody(false));
    await send('entra patch', 'PATCH', `/scim/v2/Users/${id}`, entraPatchBody(1));
    await send('member add (big)', 'PATCH', `/scim/v2/Groups/${seeded.bigGroupId}`, oktaAddMemberBody(seeded.outsiders[0]));
    await send('member remove (big)', 'PATCH', `/scim/v2/Groups/${seeded.bigGroupId}`, oktaRemoveMemberBody(seeded.outsiders[0]));
  } finally {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await database.close();
    await db.dispose();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
