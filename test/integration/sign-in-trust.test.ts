import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setAccountOwner } from '../../src/domain/accounts/accounts-store.js';
import { bumpMembershipVersion } from '../../src/domain/users/account-users-store.js';
import { type AuthApp, type AuthResult, PASSWORD, readAuthnRequest, startAuthApp } from '../support/auth-app.js';
import { runCli } from '../support/started-server.js';
import { onPostgres, waitForLockWaiters } from '../support/test-database.js';
import { uniqueEmail } from '../support/test-app.js';
import { type ResponseOptions, TestIdp } from '../support/test-idp.js';

/**
 * Issue 12, the sign-in side and the rules inside one account: old credentials stay dead after a
 * reactivation, a copy of the database forges no JWT, the owner's standing changes only by a
 * transfer, tokens are minted by their member, break-glass works, a password opens only the
 * accounts it belongs to, and invitations and foreign IdPs sign no one in.
 */

type Account = Awaited<ReturnType<AuthApp['createAccount']>>;

let app: AuthApp;
let idp: TestIdp;
let acme: Account;

// Each test that signs in comes from its own address: the per-address throttle of one test never touches another.
let address = 10;
const from = () => ({ 'x-forwarded-for': `192.0.2.${address++}` });

const login = (body: Record<string, unknown>, headers = from()) => app.request('POST', '/public/login', { json: body, headers });

/** A SCIM request of an IdP holding `token`. */
const scim = (token: string, method: string, path: string, body?: unknown) =>
  app.request(method, `/scim/v2${path}`, { token, json: body, headers: { accept: 'application/scim+json' } });
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';

async function scimToken(accountId: string): Promise<string> {
  return (await app.services.scimTokens.createAsOperator(accountId)).token;
}

async function configureSso(token: string, body: Record<string, unknown>) {
  return app.request('PUT', '/api/v4/account/sso', { token, json: body });
}

/** A SAML response to a fresh SP-initiated sign-in of this account, for this NameID, posted to its ACS. */
async function samlSignIn(accountId: string, nameId: string, overrides: Partial<ResponseOptions> = {}): Promise<AuthResult> {
  const start = await app.request('GET', `/sso/saml/${accountId}/login?RelayState=%2F`);
  expect(start.status).toBe(302);
  const request = readAuthnRequest(start.headers.get('location')!);
  const xml = idp.response({ nameId, acsUrl: `${app.url}/sso/saml/${accountId}/acs`, audience: `${app.url}/sso/saml/${accountId}/metadata`, inResponseTo: request.id, ...overrides });
  return app.request('POST', `/sso/saml/${accountId}/acs`, { form: { SAMLResponse: xml } });
}

async function auditOf(token: string, targetId: string) {
  const audit = await app.request('GET', '/api/v4/audit_events?limit=100', { token });
  expect(audit.status).toBe(200);
  return (audit.body.data as { action: string; actor: { type: string; id: string | null }; channel: string; target: { id: string }; changes: Record<string, unknown> }[]).filter(
    (e) => e.target.id === targetId,
  );
}

beforeAll(async () => {
  app = await startAuthApp();
  idp = await TestIdp.create();
  acme = await app.createAccount('Acme');
});
afterAll(() => app?.stop());

