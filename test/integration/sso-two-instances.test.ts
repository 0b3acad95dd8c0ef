import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthApp, PASSWORD, readAuthnRequest, startTwoInstancesOnPostgres } from '../support/auth-app.js';
import { onPostgres } from '../support/test-database.js';
import { TestIdp } from '../support/test-idp.js';

/**
 * Two app instances, each with its own connection pool, on one PostgreSQL database: nothing a
 * sign-in needs lives in one process. PGlite is one process by design, so this runs on
 * PostgreSQL only (TEST_DATABASE_URL).
 */
describe.skipIf(!onPostgres())('two app instances on one PostgreSQL database (skipped on PGlite, which is one process by design)', () => {
  let a: AuthApp;
  let b: AuthApp;
  let idp: TestIdp;
  let account: Awaited<ReturnType<AuthApp['createAccount']>>;

  beforeAll(async () => {
    [a, b] = await startTwoInstancesOnPostgres(process.env.TEST_DATABASE_URL!);
    idp = await TestIdp.create();
    account = await a.createAccount('Acme');
    expect((await a.request('PUT', '/api/v4/account/sso', { token: account.ownerToken, json: { idp_metadata_xml: idp.metadataXml() } })).status).toBe(200);
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
  });

  it('a SAML login started on one instance completes on the other, and the session works on both', async () => {
    const member = await a.createMember(account.accountId);
    const started = await a.request('GET', `/sso/saml/${account.accountId}/login`);
    const request = readAuthnRequest(started.headers.get('location')!);
    // The IdP answers to the ACS URL the request named; the load balancer sends the post to instance B.
    // Both instances serve the same PUBLIC_URL in production; here each has its own port, so the
    // response is addressed to B's ACS URL and audience, while InResponseTo is A's request.
    const response = idp.response({ nameId: member.email, acsUrl: `${b.url}/sso/saml/${account.accountId}/acs`, audience: `${b.url}/sso/saml/${account.accountId}/metadata`, inResponseTo: request.id });
    const done = await b.request('POST', `/sso/saml/${account.accountId}/acs`, { form: { SAMLResponse: response } });
    expect(done.status).toBe(303);
    for (const instance of [a, b]) {
      const me = await instance.request('GET', '/api/v4/me', { cookie: done.cookie });
      expect(me.status).toBe(200);
      expect(me.body.sign_in.method).toBe('saml');
    }
    // the request id is spent for both instances
    expect((await a.request('POST', `/sso/saml/${account.accountId}/acs`, { form: { SAMLResponse: response } })).status).toBe(403);
  });

  it('a JWT from one instance is accepted by the other (the signing key is in the database)', async () => {
    const member = await b.createMember(account.accountId);
    const login = await b.request('POST', '/public/login', { json: { username: member.email, password: PASSWORD } });
    expect(login.status).toBe(200);
    expect((await a.request('GET', '/api/v4/me', { token: login.body.token })).status).toBe(200);
  });

  it('a password throttle counted on one instance holds on the other', async () => {
    const member = await a.createMember(account.accountId);
    for (let i = 0; i < 5; i++) {
      const instance = i % 2 === 0 ? a : b;
      expect((await instance.request('POST', '/public/login', { json: { username: member.email, password: `wrong ${i}` } })).status).toBe(401);
    }
    expect((await b.request('POST', '/public/login', { json: { username: member.email, password: PASSWORD } })).status).toBe(429);
  });
});
