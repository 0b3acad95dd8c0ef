import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthApp, PASSWORD, readAuthnRequest, startAuthApp } from '../support/auth-app.js';
import { decode, encode, generateSigningKey, newSamlId, type ResponseOptions, TestIdp } from '../support/test-idp.js';
import { uniqueEmail } from '../support/test-app.js';

/** The XML signature element as xml-crypto writes it (default namespace, no prefix). */
const SIGNATURE = /<Signature xmlns="http:\/\/www.w3.org\/2000\/09\/xmldsig#">[\s\S]*?<\/Signature>/;

let app: AuthApp;
let idp: TestIdp;
let acme: Awaited<ReturnType<AuthApp['createAccount']>>;
let globex: Awaited<ReturnType<AuthApp['createAccount']>>;

const sp = (accountId: string) => ({ acsUrl: `${app.url}/sso/saml/${accountId}/acs`, audience: `${app.url}/sso/saml/${accountId}/metadata` });

async function configure(token: string, body: Record<string, unknown>) {
  return app.request('PUT', '/api/v4/account/sso', { token, json: body });
}

beforeAll(async () => {
  app = await startAuthApp();
  idp = await TestIdp.create();
  acme = await app.createAccount('Acme');
  globex = await app.createAccount('Globex');
  for (const account of [acme, globex]) {
    const res = await configure(account.ownerToken, { idp_metadata_xml: idp.metadataXml() });
    expect(res.status).toBe(200);
  }
});
afterAll(() => app?.stop());

/** Starts an SP-initiated sign-in the way a browser does; answers the AuthnRequest it carries. */
async function startLogin(accountId: string, relayState = '/') {
  const res = await app.request('GET', `/sso/saml/${accountId}/login?RelayState=${encodeURIComponent(relayState)}`);
  expect(res.status).toBe(302);
  return readAuthnRequest(res.headers.get('location')!);
}

async function post(accountId: string, samlResponse: string, relayState?: string) {
  return app.request('POST', `/sso/saml/${accountId}/acs`, { form: { SAMLResponse: samlResponse, ...(relayState ? { RelayState: relayState } : {}) } });
}

/** A response to a fresh SP-initiated request of this account, for this NameID. */
async function answer(accountId: string, nameId: string, overrides: Partial<ResponseOptions> = {}): Promise<ResponseOptions> {
  const request = await startLogin(accountId);
  return { nameId, ...sp(accountId), inResponseTo: request.id, ...overrides };
}

async function lastRefusal(token: string) {
  const audit = await app.request('GET', '/api/v4/audit_events?limit=5', { token });
  return audit.body.data.find((e: { action: string }) => e.action === 'sign_in.refused');
}

function expectRefused(res: Awaited<ReturnType<typeof post>>) {
  expect(res.status).toBe(403);
  expect(res.cookie).toBeUndefined();
  expect(res.text).toContain('Sign-in refused');
}

