import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCIM_URN, type ScimRequest, startScimApp } from '../support/scim-client.js';
import type { TestAccount, TestApp } from '../support/test-app.js';

/** Issue 14: SCIM accepts users as its schema promises and as Okta, Entra and the validators send them. */

const ROLLCALL = 'urn:ietf:params:scim:schemas:extension:rollcall:2.0:User';
let app: TestApp;
let account: TestAccount;
let req: ScimRequest;
let n = 0;
const unique = (label: string) => `${label}${Date.now().toString(36)}${n++}`;

beforeAll(async () => {
  ({ app, account, req } = await startScimApp('AsSent'));
});
afterAll(() => app?.stop());

const filter = async (expression: string) => (await req('GET', `/Users?filter=${encodeURIComponent(expression)}`)).body as { totalResults: number; Resources?: { id: string }[] };

describe('users as IdPs send them', () => {
  it('a user with userName alone: an email-like userName becomes the primary email, and the name falls back to it', async () => {
    const userName = `${unique('only')}@example.com`;
    const res = await req('POST', '/Users', { schemas: [SCIM_URN.user], userName });
    expect(res.status).toBe(201);
    expect(res.body.userName).toBe(userName);
    expect(res.body.emails).toEqual([{ value: userName, primary: true }]);
    // no displayName was sent, so none is shown; the name Rollcall shows is the userName
    expect(res.body.displayName).toBeUndefined();
    expect((await app.request('GET', `/api/v4/account_users/${res.body.id}`, { token: account.token })).body.user.name).toBe(userName);
    expect(res.body[ROLLCALL].noEmailToNotify).toBeUndefined();
  });

  it("Entra's user without mail: no email, flagged as having none to notify, and everything else works", async () => {
    const userName = `CONTOSO\\${unique('nomail')}`;
    const res = await req('POST', '/Users', {
      schemas: [SCIM_URN.user],
      userName,
      active: true,
      displayName: 'No Mailbox',
      name: { givenName: 'No', familyName: 'Mailbox' },
      phoneNumbers: [{ value: '+1 415 555 0142', type: 'mobile' }],
    });
    expect(res.status).toBe(201);
    expect(res.body.emails).toBeUndefined();
    expect(res.body[ROLLCALL].noEmailToNotify).toBe(true);
    // REST says so too
    const rest = await app.request('GET', `/api/v4/account_users/${res.body.id}`, { token: account.token });
    expect(rest.body.user).toMatchObject({ emails: [], no_email_to_notify: true });
    expect((await req('PATCH', `/Users/${res.body.id}`, { schemas: [SCIM_URN.patchOp], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] })).status).toBe(200);
    expect((await filter(`userName eq "${userName.replace(/\\/g, '\\\\')}"`)).totalResults).toBe(1);
    // an email added later is the one to notify
    const added = await req('PATCH', `/Users/${res.body.id}`, { schemas: [SCIM_URN.patchOp], Operations: [{ op: 'add', path: 'emails', value: [{ value: `${unique('later')}@example.com`, type: 'work', primary: true }] }] });
    expect(added.status).toBe(200);
    expect(added.body[ROLLCALL].noEmailToNotify).toBeUndefined();
  });

  it('userNames with spaces and quotes are kept as sent and found with eq, sw, co and escaped quotes', async () => {
    const tag = unique('q');
    for (const userName of [`barbara jensen ${tag}`, `carol "cj" o'neil ${tag}@example.com`]) {
      const res = await req('POST', '/Users', { schemas: [SCIM_URN.user], userName, name: { givenName: 'G', familyName: 'F' }, emails: [{ value: `${unique('e')}@example.com`, primary: true }] });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.userName).toBe(userName);
    }
    expect((await filter(`userName eq "barbara jensen ${tag}"`)).totalResults).toBe(1);
    expect((await filter(`userName eq "carol \\"cj\\" o'neil ${tag}@example.com"`)).totalResults).toBe(1);
    expect((await filter(`userName sw "carol \\"cj\\""`)).totalResults).toBeGreaterThanOrEqual(1);
    expect((await filter(`userName co "jensen ${tag}"`)).totalResults).toBe(1);
    // still unique without regard to case
    const again = await req('POST', '/Users', { schemas: [SCIM_URN.user], userName: `BARBARA JENSEN ${tag.toUpperCase()}`, emails: [{ value: `${unique('e')}@example.com` }] });
    expect(again.status).toBe(409);
    // control characters are not a user name
    const bad = await req('POST', '/Users', { schemas: [SCIM_URN.user], userName: `tab\there ${tag}`, emails: [{ value: `${unique('e')}@example.com` }] });
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toMatch(/control character/);
  });

  it('an email value Rollcall cannot write to is kept as sent and never used (as Microsoft\'s validator sends "emailName357")', async () => {
    const good = `${unique('home')}@example.com`;
    const res = await req('POST', '/Users', { schemas: [SCIM_URN.user], userName: unique('UserName'), emails: [{ value: 'emailName357', type: 'work', primary: true }, { value: good, type: 'home' }] });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.emails).toEqual([{ value: good, type: 'home', primary: true }, { value: 'emailName357', type: 'work', primary: false }]);
    const stored = await app.database.knex('user_emails').where('email', 'emailName357');
    expect(stored).toHaveLength(0);
  });

  it('a user with no name takes displayName, else the userName, as the name shown', async () => {
    const withDisplay = await req('POST', '/Users', { schemas: [SCIM_URN.user], userName: `${unique('d')}@example.com`, displayName: 'Shown Name' });
    expect(withDisplay.status).toBe(201);
    expect(withDisplay.body.displayName).toBe('Shown Name');
  });

  it('on an account that enforces SSO, a password sent for a non-admin is neither hashed nor kept (audited); an admin\'s is', async () => {
    // set up as `PUT /api/v4/account/sso` with "enforced": true leaves it (that path has its own tests)
    await app.database.knex('accounts').where({ id: account.accountId }).update({ sso_enforced: true });
    try {
      const member = await req('POST', '/Users', { schemas: [SCIM_URN.user], userName: `${unique('sso')}@example.com`, password: 'okta-synced-pass-1' });
      const admin = await req('POST', '/Users', { schemas: [SCIM_URN.user], userName: `${unique('ssoadmin')}@example.com`, password: 'okta-synced-pass-2', roles: [{ value: 'admin' }] });
      expect(member.status).toBe(201);
      expect(admin.status).toBe(201);
      const hashOf = async (userName: string) => (await app.database.knex('users').whereRaw('lower(user_name) = lower(?)', [userName]).first('password_hash')).password_hash as string | null;
      expect(await hashOf(member.body.userName)).toBeNull();
      expect(await hashOf(admin.body.userName)).toMatch(/^scrypt\$/);
      const events = await app.request('GET', '/api/v4/audit_events?limit=100', { token: account.token });
      const created = (events.body.data as { action: string; target: { id: string }; changes: Record<string, unknown> }[]).find((e) => e.target.id === member.body.id && e.action === 'account_user.create');
      expect(created?.changes.password).toMatch(/not kept/);
      // a password sent later (Okta's password change push) is not kept either; an admin's is
      const hashBefore = await hashOf(admin.body.userName);
      expect((await req('PATCH', `/Users/${member.body.id}`, { schemas: [SCIM_URN.patchOp], Operations: [{ op: 'replace', path: 'password', value: 'okta-synced-pass-3' }] })).status).toBe(200);
      expect(await hashOf(member.body.userName)).toBeNull();
      expect((await req('PATCH', `/Users/${admin.body.id}`, { schemas: [SCIM_URN.patchOp], Operations: [{ op: 'replace', path: 'password', value: 'okta-synced-pass-4' }] })).status).toBe(200);
      expect(await hashOf(admin.body.userName)).not.toBe(hashBefore);
    } finally {
      await app.database.knex('accounts').where({ id: account.accountId }).update({ sso_enforced: false });
    }
  });
});