describe('deactivation is final for the credentials issued before it', () => {
  it('a session, a JWT and an API token stay dead after SCIM deactivates and reactivates the member; a new sign-in works', async () => {
    const member = await app.createMember(acme.accountId);
    const jwt = (await login({ username: member.email, password: PASSWORD })).body.token as string;
    const { cookie } = await app.request('POST', '/login', { form: { username: member.email, password: PASSWORD }, headers: from() });
    const minted = await app.request('POST', `/api/v4/account_users/${member.accountUserId}/api_tokens`, { token: jwt, json: { name: 'laptop' } });
    expect(minted.status).toBe(201);
    const old = [{ token: jwt }, { cookie }, { token: minted.body.token as string }];
    for (const credential of old) expect((await app.request('GET', '/api/v4/me', credential)).status).toBe(200);

    const idpToken = await scimToken(acme.accountId);
    const setActive = (active: boolean) => scim(idpToken, 'PATCH', `/Users/${member.accountUserId}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active } }] });
    expect((await setActive(false)).status).toBe(200);
    expect((await setActive(true)).status).toBe(200);

    for (const credential of old) expect((await app.request('GET', '/api/v4/me', credential)).status).toBe(401);

    const fresh = await login({ username: member.email, password: PASSWORD });
    expect(fresh.status).toBe(200);
    expect((await app.request('GET', '/api/v4/me', { token: fresh.body.token })).status).toBe(200);
    const page = await app.request('POST', '/login', { form: { username: member.email, password: PASSWORD }, headers: from() });
    expect((await app.request('GET', '/api/v4/me', { cookie: page.cookie })).status).toBe(200);
    const newToken = await app.request('POST', `/api/v4/account_users/${member.accountUserId}/api_tokens`, { token: fresh.body.token, json: {} });
    expect((await app.request('GET', '/api/v4/me', { token: newToken.body.token })).status).toBe(200);
  });

  it('holds for a REST deactivation too', async () => {
    const member = await app.createMember(acme.accountId);
    const jwt = (await login({ username: member.email, password: PASSWORD })).body.token as string;
    for (const active of [false, true]) {
      expect((await app.request('PATCH', `/api/v4/account_users/${member.accountUserId}`, { token: acme.ownerToken, json: { active } })).status).toBe(200);
    }
    expect((await app.request('GET', '/api/v4/me', { token: jwt })).status).toBe(401);
  });
});

describe('secrets at rest', () => {
  it('rollcall serve refuses PostgreSQL without ROLLCALL_SECRET_KEYS, in one line that says what to do', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: 'postgres://rollcall@127.0.0.1:1/never-reached', PORT: '0', LOG_LEVEL: 'warn' };
    delete env.ROLLCALL_SECRET_KEYS;
    delete env.DATA_DIR;
    const result = await runCli(['serve'], env);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('ROLLCALL_SECRET_KEYS is required with DATABASE_URL');
    expect(result.stderr).toContain('openssl rand -base64 32');
  });

  it('stores JWT signing keys sealed: the column value of a database dump forges no token', async () => {
    const member = await app.createMember(acme.accountId, ['admin']);
    const genuine = await login({ username: member.email, password: PASSWORD });
    expect((await app.request('GET', '/api/v4/me', { token: genuine.body.token })).status).toBe(200);

    const rows = (await app.database.knex('jwt_signing_keys').select('id', 'secret')) as { id: string; secret: string }[];
    expect(rows.length).toBeGreaterThan(0);
    const now = Math.floor(Date.now() / 1000);
    for (const row of rows) {
      expect(row.secret).toMatch(/^v1\./);
      // every way one might read the stored value as an HS256 key
      for (const key of [Buffer.from(row.secret, 'utf8'), Buffer.from(row.secret, 'base64url'), ...row.secret.split('.').map((part) => Buffer.from(part, 'base64url'))]) {
        if (key.length === 0) continue;
        const forged = await new SignJWT({ acc: acme.accountId, amr: ['pwd'], iat_ms: Date.now() })
          .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: row.id })
          .setIssuer('rollcall')
          .setAudience('rollcall:api')
          .setSubject(acme.owner.accountUserId)
          .setIssuedAt(now)
          .setExpirationTime(now + 600)
          .sign(key);
        expect((await app.request('GET', '/api/v4/me', { token: forged })).status).toBe(401);
      }
    }
  });
});

describe('inside one account', () => {
  let account: Account;
  let second: Awaited<ReturnType<AuthApp['createMember']>>;
  let secondJwt: string;
  let idpToken: string;
  beforeAll(async () => {
    account = await app.createAccount('Owned');
    second = await app.createMember(account.accountId, ['admin']);
    secondJwt = (await login({ username: second.email, password: PASSWORD })).body.token;
    idpToken = await scimToken(account.accountId);
  });

  it('a second admin cannot deactivate the owner or take their admin role (409 naming the transfer), over REST or SCIM', async () => {
    const ownerId = account.owner.accountUserId;
    const refusals = [
      await app.request('PATCH', `/api/v4/account_users/${ownerId}`, { token: secondJwt, json: { active: false } }),
      await app.request('PUT', `/api/v4/account_users/${ownerId}`, { token: secondJwt, json: { roles: { admin: false } } }),
      await scim(idpToken, 'PATCH', `/Users/${ownerId}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }] }),
      await scim(idpToken, 'PATCH', `/Users/${ownerId}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'roles', value: [{ value: 'billing' }] }] }),
    ];
    const current = await scim(idpToken, 'GET', `/Users/${ownerId}`);
    expect(current.status).toBe(200);
    const { meta: _meta, ...doc } = current.body;
    refusals.push(await scim(idpToken, 'PUT', `/Users/${ownerId}`, { ...doc, schemas: doc.schemas ?? [USER], active: false }));
    for (const res of refusals) {
      expect(res.status).toBe(409);
      expect(JSON.stringify(res.body)).toContain('/api/v4/account/transfer_ownership');
    }
    const owner = await app.request('GET', `/api/v4/account_users/${ownerId}`, { token: account.ownerToken });
    expect(owner.body.active).toBe(true);
    expect(owner.body.roles.admin).toBe(true);
    // the owner's other attributes still change
    expect((await scim(idpToken, 'PATCH', `/Users/${ownerId}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'externalId', value: 'ext-owner' }] })).status).toBe(200);
  });

  it('a second admin cannot mint a token for the owner (403); a member mints their own, audited as themselves', async () => {
    const forOwner = await app.request('POST', `/api/v4/account_users/${account.owner.accountUserId}/api_tokens`, { token: secondJwt, json: {} });
    expect(forOwner.status).toBe(403);
    const plain = await app.createMember(account.accountId);
    const forMember = await app.request('POST', `/api/v4/account_users/${plain.accountUserId}/api_tokens`, { token: secondJwt, json: {} });
    expect(forMember.status).toBe(403);

    const own = await app.request('POST', `/api/v4/account_users/${second.accountUserId}/api_tokens`, { token: secondJwt, json: { name: 'mine' } });
    expect(own.status).toBe(201);
    const events = await auditOf(account.ownerToken, own.body.id);
    expect(events.find((e) => e.action === 'api_token.create')).toMatchObject({ actor: { type: 'account_user', id: second.accountUserId }, channel: 'api' });

    // what the token does is audited as its member
    await app.request('PATCH', `/api/v4/account_users/${plain.accountUserId}`, { token: own.body.token, json: { external_id: 'by-token' } });
    const change = (await auditOf(account.ownerToken, plain.accountUserId)).find((e) => e.action === 'account_user.update');
    expect(change).toMatchObject({ actor: { type: 'account_user', id: second.accountUserId } });

    // the operator's CLI mints for anyone, audited as the operator
    const operator = await app.services.apiTokens.createAsOperator(plain.accountUserId);
    expect((await auditOf(account.ownerToken, operator.id)).find((e) => e.action === 'api_token.create')).toMatchObject({ actor: { type: 'system', id: null }, channel: 'cli' });
  });

  it.runIf(onPostgres())('a SCIM deactivation that read the member before a transfer made them owner is sent back and refused (409)', async () => {
    const raced = await app.createAccount('Race');
    const next = await app.createMember(raced.accountId, ['admin']);
    const token = await scimToken(raced.accountId);
    const transfer = await app.database.knex.transaction();
    try {
      // what OwnershipService.transfer writes, held open while the PATCH reads and then waits for the member's row
      await setAccountOwner(transfer, raced.accountId, next.accountUserId);
      await bumpMembershipVersion(transfer, raced.accountId, next.accountUserId);
      const pending = scim(token, 'PATCH', `/Users/${next.accountUserId}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] });
      await waitForLockWaiters(app.database.knex);
      await transfer.commit();
      const res = await pending;
      expect(res.status).toBe(409);
      expect(JSON.stringify(res.body)).toContain('transfer_ownership');
    } finally {
      if (!transfer.isCompleted()) await transfer.rollback();
    }
    const owner = await app.request('GET', `/api/v4/account_users/${next.accountUserId}`, { token: raced.ownerToken });
    expect(owner.body.active).toBe(true);
  });

  it('after the owner transfers ownership, the former owner can be demoted', async () => {
    const transfer = await app.request('POST', '/api/v4/account/transfer_ownership', { token: account.ownerToken, json: { account_user_id: second.accountUserId } });
    expect(transfer.status).toBe(200);
    const demoted = await app.request('PATCH', `/api/v4/account_users/${account.owner.accountUserId}`, { token: secondJwt, json: { roles: { admin: false } } });
    expect(demoted.status).toBe(200);
    expect(demoted.body.roles.admin).toBe(false);
  });
});

describe('break-glass', () => {
  it('refuses to enforce SSO while no active admin has a password, saying why; allows it once one has', async () => {
    const ownerEmail = uniqueEmail('nopassword');
    const created = await app.services.accounts.create({ name: 'Passwordless', ownerEmail, ownerName: 'Owner' });
    const { token } = await app.services.apiTokens.createAsOperator(created.ownerAccountUserId);
    expect((await configureSso(token, { idp_metadata_xml: idp.metadataXml() })).status).toBe(200);

    const refused = await configureSso(token, { enforced: true });
    expect(refused.status).toBe(422);
    expect(refused.body.errors[0].message).toMatch(/no active admin .* can sign in without the identity provider/);
    expect(refused.body.errors[0].message).toMatch(/password/);

    await app.services.signIn.setPasswordByEmail(ownerEmail, PASSWORD);
    const enforced = await configureSso(token, { enforced: true });
    expect(enforced.status).toBe(200);
    expect(enforced.body.enforced).toBe(true);
  });

  it("a stranger's failures from another address do not lock the admin out of their own; they lock the stranger's address", async () => {
    const account = await app.createAccount('Glass');
    expect((await configureSso(account.ownerToken, { idp_metadata_xml: idp.metadataXml(), enforced: true })).status).toBe(200);
    const stranger = from();
    for (let i = 0; i < 8; i++) {
      const res = await login({ username: account.owner.email, password: `guess ${i}` }, stranger);
      expect([401, 429]).toContain(res.status);
    }
    expect((await login({ username: account.owner.email, password: PASSWORD }, stranger)).status).toBe(429);
    const own = await login({ username: account.owner.email, password: PASSWORD }, from());
    expect(own.status).toBe(200);
  });

  it("all of a person's names share one budget at an address", async () => {
    const member = await app.createMember(acme.accountId);
    const second = uniqueEmail('alias');
    expect((await app.request('PATCH', `/api/v4/users/${member.userId}`, { token: acme.ownerToken, json: { emails_attributes: [{ email: second }] } })).status).toBe(200);
    const headers = from();
    for (const name of [member.email, second, member.email.toUpperCase(), second, member.email]) {
      expect((await login({ username: name, password: 'not it at all' }, headers)).status).toBe(401);
    }
    expect((await login({ username: second, password: PASSWORD }, headers)).status).toBe(429);
  });

  it('on an SSO-only account a non-admin\'s right password answers exactly as a wrong one; the audit trail has the real reason', async () => {
    const account = await app.createAccount('Strict');
    const member = await app.createMember(account.accountId, ['broadcaster']);
    expect((await configureSso(account.ownerToken, { idp_metadata_xml: idp.metadataXml(), enforced: true })).status).toBe(200);
    const right = await login({ username: member.email, password: PASSWORD });
    const wrong = await login({ username: member.email, password: 'not the password' });
    expect(right.status).toBe(401);
    expect(right.status).toBe(wrong.status);
    expect(right.body).toEqual(wrong.body);
    const page = await app.request('POST', '/login', { form: { username: member.email, password: PASSWORD }, headers: from() });
    expect(page.cookie).toBeUndefined();
    const reasons = (await auditOf(account.ownerToken, member.accountUserId)).filter((e) => e.action === 'sign_in.refused').map((e) => e.changes.reason);
    expect(reasons).toEqual(expect.arrayContaining(['sso_required', 'wrong_password']));
    // who typed a refused password is not known: the event names no member as its actor
    for (const e of (await auditOf(account.ownerToken, member.accountUserId)).filter((e) => e.action === 'sign_in.refused')) expect(e.actor.type).toBe('system');
  });
});

describe('a password opens only the accounts it belongs to', () => {
  it('a password set by account B\'s IdP does not open account A; the operator\'s does', async () => {
    const b = await app.createAccount('Bravo');
    const email = uniqueEmail('scoped');
    const created = await scim(await scimToken(b.accountId), 'POST', '/Users', { schemas: [USER], userName: email, name: { givenName: 'Sco', familyName: 'Ped' }, emails: [{ value: email, primary: true }], password: 'chosen by bravo 1' });
    expect(created.status).toBe(201);
    // the operator adds the same person to Acme (a link: one person)
    await app.services.accountUsers.create({ accountId: acme.accountId, actor: { type: 'system' }, channel: 'cli' }, { user: { name: 'Scoped', emails: { mode: 'replace', items: [{ email }] } } });

    const intoA = await login({ username: email, password: 'chosen by bravo 1', account_id: acme.accountId });
    const wrongIntoA = await login({ username: email, password: 'something else 1', account_id: acme.accountId });
    expect(intoA.status).toBe(401);
    expect(intoA.body).toEqual(wrongIntoA.body);
    expect((await login({ username: email, password: 'chosen by bravo 1', account_id: b.accountId })).status).toBe(200);
    // without an account: the password opens Bravo alone, so there is nothing to choose
    const unnamed = await login({ username: email, password: 'chosen by bravo 1' });
    expect(unnamed.status).toBe(200);
    expect((await app.request('GET', '/api/v4/me', { token: unnamed.body.token })).body.account.id).toBe(b.accountId);

    await app.services.signIn.setPasswordByEmail(email, PASSWORD);
    expect((await login({ username: email, password: PASSWORD, account_id: acme.accountId })).status).toBe(200);
  });
});

describe('IdPs sign in only their own people; invited members never sign in', () => {
  let bravo: Account;
  let bravoScim: string;
  beforeAll(async () => {
    bravo = await app.createAccount('Bravo IdP');
    bravoScim = await scimToken(bravo.accountId);
    expect((await configureSso(bravo.ownerToken, { idp_metadata_xml: idp.metadataXml(), jit: true })).status).toBe(200);
  });

  it("account B's SCIM invites A's person: no password, SAML, JIT or API token signs them in to B", async () => {
    const ada = await app.createMember(acme.accountId, ['admin']);
    const invited = await scim(bravoScim, 'POST', '/Users', { schemas: [USER], userName: ada.email, name: { givenName: 'Ada', familyName: 'B' }, emails: [{ value: ada.email, primary: true }] });
    expect(invited.status).toBe(201);
    const membershipId = invited.body.id as string;

    // password: as a non-member is answered
    const stranger = await app.createMember(acme.accountId);
    const asInvited = await login({ username: ada.email, password: PASSWORD, account_id: bravo.accountId });
    const asStranger = await login({ username: stranger.email, password: PASSWORD, account_id: bravo.accountId });
    expect(asInvited.status).toBe(asStranger.status);
    expect(asInvited.body).toEqual(asStranger.body);

    // SAML (B has JIT on): the same refusal as an unknown person's
    const saml = await samlSignIn(bravo.accountId, ada.email);
    expect(saml.status).toBe(403);
    expect(saml.cookie).toBeUndefined();
    expect((await auditOf(bravo.ownerToken, bravo.accountId)).filter((e) => e.action === 'sign_in.refused').at(0)?.changes).toMatchObject({ reason: 'not_a_member', name_id: ada.email });

    // an API token on the invited membership (the operator can mint one) acts as no one
    const { token } = await app.services.apiTokens.createAsOperator(membershipId);
    expect((await app.request('GET', '/api/v4/me', { token })).status).toBe(401);
  });

  it("JIT never links an existing person: B's IdP naming A's member is refused as not a member, and B gains no member", async () => {
    const ada = await app.createMember(acme.accountId);
    const before = await app.request('GET', '/api/v4/account_users?limit=100', { token: bravo.ownerToken });
    const res = await samlSignIn(bravo.accountId, ada.email);
    expect(res.status).toBe(403);
    expect(res.cookie).toBeUndefined();
    expect(res.text).toContain('is not a member of Bravo IdP');
    const after = await app.request('GET', '/api/v4/account_users?limit=100', { token: bravo.ownerToken });
    expect(after.body.total_count).toBe(before.body.total_count);
    // a brand-new person is still made by JIT
    expect((await samlSignIn(bravo.accountId, uniqueEmail('newcomer'))).status).toBe(303);
  });

  it("a session made by B's SAML sign-in cannot change the profile of a person B does not manage", async () => {
    const ada = await app.createMember(acme.accountId);
    await app.services.accountUsers.create({ accountId: bravo.accountId, actor: { type: 'system' }, channel: 'cli' }, { user: { name: 'Ada', emails: { mode: 'replace', items: [{ email: ada.email }] } } });
    const saml = await samlSignIn(bravo.accountId, ada.email);
    expect(saml.status).toBe(303);
    const change = await app.request('PATCH', `/api/v4/users/${ada.userId}`, { cookie: saml.cookie, json: { name: 'Changed by Bravo' } });
    expect(change.status).toBe(403);
    // nor can a token minted in that session
    const me = await app.request('GET', '/api/v4/me', { cookie: saml.cookie });
    const minted = await app.request('POST', `/api/v4/account_users/${me.body.account_user.id}/api_tokens`, { cookie: saml.cookie, json: {}, headers: { origin: app.url } });
    expect(minted.status).toBe(201);
    expect((await app.request('PATCH', `/api/v4/users/${ada.userId}`, { token: minted.body.token, json: { name: 'Changed by token' } })).status).toBe(403);
    const own = await login({ username: ada.email, password: PASSWORD, account_id: acme.accountId });
    const byHerself = await app.request('PATCH', `/api/v4/users/${ada.userId}`, { token: own.body.token, json: { name: 'Ada herself' } });
    expect(byHerself.status).toBe(200);
    expect(byHerself.body.name).toBe('Ada herself');
  });
});