describe('service provider endpoints', () => {
  it('publishes SP metadata naming the entity id and the ACS URL of the account', async () => {
    const res = await app.request('GET', `/sso/saml/${acme.accountId}/metadata`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/samlmetadata+xml');
    expect(res.text).toContain(`entityID="${sp(acme.accountId).audience}"`);
    expect(res.text).toContain(`Location="${sp(acme.accountId).acsUrl}"`);
  });

  it('sends the browser to the IdP with an AuthnRequest for this account, remembered in the database', async () => {
    const request = await startLogin(acme.accountId, '/somewhere?x=1');
    expect(request.idpUrl).toBe(idp.ssoUrl);
    expect(request.acsUrl).toBe(sp(acme.accountId).acsUrl);
    expect(request.issuer).toBe(sp(acme.accountId).audience);
    expect(request.relayState).toBe('/somewhere?x=1');
    expect(await app.database.knex('saml_requests').where({ id: request.id, account_id: acme.accountId })).toHaveLength(1);
  });

  it('lets RelayState point only back into Rollcall', async () => {
    for (const target of ['https://evil.example/', '//evil.example/', '/\\evil.example']) {
      const res = await app.request('GET', `/sso/saml/${acme.accountId}/login?RelayState=${encodeURIComponent(target)}`);
      expect(res.status).toBe(400);
    }
  });

  it('answers 404 for an account without SSO', async () => {
    const plain = await app.createAccount('Plain');
    expect((await app.request('GET', `/sso/saml/${plain.accountId}/login`)).status).toBe(404);
    expect((await app.request('GET', `/sso/saml/acc_doesnotexist/metadata`)).status).toBe(404);
  });
});

describe('a valid SP-initiated sign-in', () => {
  it('signs the member in: a session cookie, back to RelayState, /api/v4/me says saml, last_sign_in_at set, audited', async () => {
    const member = await app.createMember(acme.accountId);
    const res = await post(acme.accountId, idp.response(await answer(acme.accountId, member.email)), '/after');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/after');
    expect(res.cookie).toBeDefined();
    const me = await app.request('GET', '/api/v4/me', { cookie: res.cookie });
    expect(me.status).toBe(200);
    expect(me.body.account_user.id).toBe(member.accountUserId);
    expect(me.body.sign_in).toMatchObject({ credential: 'session', method: 'saml' });
    expect(me.body.account_user.user.last_sign_in_at).not.toBeNull();
    const audit = await app.request('GET', '/api/v4/audit_events?limit=5', { token: acme.ownerToken });
    expect(audit.body.data.find((e: { action: string }) => e.action === 'sign_in')).toMatchObject({ channel: 'sso', changes: { method: 'saml' }, target: { id: member.accountUserId } });
  });

  it('accepts a response signed as a whole as well as in its assertion', async () => {
    const member = await app.createMember(acme.accountId);
    const res = await post(acme.accountId, idp.response({ ...(await answer(acme.accountId, member.email)), signResponse: true }));
    expect(res.status).toBe(303);
  });

  it('matches the NameID to the user name too, without regard to case', async () => {
    const member = await app.createMember(acme.accountId);
    const res = await post(acme.accountId, idp.response(await answer(acme.accountId, member.email.toUpperCase())));
    expect(res.status).toBe(303);
  });
});

describe('responses that are refused', () => {
  let member: { email: string };
  beforeAll(async () => {
    member = await app.createMember(acme.accountId);
  });

  it('refuses an unsigned response', async () => {
    const res = await post(acme.accountId, idp.response({ ...(await answer(acme.accountId, member.email)), signAssertion: false }));
    expectRefused(res);
    expect(await lastRefusal(acme.ownerToken)).toMatchObject({ changes: { method: 'saml', reason: 'bad_signature' } });
  });

  it('refuses a response signed only as a whole (the assertion must carry its own signature)', async () => {
    const res = await post(acme.accountId, idp.response({ ...(await answer(acme.accountId, member.email)), signAssertion: false, signResponse: true }));
    expectRefused(res);
  });

  it('refuses a response whose NameID was changed after signing', async () => {
    const xml = idp.responseXml(await answer(acme.accountId, member.email));
    const res = await post(acme.accountId, encode(xml.replace(`>${member.email}<`, `>${acme.owner.email}<`)));
    expectRefused(res);
  });

  it('refuses a response for another audience', async () => {
    const res = await post(acme.accountId, idp.response(await answer(acme.accountId, member.email, { audience: 'https://other-sp.example/metadata' })));
    expectRefused(res);
    expect(await lastRefusal(acme.ownerToken)).toMatchObject({ changes: { reason: 'wrong_audience' } });
  });

  it('refuses a response from another issuer, even signed by the configured key', async () => {
    const res = await post(acme.accountId, idp.response(await answer(acme.accountId, member.email, { issuer: 'https://evil-idp.example/' })));
    expectRefused(res);
    expect(await lastRefusal(acme.ownerToken)).toMatchObject({ changes: { reason: 'wrong_issuer' } });
  });

  it('refuses an expired response', async () => {
    const past = new Date(Date.now() - 10 * 60_000);
    const res = await post(acme.accountId, idp.response(await answer(acme.accountId, member.email, { notBefore: new Date(past.getTime() - 60_000), notOnOrAfter: past })));
    expectRefused(res);
    expect(await lastRefusal(acme.ownerToken)).toMatchObject({ changes: { reason: 'expired' } });
  });

  it('refuses a response that is not yet valid beyond the allowed clock skew', async () => {
    const future = new Date(Date.now() + 10 * 60_000);
    const res = await post(acme.accountId, idp.response(await answer(acme.accountId, member.email, { notBefore: future, notOnOrAfter: new Date(future.getTime() + 60_000) })));
    expectRefused(res);
  });

  it('refuses a replayed response', async () => {
    const response = idp.response(await answer(acme.accountId, member.email));
    expect((await post(acme.accountId, response)).status).toBe(303);
    expectRefused(await post(acme.accountId, response));
  });

  it('refuses a response signed by another key', async () => {
    const impostor = await generateSigningKey('Impostor');
    const res = await post(acme.accountId, idp.response({ ...(await answer(acme.accountId, member.email)), key: impostor }));
    expectRefused(res);
  });

  it('refuses a response meant for another account', async () => {
    const globexMember = await app.createMember(globex.accountId);
    const forGlobex = await answer(globex.accountId, globexMember.email);
    const res = await post(acme.accountId, idp.response(forGlobex));
    expectRefused(res);
    // and the request it answered is still Globex's alone
    expect((await post(globex.accountId, idp.response(forGlobex))).status).toBe(303);
  });

  it('refuses a response addressed to another ACS (Recipient)', async () => {
    const res = await post(acme.accountId, idp.response(await answer(acme.accountId, member.email, { acsUrl: sp(globex.accountId).acsUrl, destination: null })));
    expectRefused(res);
    expect(await lastRefusal(acme.ownerToken)).toMatchObject({ changes: { reason: 'wrong_recipient' } });
  });

  it('refuses a response to a request this deployment never issued', async () => {
    const res = await post(acme.accountId, idp.response({ nameId: member.email, ...sp(acme.accountId), inResponseTo: newSamlId() }));
    expectRefused(res);
  });

  it('refuses signature wrapping: a forged assertion beside the signed one', async () => {
    const xml = idp.responseXml(await answer(acme.accountId, member.email));
    const signed = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(xml)![0];
    const forged = signed.replace(SIGNATURE, '').replace(`>${member.email}<`, `>${acme.owner.email}<`);
    expect(forged).not.toMatch(SIGNATURE);
    const res = await post(acme.accountId, encode(xml.replace(signed, forged + signed)));
    expectRefused(res);
  });

  it('refuses signature wrapping: the signed assertion hidden in Extensions, a forged one in its place', async () => {
    const xml = idp.responseXml(await answer(acme.accountId, member.email));
    const signed = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(xml)![0];
    const forged = signed.replace(SIGNATURE, '').replace(`>${member.email}<`, `>${acme.owner.email}<`);
    expect(forged).not.toMatch(SIGNATURE);
    const wrapped = xml.replace(signed, forged).replace('<samlp:Status>', `<samlp:Extensions>${signed}</samlp:Extensions><samlp:Status>`);
    const res = await post(acme.accountId, encode(wrapped));
    expectRefused(res);
  });

  it('refuses signature wrapping: the forged assertion carries the signature of the genuine one inside it', async () => {
    const xml = idp.responseXml(await answer(acme.accountId, member.email));
    const signed = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(xml)![0];
    const signature = SIGNATURE.exec(signed)![0];
    const genuineWithoutSignature = signed.replace(signature, '');
    const forgedId = newSamlId();
    const forged = genuineWithoutSignature
      .replace(/ ID="[^"]+"/, ` ID="${forgedId}"`)
      .replace(`>${member.email}<`, `>${acme.owner.email}<`)
      .replace('</saml:Issuer>', `</saml:Issuer>${signature.replace('</Signature>', `<Object>${genuineWithoutSignature}</Object></Signature>`)}`);
    const res = await post(acme.accountId, encode(xml.replace(signed, forged)));
    expectRefused(res);
  });

  it('refuses a post without a SAMLResponse', async () => {
    const res = await app.request('POST', `/sso/saml/${acme.accountId}/acs`, { form: { RelayState: '/' } });
    expectRefused(res);
  });
});

describe('who may sign in', () => {
  it('refuses a person who is a member of another account only, with a clear page', async () => {
    const outsider = await app.createMember(globex.accountId);
    const res = await post(acme.accountId, idp.response(await answer(acme.accountId, outsider.email)));
    expectRefused(res);
    expect(res.text).toContain('is not a member of Acme');
    expect(await lastRefusal(acme.ownerToken)).toMatchObject({ changes: { reason: 'not_a_member' } });
  });

  it('refuses a deactivated member, with a clear page', async () => {
    const member = await app.createMember(acme.accountId);
    await app.request('PATCH', `/api/v4/account_users/${member.accountUserId}`, { token: acme.ownerToken, json: { active: false } });
    const res = await post(acme.accountId, idp.response(await answer(acme.accountId, member.email)));
    expectRefused(res);
    expect(res.text).toContain('deactivated');
  });

  it('with JIT, makes an unknown person a member with no roles', async () => {
    const jitAccount = await app.createAccount('Initech');
    expect((await configure(jitAccount.ownerToken, { idp_metadata_xml: idp.metadataXml(), jit: true })).status).toBe(200);
    const email = uniqueEmail('newcomer');
    const res = await post(jitAccount.accountId, idp.response(await answer(jitAccount.accountId, email, { attributes: { firstName: 'New', lastName: 'Comer' } })));
    expect(res.status).toBe(303);
    const me = await app.request('GET', '/api/v4/me', { cookie: res.cookie });
    expect(me.body.account_user.roles).toEqual({ admin: false, billing: false, broadcaster: false, communicator: false });
    expect(me.body.account_user.user.emails[0].email).toBe(email);
    expect(me.body.account_user.user.name).toBe('New Comer');
  });

  it('without JIT, an unknown person is refused', async () => {
    const res = await post(acme.accountId, idp.response(await answer(acme.accountId, uniqueEmail('stranger'))));
    expectRefused(res);
  });
});

describe('IdP-initiated sign-in', () => {
  it('is refused unless the account allows it; when allowed, each assertion is accepted once', async () => {
    const account = await app.createAccount('Hooli');
    expect((await configure(account.ownerToken, { idp_metadata_xml: idp.metadataXml() })).status).toBe(200);
    const member = await app.createMember(account.accountId);
    const unsolicited = idp.response({ nameId: member.email, ...sp(account.accountId) });
    expectRefused(await post(account.accountId, unsolicited));

    expect((await configure(account.ownerToken, { allow_idp_initiated: true })).status).toBe(200);
    const fresh = idp.response({ nameId: member.email, ...sp(account.accountId) });
    expect((await post(account.accountId, fresh)).status).toBe(303);
    expectRefused(await post(account.accountId, fresh));
    expect(await lastRefusal(account.ownerToken)).toMatchObject({ changes: { reason: 'replayed' } });
  });
});

describe('SSO settings over the API', () => {
  it('are for admins only', async () => {
    const member = await app.createMember(acme.accountId);
    const token = (await app.services.apiTokens.createAsOperator(member.accountUserId)).token;
    expect((await app.request('GET', '/api/v4/account/sso', { token })).status).toBe(403);
    expect((await configure(token, { enforced: true })).status).toBe(403);
  });

  it('shows what to give the IdP, and audits every change without the certificates themselves', async () => {
    const res = await app.request('GET', '/api/v4/account/sso', { token: acme.ownerToken });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ idp_entity_id: idp.entityId, idp_sso_url: idp.ssoUrl, service_provider: { entity_id: sp(acme.accountId).audience, acs_url: sp(acme.accountId).acsUrl } });
    const audit = await app.request('GET', '/api/v4/audit_events?limit=100', { token: acme.ownerToken });
    const change = audit.body.data.find((e: { action: string }) => e.action === 'sso.configure');
    expect(change.changes.idp_certificates[0]).toMatch(/^[0-9A-F:]+$/);
  });

  it('names the field of a bad value', async () => {
    const account = await app.createAccount('Bad');
    const cert = await configure(account.ownerToken, { idp_entity_id: 'x', idp_sso_url: 'https://idp.example/sso', idp_certificates: ['not a certificate'] });
    expect(cert.status).toBe(422);
    expect(cert.body.errors[0].field).toBe('idp_certificates[0]');
    const url = await configure(account.ownerToken, { idp_sso_url: 'http://idp.example/sso' });
    expect(url.body.errors[0].field).toBe('idp_sso_url');
    const enforce = await configure(account.ownerToken, { enforced: true });
    expect(enforce.status).toBe(422);
    expect(enforce.body.errors[0].field).toBe('enforced');
    const metadata = await configure(account.ownerToken, { idp_metadata_xml: '<not-metadata/>' });
    expect(metadata.body.errors[0].field).toBe('idp_metadata_xml');
  });

  it('takes several certificates, so that the IdP can rotate its key without an outage', async () => {
    const account = await app.createAccount('Rotating');
    const next = await generateSigningKey('Next key');
    expect((await configure(account.ownerToken, { idp_metadata_xml: idp.metadataXml([next.certificateBase64]) })).status).toBe(200);
    const member = await app.createMember(account.accountId);
    expect((await post(account.accountId, idp.response(await answer(account.accountId, member.email)))).status).toBe(303);
    expect((await post(account.accountId, idp.response({ ...(await answer(account.accountId, member.email)), key: next }))).status).toBe(303);
    // once the old key is retired, its responses are refused
    expect((await configure(account.ownerToken, { idp_certificates: [next.certificatePem] })).status).toBe(200);
    expectRefused(await post(account.accountId, idp.response(await answer(account.accountId, member.email))));
  });
});

