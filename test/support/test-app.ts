import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Database } from '../../src/db/database.js';
import { SecretBox } from '../../src/domain/auth/secret-box.js';
import { createServices, type Services, type ServicesOptions } from '../../src/domain/services.js';
import { createApp } from '../../src/http/app.js';
import { openTestDatabase } from './test-database.js';

export interface HttpResult<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface TestAccount {
  accountId: string;
  ownerAccountUserId: string;
  ownerUserId: string;
  /** The owner's (an admin's) API token. */
  token: string;
}

export interface TestApp {
  url: string;
  database: Database;
  services: Services;
  /** An HTTP request against the running app; JSON in and out. */
  request<T = any>(method: string, path: string, options?: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> }): Promise<HttpResult<T>>;
  /** A new account through the same use case as `rollcall account create`, with the owner's API token. */
  createAccount(name?: string, ownerEmail?: string): Promise<TestAccount>;
  stop(): Promise<void>;
}

/** The key for secrets at rest (ROLLCALL_SECRET_KEYS) of every app a test process starts: instances sharing a database share it. */
export const TEST_SECRET_KEY = randomBytes(32);
export const testSecrets = (): SecretBox => new SecretBox([TEST_SECRET_KEY]);

let counter = 0;
export const uniqueEmail = (label = 'person'): string => `${label}.${process.pid}.${Date.now().toString(36)}.${counter++}@example.com`;

/** The real app on a real database (PGlite, or PostgreSQL with TEST_DATABASE_URL), on an ephemeral port. */
export async function startTestApp(options: Pick<ServicesOptions, 'dnsResolver' | 'rateLimits'> = {}): Promise<TestApp> {
  const database = await openTestDatabase();
  const services = createServices(database.knex, database.changes, testSecrets(), options);
  const app = createApp({ config: { bodyLimitBytes: 1024 * 1024, publicUrl: 'http://127.0.0.1' }, database, services });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const request: TestApp['request'] = async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(url + path, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, headers: res.headers, body: parsed as any };
  };

  return {
    url,
    database,
    services,
    request,
    async createAccount(name = 'Acme', ownerEmail = uniqueEmail('owner')) {
      const created = await services.accounts.create({ name, ownerEmail, ownerName: 'Owner' });
      const { token } = await services.apiTokens.createAsOperator(created.ownerAccountUserId);
      return { accountId: created.account.id, ownerAccountUserId: created.ownerAccountUserId, ownerUserId: created.ownerUserId, token };
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await database.close();
    },
  };
}
