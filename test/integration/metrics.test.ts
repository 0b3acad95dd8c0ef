import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { createServices, type Services } from '../../src/domain/services.js';
import { createApp } from '../../src/http/app.js';
import { newId } from '../../src/domain/ids.js';
import { readAuthnRequest } from '../support/auth-app.js';
import { openTestDatabase, onPostgres } from '../support/test-database.js';
import { testSecrets, uniqueEmail } from '../support/test-app.js';
import { TestIdp } from '../support/test-idp.js';

/**
 * Issue 16: GET /metrics in the Prometheus text format. Who may read it (METRICS_TOKEN, or this
 * machine only), and that what it counts is what happened: requests by route PATTERN (never a raw
 * path), SCIM operations by kind and outcome, sign-ins by method and outcome, the database pool.
 */

const PASSWORD = 'correct horse battery staple';
const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';

/** An address of this machine that is not loopback: a caller from it is not "on this machine" by its socket. */
const outsideAddress = Object.values(os.networkInterfaces())
  .flat()
  .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

interface MetricsApp {
  /** http://127.0.0.1:PORT */
  url: string;
  /** The same app on this machine's non-loopback address (when it has one). */
  outsideUrl: string | undefined;
  services: Services;
  stop(): Promise<void>;
}

// One database for the file (migrating one takes seconds on a busy machine); each app its own registry.
let database: Database;
// a fresh database migrates in seconds, but a machine shared by many test runs has taken over a minute
beforeAll(async () => {
  database = await openTestDatabase();
}, 180_000);
afterAll(() => database?.close());

function listen(server: Server, host: string): Promise<string> {
  return new Promise((resolve) => server.listen(0, host, () => resolve(`http://${host}:${(server.address() as AddressInfo).port}`)));
}

async function startMetricsApp(metricsToken?: string): Promise<MetricsApp> {
  const local = createServer();
  const outside = outsideAddress ? createServer() : undefined;
  const url = await listen(local, '127.0.0.1');
  const outsideUrl = outside && outsideAddress ? await listen(outside, outsideAddress) : undefined;
  const services = createServices(database.knex, database.changes, testSecrets(), { publicUrl: url });
  const app = createApp({ config: { bodyLimitBytes: 1024 * 1024, publicUrl: url, metricsToken }, database, services });
  local.on('request', app);
  outside?.on('request', app);
  return {
    url,
    outsideUrl,
    services,
    async stop() {
      for (const server of [local, outside]) {
        if (!server) continue;
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
  };
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format's samples (lines without #). */
function samples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]] = pair[2];
    out.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return out;
}

/** The value of the one sample with this name and (at least) these labels; 0 when there is none yet. */
function valueOf(all: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = all.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  expect(found.length, `${name} ${JSON.stringify(labels)}: ${found.length} samples`).toBeLessThanOrEqual(1);
  return found[0]?.value ?? 0;
}

async function send(url: string, method: string, path: string, options: { token?: string; json?: unknown; form?: Record<string, string>; headers?: Record<string, string>; scim?: boolean } = {}) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] = options.scim ? 'application/scim+json' : 'application/json';
  } else if (options.form) {
    body = new URLSearchParams(options.form).toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  const res = await fetch(url + path, { method, headers, body, redirect: 'manual' });
  const text = await res.text();
  let parsed: any;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, text, body: parsed };
}