describe('SSO-only accounts', () => {
  let account: Awaited<ReturnType<AuthApp['createAccount']>>;
  let member: Awaited<ReturnType<AuthApp['createMember']>>;
  let jwtBefore: string;
  beforeAll(async () => {
    account = await app.createAccount('Umbrella');
    expect((await configure(account.ownerToken, { idp_metadata_xml: idp.metadataXml() })).status).toBe(200);
    member = await app.createMember(account.accountId, ['broadcaster']);
    jwtBefore = (await app.request('POST', '/public/login', { json: { username: member.email, password: PASSWORD } })).body.token;
    expect((await configure(account.ownerToken, { enforced: true })).status).toBe(200);
  });

  it('refuses a non-admin password sign-in exactly as a wrong password (the password is not confirmed)', async () => {
    const api = await app.request('POST', '/public/login', { json: { username: member.email, password: PASSWORD } });
    const wrong = await app.request('POST', '/public/login', { json: { username: member.email, password: 'not the password' } });
    expect(api.status).toBe(401);
    expect(api.body).toEqual(wrong.body);
    const page = await app.request('POST', '/login', { form: { username: member.email, password: PASSWORD } });
    expect(page.status).toBe(401);
    expect(page.cookie).toBeUndefined();
  });

  it('cuts a password JWT issued before SSO was enforced', async () => {
    const res = await app.request('GET', '/api/v4/me', { token: jwtBefore });
    expect(res.status).toBe(403);
  });

  it('lets an admin sign in with a password', async () => {
    const res = await app.request('POST', '/public/login', { json: { username: account.owner.email, password: PASSWORD } });
    expect(res.status).toBe(200);
    expect((await app.request('GET', '/api/v4/me', { token: res.body.token })).status).toBe(200);
  });

  it('lets the non-admin in through a session made by the account\'s SAML sign-in', async () => {
    const res = await post(account.accountId, idp.response(await answer(account.accountId, member.email)));
    expect(res.status).toBe(303);
    const me = await app.request('GET', '/api/v4/me', { cookie: res.cookie });
    expect(me.status).toBe(200);
    expect(me.body.sign_in.method).toBe('saml');
  });
});

// Keeps the decode helper honest: what is posted is what the IdP built.
it('posts the IdP response as base64 of its XML', () => {
  expect(decode(encode('<x/>'))).toBe('<x/>');
});
