import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestAccount, type TestApp, uniqueEmail } from '../support/test-app.js';

let app: TestApp;
let acme: TestAccount;

beforeAll(async () => {
  app = await startTestApp();
  acme = await app.createAccount('Acme');
});
afterAll(() => app?.stop());

describe('/api/v4/users', () => {
  it('creates a user from a name and an email, as a member without roles', async () => {
    const email = uniqueEmail('hank');
    const res = await app.request('POST', '/api/v4/users', { token: acme.token, body: { name: 'Hank Hill', email } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ object: 'user', name: 'Hank Hill', user_name: email, emails: [{ email, primary: true }] });
    const membership = await app.request('GET', `/api/v4/account_users/${res.body.account_user_id}`, { token: acme.token });
    expect(membership.body.user_id).toBe(res.body.id);
    expect(Object.values(membership.body.roles).some(Boolean)).toBe(false);
  });

  it('retrieves, updates and lists users', async () => {
    const created = await app.request('POST', '/api/v4/users', { token: acme.token, body: { name: 'Peggy', email: uniqueEmail('peggy') } });
    const got = await app.request('GET', `/api/v4/users/${created.body.id}`, { token: acme.token });
    expect(got.body).toEqual(created.body);
    const updated = await app.request('PATCH', `/api/v4/users/${created.body.id}`, { token: acme.token, body: { name: 'Peggy Hill', preferred_language: 'es-MX', notify_voice: false } });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ name: 'Peggy Hill', preferred_language: 'es', notify_voice: false });
    const list = await app.request('GET', '/api/v4/users?limit=100', { token: acme.token });
    expect(list.body.data.map((u: { id: string }) => u.id)).toContain(created.body.id);
    expect(list.body.total_count).toBe(list.body.data.length);
  });

  it('refuses a taken email with 409 naming it, and a bad email with 422', async () => {
    const email = uniqueEmail('taken');
    await app.request('POST', '/api/v4/users', { token: acme.token, body: { name: 'A', email } });
    const dup = await app.request('POST', '/api/v4/users', { token: acme.token, body: { name: 'B', email } });
    expect(dup.status).toBe(409);
    expect(dup.body.errors[0].message).toContain(email);
    const bad = await app.request('POST', '/api/v4/users', { token: acme.token, body: { name: 'C', email: 'c@' } });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].message).toContain('"c@"');
  });

  it('refuses DELETE, pointing at the account user to delete instead', async () => {
    const created = await app.request('POST', '/api/v4/users', { token: acme.token, body: { name: 'Dale', email: uniqueEmail('dale') } });
    const res = await app.request('DELETE', `/api/v4/users/${created.body.id}`, { token: acme.token });
    expect(res.status).toBe(405);
    expect(res.body.errors[0].message).toContain(`DELETE /api/v4/account_users/${created.body.account_user_id}`);
    expect((await app.request('GET', `/api/v4/users/${created.body.id}`, { token: acme.token })).status).toBe(200);
  });

  it('answers 404 for a user who is not a member of the account', async () => {
    const other = await app.createAccount('Other');
    const stranger = await app.request('POST', '/api/v4/users', { token: other.token, body: { name: 'S', email: uniqueEmail('s') } });
    expect((await app.request('GET', `/api/v4/users/${stranger.body.id}`, { token: acme.token })).status).toBe(404);
  });
});