describe('who may read /metrics without METRICS_TOKEN: this machine only', () => {
  let app: MetricsApp;
  let ownerToken: string;
  beforeAll(async () => {
    app = await startMetricsApp();
    const created = await app.services.accounts.create({ name: 'Acme', ownerEmail: uniqueEmail('owner'), ownerName: 'Owner' });
    ownerToken = (await app.services.apiTokens.createAsOperator(created.ownerAccountUserId)).token;
  });
  afterAll(() => app?.stop());

  it('answers a caller on loopback in the Prometheus text format, with the process metrics, never cached', async () => {
    const res = await send(app.url, 'GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.text).toContain('# TYPE rollcall_http_requests_total counter');
    expect(res.text).toContain('# TYPE rollcall_http_request_duration_seconds histogram');
    const all = samples(res.text);
    expect(valueOf(all, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(valueOf(all, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });

  it.skipIf(!outsideAddress)('refuses a caller from another address (403), whatever X-Forwarded-For says and whatever Rollcall credential it shows', async () => {
    const attempts: Record<string, string>[] = [{}, { 'x-forwarded-for': '127.0.0.1' }, { authorization: `Bearer ${ownerToken}` }, { authorization: `Bearer ${ownerToken}`, 'x-forwarded-for': '::1' }];
    for (const headers of attempts) {
      const res = await send(app.outsideUrl!, 'GET', '/metrics', { headers });
      expect(res.status).toBe(403);
      expect(res.text).not.toContain('rollcall_');
      expect(res.body.errors[0].message).toMatch(/METRICS_TOKEN/);
    }
    // the same app answers that address elsewhere: the refusal is /metrics's, not the network's
    expect((await send(app.outsideUrl!, 'GET', '/healthz')).status).toBe(200);
  });

  it('refuses a request a proxy on this machine forwarded (X-Forwarded-For or Forwarded present): it may come from anyone', async () => {
    const forwarded: Record<string, string>[] = [{ 'x-forwarded-for': '127.0.0.1' }, { 'x-forwarded-for': '203.0.113.9' }, { forwarded: 'for=203.0.113.9' }];
    for (const headers of forwarded) {
      const res = await send(app.url, 'GET', '/metrics', { headers });
      expect(res.status).toBe(403);
      expect(res.text).not.toContain('rollcall_');
    }
  });

  it('has no other method and takes no body: a hostile POST is an unknown endpoint and shows nothing', async () => {
    const res = await send(app.url, 'POST', '/metrics', { json: { '__proto__': { admin: true }, x: 'y'.repeat(10_000) } });
    expect(res.status).toBe(404);
    expect(res.text).not.toContain('rollcall_');
    expect((await send(app.url, 'DELETE', '/metrics')).status).toBe(404);
  });
});

describe('who may read /metrics with METRICS_TOKEN: whoever sends it, from anywhere', () => {
  let app: MetricsApp;
  let ownerToken: string;
  let memberJwt: string;
  beforeAll(async () => {
    app = await startMetricsApp(METRICS_TOKEN);
    const ownerEmail = uniqueEmail('owner');
    const created = await app.services.accounts.create({ name: 'Acme', ownerEmail, ownerName: 'Owner' });
    ownerToken = (await app.services.apiTokens.createAsOperator(created.ownerAccountUserId)).token;
    await app.services.signIn.setPasswordByEmail(ownerEmail, PASSWORD);
    memberJwt = (await send(app.url, 'POST', '/public/login', { json: { username: ownerEmail, password: PASSWORD } })).body.token;
    expect(memberJwt).toBeTruthy();
  });
  afterAll(() => app?.stop());

  it('refuses a caller without the token even on loopback (401, WWW-Authenticate: Bearer)', async () => {
    const res = await send(app.url, 'GET', '/metrics');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(res.text).not.toContain('rollcall_');
  });

  it("refuses a wrong token, the token's prefix, an admin's API token and a member's JWT", async () => {
    const wrong = [`${METRICS_TOKEN}x`, METRICS_TOKEN.slice(0, -1), 'x'.repeat(5_000), ownerToken, memberJwt];
    for (const token of wrong) {
      const res = await send(app.url, 'GET', '/metrics', { token });
      expect(res.status).toBe(401);
      expect(res.text).not.toContain('rollcall_');
    }
    expect((await send(app.url, 'GET', '/metrics', { headers: { authorization: METRICS_TOKEN } })).status).toBe(401); // not a bearer
  });

  it('answers the token on loopback, and from another address', async () => {
    const res = await send(app.url, 'GET', '/metrics', { token: METRICS_TOKEN });
    expect(res.status).toBe(200);
    expect(res.text).toContain('rollcall_http_requests_total');
    if (app.outsideUrl) expect((await send(app.outsideUrl, 'GET', '/metrics', { token: METRICS_TOKEN })).status).toBe(200);
  });
});

describe('what /metrics counts', () => {
  let app: MetricsApp;
  let accountId: string;
  let ownerEmail: string;
  let ownerToken: string;
  let scimToken: string;
  const scrape = async () => {
    const res = await send(app.url, 'GET', '/metrics');
    expect(res.status).toBe(200);
    return { text: res.text, all: samples(res.text) };
  };
  const scim = (method: string, path: string, json?: unknown) => send(app.url, method, `/scim/v2${path}`, { token: scimToken, json, scim: true });

  beforeAll(async () => {
    app = await startMetricsApp();
    ownerEmail = uniqueEmail('owner');
    const created = await app.services.accounts.create({ name: 'Acme', ownerEmail, ownerName: 'Owner' });
    accountId = created.account.id;
    ownerToken = (await app.services.apiTokens.createAsOperator(created.ownerAccountUserId)).token;
    await app.services.signIn.setPasswordByEmail(ownerEmail, PASSWORD);
    scimToken = (await app.services.scimTokens.createAsOperator(accountId)).token;
  });
  afterAll(() => app?.stop());

  it('labels requests by route pattern, never by path: ids, case and unknown paths make no series of their own', async () => {
    const before = (await scrape()).all;
    const created = await scim('POST', '/Users', { schemas: [USER], userName: uniqueEmail('scim'), emails: [{ value: uniqueEmail('mail'), primary: true }] });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect((await scim('GET', `/Users/${id}`)).status).toBe(200);
    expect((await send(app.url, 'GET', `/SCIM/V2/Users/${id}`, { token: scimToken })).status).toBe(200);
    expect((await scim('GET', '/Users/usr_doesnotexist0000000000')).status).toBe(404);
    // an error that leaves a nested router (/api/v4/account_users) keeps that router's path in the label
    const missing = newId('au');
    expect((await send(app.url, 'GET', `/api/v4/account_users/${missing}`, { token: ownerToken })).status).toBe(404);
    expect((await send(app.url, 'GET', `/no/such/${id}`)).status).toBe(404);
    expect((await send(app.url, 'GET', `/scim/v2/Users/${id}`)).status).toBe(401); // no token: no route reached

    const { text, all } = await scrape();
    const delta = (labels: Record<string, string>) => valueOf(all, 'rollcall_http_requests_total', labels) - valueOf(before, 'rollcall_http_requests_total', labels);
    expect(delta({ method: 'POST', route: '/scim/v2/Users', status: '201' })).toBe(1);
    expect(delta({ method: 'GET', route: '/scim/v2/Users/:id', status: '200' })).toBe(2);
    expect(delta({ method: 'GET', route: '/scim/v2/Users/:id', status: '404' })).toBe(1);
    expect(delta({ method: 'GET', route: '/api/v4/account_users/:id', status: '404' })).toBe(1);
    expect(delta({ method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(delta({ method: 'GET', route: '/scim/v2/*', status: '401' })).toBe(1);
    expect(text).not.toContain(id);
    expect(text).not.toContain('doesnotexist');
    expect(text).not.toContain(missing);
    expect(text).not.toContain('/no/such');
    expect(text).not.toContain('/SCIM/V2');
  });

  it('measures latency in seconds with buckets fine enough for 1-20 ms lookups', async () => {
    expect((await send(app.url, 'GET', '/healthz')).status).toBe(200);
    const all = (await scrape()).all;
    const labels = { method: 'GET', route: '/healthz', status_class: '2xx' };
    const buckets = all.filter((s) => s.name === 'rollcall_http_request_duration_seconds_bucket' && s.labels.route === '/healthz').map((s) => s.labels.le);
    expect(buckets).toEqual(expect.arrayContaining(['0.001', '0.0025', '0.005', '0.01', '0.02', '0.05', '+Inf']));
    const count = valueOf(all, 'rollcall_http_request_duration_seconds_count', labels);
    expect(count).toBeGreaterThanOrEqual(1);
    expect(valueOf(all, 'rollcall_http_request_duration_seconds_bucket', { ...labels, le: '+Inf' })).toBe(count);
    expect(valueOf(all, 'rollcall_http_requests_total', { method: 'GET', route: '/healthz', status: '200' })).toBe(count);
  });

  it('counts SCIM operations by resource, kind and outcome (a Bulk request once)', async () => {
    const before = (await scrape()).all;
    const created = await scim('POST', '/Users', { schemas: [USER], userName: uniqueEmail('scim'), emails: [{ value: uniqueEmail('mail'), primary: true }] });
    const id = created.body.id as string;
    expect((await scim('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] })).status).toBe(200);
    expect((await scim('PUT', `/Users/${id}`, { ...created.body, displayName: 'Replaced' })).status).toBe(200);
    expect((await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${created.body.userName}"`)}`)).status).toBe(200);
    expect((await scim('POST', '/Users/.search', { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'] })).status).toBe(200);
    expect((await scim('POST', '/Users', { schemas: [USER] })).status).toBe(400); // no userName
    expect((await scim('DELETE', `/Users/${id}`)).status).toBe(204);
    expect((await scim('DELETE', `/Users/${id}`)).status).toBe(404);
    expect((await scim('POST', '/Groups', { schemas: [GROUP], displayName: `Team ${Date.now()}` })).status).toBe(201);
    const bulk = await scim('POST', '/Bulk', { schemas: [BULK], Operations: [{ method: 'POST', bulkId: 'a', path: '/Groups', data: { schemas: [GROUP], displayName: `Bulk ${Date.now()}` } }] });
    expect(bulk.status).toBe(200);
    expect((await scim('GET', '/ServiceProviderConfig')).status).toBe(200); // a document, no operation
    expect((await send(app.url, 'GET', '/scim/v2/Users', { token: 'not-a-token' })).status).toBe(401); // no operation either

    const all = (await scrape()).all;
    const delta = (resource: string, operation: string, outcome: string) =>
      valueOf(all, 'rollcall_scim_operations_total', { resource, operation, outcome }) - valueOf(before, 'rollcall_scim_operations_total', { resource, operation, outcome });
    expect(delta('Users', 'create', 'success')).toBe(1);
    expect(delta('Users', 'create', 'client_error')).toBe(1);
    expect(delta('Users', 'patch', 'success')).toBe(1);
    expect(delta('Users', 'replace', 'success')).toBe(1);
    expect(delta('Users', 'list', 'success')).toBe(2);
    expect(delta('Users', 'delete', 'success')).toBe(1);
    expect(delta('Users', 'delete', 'client_error')).toBe(1);
    expect(delta('Groups', 'create', 'success')).toBe(1);
    expect(delta('Bulk', 'bulk', 'success')).toBe(1);
    const total = (s: Sample[]) => s.filter((x) => x.name === 'rollcall_scim_operations_total').reduce((sum, x) => sum + x.value, 0);
    expect(total(all) - total(before)).toBe(10);
  });

  it('counts sign-ins by method and outcome, and credentials shown to the API, never naming the person', async () => {
    const before = (await scrape()).all;
    const from = (n: number) => ({ 'x-forwarded-for': `198.51.100.${n}` });
    expect((await send(app.url, 'POST', '/public/login', { json: { username: ownerEmail, password: PASSWORD }, headers: from(1) })).status).toBe(200);
    expect((await send(app.url, 'POST', '/public/login', { json: { username: ownerEmail, password: 'wrong password' }, headers: from(2) })).status).toBe(401);
    expect((await send(app.url, 'POST', '/public/login', { json: { username: 'nobody@example.com', password: 'wrong password' }, headers: from(2) })).status).toBe(401);
    expect((await send(app.url, 'POST', '/public/login', { json: { username: ownerEmail }, headers: from(3) })).status).toBe(422);
    const web = await send(app.url, 'POST', '/login', { form: { username: ownerEmail, password: PASSWORD }, headers: { ...from(4), origin: app.url } });
    expect(web.status).toBe(303);
    expect((await send(app.url, 'GET', '/api/v4/me', { token: ownerToken })).status).toBe(200);
    expect((await send(app.url, 'GET', '/api/v4/me', { token: 'not-a-token' })).status).toBe(401);
    expect((await send(app.url, 'GET', '/api/v4/me')).status).toBe(401);

    const { text, all } = await scrape();
    const signIns = (method: string, outcome: string) => valueOf(all, 'rollcall_sign_ins_total', { method, outcome }) - valueOf(before, 'rollcall_sign_ins_total', { method, outcome });
    expect(signIns('password', 'success')).toBe(2);
    expect(signIns('password', 'wrong_credentials')).toBe(2);
    expect(signIns('password', 'incomplete')).toBe(1);
    const auths = (credential: string, outcome: string) =>
      valueOf(all, 'rollcall_api_authentications_total', { credential, outcome }) - valueOf(before, 'rollcall_api_authentications_total', { credential, outcome });
    expect(auths('api_token', 'success')).toBe(1);
    expect(auths('api_token', 'wrong_credentials')).toBe(1);
    expect(auths('none', 'missing')).toBe(1);
    expect(text).not.toContain(ownerEmail);
    expect(text).not.toContain('nobody@example.com');
    expect(text).not.toContain('198.51.100');
  });

  it('counts SAML sign-ins: a refusal by its reason, a success', async () => {
    const idp = await TestIdp.create();
    expect((await send(app.url, 'PUT', '/api/v4/account/sso', { token: ownerToken, json: { idp_metadata_xml: idp.metadataXml() } })).status).toBe(200);
    const before = (await scrape()).all;
    expect((await send(app.url, 'POST', `/sso/saml/${accountId}/acs`, { form: { RelayState: '/' } })).status).toBe(403);
    const start = await send(app.url, 'GET', `/sso/saml/${accountId}/login?RelayState=%2F`);
    expect(start.status).toBe(302);
    const request = readAuthnRequest(start.headers.get('location')!);
    const acsUrl = `${app.url}/sso/saml/${accountId}/acs`;
    const response = idp.response({ nameId: ownerEmail, acsUrl, audience: `${app.url}/sso/saml/${accountId}/metadata`, inResponseTo: request.id });
    const signedIn = await send(app.url, 'POST', `/sso/saml/${accountId}/acs`, { form: { SAMLResponse: response } });
    expect(signedIn.status).toBe(303);
    // the same response again: refused by the service as a replay
    expect((await send(app.url, 'POST', `/sso/saml/${accountId}/acs`, { form: { SAMLResponse: response } })).status).toBe(403);

    const { text, all } = await scrape();
    const signIns = (outcome: string) => valueOf(all, 'rollcall_sign_ins_total', { method: 'saml', outcome }) - valueOf(before, 'rollcall_sign_ins_total', { method: 'saml', outcome });
    expect(signIns('success')).toBe(1);
    expect(signIns('no_response')).toBe(1);
    expect(signIns('unknown_request')).toBe(1);
    expect(text).not.toContain(ownerEmail);
    expect(text).not.toContain(accountId);
  });

  it('keeps one registry per app: another app in the same process counts only its own requests', async () => {
    const other = await startMetricsApp();
    try {
      expect((await send(other.url, 'GET', '/healthz')).status).toBe(200);
      const count = async (target: MetricsApp) => valueOf(samples((await send(target.url, 'GET', '/metrics')).text), 'rollcall_http_requests_total', { method: 'GET', route: '/healthz', status: '200' });
      expect(await count(other)).toBe(1);
      expect(await count(app)).toBeGreaterThanOrEqual(1);
      expect((await send(other.url, 'GET', '/healthz')).status).toBe(200);
      expect(await count(other)).toBe(2);
    } finally {
      await other.stop();
    }
  });

  it("reports the database pool: its size, and connections used, free and awaited", async () => {
    const all = (await scrape()).all;
    const database = onPostgres() ? 'postgres' : 'pglite';
    expect(valueOf(all, 'rollcall_db_pool_connections_max', { database })).toBe(onPostgres() ? 20 : 1);
    for (const name of ['rollcall_db_pool_connections_used', 'rollcall_db_pool_connections_free', 'rollcall_db_pool_pending_acquires', 'rollcall_db_pool_pending_creates']) {
      expect(all.some((s) => s.name === name && s.labels.database === database && s.value >= 0), name).toBe(true);
    }
    // PGlite keeps its one connection open; PostgreSQL has opened some by now
    const open = valueOf(all, 'rollcall_db_pool_connections_used', { database }) + valueOf(all, 'rollcall_db_pool_connections_free', { database });
    expect(open).toBeGreaterThanOrEqual(1);
  });
});
