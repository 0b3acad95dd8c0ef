import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthApp, type Member, startAuthApp } from '../support/auth-app.js';
import { ADMIN_CSP } from '../../src/web/admin/admin-router.js';
import { ADMIN_PAGE_PATHS } from '../../src/web/admin/layout.js';

/**
 * The admin console over HTTP (issue 15): who may see it, its forms' CSRF token, its headers, and
 * what a hostile value or another account's id gets. The browser tests (test/e2e) drive the pages.
 */

let app: AuthApp;
let accountId: string;
let owner: Member;
let ownerCookie: string;
let adminCookie: string;
let memberCookie: string;
let otherCookie: string;
let otherAccountId: string;

async function signIn(member: Member, account: string): Promise<string> {
  const res = await app.request('POST', '/login', { form: { username: member.email, password: member.password, account_id: account } });
  expect(res.status).toBe(303);
  return res.cookie as string;
}

/** The session's form token, as the console's pages write it. */
async function csrfOf(cookie: string, path = '/admin/scim'): Promise<string> {
  const res = await app.request('GET', path, { cookie });
  expect(res.status).toBe(200);
  const token = /name="_csrf" value="([^"]+)"/.exec(res.text)?.[1];
  expect(token).toBeTruthy();
  return token as string;
}

beforeAll(async () => {
  app = await startAuthApp();
  const acme = await app.createAccount('Acme <script>alert(1)</script>');
  accountId = acme.accountId;
  owner = acme.owner;
  const admin = await app.createMember(accountId, ['admin']);
  const member = await app.createMember(accountId, ['broadcaster']);
  const other = await app.createAccount('Other');
  otherAccountId = other.accountId;
  ownerCookie = await signIn(owner, accountId);
  adminCookie = await signIn(admin, accountId);
  memberCookie = await signIn(member, accountId);
  otherCookie = await signIn(other.owner, otherAccountId);
});
afterAll(async () => {
  await app?.stop();
});

describe('who may use the console', () => {
  it('lists every page of the console', () => {
    expect(ADMIN_PAGE_PATHS).toEqual(['/admin', '/admin/scim', '/admin/sso', '/admin/people', '/admin/role-mappings', '/admin/log', '/admin/audit']);
  });

  it('sends a signed-out visitor to /login and back', async () => {
    for (const path of ADMIN_PAGE_PATHS) {
      const res = await app.request('GET', path);
      expect(res.status, path).toBe(303);
      expect(res.headers.get('location'), path).toBe(`/login?return_to=${encodeURIComponent(path)}`);
    }
    const ended = await app.request('GET', '/admin/scim', { cookie: 'rollcall_session=notarealsessionsecret0000' });
    expect(ended.status).toBe(303);
  });

  it('refuses a member who is not an admin on every page, showing nothing of the account', async () => {
    for (const path of ADMIN_PAGE_PATHS) {
      const res = await app.request('GET', path, { cookie: memberCookie });
      expect(res.status, path).toBe(403);
      expect(res.headers.get('content-type'), path).toMatch(/text\/html/);
      expect(res.text, path).not.toContain('Acme');
      expect(res.text, path).not.toContain(accountId);
    }
    const write = await app.request('POST', '/admin/scim/tokens', { cookie: memberCookie, form: { name: 'sneaky' } });
    expect(write.status).toBe(403);
    expect(await app.services.scimTokens.list({ accountId, actor: { type: 'system' }, channel: 'cli' })).toHaveLength(0);
  });

  it('opens the console to the owner and to an admin, with its security headers', async () => {
    for (const cookie of [ownerCookie, adminCookie]) {
      const res = await app.request('GET', '/admin', { cookie });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-security-policy')).toBe(ADMIN_CSP);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('same-origin');
      expect(res.text).not.toMatch(/<script>|<style>|style="/);
    }
    const css = await app.request('GET', '/admin/assets/admin.css');
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/text\/css/);
    const js = await app.request('GET', '/admin/assets/admin.js');
    expect(js.headers.get('content-type')).toMatch(/javascript/);
  });

  it('escapes a hostile account name', async () => {
    const res = await app.request('GET', '/admin', { cookie: ownerCookie });
    expect(res.text).toContain('Acme &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(res.text).not.toContain('<script>alert(1)');
  });

  it('answers an unknown console address with 404 for an admin, and the login redirect for a visitor', async () => {
    expect((await app.request('GET', '/admin/nothing-here', { cookie: adminCookie })).status).toBe(404);
    expect((await app.request('GET', '/admin/nothing-here')).status).toBe(303);
  });
});
