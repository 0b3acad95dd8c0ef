import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthApp, PASSWORD, startAuthApp } from '../support/auth-app.js';

let app: AuthApp;
let acme: Awaited<ReturnType<AuthApp['createAccount']>>;

beforeAll(async () => {
  app = await startAuthApp();
  acme = await app.createAccount('Acme');
});
afterAll(() => app?.stop());

// Each test that fails sign-ins on purpose comes from its own address, so that the per-address
// counter of one test does not throttle another (the app trusts X-Forwarded-For from loopback).
let address = 10;
const from = () => ({ 'x-forwarded-for': `198.51.100.${address++}` });

describe('POST /public/login', () => {
  it('answers a short-lived JWT that /api/v4/me accepts, naming the member, the account and the password sign-in', async () => {
    const member = await app.createMember(acme.accountId, ['broadcaster']);
    const login = await app.request('POST', '/public/login', { json: { username: member.email, password: PASSWORD }, headers: from() });
    expect(login.status).toBe(200);
    expect(login.body.token_type).toBe('Bearer');
    expect(login.body.expires_in).toBeLessThanOrEqual(3600);
    expect(login.body.token.split('.')).toHaveLength(3);
    expect(login.headers.get('cache-control')).toBe('no-store');

    const me = await app.request('GET', '/api/v4/me', { token: login.body.token });
    expect(me.status).toBe(200);
    expect(me.body.account_user.id).toBe(member.accountUserId);
    expect(me.body.account_user.roles.broadcaster).toBe(true);
    expect(me.body.account.id).toBe(acme.accountId);
    expect(me.body.sign_in).toMatchObject({ credential: 'jwt', method: 'password' });
    expect(me.body.account_user.user.last_sign_in_at).not.toBeNull();
  });

  it('gives the same answer for an unknown user name and for a wrong password', async () => {
    const member = await app.createMember(acme.accountId);
    const unknown = await app.request('POST', '/public/login', { json: { username: 'nobody@example.com', password: PASSWORD }, headers: from() });
    const wrong = await app.request('POST', '/public/login', { json: { username: member.email, password: 'not the password' }, headers: from() });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
    expect(wrong.body.errors[0].message).toBe('The user name or password is not correct');
  });

  it('accepts the user name as well as the email, without regard to case', async () => {
    const member = await app.createMember(acme.accountId);
    const login = await app.request('POST', '/public/login', { json: { username: member.email.toUpperCase(), password: PASSWORD }, headers: from() });
    expect(login.status).toBe(200);
  });

  it('names the missing field', async () => {
    const res = await app.request('POST', '/public/login', { json: { username: 'someone' }, headers: from() });
    expect(res.status).toBe(422);
    expect(res.body.errors[0]).toMatchObject({ field: 'password' });
  });

  it('throttles a person at an address after 5 failures with 429 and Retry-After, even with the right password then', async () => {
    const member = await app.createMember(acme.accountId);
    const headers = from();
    for (let i = 0; i < 5; i++) {
      const res = await app.request('POST', '/public/login', { json: { username: member.email, password: `wrong ${i}` }, headers });
      expect(res.status).toBe(401);
    }
    const right = await app.request('POST', '/public/login', { json: { username: member.email, password: PASSWORD }, headers });
    expect(right.status).toBe(429);
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(right.body.errors[0].message).toMatch(/too many failed sign-in attempts/i);
  });

  it('throttles a client address after 20 failures across user names', async () => {
    const headers = { 'x-forwarded-for': '203.0.113.77' };
    for (let i = 0; i < 20; i++) {
      const res = await app.request('POST', '/public/login', { json: { username: `ghost${i}@example.com`, password: 'whatever1' }, headers });
      expect(res.status).toBe(401);
    }
    const member = await app.createMember(acme.accountId);
    const blocked = await app.request('POST', '/public/login', { json: { username: member.email, password: PASSWORD }, headers });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    const elsewhere = await app.request('POST', '/public/login', { json: { username: member.email, password: PASSWORD }, headers: from() });
    expect(elsewhere.status).toBe(200);
  });

  it('keeps the failure counters in the database, where every instance sees them', async () => {
    const member = await app.createMember(acme.accountId);
    const headers = from();
    await app.request('POST', '/public/login', { json: { username: member.email, password: 'wrong two' }, headers });
    const rows = await app.database.knex('login_attempts').where({ key: `user:${member.userId}|ip:${headers['x-forwarded-for']}` });
    expect(rows).toHaveLength(1);
    expect(rows[0].failures).toBe(1);
  });

  it('makes a member of several accounts choose one, then signs in to the chosen one', async () => {
    const other = await app.createAccount('Globex');
    const member = await app.createMember(acme.accountId);
    await app.services.accountUsers.create(
      { accountId: other.accountId, actor: { type: 'system' }, channel: 'cli' },
      { user: { name: 'Linked', emails: { mode: 'replace', items: [{ email: member.email }] } } },
    );
    const ambiguous = await app.request('POST', '/public/login', { json: { username: member.email, password: PASSWORD }, headers: from() });
    expect(ambiguous.status).toBe(422);
    expect(ambiguous.body.errors[0].field).toBe('account_id');
    expect(ambiguous.body.errors[0].message).toContain(other.accountId);

    const chosen = await app.request('POST', '/public/login', { json: { username: member.email, password: PASSWORD, account_id: other.accountId }, headers: from() });
    expect(chosen.status).toBe(200);
    const me = await app.request('GET', '/api/v4/me', { token: chosen.body.token });
    expect(me.body.account.id).toBe(other.accountId);
  });

  it('refuses a JWT that was tampered with, and one signed with another key', async () => {
    const member = await app.createMember(acme.accountId);
    const { body } = await app.request('POST', '/public/login', { json: { username: member.email, password: PASSWORD }, headers: from() });
    const [header, payload, signature] = body.token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: acme.owner.accountUserId })).toString('base64url')}.${signature}`;
    expect((await app.request('GET', '/api/v4/me', { token: forged })).status).toBe(401);
    const { SignJWT } = await import('jose');
    const otherKey = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: JSON.parse(Buffer.from(header, 'base64url').toString()).kid }).sign(new Uint8Array(32));
    expect((await app.request('GET', '/api/v4/me', { token: otherKey })).status).toBe(401);
  });

  it('stores the JWT signing key in the database (so that another instance can verify the token)', async () => {
    const keys = await app.database.knex('jwt_signing_keys').select('id');
    expect(keys.length).toBeGreaterThanOrEqual(1);
  });

  it('records sign-ins and refusals in the audit trail', async () => {
    const member = await app.createMember(acme.accountId);
    await app.request('POST', '/public/login', { json: { username: member.email, password: 'wrong password' }, headers: from() });
    await app.request('POST', '/public/login', { json: { username: member.email, password: PASSWORD }, headers: from() });
    const audit = await app.request('GET', '/api/v4/audit_events?limit=100', { token: acme.ownerToken });
    const mine = audit.body.data.filter((e: { target: { id: string } }) => e.target.id === member.accountUserId);
    expect(mine.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['sign_in', 'sign_in.refused']));
    expect(mine.find((e: { action: string }) => e.action === 'sign_in.refused').changes).toMatchObject({ method: 'password', reason: 'wrong_password' });
  });
});

describe('the /login page and its session', () => {
  it('signs in with a password, sets an HttpOnly SameSite=Lax cookie, and the session works for /api/v4/me and /', async () => {
    const member = await app.createMember(acme.accountId);
    const page = await app.request('GET', '/login');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<label for="password">Password</label>');

    const res = await app.request('POST', '/login', { form: { username: member.email, password: PASSWORD, return_to: '/' }, headers: from() });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
    const setCookie = res.headers.getSetCookie().join('\n');
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    expect(setCookie).not.toMatch(/Secure/); // PUBLIC_URL is http here
    expect(res.cookie).toBeDefined();

    const me = await app.request('GET', '/api/v4/me', { cookie: res.cookie });
    expect(me.status).toBe(200);
    expect(me.body.sign_in).toMatchObject({ credential: 'session', method: 'password' });
    const home = await app.request('GET', '/', { cookie: res.cookie });
    expect(home.status).toBe(200);
    expect(home.text).toContain(member.email);
  });

  it('stores sessions in the database by hash only, and logout ends them', async () => {
    const member = await app.createMember(acme.accountId);
    const { cookie } = await app.request('POST', '/login', { form: { username: member.email, password: PASSWORD }, headers: from() });
    const secret = cookie!.split('=')[1];
    const rows = await app.database.knex('sessions').where({ account_user_id: member.accountUserId });
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(secret);

    const out = await app.request('POST', '/logout', { cookie });
    expect(out.status).toBe(200);
    expect(out.headers.getSetCookie().join()).toMatch(/rollcall_session=;/);
    expect((await app.request('GET', '/api/v4/me', { cookie })).status).toBe(401);
    expect(await app.database.knex('sessions').where({ account_user_id: member.accountUserId })).toHaveLength(0);
  });

  it('shows the refusal on the page for a wrong password, and never goes back to another site', async () => {
    const member = await app.createMember(acme.accountId);
    const wrong = await app.request('POST', '/login', { form: { username: member.email, password: 'nope nope' }, headers: from() });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('The user name or password is not correct');
    const evil = await app.request('POST', '/login', { form: { username: member.email, password: PASSWORD, return_to: '//evil.example/x' }, headers: from() });
    expect(evil.status).toBe(303);
    expect(evil.headers.get('location')).toBe('/');
  });

  it('refuses a sign-in form posted from another site', async () => {
    const member = await app.createMember(acme.accountId);
    const res = await app.request('POST', '/login', { form: { username: member.email, password: PASSWORD }, headers: { ...from(), origin: 'https://evil.example' } });
    expect(res.status).toBe(403);
    expect(res.cookie).toBeUndefined();
  });

  it('refuses a change through /api/v4 with the session cookie from another site', async () => {
    const member = await app.createMember(acme.accountId);
    const { cookie } = await app.request('POST', '/login', { form: { username: member.email, password: PASSWORD }, headers: from() });
    const res = await app.request('POST', `/api/v4/account_users/${member.accountUserId}/api_tokens`, { cookie, json: {}, headers: { origin: 'https://evil.example' } });
    expect(res.status).toBe(403);
  });
});

describe('deactivation', () => {
  it('cuts the session, the JWT and the API token of that membership on the next request', async () => {
    const member = await app.createMember(acme.accountId);
    const jwt = (await app.request('POST', '/public/login', { json: { username: member.email, password: PASSWORD }, headers: from() })).body.token;
    const { cookie } = await app.request('POST', '/login', { form: { username: member.email, password: PASSWORD }, headers: from() });
    const apiToken = (await app.services.apiTokens.createAsOperator(member.accountUserId)).token;
    for (const credential of [{ token: jwt }, { cookie }, { token: apiToken }]) {
      expect((await app.request('GET', '/api/v4/me', credential)).status).toBe(200);
    }

    const off = await app.request('PATCH', `/api/v4/account_users/${member.accountUserId}`, { token: acme.ownerToken, json: { active: false } });
    expect(off.status).toBe(200);
    for (const credential of [{ token: jwt }, { cookie }, { token: apiToken }]) {
      const res = await app.request('GET', '/api/v4/me', credential);
      expect(res.status).toBe(401);
    }
    const again = await app.request('POST', '/public/login', { json: { username: member.email, password: PASSWORD }, headers: from() });
    expect(again.status).toBe(401);
    expect(again.body.errors[0].message).toMatch(/deactivated/);
  });
});
