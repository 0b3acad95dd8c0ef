import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthApp, type Member, readAuthnRequest, startAuthApp } from '../support/auth-app.js';
import { encode, TestIdp } from '../support/test-idp.js';
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
    for (const path of ['/admin/scim/tokens', '/admin/sso/test', '/admin/sso/policy', '/admin/sso/metadata']) {
      const write = await app.request('POST', path, { cookie: memberCookie, form: { name: 'sneaky', enforced: 'on' } });
      expect(write.status, path).toBe(403);
      const signedOut = await app.request('POST', path, { form: { name: 'sneaky' } });
      expect(signedOut.status, path).toBe(303);
    }
    expect((await app.services.sso.forAccount(accountId)).enforced).toBe(false);
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
    for (const path of ADMIN_PAGE_PATHS) {
      const res = await app.request('GET', path, { cookie: adminCookie });
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-security-policy'), path).toBe(ADMIN_CSP);
      expect(res.text.match(/<h1>/g), path).toHaveLength(1);
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

describe('forms carry the session\'s CSRF token', () => {
  const tokensOf = () => app.services.scimTokens.list({ accountId, actor: { type: 'system' }, channel: 'cli' });

  it('refuses a form without its token, with another session\'s token, or from another site, and changes nothing', async () => {
    const before = (await tokensOf()).length;
    const mine = await csrfOf(adminCookie);
    const others = await csrfOf(ownerCookie);
    expect(others).not.toBe(mine);
    const foreign = await csrfOf(otherCookie);
    const forms: Record<string, string>[] = [{ name: 'no token' }, { name: 'wrong token', _csrf: others }, { name: 'other account', _csrf: foreign }, { name: 'made up', _csrf: 'x'.repeat(43) }];
    for (const form of forms) {
      const res = await app.request('POST', '/admin/scim/tokens', { cookie: adminCookie, form });
      expect(res.status, form.name).toBe(403);
      expect(res.text).toContain('This form has expired or did not come from this site');
    }
    const crossSite = await app.request('POST', '/admin/scim/tokens', { cookie: adminCookie, form: { name: 'cross', _csrf: mine }, headers: { origin: 'https://evil.example' } });
    expect(crossSite.status).toBe(403);
    expect((await tokensOf()).length).toBe(before);
  });

  it('accepts the form with its token: the token is shown once, on that page only', async () => {
    const csrf = await csrfOf(adminCookie);
    const res = await app.request('POST', '/admin/scim/tokens', { cookie: adminCookie, form: { name: 'Okta <b>prod</b>', expires_in_days: '90', _csrf: csrf } });
    expect(res.status).toBe(201);
    const secret = /id="new-token-value" type="text" readonly value="([^"]+)"/.exec(res.text)?.[1];
    expect(secret).toMatch(/^rc_scim_/);
    expect(res.text).toContain('Okta &lt;b&gt;prod&lt;/b&gt;');
    const scim = await fetch(`${app.url}/scim/v2/Users`, { headers: { authorization: `Bearer ${secret}` } });
    expect(scim.status).toBe(200);
    const page = await app.request('GET', '/admin/scim', { cookie: adminCookie });
    expect(page.text).not.toContain(secret as string);
    const row = (await tokensOf()).find((t) => t.name === 'Okta <b>prod</b>');
    expect(row?.expires_at).toBeTruthy();
    const days = (new Date(row!.expires_at!).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(89);
    expect(days).toBeLessThanOrEqual(90);
  });

  it('refuses an expiry that is not one of the choices, naming it', async () => {
    const csrf = await csrfOf(adminCookie);
    const res = await app.request('POST', '/admin/scim/tokens', { cookie: adminCookie, form: { name: 'odd', expires_in_days: '-5', _csrf: csrf } });
    expect(res.status).toBe(400);
    expect(res.text).toContain('expires_in_days');
  });
});

