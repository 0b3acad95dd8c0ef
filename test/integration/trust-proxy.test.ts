import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import type { Database } from '../../src/db/database.js';
import { THROTTLE } from '../../src/domain/auth/login-throttle.js';
import { createServices, type Services } from '../../src/domain/services.js';
import { createApp } from '../../src/http/app.js';
import { openTestDatabase } from '../support/test-database.js';
import { testSecrets, uniqueEmail } from '../support/test-app.js';

/**
 * Issue 16: TRUST_PROXY says whose X-Forwarded-For Express believes. Behind a load balancer every
 * connection comes from the balancer's address: unless it is trusted, everyone shares one address
 * and the sign-in limits (login-throttle.ts: failures per address) lock out a whole office at once;
 * when it is trusted wrongly, anyone forges an address and escapes the limits. On one machine every
 * connection is loopback, so the untrusted cases connect from this machine's other address, or
 * trust a list that leaves loopback out.
 */

const PASSWORD = 'correct horse battery staple';

/** An address of this machine that is not loopback. */
const outsideAddress = Object.values(os.networkInterfaces())
  .flat()
  .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

let database: Database;
let services: Services;
let person: string;
const servers: Server[] = [];

beforeAll(async () => {
  database = await openTestDatabase();
  services = createServices(database.knex, database.changes, testSecrets(), { publicUrl: 'http://127.0.0.1' });
  person = uniqueEmail('person');
  await services.accounts.create({ name: 'Acme', ownerEmail: person, ownerName: 'Person' });
  await services.signIn.setPasswordByEmail(person, PASSWORD);
}, 180_000); // a fresh database migrates in seconds, but a machine shared by many test runs has taken over a minute
afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  await database?.close();
});

/** The app with this TRUST_PROXY (undefined: the default), listening on `host`. */
async function startApp(trustProxy: Config['trustProxy'] | undefined, host = '127.0.0.1'): Promise<string> {
  const server = createServer(createApp({ config: { bodyLimitBytes: 1024 * 1024, publicUrl: 'http://127.0.0.1', trustProxy }, database, services }));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return `http://${host}:${(server.address() as AddressInfo).port}`;
}

const signIn = async (url: string, username: string, password: string, forwardedFor?: string) =>
  (
    await fetch(`${url}/public/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) },
      body: JSON.stringify({ username, password }),
    })
  ).status;

/** As many failed sign-ins as one address is allowed, each under another name (so no person's own limit is reached first). */
async function exhaustAddress(url: string, forwardedFor: string): Promise<void> {
  for (let i = 0; i < THROTTLE.perAddress; i++) expect(await signIn(url, uniqueEmail('stranger'), 'wrong password', forwardedFor)).toBe(401);
  expect(await signIn(url, uniqueEmail('stranger'), 'wrong password', forwardedFor)).toBe(429);
}

// The load balancer connects from this machine's other address when it has one: an address the
// default (loopback) does not trust, so these pass only because TRUST_PROXY=1 is applied.
const balancer = outsideAddress ?? '127.0.0.1';

describe('TRUST_PROXY=1: one proxy in front, the address it forwards is the person\'s', () => {
  it('gives two people behind the same proxy their own sign-in limits', async () => {
    const url = await startApp(1, balancer);
    await exhaustAddress(url, '198.51.100.10');
    // the address is refused, even with the right password ...
    expect(await signIn(url, person, PASSWORD, '198.51.100.10')).toBe(429);
    // ... but the person next to them, through the same proxy, signs in
    expect(await signIn(url, person, PASSWORD, '198.51.100.11')).toBe(200);
  });

  it('believes only the hop the proxy added: an address the client wrote in front escapes nothing', async () => {
    const url = await startApp(1, balancer);
    await exhaustAddress(url, '198.51.100.20');
    // the client sent "X-Forwarded-For: 203.0.113.99"; the proxy appended the address it saw
    expect(await signIn(url, person, PASSWORD, '203.0.113.99, 198.51.100.20')).toBe(429);
    // with two proxies trusted (TRUST_PROXY=2) the first entry would be believed: hops are counted from the right
    expect(await signIn(await startApp(2, balancer), person, PASSWORD, '203.0.113.99, 198.51.100.20')).toBe(200);
  });

  it('believes X-Forwarded-Proto: a sign-in form posted over https to the proxy is not taken for another site', async () => {
    const url = await startApp(1, balancer);
    const post = (headers: Record<string, string>) =>
      fetch(`${url}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': '198.51.100.30', ...headers },
        body: new URLSearchParams({ username: person, password: PASSWORD }).toString(),
      });
    const host = new URL(url).host;
    expect((await post({ origin: `https://${host}`, 'x-forwarded-proto': 'https' })).status).toBe(303);
    expect((await post({ origin: `https://${host}` })).status).toBe(403);
  });
});

describe('the default (loopback) and lists that leave the caller out: X-Forwarded-For is not believed', () => {
  it.skipIf(!outsideAddress)('default: a caller from another address forges X-Forwarded-For in vain, its failures all count to its own address', async () => {
    const url = await startApp(undefined, outsideAddress);
    await exhaustAddress(url, '198.51.100.40');
    expect(await signIn(url, person, PASSWORD, '198.51.100.41')).toBe(429);
    expect(await signIn(url, person, PASSWORD)).toBe(429);
  });

  it('TRUST_PROXY=10.0.0.0/8: a caller on loopback is no trusted proxy, so a different X-Forwarded-For changes nothing', async () => {
    const url = await startApp(['10.0.0.0/8']);
    await exhaustAddress(url, '198.51.100.50');
    expect(await signIn(url, person, PASSWORD, '198.51.100.51')).toBe(429);
    // a trusted-by-default loopback proxy (another app on the same database) still gets the person in: only 127.0.0.1 was counted
    expect(await signIn(await startApp(undefined), person, PASSWORD, '198.51.100.52')).toBe(200);
  });
});