describe('displayName, its own attribute', () => {
  const make = async () => {
    const res = await req('POST', '/Users', { schemas: [SCIM_URN.user], userName: `${unique('dn')}@example.com`, name: { givenName: 'Ada', familyName: 'Lovelace' }, displayName: 'Countess' });
    expect(res.status).toBe(201);
    expect(res.body.displayName).toBe('Countess');
    // setting displayName never writes name.formatted
    expect(res.body.name.formatted).toBe('Ada Lovelace');
    return res.body as { id: string; userName: string };
  };

  it.each([
    ['Entra: Replace displayName ""', { op: 'Replace', path: 'displayName', value: '' }],
    ['null', { op: 'replace', path: 'displayName', value: null }],
    ['remove', { op: 'remove', path: 'displayName' }],
  ])('is cleared by %s, and GET shows it cleared', async (_how, operation) => {
    const user = await make();
    const patched = await req('PATCH', `/Users/${user.id}`, { schemas: [SCIM_URN.patchOp], Operations: [operation] });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.displayName).toBeUndefined();
    const got = await req('GET', `/Users/${user.id}`);
    expect(got.body.displayName).toBeUndefined();
    expect(got.body.name).toMatchObject({ givenName: 'Ada', familyName: 'Lovelace', formatted: 'Ada Lovelace' });
    // and the list (stored documents) says the same
    const listed = await req('GET', `/Users?filter=${encodeURIComponent(`userName eq "${user.userName}"`)}`);
    expect(listed.body.Resources[0].displayName).toBeUndefined();
  });

  it('is replaced on its own, and a change of the name parts leaves it', async () => {
    const user = await make();
    const replaced = await req('PATCH', `/Users/${user.id}`, { schemas: [SCIM_URN.patchOp], Operations: [{ op: 'replace', path: 'displayName', value: 'Ada L.' }] });
    expect(replaced.body.displayName).toBe('Ada L.');
    expect(replaced.body.name.formatted).toBe('Ada Lovelace');
    const renamed = await req('PATCH', `/Users/${user.id}`, { schemas: [SCIM_URN.patchOp], Operations: [{ op: 'replace', path: 'name.givenName', value: 'Augusta' }] });
    expect(renamed.body.displayName).toBe('Ada L.');
    expect(renamed.body.name.givenName).toBe('Augusta');
  });
});

describe('given and family names', () => {
  it('a person added over REST with a full name alone shows it split to the IdP; one sent with parts shows them as sent', async () => {
    const email = `${unique('rest')}@example.com`;
    const rest = await app.request('POST', '/api/v4/account_users', { token: account.token, body: { user_attributes: { name: 'Mary Ann Evans', emails_attributes: [{ email }] } } });
    expect(rest.status).toBe(201);
    const got = await req('GET', `/Users/${rest.body.id}`);
    expect(got.body.name).toEqual({ givenName: 'Mary Ann', familyName: 'Evans', formatted: 'Mary Ann Evans' });
    const sent = await req('POST', '/Users', { schemas: [SCIM_URN.user], userName: `${unique('p')}@example.com`, name: { givenName: 'George', familyName: 'Eliot' } });
    expect(sent.body.name).toEqual({ givenName: 'George', familyName: 'Eliot', formatted: 'George Eliot' });
  });
});