describe('SCIM tokens in the console', () => {
  it('does not show or revoke another account\'s token (404), and revokes its own after the confirmation page', async () => {
    const foreign = await app.services.scimTokens.createAsOperator(otherAccountId, 'theirs');
    const csrf = await csrfOf(adminCookie);
    expect((await app.request('GET', `/admin/scim/tokens/${foreign.id}/revoke`, { cookie: adminCookie })).status).toBe(404);
    const revoke = await app.request('POST', `/admin/scim/tokens/${foreign.id}/revoke`, { cookie: adminCookie, form: { _csrf: csrf } });
    expect(revoke.status).toBe(404);
    expect((await fetch(`${app.url}/scim/v2/Users`, { headers: { authorization: `Bearer ${foreign.token}` } })).status).toBe(200);

    const own = await app.services.scimTokens.createAsOperator(accountId, 'old');
    const confirm = await app.request('GET', `/admin/scim/tokens/${own.id}/revoke`, { cookie: adminCookie });
    expect(confirm.status).toBe(200);
    expect(confirm.text).toContain('Revoke the token');
    const done = await app.request('POST', `/admin/scim/tokens/${own.id}/revoke`, { cookie: adminCookie, form: { _csrf: csrf } });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/admin/scim?done=revoked');
    expect((await fetch(`${app.url}/scim/v2/Users`, { headers: { authorization: `Bearer ${own.token}` } })).status).toBe(401);
  });
});

describe('SCIM token expiry (migration 022)', () => {
  it('takes expires_in_days or expires_at over REST, shows it, and refuses a token once expired', async () => {
    const api = (json: unknown) => app.request('POST', '/api/v4/scim_tokens', { cookie: ownerCookie, json, headers: { origin: app.url } });
    const inDays = await api({ name: 'in days', expires_in_days: 365 });
    expect(inDays.status).toBe(201);
    expect(new Date(inDays.body.expires_at).getTime()).toBeGreaterThan(Date.now() + 364 * 86_400_000);
    const at = await api({ name: 'at', expires_at: '2099-01-31T00:00:00Z' });
    expect(at.status).toBe(422); // more than ten years away
    expect(at.body.errors[0].message).toContain('expires_at')
    const soon = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const dated = await api({ name: 'dated', expires_at: soon });
    expect(dated.status).toBe(201);
    expect(dated.body.expires_at).toBe(soon);
    for (const bad of [{ expires_in_days: 0 }, { expires_in_days: 1.5 }, { expires_at: 'tomorrow' }, { expires_at: '2001-01-01' }, { expires_at: soon, expires_in_days: 3 }]) {
      const res = await api(bad);
      expect(res.status, JSON.stringify(bad)).toBe(422);
    }
    const never = await api({ name: 'never' });
    expect(never.body.expires_at).toBeNull();

    // expired: refused at once, even though it was just used (and cached)
    const call = () => fetch(`${app.url}/scim/v2/Users`, { headers: { authorization: `Bearer ${dated.body.token}` } });
    expect((await call()).status).toBe(200);
    await app.database.knex('scim_tokens').where({ id: dated.body.id }).update({ expires_at: new Date(Date.now() - 1000) });
    app.services.scimTokens['cache']?.forgetAll(); // what SQL by hand does not notify: the cache's own expiry check is in the unit test
    expect((await call()).status).toBe(401);
    const page = await app.request('GET', '/admin/scim', { cookie: ownerCookie });
    expect(page.text).toContain('Expired: refused');
  });
});

