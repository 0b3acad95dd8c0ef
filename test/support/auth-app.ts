import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inflateRawSync } from 'node:zlib';
import { type Database, openDatabase } from '../../src/db/database.js';
import { migrateLatest } from '../../src/db/migrate.js';
import type { Role } from '../../src/domain/context.js';
import { createServices, type Services } from '../../src/domain/services.js';
import { createApp } from '../../src/http/app.js';
import { testSecrets, uniqueEmail } from './test-app.js';
import { createScratchPostgres, openTestDatabase } from './test-database.js';

/**
 * The real app for sign-in tests: like startTestApp, but PUBLIC_URL is the address it really
 * listens on (SAML names its own URLs: entity id, ACS), redirects are not followed, cookies and
 * form posts are easy to send, and two instances can share one PostgreSQL database.
 */

export interface AuthResult {
  status: number;
  headers: Headers;
  text: string;
  body: any;
  /** The session cookie set by this response ("rollcall_session=..."), if any. */
  cookie?: string;
}

export interface RequestOptions {
  token?: string;
  cookie?: string;
  json?: unknown;
  form?: Record<string, string>;
  headers?: Record<string, string>;
}

export interface Member {
  accountUserId: string;
  userId: string;
  email: string;
  password: string;
}

export interface AuthApp {
  url: string;
  database: Database;
  services: Services;
  request(method: string, path: string, options?: RequestOptions): Promise<AuthResult>;
  createAccount(name?: string): Promise<{ accountId: string; owner: Member; ownerToken: string }>;
  /** A member with these roles and a password (set through the operator's use case). */
  createMember(accountId: string, roles?: Role[], email?: string): Promise<Member>;
  stop(): Promise<void>;
}

export const PASSWORD = 'correct horse battery staple';

async function startOn(database: Database, closeDatabase: () => Promise<void>): Promise<AuthApp> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const services = createServices(database.knex, database.changes, testSecrets(), { publicUrl: url });
  server.on('request', createApp({ config: { bodyLimitBytes: 1024 * 1024, publicUrl: url }, database, services }));

  const request: AuthApp['request'] = async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.cookie) headers.cookie = options.cookie;
    let body: string | undefined;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
    } else if (options.form) {
      body = new URLSearchParams(options.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await fetch(url + path, { method, headers, body, redirect: 'manual' });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // HTML or empty
    }
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('rollcall_session='));
    const cookie = setCookie && !/rollcall_session=;/.test(setCookie) ? setCookie.split(';')[0] : undefined;
    return { status: res.status, headers: res.headers, text, body: parsed, cookie };
  };

  const createMember: AuthApp['createMember'] = async (accountId, roles = [], email = uniqueEmail('member')) => {
    const created = await services.accountUsers.create(
      { accountId, actor: { type: 'system' }, channel: 'cli' },
      { user: { name: email.split('@')[0], emails: { mode: 'replace', items: [{ email, primary: true }] } }, membership: { roles } },
    );
    await services.signIn.setPasswordByEmail(email, PASSWORD);
    return { accountUserId: created.id, userId: created.user_id, email, password: PASSWORD };
  };

  return {
    url,
    database,
    services,
    request,
    createMember,
    async createAccount(name = 'Acme') {
      const ownerEmail = uniqueEmail('owner');
      const created = await services.accounts.create({ name, ownerEmail, ownerName: 'Owner' });
      await services.signIn.setPasswordByEmail(ownerEmail, PASSWORD);
      const { token } = await services.apiTokens.createAsOperator(created.ownerAccountUserId);
      return {
        accountId: created.account.id,
        owner: { accountUserId: created.ownerAccountUserId, userId: created.ownerUserId, email: ownerEmail, password: PASSWORD },
        ownerToken: token,
      };
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await closeDatabase();
    },
  };
}

/** One instance over a fresh database (PGlite in memory, or PostgreSQL with TEST_DATABASE_URL). */
export async function startAuthApp(): Promise<AuthApp> {
  const database = await openTestDatabase();
  return startOn(database, () => database.close());
}

/** Two instances, each with its own connection pool, over one fresh PostgreSQL database. */
export async function startTwoInstancesOnPostgres(adminUrl: string): Promise<[AuthApp, AuthApp]> {
  const scratch = await createScratchPostgres(adminUrl);
  const first = await openDatabase({ databaseUrl: scratch.url, poolMax: 5 });
  const second = await openDatabase({ databaseUrl: scratch.url, poolMax: 5 });
  await migrateLatest(first.knex);
  const a = await startOn(first, () => first.close());
  const b = await startOn(second, async () => {
    await second.close();
    await scratch.drop();
  });
  return [a, b];
}

/** The AuthnRequest a /sso/saml/:id/login redirect carries: its ID and where it asks the answer to go. */
export function readAuthnRequest(location: string): { id: string; acsUrl: string; issuer: string; relayState: string | null; idpUrl: string } {
  const url = new URL(location);
  const xml = inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest') ?? '', 'base64')).toString('utf8');
  const id = /\sID="([^"]+)"/.exec(xml)?.[1];
  const acsUrl = /AssertionConsumerServiceURL="([^"]+)"/.exec(xml)?.[1];
  const issuer = /<saml:Issuer[^>]*>([^<]+)<\/saml:Issuer>/.exec(xml)?.[1];
  if (!id || !acsUrl || !issuer) throw new Error(`not an AuthnRequest: ${xml}`);
  return { id, acsUrl, issuer, relayState: url.searchParams.get('RelayState'), idpUrl: `${url.origin}${url.pathname}` };
}
