import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestAccount, type TestApp, uniqueEmail } from '../support/test-app.js';

let app: TestApp;
let acme: TestAccount;
let globex: TestAccount;
/** A member of Acme without roles, with their own API token. */
let member: { id: string; userId: string; token: string };
let colleague: { id: string; userId: string };

async function addMember(account: TestAccount, roles: Record<string, boolean> = {}) {
  const res = await app.request('POST', '/api/v4/account_users', {
    token: account.token,
    body: { user_attributes: { name: 'Member', emails_attributes: [{ email: uniqueEmail('m') }] }, roles },
  });
  expect(res.status).toBe(201);
  return { id: res.body.id as string, userId: res.body.user_id as string };
}

beforeAll(async () => {
  app = await startTestApp();
  acme = await app.createAccount('Acme');
  globex = await app.createAccount('Globex');
  const m = await addMember(acme);
  // only the member or the operator mints a member's token
  const { token } = await app.services.apiTokens.createAsOperator(m.id, 'laptop');
  member = { ...m, token };
  colleague = await addMember(acme);
});
afterAll(() => app?.stop());

describe('authentication', () => {
  it.each([
    ['no Authorization header', undefined],
    ['an unknown token', 'rc_api_not-a-real-token'],
  ])('answers 401 for %s', async (_label, token) => {
    const res = await app.request('GET', '/api/v4/account_users', { token });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(res.body.errors[0].message).toBeTruthy();
  });

  it('stops a token the moment it is revoked', async () => {
    const created = await app.request('POST', `/api/v4/account_users/${member.id}/api_tokens`, { token: member.token, body: {} });
    expect(created.status).toBe(201);
    expect((await app.request('GET', '/api/v4/account_users', { token: created.body.token })).status).toBe(200);
    expect((await app.request('DELETE', `/api/v4/api_tokens/${created.body.id}`, { token: member.token })).status).toBe(204);
    expect((await app.request('GET', '/api/v4/account_users', { token: created.body.token })).status).toBe(401);
  });

  it("stops a deactivated member's tokens on the next request, and for good: reactivation does not bring them back", async () => {
    const m = await addMember(acme);
    const { token } = await app.services.apiTokens.createAsOperator(m.id);
    expect((await app.request('GET', '/api/v4/teams', { token })).status).toBe(200);
    await app.request('PUT', `/api/v4/account_users/${m.id}`, { token: acme.token, body: { active: false } });
    const refused = await app.request('GET', '/api/v4/teams', { token });
    expect(refused.status).toBe(401);
    await app.request('PUT', `/api/v4/account_users/${m.id}`, { token: acme.token, body: { active: true } });
    expect((await app.request('GET', '/api/v4/teams', { token })).status).toBe(401);
  });

  it('lists a member\'s tokens without their secrets', async () => {
    const res = await app.request('GET', `/api/v4/account_users/${member.id}/api_tokens`, { token: member.token });
    expect(res.status).toBe(200);
    expect(res.body.data.length).toBeGreaterThan(0);
    expect(JSON.stringify(res.body)).not.toContain('rc_api_');
  });
});

describe('a member without the admin role', () => {
  it("may read the account's people and teams", async () => {
    expect((await app.request('GET', '/api/v4/account_users', { token: member.token })).status).toBe(200);
    expect((await app.request('GET', `/api/v4/account_users/${colleague.id}`, { token: member.token })).status).toBe(200);
    expect((await app.request('GET', '/api/v4/teams', { token: member.token })).status).toBe(200);
    expect((await app.request('GET', '/api/v4/users', { token: member.token })).status).toBe(200);
  });

  it('may update their own profile', async () => {
    const res = await app.request('PUT', `/api/v4/account_users/${member.id}`, { token: member.token, body: { user_attributes: { name: 'Me, renamed', time_zone: 'Europe/Paris' } } });
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ name: 'Me, renamed', time_zone: 'Europe/Paris' });
    const viaUsers = await app.request('PUT', `/api/v4/users/${member.userId}`, { token: member.token, body: { notify_sms: false } });
    expect(viaUsers.status).toBe(200);
    expect(viaUsers.body.notify_sms).toBe(false);
  });

  it.each([
    ['edit another member', () => app.request('PUT', `/api/v4/account_users/${colleague.id}`, { token: member.token, body: { user_attributes: { name: 'Hacked' } } })],
    ['edit another user', () => app.request('PUT', `/api/v4/users/${colleague.userId}`, { token: member.token, body: { name: 'Hacked' } })],
    ['grant themselves a role', () => app.request('PUT', `/api/v4/account_users/${member.id}`, { token: member.token, body: { roles: { admin: true } } })],
    ['add a member', () => app.request('POST', '/api/v4/account_users', { token: member.token, body: { user_attributes: { name: 'X', emails_attributes: [{ email: uniqueEmail() }] } } })],
    ['delete a member', () => app.request('DELETE', `/api/v4/account_users/${colleague.id}`, { token: member.token })],
    ['create a team', () => app.request('POST', '/api/v4/teams', { token: member.token, body: { name: 'Mine' } })],
    ['read the audit trail', () => app.request('GET', '/api/v4/audit_events', { token: member.token })],
    ["create a token for someone else", () => app.request('POST', `/api/v4/account_users/${colleague.id}/api_tokens`, { token: member.token, body: {} })],
  ])('may not %s (403)', async (_label, call) => {
    const res = await call();
    expect(res.status).toBe(403);
    expect(res.body.errors[0].message).toBeTruthy();
  });

  it('leaves the colleague unchanged after the refused edit', async () => {
    const res = await app.request('GET', `/api/v4/account_users/${colleague.id}`, { token: acme.token });
    expect(res.body.user.name).toBe('Member');
  });
});