describe('the SSO test sign-in never signs anyone in', () => {
  let idp: TestIdp;
  let member: Member;

  beforeAll(async () => {
    idp = await TestIdp.create();
    member = await app.createMember(accountId, ['broadcaster']);
    await app.services.sso.configureAsOperator(accountId, { idpEntityId: idp.entityId, idpSsoUrl: idp.ssoUrl, idpCertificates: [idp.key.certificatePem], allowIdpInitiated: true });
  });

  /** Starts a test as the admin; answers the AuthnRequest it sends to the IdP. */
  async function startTest(cookie: string) {
    const res = await app.request('POST', '/admin/sso/test', { cookie, form: { _csrf: await csrfOf(cookie, '/admin/sso') } });
    expect(res.status).toBe(200);
    const href = /id="continue-to-idp" href="([^"]+)"/.exec(res.text)?.[1];
    expect(href).toBeTruthy();
    return readAuthnRequest((href as string).replace(/&amp;/g, '&'));
  }
  const post = (samlResponse: string) => app.request('POST', `/sso/saml/${accountId}/acs`, { form: { SAMLResponse: samlResponse } });

  it('records what the assertion carried for the admin who started it, sets no cookie, and takes one answer only', async () => {
    const request = await startTest(adminCookie);
    const response = idp.response({ nameId: member.email, acsUrl: request.acsUrl, audience: request.issuer, inResponseTo: request.id, attributes: { department: '<b>Ops</b>' } });
    const answered = await post(response);
    expect(answered.status).toBe(303);
    expect(answered.headers.get('location')).toBe(`/admin/sso/test/${encodeURIComponent(request.id)}`);
    expect(answered.cookie).toBeUndefined();
    expect(answered.headers.get('set-cookie')).toBeNull();

    const result = await app.request('GET', `/admin/sso/test/${request.id}`, { cookie: adminCookie });
    expect(result.status).toBe(200);
    expect(result.text).toContain('Accepted');
    expect(result.text).toContain(member.email);
    expect(result.text).toContain(`/admin/people/${member.accountUserId}`);
    expect(result.text).toContain('&lt;b&gt;Ops&lt;/b&gt;');
    // another admin, the owner included, does not see it; a non-admin is refused the page
    expect((await app.request('GET', `/admin/sso/test/${request.id}`, { cookie: ownerCookie })).status).toBe(404);
    expect((await app.request('GET', `/admin/sso/test/${request.id}`, { cookie: memberCookie })).status).toBe(403);

    // the same answer again, or another one: no cookie, and the first result stands
    const again = await post(response);
    expect(again.headers.get('set-cookie')).toBeNull();
    const other = await post(idp.response({ nameId: 'someone.else@example.com', acsUrl: request.acsUrl, audience: request.issuer, inResponseTo: request.id }));
    expect(other.headers.get('set-cookie')).toBeNull();
    expect((await app.request('GET', `/admin/sso/test/${request.id}`, { cookie: adminCookie })).text).toContain(member.email);
  });

  it('refuses a test\'s signed assertion presented as a sign-in (the Response stripped of its InResponseTo), with no cookie', async () => {
    const request = await startTest(adminCookie);
    const xml = idp.responseXml({ nameId: member.email, acsUrl: request.acsUrl, audience: request.issuer, inResponseTo: request.id });
    // the Response around the signed assertion is not signed: its InResponseTo can be removed
    const stripped = xml.replace(/(<samlp:Response[^>]*?) InResponseTo="[^"]*"/, '$1');
    expect(stripped).not.toBe(xml);
    const res = await post(encode(stripped));
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
    // passport-saml lets it through (no InResponseTo on the Response, IdP-initiated allowed): the test mark refuses it
    const refusal = (await app.database.knex('audit_events').where({ account_id: accountId, action: 'sign_in.refused' }).orderBy('seq', 'desc').first('changes')) as { changes: unknown };
    const changes = (typeof refusal.changes === 'string' ? JSON.parse(refusal.changes) : refusal.changes) as { reason: string };
    expect(changes.reason).toBe('test_response');
  });

  it('never treats an IdP-initiated response as a test: it is a sign-in (the account allows them)', async () => {
    const res = await post(idp.response({ nameId: member.email, acsUrl: `${app.url}/sso/saml/${accountId}/acs`, audience: `${app.url}/sso/saml/${accountId}/metadata` }));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
    expect(res.cookie).toBeTruthy();
  });

  it('reports a response signed with a key the account does not trust as refused', async () => {
    const request = await startTest(adminCookie);
    const stranger = await TestIdp.create();
    const res = await post(stranger.response({ nameId: member.email, acsUrl: request.acsUrl, audience: request.issuer, inResponseTo: request.id }));
    expect(res.status).toBe(303);
    expect(res.headers.get('set-cookie')).toBeNull();
    const result = await app.request('GET', `/admin/sso/test/${request.id}`, { cookie: adminCookie });
    expect(result.text).toMatch(/Refused \(bad_signature\)/);
  });

  it('keeps the last certificate: removing it is refused and changes nothing', async () => {
    const page = await app.request('GET', '/admin/sso', { cookie: adminCookie });
    const fingerprint = (await app.services.sso.forAccount(accountId)).idpCertificates.map((pem) => new X509Certificate(pem).fingerprint256)[0];
    expect(page.text).toContain('The only one');
    const res = await app.request('POST', '/admin/sso/certificates/remove', { cookie: adminCookie, form: { _csrf: await csrfOf(adminCookie, '/admin/sso'), fingerprint } });
    expect(res.status).toBe(400);
    expect((await app.services.sso.forAccount(accountId)).idpCertificates).toHaveLength(1);
  });
});
