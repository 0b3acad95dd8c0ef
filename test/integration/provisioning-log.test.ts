import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProvisioningLogService } from '../../src/domain/provisioning/provisioning-log-service.js';
import { ProvisioningLogRetention } from '../../src/domain/provisioning/retention.js';
import { logLinesOf } from '../support/log-capture.js';
import { startTestApp, type TestAccount, type TestApp, uniqueEmail } from '../support/test-app.js';

/**
 * The provisioning log (issue 15): every authenticated SCIM request, recorded in batches, bodies
 * without secrets, read back over /api/v4/provisioning_requests by the account's admins only.
 * Each test waits for the batch (services.provisioningLog.flush) before reading.
 */

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const OKTA_AGENT = 'Okta SCIM Client 1.0.0';

/** Every secret sent in this file: none may appear in the table. */
const SECRETS = ['Okta-Pw-1mz050nq', 'Put-Pw-9x8c7v', 'Push-Pw-4k4k4k', 'Path-Pw-2b2b2b', 'Bulk-Pw-7q7q7q', 'Token-Val-5h5h5h', 'Bulk-Patch-Pw-3m3m'];

let app: TestApp;
let acme: TestAccount;
let globex: TestAccount;
let scimToken: string;
let globexScimToken: string;
let member: { id: string; token: string };

const okta = (method: string, path: string, body?: unknown, requestId?: string) =>
  app.request(method, `/scim/v2${path}`, { token: scimToken, body, headers: { accept: 'application/scim+json', 'user-agent': OKTA_AGENT, ...(requestId ? { 'x-request-id': requestId } : {}) } });

const log = async (query = '', token = acme.token) => {
  await app.services.provisioningLog.flush();
  return app.request('GET', `/api/v4/provisioning_requests${query}`, { token });
};

const oktaUser = (userName: string, password?: string) => ({
  schemas: [USER],
  userName,
  name: { givenName: 'Rita', familyName: 'Runscope' },
  emails: [{ primary: true, value: userName, type: 'work' }],
  displayName: 'Rita Runscope',
  locale: 'en-US',
  externalId: `ext-${userName}`,
  groups: [],
  ...(password ? { password } : {}),
  active: true,
});

beforeAll(async () => {
  app = await startTestApp();
  acme = await app.createAccount('Acme');
  globex = await app.createAccount('Globex');
  scimToken = (await app.services.scimTokens.createAsOperator(acme.accountId)).token;
  globexScimToken = (await app.services.scimTokens.createAsOperator(globex.accountId)).token;
  const added = await app.request('POST', '/api/v4/account_users', { token: acme.token, body: { user_attributes: { name: 'Member', emails_attributes: [{ email: uniqueEmail('m') }] }, roles: {} } });
  expect(added.status).toBe(201);
  member = { id: added.body.id, token: (await app.services.apiTokens.createAsOperator(added.body.id)).token };
});
afterAll(() => app?.stop());

