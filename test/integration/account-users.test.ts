import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestAccount, type TestApp, uniqueEmail } from '../support/test-app.js';

let app: TestApp;
let acme: TestAccount;

beforeAll(async () => {
  app = await startTestApp();
  acme = await app.createAccount('Acme');
});
afterAll(() => app?.stop());

const newMember = (user: Record<string, unknown> = {}, rest: Record<string, unknown> = {}) => ({
  user_attributes: { name: 'Bobby Hill', emails_attributes: [{ email: uniqueEmail('bobby') }], ...user },
  ...rest,
});

async function createMember(user: Record<string, unknown> = {}, rest: Record<string, unknown> = {}) {
  const res = await app.request('POST', '/api/v4/account_users', { token: acme.token, body: newMember(user, rest) });
  expect(res.status).toBe(201);
  return res.body;
}

async function auditCount(): Promise<number> {
  const res = await app.request('GET', '/api/v4/audit_events?limit=1', { token: acme.token });
  return res.body.total_count;
}

describe('POST /api/v4/account_users', () => {
  it('creates a member with a primary email and a phone stored as E.164 beside the value as sent', async () => {
    const res = await app.request('POST', '/api/v4/account_users', {
      token: acme.token,
      body: newMember({ phones_attributes: [{ phone: '+1 (415) 555-0123' }] }, { roles: { broadcaster: true } }),
    });
    expect(res.status).toBe(201);
    expect(res.body.id).toMatch(/^au_/);
    expect(res.body.user.id).toMatch(/^usr_/);
    expect(res.body.roles).toEqual({ admin: false, billing: false, broadcaster: true, communicator: false });
    expect(res.body.active).toBe(true);
    expect(res.body.user.emails).toHaveLength(1);
    expect(res.body.user.emails[0].primary).toBe(true);
    expect(res.body.user.phones[0]).toMatchObject({ phone: '+14155550123', value: '+1 (415) 555-0123', country: 'US', primary: true });
    const again = await app.request('GET', `/api/v4/account_users/${res.body.id}`, { token: acme.token });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(res.body);
  });

  it('derives the country of foreign numbers and keeps several phones with exactly one primary', async () => {
    const body = await createMember({ phones_attributes: [{ phone: '+44 20 7946 0958' }, { phone: '+33 1 42 68 53 00', primary: true }] });
    expect(body.user.phones.map((p: { phone: string; country: string; primary: boolean }) => [p.phone, p.country, p.primary])).toEqual([
      ['+33142685300', 'FR', true],
      ['+442079460958', 'GB', false],
    ]);
  });

  it('puts the member in the teams named by member_team_ids', async () => {
    const team = await app.request('POST', '/api/v4/teams', { token: acme.token, body: { name: `Ops ${uniqueEmail()}` } });
    const body = await createMember({}, { member_team_ids: [team.body.id] });
    expect(body.member_team_ids).toEqual([team.body.id]);
    const teamAfter = await app.request('GET', `/api/v4/teams/${team.body.id}`, { token: acme.token });
    expect(teamAfter.body.member_ids).toEqual([body.id]);
  });

  it.each([
    [{ user_attributes: 'Bobby' }, 400, 'user_attributes must be an object'],
    [{}, 400, 'user_attributes is required'],
    [newMember({ name: 42 }), 400, 'user_attributes.name must be a string'],
    [newMember({ emails_attributes: [{ email: 'not-an-email' }] }), 422, 'emails[0].email "not-an-email" is not a valid email address'],
    [newMember({ emails_attributes: [] }), 422, 'a user needs at least one email'],
    [newMember({ phones_attributes: [{ phone: '555-0100' }] }), 422, 'phones[0].phone "555-0100" is not a valid phone number'],
    [newMember({ time_zone: 'Mars/Olympus' }), 422, 'time_zone "Mars/Olympus" is not an IANA time zone'],
    [newMember({ preferred_language: 'ja' }), 422, 'preferred_language "ja" is not supported'],
    [newMember({}, { roles: { superuser: true } }), 422, 'roles: "superuser" is not a role'],
    [newMember({}, { roles: { admin: 'yes' } }), 400, 'roles.admin must be true or false'],
    [newMember({}, { member_team_ids: ['tem_nope'] }), 422, 'member_team_ids: team "tem_nope" does not exist'],
  ])('refuses %j with %i, naming the field, and writes nothing', async (body, status, message) => {
    const before = await auditCount();
    const res = await app.request('POST', '/api/v4/account_users', { token: acme.token, body });
    expect(res.status).toBe(status);
    expect(res.body.errors[0].message).toContain(message);
    expect(await auditCount()).toBe(before);
  });

  it('ignores parameters that are not permitted (no account switching through the body)', async () => {
    const other = await app.createAccount('Other');
    const body = await createMember({}, { account_id: other.accountId, id: 'au_chosen', version: 99 });
    expect(body.account_id).toBe(acme.accountId);
    expect(body.id).not.toBe('au_chosen');
    expect(body.version).toBe(1);
  });

  it('maps a locale to its language', async () => {
    const body = await createMember({ preferred_language: 'fr-CA', time_zone: 'America/Toronto' });
    expect(body.user.preferred_language).toBe('fr');
    expect(body.user.time_zone).toBe('America/Toronto');
  });

  it('refuses an email that is already a member of this account, whatever its case', async () => {
    const email = uniqueEmail('dup');
    await createMember({ emails_attributes: [{ email }] });
    const res = await app.request('POST', '/api/v4/account_users', { token: acme.token, body: newMember({ emails_attributes: [{ email: email.toUpperCase() }] }) });
    expect(res.status).toBe(409);
    expect(res.body.errors[0].message).toContain(email.toUpperCase());
  });
});

