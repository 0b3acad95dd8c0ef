import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestAccount, type TestApp, uniqueEmail } from '../support/test-app.js';

/**
 * GET /api/v4/audit_events filters (issue 15): every filter narrows, a bad value is 400 naming the
 * parameter and the value, and a parameter the list does not take is 400, never ignored. Rows name
 * their actor: the member's name, or the SCIM token's.
 */

let app: TestApp;
let acme: TestAccount;
let globex: TestAccount;
let scimToken: string;
let scimTokenId: string;
let member: { id: string; token: string };
let teamId: string;

const audit = (query = '', token = acme.token) => app.request('GET', `/api/v4/audit_events${query}`, { token });

beforeAll(async () => {
  app = await startTestApp();
  acme = await app.createAccount('Acme');
  globex = await app.createAccount('Globex');
  const scim = await app.services.scimTokens.createAsOperator(acme.accountId, 'Okta production');
  scimToken = scim.token;
  scimTokenId = scim.id;
  const added = await app.request('POST', '/api/v4/account_users', { token: acme.token, body: { user_attributes: { name: 'Member Mia', emails_attributes: [{ email: uniqueEmail('m') }] }, roles: {} } });
  expect(added.status).toBe(201);
  member = { id: added.body.id, token: (await app.services.apiTokens.createAsOperator(added.body.id)).token };
  const team = await app.request('POST', '/api/v4/teams', { token: acme.token, body: { name: 'Night shift' } });
  expect(team.status).toBe(201);
  teamId = team.body.id;
  const user = await app.request('POST', '/scim/v2/Users', {
    token: scimToken,
    body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: uniqueEmail('idp'), emails: [{ value: uniqueEmail('idp'), primary: true }], active: true },
  });
  expect(user.status).toBe(201);
  // Globex's events must never show in Acme's trail
  await app.request('POST', '/api/v4/teams', { token: globex.token, body: { name: 'Globex team' } });
});
afterAll(() => app?.stop());

describe('filters', () => {
  it('action, target, channel and actor each narrow the list, and they combine', async () => {
    const all = await audit('?limit=100');
    expect(all.status).toBe(200);
    expect(all.body.total_count).toBeGreaterThanOrEqual(3);
    const actions = new Set(all.body.data.map((e: { action: string }) => e.action));
    expect(actions.size).toBeGreaterThan(1);

    const teams = await audit('?action=team.create');
    expect(teams.body.total_count).toBe(1);
    expect(teams.body.data[0]).toMatchObject({ action: 'team.create', target: { type: 'team', id: teamId } });

    const byTarget = await audit(`?target_id=${teamId}`);
    expect(byTarget.body.data.every((e: { target: { id: string } }) => e.target.id === teamId)).toBe(true);
    expect(byTarget.body.total_count).toBeGreaterThanOrEqual(1);
    expect((await audit('?target_type=team')).body.data.every((e: { target: { type: string } }) => e.target.type === 'team')).toBe(true);

    const scim = await audit('?channel=scim');
    expect(scim.body.total_count).toBeGreaterThanOrEqual(1);
    expect(scim.body.data.every((e: { channel: string }) => e.channel === 'scim')).toBe(true);
    expect(scim.body.total_count).toBeLessThan(all.body.total_count);

    const byActor = await audit(`?actor_id=${scimTokenId}`);
    expect(byActor.body.total_count).toBe(scim.body.total_count);
    expect((await audit(`?actor_id=${scimTokenId}&channel=api`)).body.total_count).toBe(0);
    expect((await audit('?action=no.such.action')).body).toEqual({ data: [], has_more: false, total_count: 0 });
  });

  it('since and until (ISO 8601; since inclusive, until exclusive)', async () => {
    const all = await audit('?limit=100');
    const newest = all.body.data[0].created_at as string;
    const oldest = all.body.data[all.body.data.length - 1].created_at as string;
    expect((await audit(`?since=${encodeURIComponent(oldest)}&limit=100`)).body.total_count).toBe(all.body.total_count);
    expect((await audit(`?until=${encodeURIComponent(oldest)}`)).body.total_count).toBe(0);
    expect((await audit(`?since=${encodeURIComponent(newest)}`)).body.total_count).toBeGreaterThanOrEqual(1);
    expect((await audit('?since=2999-01-01')).body.total_count).toBe(0);
    expect((await audit('?until=2999-01-01T00:00:00%2B02:00&limit=100')).body.total_count).toBe(all.body.total_count);
  });

  it.each([
    ['?foo=bar', 'foo'],
    ['?actor=me', 'actor'],
    ['?since=yesterday', 'since'],
    ['?until=2026-13-01', 'until'],
    ['?since=2026-12-01T10:00', 'since'],
    ['?channel=email', 'channel'],
    ['?action=a&action=b', 'action'],
    ['?target_id=', 'target_id'],
    ['?limit=1000', 'limit'],
  ])('refuses %s with 400 naming %s', async (query, field) => {
    const res = await audit(query);
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe(field);
    expect(res.body.errors[0].message).toContain(field);
  });

  it('names the bad value in the message', async () => {
    const res = await audit('?since=last-tuesday');
    expect(res.body.errors[0].message).toContain('"last-tuesday"');
  });
});

describe('actors by name', () => {
  it("shows the member's name for a member's event and the SCIM token's name for the IdP's", async () => {
    const teams = await audit('?action=team.create');
    expect(teams.body.data[0].actor).toEqual({ type: 'account_user', id: acme.ownerAccountUserId, name: 'Owner' });
    const scim = await audit('?channel=scim&limit=1');
    expect(scim.body.data[0].actor).toEqual({ type: 'scim_token', id: scimTokenId, name: 'Okta production' });
  });
});

describe('who sees it', () => {
  it('signed out: 401; a member who is not an admin: 403; another account: only its own', async () => {
    expect((await app.request('GET', '/api/v4/audit_events')).status).toBe(401);
    expect((await audit('', member.token)).status).toBe(403);
    const theirs = await audit('?limit=100', globex.token);
    expect(theirs.status).toBe(200);
    expect(theirs.body.data.some((e: { target: { id: string } }) => e.target.id === teamId)).toBe(false);
    expect((await audit(`?target_id=${teamId}`, globex.token)).body.total_count).toBe(0);
    expect((await audit(`?actor_id=${scimTokenId}`, globex.token)).body.total_count).toBe(0);
  });
});