describe('what is recorded', () => {
  let userId: string;

  it("shows Okta's create with its status, user agent, duration, request id, query and what it changed", async () => {
    const userName = uniqueEmail('okta');
    const lookup = await okta('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}&startIndex=1&count=100`, undefined, 'okta-lookup-1');
    expect(lookup.status).toBe(200);
    const created = await okta('POST', '/Users', oktaUser(userName, SECRETS[0]), 'okta-create-1');
    expect(created.status).toBe(201);
    userId = created.body.id;

    const res = await log(`?resource_id=${userId}`);
    expect(res.status).toBe(200);
    expect(res.body.total_count).toBe(1);
    const entry = res.body.data[0];
    expect(entry).toMatchObject({
      object: 'provisioning_request',
      method: 'POST',
      path: '/scim/v2/Users',
      status: 201,
      user_agent: OKTA_AGENT,
      request_id: 'okta-create-1',
      resource: { type: 'User', id: userId },
      error_detail: null,
    });
    expect(entry.id).toMatch(/^prq_/);
    expect(typeof entry.duration_ms).toBe('number');
    expect(entry.duration_ms).toBeGreaterThan(0);
    expect(entry.scim_token_id).toMatch(/^stok_/);
    expect(entry.request_body).toMatchObject({ userName, password: '[removed]' });
    // a successful write's answer (the resource) is not kept: what it changed is (below)
    expect(entry.response_body).toBeNull();

    const one = await app.request('GET', `/api/v4/provisioning_requests/${entry.id}`, { token: acme.token });
    expect(one.status).toBe(200);
    expect(one.body.changes.length).toBeGreaterThan(0);
    for (const change of one.body.changes) expect(change).toMatchObject({ object: 'audit_event', channel: 'scim', request_id: 'okta-create-1' });
    expect(one.body.changes.some((c: { target: { id: string } }) => c.target.id === userId)).toBe(true);

    // the lookup keeps its query (the IdP's filter) and names no resource
    const lookups = await log('?status=200&resource_type=User');
    const seen = lookups.body.data.find((r: { request_id: string }) => r.request_id === 'okta-lookup-1');
    expect(seen).toMatchObject({ method: 'GET', status: 200, resource: { type: 'User', id: null } });
    expect(seen.path).toContain(`filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
    const lookupDetail = await app.request('GET', `/api/v4/provisioning_requests/${seen.id}`, { token: acme.token });
    expect(lookupDetail.body.changes).toEqual([]);
  });

  it("never stores a password: POST, PUT, Okta's password push, a PATCH path, /Bulk, a token-like key (read from the table)", async () => {
    const current = (await okta('GET', `/Users/${userId}`)).body;
    expect((await okta('PUT', `/Users/${userId}`, { ...current, password: SECRETS[1] })).status).toBe(200);
    expect((await okta('PATCH', `/Users/${userId}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { password: SECRETS[2] } }] })).status).toBe(200);
    expect((await okta('PATCH', `/Users/${userId}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'password', value: SECRETS[3] }] })).status).toBe(200);
    const bulkUser = uniqueEmail('bulk');
    const bulk = await okta('POST', '/Bulk', {
      schemas: [BULK],
      Operations: [
        { method: 'POST', path: '/Users', bulkId: 'b1', data: { ...oktaUser(bulkUser, SECRETS[4]), urn_custom: { apiToken: SECRETS[5] } } },
        { method: 'PATCH', path: `/Users/${userId}`, data: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'password', value: SECRETS[6] }] } },
      ],
    });
    expect(bulk.status).toBe(200);
    await app.services.provisioningLog.flush();

    const rows = await app.database.knex('provisioning_requests').where('account_id', acme.accountId).select(app.database.knex.raw('request_body::text as request, response_body::text as response, path'));
    const stored = JSON.stringify(rows);
    for (const secret of SECRETS) expect(stored).not.toContain(secret);
    // each body is kept, secrets replaced
    const bodies = rows.map((r: { request: string | null }) => r.request ?? '');
    expect(bodies.filter((b: string) => b.includes('[removed]')).length).toBeGreaterThanOrEqual(5);
    const bulkRow = rows.find((r: { path: string }) => r.path === '/scim/v2/Bulk') as { request: string };
    expect(JSON.parse(bulkRow.request).Operations[0].data).toMatchObject({ userName: bulkUser, password: '[removed]', urn_custom: { apiToken: '[removed]' } });
    expect(JSON.parse(bulkRow.request).Operations[1].data.Operations[0]).toEqual({ op: 'replace', path: 'password', value: '[removed]' });
  });

  it('shows the error detail of a failed request (409, 400, 404)', async () => {
    const userName = uniqueEmail('dup');
    expect((await okta('POST', '/Users', oktaUser(userName))).status).toBe(201);
    const duplicate = await okta('POST', '/Users', oktaUser(userName), 'okta-dup-1');
    expect(duplicate.status).toBe(409);
    const badFilter = await okta('GET', `/Users?filter=${encodeURIComponent('userName zz "x"')}`, undefined, 'okta-badfilter-1');
    expect(badFilter.status).toBe(400);
    expect((await okta('GET', '/Users/au_aaaaaaaaaaaaaaaaaaaa', undefined, 'okta-missing-1')).status).toBe(404);

    const failures = await log('?status=failure');
    expect(failures.status).toBe(200);
    const byRequest = new Map(failures.body.data.map((r: { request_id: string }) => [r.request_id, r]));
    expect(byRequest.get('okta-dup-1')).toMatchObject({ status: 409, error_detail: duplicate.body.detail, response_body: { status: '409', scimType: 'uniqueness' }, resource: { type: 'User', id: null } });
    expect(byRequest.get('okta-badfilter-1')).toMatchObject({ status: 400, error_detail: badFilter.body.detail });
    expect(byRequest.get('okta-missing-1')).toMatchObject({ status: 404, resource: { type: 'User', id: 'au_aaaaaaaaaaaaaaaaaaaa' } });
    expect(failures.body.data.every((r: { status: number }) => r.status >= 400)).toBe(true);
    const conflicts = await log('?status=409');
    expect(conflicts.body.data.map((r: { request_id: string }) => r.request_id)).toEqual(['okta-dup-1']);
  });

  it('does not record a request without an account (no token, a wrong token)', async () => {
    await app.services.provisioningLog.flush();
    const before = await app.database.knex('provisioning_requests').count<{ count: number }[]>('* as count');
    expect((await app.request('GET', '/scim/v2/Users')).status).toBe(401);
    expect((await app.request('GET', '/scim/v2/Users', { token: 'not-a-token' })).status).toBe(401);
    await app.services.provisioningLog.flush();
    const after = await app.database.knex('provisioning_requests').count<{ count: number }[]>('* as count');
    expect(Number(after[0].count)).toBe(Number(before[0].count));
  });
});

describe('filters', () => {
  it('by resource type, success, time, and pages', async () => {
    const group = await okta('POST', '/Groups', { schemas: [GROUP], displayName: `Push ${Date.now()}`, members: [] });
    expect(group.status).toBe(201);
    const groups = await log('?resource_type=Group');
    expect(groups.body.data.map((r: { resource: { id: string } }) => r.resource.id)).toContain(group.body.id);
    expect(groups.body.data.every((r: { resource: { type: string } }) => r.resource.type === 'Group')).toBe(true);

    const successes = await log('?status=success&limit=100');
    expect(successes.body.data.length).toBeGreaterThan(0);
    expect(successes.body.data.every((r: { status: number }) => r.status < 400)).toBe(true);

    const all = await log('?limit=100');
    const times = all.body.data.map((r: { created_at: string }) => r.created_at);
    expect([...times].sort().reverse()).toEqual(times); // newest first
    expect((await log('?since=2999-01-01')).body.total_count).toBe(0);
    expect((await log('?until=2000-01-01T00:00:00Z')).body.total_count).toBe(0);
    expect((await log(`?since=${encodeURIComponent(times[times.length - 1])}`)).body.total_count).toBeGreaterThanOrEqual(all.body.data.length);
    const page = await log('?limit=2&page=2');
    expect(page.body.data.map((r: { id: string }) => r.id)).toEqual(all.body.data.slice(2, 4).map((r: { id: string }) => r.id));
  });

  it.each([
    ['?status=bogus', 'status'],
    ['?status=700', 'status'],
    ['?resource_type=user', 'resource_type'],
    ['?since=yesterday', 'since'],
    ['?until=2026-02-31', 'until'],
    ['?since=2026-12-01T10:00', 'since'],
    ['?person=au_x', 'person'],
    ['?status=200&status=201', 'status'],
    ['?resource_id=', 'resource_id'],
  ])('refuses %s with 400 naming %s', async (query, field) => {
    const res = await log(query);
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe(field);
    expect(res.body.errors[0].message).toContain(field);
  });

  it("summarizes the account's last request and the last 24 hours", async () => {
    await app.services.provisioningLog.flush();
    const res = await app.request('GET', '/api/v4/provisioning_requests/summary', { token: acme.token });
    expect(res.status).toBe(200);
    expect(res.body.requests_last_24h).toBeGreaterThan(5);
    expect(res.body.failures_last_24h).toBeGreaterThanOrEqual(3);
    expect(res.body.last).toMatchObject({ method: expect.any(String), status: expect.any(Number) });
  });
});

describe('who sees it', () => {
  it('signed out: 401', async () => {
    expect((await app.request('GET', '/api/v4/provisioning_requests')).status).toBe(401);
  });

  it('a member who is not an admin: 403, list and one', async () => {
    const list = await log('', member.token);
    expect(list.status).toBe(403);
    const any = (await log('?limit=1')).body.data[0];
    expect((await app.request('GET', `/api/v4/provisioning_requests/${any.id}`, { token: member.token })).status).toBe(403);
    expect((await app.request('GET', '/api/v4/provisioning_requests/summary', { token: member.token })).status).toBe(403);
  });

  it("another account's admin: none of them (an empty list, 404 for one), while their own show", async () => {
    await app.request('GET', '/scim/v2/Users', { token: globexScimToken, headers: { 'x-request-id': 'globex-own-1' } });
    const theirs = await log('?limit=100', globex.token);
    expect(theirs.status).toBe(200);
    expect(theirs.body.data.map((r: { request_id: string }) => r.request_id)).toEqual(['globex-own-1']);
    const ours = (await log('?limit=1')).body.data[0];
    const one = await app.request('GET', `/api/v4/provisioning_requests/${ours.id}`, { token: globex.token });
    expect(one.status).toBe(404);
    expect(JSON.stringify(one.body)).not.toContain(ours.path);
    expect((await log(`?resource_id=${ours.resource.id ?? 'au_x'}`, globex.token)).body.total_count).toBe(0);
  });

  it('hostile ids: 404 without a query', async () => {
    for (const id of ['prq_..%2F..', 'x'.repeat(5000), "prq_' or 1=1 --", 'prq_aaaaaaaaaaaaaaaaaaaa']) {
      const res = await app.request('GET', `/api/v4/provisioning_requests/${encodeURIComponent(id)}`, { token: acme.token });
      expect(res.status).toBe(404);
    }
  });
});

describe('writing and keeping', () => {
  it('a batch that cannot be written is logged without its bodies and dropped; the next is written', async () => {
    const service = new ProvisioningLogService(app.database.knex, { flushIntervalMs: 10_000 });
    const entry = (accountId: string, secret: string) => ({
      accountId,
      scimTokenId: null,
      startedAt: new Date(),
      method: 'POST',
      path: '/scim/v2/Users',
      resourcePath: '/Users',
      status: 201,
      durationMs: 1,
      userAgent: 'test',
      requestId: `batch-${secret}`,
      requestBody: { userName: secret },
      requestBytes: undefined,
      responseText: JSON.stringify({ userName: secret }),
      errorDetail: undefined,
    });
    const lines = await logLinesOf(async () => {
      service.record(entry('acc_nosuchaccountxxxxxxxxx', 'lost-person@example.com')); // no such account: the insert fails
      await service.flush();
    });
    expect(lines.join('\n')).toContain('could not be written');
    expect(lines.join('\n')).not.toContain('lost-person@example.com');
    service.record(entry(acme.accountId, 'kept-person@example.com'));
    await service.flush();
    expect(await app.database.knex('provisioning_requests').where('request_id', 'batch-kept-person@example.com').first()).toBeTruthy();
  });

  it('retention deletes entries older than the days kept, and only those', async () => {
    const old = (days: number, requestId: string) =>
      app.services.provisioningLog.record({
        accountId: acme.accountId,
        scimTokenId: null,
        startedAt: new Date(Date.now() - days * 24 * 3600_000),
        method: 'GET',
        path: '/scim/v2/Users',
        resourcePath: '/Users',
        status: 200,
        durationMs: 1,
        userAgent: undefined,
        requestId,
        requestBody: undefined,
        requestBytes: undefined,
        responseText: undefined,
        errorDetail: undefined,
      });
    old(45, 'old-45');
    old(31, 'old-31');
    old(29, 'young-29');
    await app.services.provisioningLog.flush();
    const retention = new ProvisioningLogRetention(app.services.provisioningLog, { retentionDays: 30 });
    expect(await retention.pass()).toBe(2);
    const left = await app.database.knex('provisioning_requests').whereIn('request_id', ['old-45', 'old-31', 'young-29']).pluck('request_id');
    expect(left).toEqual(['young-29']);
    // two passes at once (two instances) delete each row once, and neither fails
    old(40, 'old-40a');
    old(40, 'old-40b');
    await app.services.provisioningLog.flush();
    const other = new ProvisioningLogRetention(new ProvisioningLogService(app.database.knex), { retentionDays: 30 });
    const [a, b] = await Promise.all([retention.pass(), other.pass()]);
    expect(a + b).toBe(2);
    expect(await app.database.knex('provisioning_requests').whereIn('request_id', ['old-40a', 'old-40b']).count<{ count: number }[]>('* as count')).toEqual([{ count: 0 }]);
  });
});

describe('a request refused by the rate limit', () => {
  it("is the account's, and in its log as 429 with the detail", async () => {
    const limited = await startTestApp({ rateLimits: { scimPerMinute: 2, apiPerMinute: 0 } });
    try {
      const account = await limited.createAccount('Limited');
      const token = (await limited.services.scimTokens.createAsOperator(account.accountId)).token;
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await limited.request('GET', '/scim/v2/Users', { token, headers: { 'x-request-id': `limited-${i}` } })).status);
      expect(statuses).toContain(429);
      await limited.services.provisioningLog.flush();
      const res = await limited.request('GET', '/api/v4/provisioning_requests?status=429', { token: account.token });
      expect(res.status).toBe(200);
      expect(res.body.total_count).toBe(statuses.filter((s) => s === 429).length);
      expect(res.body.data[0]).toMatchObject({ status: 429, response_body: { status: '429', scimType: 'tooMany' } });
      expect(res.body.data[0].error_detail).toBeTruthy();
    } finally {
      await limited.stop();
    }
  });
});