describe('PUT /api/v4/account_users/:id with nested attributes', () => {
  it('adds an email, moves primary to it and destroys the old one in one request', async () => {
    const member = await createMember();
    const oldEmail = member.user.emails[0];
    const newEmail = uniqueEmail('new');
    const res = await app.request('PUT', `/api/v4/account_users/${member.id}`, {
      token: acme.token,
      body: { user_attributes: { emails_attributes: [{ email: newEmail, primary: true }, { id: oldEmail.id, _destroy: true }] } },
    });
    expect(res.status).toBe(200);
    expect(res.body.user.emails).toEqual([expect.objectContaining({ email: newEmail, primary: true })]);
    expect(res.body.version).toBe(2);
  });

  it('keeps exactly one primary when a second email becomes primary', async () => {
    const member = await createMember();
    const added = await app.request('PUT', `/api/v4/account_users/${member.id}`, { token: acme.token, body: { user_attributes: { emails_attributes: [{ email: uniqueEmail('second') }] } } });
    const second = added.body.user.emails.find((e: { primary: boolean }) => !e.primary);
    const res = await app.request('PUT', `/api/v4/account_users/${member.id}`, { token: acme.token, body: { user_attributes: { emails_attributes: [{ id: second.id, primary: true }] } } });
    expect(res.status).toBe(200);
    expect(res.body.user.emails.filter((e: { primary: boolean }) => e.primary).map((e: { id: string }) => e.id)).toEqual([second.id]);
  });

  it('accepts Rails-style _destroy values and index-keyed nested attributes', async () => {
    const member = await createMember({ phones_attributes: [{ phone: '+14155550124' }] });
    const res = await app.request('PUT', `/api/v4/account_users/${member.id}`, {
      token: acme.token,
      body: { user_attributes: { phones_attributes: { 0: { id: member.user.phones[0].id, _destroy: '1' }, 1: { phone: '+4930901820' } } } },
    });
    expect(res.status).toBe(200);
    expect(res.body.user.phones).toEqual([expect.objectContaining({ phone: '+4930901820', country: 'DE', primary: true })]);
  });

  it('refuses to destroy the last email and leaves the member as it was', async () => {
    const member = await createMember();
    const res = await app.request('PUT', `/api/v4/account_users/${member.id}`, {
      token: acme.token,
      body: { user_attributes: { name: 'Renamed', emails_attributes: [{ id: member.user.emails[0].id, _destroy: true }] } },
    });
    expect(res.status).toBe(422);
    expect(res.body.errors[0].message).toBe('a user needs at least one email');
    const after = await app.request('GET', `/api/v4/account_users/${member.id}`, { token: acme.token });
    expect(after.body).toEqual(member);
  });

  it('answers 404 for an email id that belongs to someone else, changing nothing', async () => {
    const a = await createMember();
    const b = await createMember();
    const res = await app.request('PUT', `/api/v4/account_users/${a.id}`, {
      token: acme.token,
      body: { user_attributes: { emails_attributes: [{ id: b.user.emails[0].id, _destroy: true }] } },
    });
    expect(res.status).toBe(404);
    expect((await app.request('GET', `/api/v4/account_users/${b.id}`, { token: acme.token })).body.user.emails).toHaveLength(1);
  });

  it('refuses an email taken by another person with 409 naming it', async () => {
    const a = await createMember();
    const b = await createMember();
    const taken = b.user.emails[0].email;
    const res = await app.request('PUT', `/api/v4/account_users/${a.id}`, { token: acme.token, body: { user_attributes: { emails_attributes: [{ email: taken }] } } });
    expect(res.status).toBe(409);
    expect(res.body.errors[0].message).toContain(taken);
  });

  it('grants and takes roles by name, keeping the others', async () => {
    const member = await createMember({}, { roles: { broadcaster: true } });
    const res = await app.request('PUT', `/api/v4/account_users/${member.id}`, { token: acme.token, body: { roles: { admin: true, broadcaster: false } } });
    expect(res.body.roles).toEqual({ admin: true, billing: false, broadcaster: false, communicator: false });
  });

  it('answers 404 for an unknown member', async () => {
    const res = await app.request('PUT', '/api/v4/account_users/au_doesnotexist', { token: acme.token, body: { active: false } });
    expect(res.status).toBe(404);
  });
});