describe('/api/v4/teams', () => {
  async function member() {
    const res = await app.request('POST', '/api/v4/users', { token: acme.token, body: { name: 'M', email: uniqueEmail('tm') } });
    return res.body.account_user_id as string;
  }

  it('creates, retrieves, updates members, lists and deletes a team', async () => {
    const [a, b, c] = [await member(), await member(), await member()];
    const created = await app.request('POST', '/api/v4/teams', { token: acme.token, body: { name: 'Database On-Call', description: 'DBAs', member_ids: [a, b] } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ object: 'team', name: 'Database On-Call', description: 'DBAs' });
    expect([...created.body.member_ids].sort()).toEqual([a, b].sort());

    const updated = await app.request('PUT', `/api/v4/teams/${created.body.id}`, { token: acme.token, body: { member_ids: [b, c], description: null } });
    expect(updated.status).toBe(200);
    expect([...updated.body.member_ids].sort()).toEqual([b, c].sort());
    expect(updated.body.description).toBeNull();
    expect(updated.body.version).toBeGreaterThan(created.body.version);

    const list = await app.request('GET', '/api/v4/teams?limit=1', { token: acme.token });
    expect(list.body.data).toHaveLength(1);
    expect(list.body.has_more).toBe(list.body.total_count > 1);

    expect((await app.request('DELETE', `/api/v4/teams/${created.body.id}`, { token: acme.token })).status).toBe(204);
    expect((await app.request('GET', `/api/v4/teams/${created.body.id}`, { token: acme.token })).status).toBe(404);
    expect((await app.request('GET', `/api/v4/account_users/${b}`, { token: acme.token })).body.member_team_ids).toEqual([]);
  });

  it('refuses a second team of the same name in any case (409), allows it in another account', async () => {
    const name = `Network ${uniqueEmail()}`;
    expect((await app.request('POST', '/api/v4/teams', { token: acme.token, body: { name } })).status).toBe(201);
    const dup = await app.request('POST', '/api/v4/teams', { token: acme.token, body: { name: name.toUpperCase() } });
    expect(dup.status).toBe(409);
    expect(dup.body.errors[0].message).toContain(name.toUpperCase());
    const other = await app.createAccount('Other');
    expect((await app.request('POST', '/api/v4/teams', { token: other.token, body: { name } })).status).toBe(201);
  });

  it('refuses members of another account and a missing name, creating nothing', async () => {
    const other = await app.createAccount('Other');
    const before = (await app.request('GET', '/api/v4/teams', { token: acme.token })).body.total_count;
    const foreign = await app.request('POST', '/api/v4/teams', { token: acme.token, body: { name: 'Foreign', member_ids: [other.ownerAccountUserId] } });
    expect(foreign.status).toBe(422);
    expect(foreign.body.errors[0].message).toContain(other.ownerAccountUserId);
    const noName = await app.request('POST', '/api/v4/teams', { token: acme.token, body: { description: 'x' } });
    expect(noName.status).toBe(422);
    const wrongType = await app.request('POST', '/api/v4/teams', { token: acme.token, body: { name: 'T', member_ids: 'abc' } });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.errors[0].message).toBe('member_ids must be an array, not a string');
    expect((await app.request('GET', '/api/v4/teams', { token: acme.token })).body.total_count).toBe(before);
  });
});

describe('/api/v4/audit_events', () => {
  it('records one event per change with actor, channel, target and request id, newest first', async () => {
    const requestId = `test-${Date.now()}`;
    const created = await app.request('POST', '/api/v4/teams', { token: acme.token, body: { name: `Audited ${uniqueEmail()}` }, headers: { 'x-request-id': requestId } });
    expect(created.headers.get('x-request-id')).toBe(requestId);
    const res = await app.request('GET', '/api/v4/audit_events?limit=1', { token: acme.token });
    expect(res.body.data[0]).toMatchObject({
      action: 'team.create',
      channel: 'api',
      actor: { type: 'account_user', id: acme.ownerAccountUserId },
      target: { type: 'team', id: created.body.id },
      request_id: requestId,
    });
  });

  it('records nothing for a request that changes nothing', async () => {
    const team = await app.request('POST', '/api/v4/teams', { token: acme.token, body: { name: `Same ${uniqueEmail()}` } });
    const before = (await app.request('GET', '/api/v4/audit_events', { token: acme.token })).body.total_count;
    await app.request('PUT', `/api/v4/teams/${team.body.id}`, { token: acme.token, body: { name: team.body.name } });
    expect((await app.request('GET', '/api/v4/audit_events', { token: acme.token })).body.total_count).toBe(before);
  });
});