describe('accounts are isolated', () => {
  it("a token of one account sees and touches nothing of another (404, never 403)", async () => {
    const calls = [
      app.request('GET', `/api/v4/account_users/${colleague.id}`, { token: globex.token }),
      app.request('PUT', `/api/v4/account_users/${colleague.id}`, { token: globex.token, body: { active: false } }),
      app.request('DELETE', `/api/v4/account_users/${colleague.id}`, { token: globex.token }),
      app.request('GET', `/api/v4/users/${colleague.userId}`, { token: globex.token }),
      app.request('POST', `/api/v4/account_users/${colleague.id}/api_tokens`, { token: globex.token, body: {} }),
    ];
    for (const res of await Promise.all(calls)) expect(res.status).toBe(404);
    const list = await app.request('GET', '/api/v4/account_users?limit=100', { token: globex.token });
    expect(list.body.data.map((m: { account_id: string }) => m.account_id)).toEqual([globex.accountId]);
    const still = await app.request('GET', `/api/v4/account_users/${colleague.id}`, { token: acme.token });
    expect(still.body.active).toBe(true);
  });

  it('a team of another account cannot be used or seen', async () => {
    const team = await app.request('POST', '/api/v4/teams', { token: acme.token, body: { name: `Acme only ${uniqueEmail()}` } });
    expect((await app.request('GET', `/api/v4/teams/${team.body.id}`, { token: globex.token })).status).toBe(404);
    const res = await app.request('POST', '/api/v4/account_users', {
      token: globex.token,
      body: { user_attributes: { name: 'G', emails_attributes: [{ email: uniqueEmail() }] }, member_team_ids: [team.body.id] },
    });
    expect(res.status).toBe(422);
  });
});

describe('one person, one user (rule 1) and who writes the profile (rule 2)', () => {
  it("links an existing person into another account without a second user, and keeps that account's IdP away from the profile", async () => {
    const email = uniqueEmail('linked');
    const inAcme = await app.request('POST', '/api/v4/account_users', {
      token: acme.token,
      body: { user_attributes: { name: 'Original Name', emails_attributes: [{ email }] } },
    });
    const inGlobex = await app.request('POST', '/api/v4/account_users', {
      token: globex.token,
      body: { user_attributes: { name: 'Another Name', emails_attributes: [{ email: email.toUpperCase() }] }, roles: { admin: true } },
    });
    expect(inGlobex.status).toBe(201);
    // Acme manages the person: Globex's membership is an invitation, showing only what Globex sent
    expect(inGlobex.body.invited).toBe(true);
    expect(inGlobex.body.user.name).toBe('Another Name');
    await app.services.invitations.acceptAsOperator(inGlobex.body.id);
    const linked = await app.request('GET', `/api/v4/account_users/${inGlobex.body.id}`, { token: globex.token });
    expect(linked.body.user_id).toBe(inAcme.body.user_id);
    expect(linked.body.user.name).toBe('Original Name');
    expect(linked.body.roles.admin).toBe(true);

    const profileEdit = await app.request('PUT', `/api/v4/account_users/${inGlobex.body.id}`, {
      token: globex.token,
      body: { user_attributes: { phones_attributes: [{ phone: '+14155550199' }] } },
    });
    expect(profileEdit.status).toBe(403);
    expect(profileEdit.body.errors[0].message).toMatch(/managed by another account/);

    const membershipEdit = await app.request('PUT', `/api/v4/account_users/${inGlobex.body.id}`, { token: globex.token, body: { external_id: 'globex-7' } });
    expect(membershipEdit.status).toBe(200);
    expect(membershipEdit.body.external_id).toBe('globex-7');
    const users = await app.database.knex('user_emails').whereRaw('lower(email) = ?', [email.toLowerCase()]);
    expect(users).toHaveLength(1);
  });
});