describe('DELETE /api/v4/account_users/:id', () => {
  it('removes the membership and its team places; the person stays for their other accounts', async () => {
    const other = await app.createAccount('Other');
    const email = uniqueEmail('shared');
    const team = await app.request('POST', '/api/v4/teams', { token: acme.token, body: { name: `T ${email}` } });
    const inAcme = await createMember({ emails_attributes: [{ email }] }, { member_team_ids: [team.body.id] });
    const inOther = await app.request('POST', '/api/v4/account_users', { token: other.token, body: newMember({ emails_attributes: [{ email }] }) });
    // Acme manages the person: Other's membership is an invitation until they accept it (issue 12)
    expect(inOther.body.invited).toBe(true);
    await app.services.invitations.acceptAsOperator(inOther.body.id);
    expect((await app.request('GET', `/api/v4/account_users/${inOther.body.id}`, { token: other.token })).body.user_id).toBe(inAcme.user_id);

    expect((await app.request('DELETE', `/api/v4/account_users/${inAcme.id}`, { token: acme.token })).status).toBe(204);
    expect((await app.request('GET', `/api/v4/account_users/${inAcme.id}`, { token: acme.token })).status).toBe(404);
    expect((await app.request('GET', `/api/v4/teams/${team.body.id}`, { token: acme.token })).body.member_ids).toEqual([]);
    const stillThere = await app.request('GET', `/api/v4/account_users/${inOther.body.id}`, { token: other.token });
    expect(stillThere.body.user.emails[0].email).toBe(email);
  });

  it('refuses to delete the owner, saying to transfer ownership first', async () => {
    const res = await app.request('DELETE', `/api/v4/account_users/${acme.ownerAccountUserId}`, { token: acme.token });
    expect(res.status).toBe(409);
    expect(res.body.errors[0].message).toMatch(/transfer ownership/);
  });
});

describe('GET /api/v4/account_users (pagination)', () => {
  it('pages with limit and offset or page, every member exactly once, with has_more and total_count', async () => {
    const account = await app.createAccount('Paging');
    for (let i = 0; i < 6; i++) {
      await app.request('POST', '/api/v4/account_users', { token: account.token, body: newMember() });
    }
    const seen: string[] = [];
    for (let offset = 0; offset < 7; offset += 3) {
      const res = await app.request('GET', `/api/v4/account_users?limit=3&offset=${offset}`, { token: account.token });
      expect(res.body.total_count).toBe(7);
      expect(res.body.has_more).toBe(offset + 3 < 7);
      seen.push(...res.body.data.map((m: { id: string }) => m.id));
    }
    expect(new Set(seen).size).toBe(7);
    const page3 = await app.request('GET', '/api/v4/account_users?limit=3&page=3', { token: account.token });
    expect(page3.body.data.map((m: { id: string }) => m.id)).toEqual(seen.slice(6));
    const beyond = await app.request('GET', '/api/v4/account_users?offset=50', { token: account.token });
    expect(beyond.body).toEqual({ data: [], has_more: false, total_count: 7 });
    const dflt = await app.request('GET', '/api/v4/account_users', { token: account.token });
    expect(dflt.body.data).toHaveLength(7);
  });

  it.each(['limit=0', 'limit=101', 'limit=ten', 'offset=-1', 'page=0', 'page=2&offset=1'])('refuses %s with 400 naming the parameter', async (query) => {
    const res = await app.request('GET', `/api/v4/account_users?${query}`, { token: acme.token });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].message).toMatch(/^(limit|offset|page|give offset)/);
  });
});

describe('a duplicate email racing from 20 parallel requests', () => {
  it('lets exactly one win and leaves no duplicate rows', async () => {
    const email = uniqueEmail('race');
    const results = await Promise.all(
      Array.from({ length: 20 }, () => app.request('POST', '/api/v4/account_users', { token: acme.token, body: newMember({ emails_attributes: [{ email }] }) })),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    const rows = await app.database.knex('user_emails').whereRaw('lower(email) = ?', [email.toLowerCase()]).count<{ count: number }[]>('* as count');
    expect(Number(rows[0].count)).toBe(1);
  });
});
