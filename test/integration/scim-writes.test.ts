import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveIdpAttributes } from '../../src/domain/directory/directory-store.js';
import { eventRow } from '../../src/domain/audit/audit-service.js';
import { lockMembership, updateMembership } from '../../src/domain/users/account-users-store.js';
import { onPostgres, waitForLockWaiters } from '../support/test-database.js';
import { type ScimRequest, scimClient } from '../support/scim-client.js';
import { startTestApp, type TestAccount, type TestApp, uniqueEmail } from '../support/test-app.js';

/**
 * SCIM writes answer the member without always reading it back (what they wrote is known), and a
 * PATCH applies its operations to the member as read under its lock. These check that what a write
 * answers is what a GET then shows, that nothing is written (nor audited) when nothing changes, and
 * that a PATCH never works on a stale copy of the member.
 */

let app: TestApp;
let acme: TestAccount;
let scim: string;
let req: ScimRequest;

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

beforeAll(async () => {
  app = await startTestApp();
  acme = await app.createAccount('Acme');
  scim = (await app.services.scimTokens.createAsOperator(acme.accountId)).token;
  req = scimClient(app, scim);
});
afterAll(() => app?.stop());


const patch = (id: string, ...operations: Record<string, unknown>[]) => req('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: operations });

async function createUser(overrides: Record<string, unknown> = {}) {
  const email = uniqueEmail('writes');
  const res = await req('POST', '/Users', {
    schemas: [USER],
    userName: email,
    name: { givenName: 'Grace', familyName: 'Hopper', formatted: 'Rear Admiral Grace Hopper' },
    emails: [{ value: email, type: 'work', primary: true }, { value: uniqueEmail('home'), type: 'home' }],
    phoneNumbers: [{ value: '+1 415 555 0123', type: 'mobile' }],
    title: 'Rear Admiral',
    active: true,
    ...overrides,
  });
  expect(res.status).toBe(201);
  return res.body;
}

async function auditEvents(targetId: string): Promise<{ action: string; changes: Record<string, unknown> }[]> {
  const res = await app.request('GET', '/api/v4/audit_events?limit=100', { token: acme.token });
  return res.body.data.filter((e: { target: { id: string } }) => e.target.id === targetId);
}

describe('SCIM writes answer what a GET then shows', () => {
  it('POST, PUT and PATCH: the body and the ETag of each answer equal those of the GET after it', async () => {
    const created = await createUser({ 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'Navy' } });
    const id = created.id as string;
    const get = async () => (await req('GET', `/Users/${id}`)).body;
    expect(created).toEqual(await get());

    const put = await req('PUT', `/Users/${id}`, { ...created, displayName: 'Amazing Grace', name: { ...created.name, givenName: 'Amazing' }, nickName: 'Amazing' });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ displayName: 'Amazing Grace', nickName: 'Amazing', name: { givenName: 'Amazing' } });
    expect(put.body).toEqual(await get());
    expect(put.headers.get('etag')).toBe((await get()).meta.version);

    for (const active of [false, true]) {
      const patched = await patch(id, { op: 'replace', value: { active } });
      expect(patched.status).toBe(200);
      expect(patched.body.active).toBe(active);
      expect(patched.body).toEqual(await get());
    }

    // emails and phones written: the answer is read back, and still equals the GET
    const contacts = await patch(id, { op: 'replace', path: 'phoneNumbers', value: [{ value: '+44 20 7946 0958', type: 'work' }] }, { op: 'add', path: 'emails', value: [{ value: uniqueEmail('third'), type: 'other' }] });
    expect(contacts.status).toBe(200);
    expect(contacts.body.phoneNumbers).toEqual([{ value: '+44 20 7946 0958', type: 'work', primary: true }]);
    expect(contacts.body.emails).toHaveLength(3);
    expect(contacts.body).toEqual(await get());
  });

  it('emails and phones replaced, added or changed in place: each answer equals the GET after it, one event and one version step each', async () => {
    const created = await createUser();
    const id = created.id as string;
    const get = async () => (await req('GET', `/Users/${id}`)).body;
    const steps: [string, Record<string, unknown>[], (user: Record<string, any>) => void][] = [
      // Entra: the mobile number's value replaced (the old row deleted, the new one inserted, primary)
      ['the mobile replaced', [{ op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 415 555 0199' }], (u) => expect(u.phoneNumbers).toEqual([{ value: '+1 415 555 0199', type: 'mobile', primary: true }])],
      // the primary email's address replaced: the new row takes the old one's place as primary
      ['the work email replaced', [{ op: 'replace', path: 'emails[type eq "work"].value', value: 'grace.new@example.com' }], (u) => {
        expect(u.emails[0]).toEqual({ value: 'grace.new@example.com', type: 'work', primary: true });
        expect(u.emails).toHaveLength(2);
      }],
      ['a second phone added', [{ op: 'add', path: 'phoneNumbers', value: [{ value: '+44 20 7946 0958', type: 'work' }] }], (u) => expect(u.phoneNumbers.map((p: { type: string }) => p.type)).toEqual(['mobile', 'work'])],
      // changed in place (a type; the primary moving): run under the member's lock
      ['the primary moved to the home email', [{ op: 'replace', path: 'emails[type eq "home"].primary', value: true }], (u) => expect(u.emails[0]).toMatchObject({ type: 'home', primary: true })],
    ];
    for (const [what, operations, shows] of steps) {
      const before = await get();
      const events = (await auditEvents(id)).length;
      const res = await patch(id, ...operations);
      expect(res.status, what).toBe(200);
      shows(res.body);
      expect(res.body, what).toEqual(await get());
      expect(Number(/"(\d+)"/.exec(res.body.meta.version)![1]), what).toBe(Number(/"(\d+)"/.exec(before.meta.version)![1]) + 1);
      expect(await auditEvents(id), what).toHaveLength(events + 1);
    }
    // the address given up is free for someone else
    expect((await req('POST', '/Users', { schemas: [USER], userName: uniqueEmail('next'), name: { givenName: 'N', familyName: 'Ext' }, emails: [{ value: created.emails[0].value, primary: true }] })).status).toBe(201);
  });

  it('a PATCH of an attribute held in an object (enterprise, addresses) changes it, in the answer and after', async () => {
    const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
    const user = await createUser({ [ENTERPRISE]: { employeeNumber: '1001', department: 'Navy' }, addresses: [{ type: 'work', locality: 'Arlington' }] });
    const patched = await patch(user.id, { op: 'replace', path: `${ENTERPRISE}:employeeNumber`, value: '2002' }, { op: 'replace', path: 'addresses[type eq "work"].locality', value: 'Yale' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ [ENTERPRISE]: { employeeNumber: '2002', department: 'Navy' }, addresses: [{ type: 'work', locality: 'Yale' }] });
    expect(patched.body).toEqual((await req('GET', `/Users/${user.id}`)).body);
  });

  it('a member of groups: a PATCH answers its groups and the roles they grant as a GET does', async () => {
    const user = await createUser();
    const group = await req('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: `Ops ${user.id}`, members: [{ value: user.id }] });
    expect(group.status).toBe(201);
    const patched = await patch(user.id, { op: 'replace', path: 'title', value: 'Commodore' });
    expect(patched.status).toBe(200);
    expect(patched.body.groups).toEqual([expect.objectContaining({ value: group.body.id, display: `Ops ${user.id}` })]);
    expect(patched.body).toEqual((await req('GET', `/Users/${user.id}`)).body);
  });
});

describe('SCIM writes that change nothing', () => {
  it('a PUT of the user as read writes nothing: the same ETag, no audit event', async () => {
    // preferredLanguage sent: a GET shows the notification language when none was (and a PUT then keeps it as sent)
    const created = await createUser({ preferredLanguage: 'en' });
    const before = await auditEvents(created.id);
    const put = await req('PUT', `/Users/${created.id}`, created);
    expect(put.status).toBe(200);
    expect(put.body.meta.version).toBe(created.meta.version);
    expect(await auditEvents(created.id)).toEqual(before);
  });

  it('a PUT that changes the name and a kept attribute is one change: one audit event naming both, one version step', async () => {
    const created = await createUser();
    const before = await auditEvents(created.id);
    const put = await req('PUT', `/Users/${created.id}`, { ...created, displayName: 'Grace B. Hopper', title: 'Commodore' });
    expect(put.status).toBe(200);
    expect(Number(/"(\d+)"/.exec(put.body.meta.version)![1])).toBe(Number(/"(\d+)"/.exec(created.meta.version)![1]) + 1);
    const events = await auditEvents(created.id);
    expect(events).toHaveLength(before.length + 1);
    expect(events[0]).toMatchObject({ action: 'account_user.update', changes: { name: 'Grace B. Hopper', idp_attributes: 'changed' } });
    expect(events[0].changes).not.toHaveProperty('emails');
    expect(events[0].changes).not.toHaveProperty('phones');
  });
});

describe('SCIM PATCH under concurrency', () => {
  it('lands every one of concurrent PATCHes of different attributes of one user', async () => {
    const user = await createUser();
    const values: Record<string, string> = { nickName: 'Amazing', title: 'Commodore', userType: 'Officer', profileUrl: 'https://example.com/grace', displayName: 'Grace Brewster Hopper' };
    const results = await Promise.all(Object.entries(values).map(([path, value]) => patch(user.id, { op: 'replace', path, value })));
    expect(results.map((r) => r.status)).toEqual(Object.keys(values).map(() => 200));
    const after = (await req('GET', `/Users/${user.id}`)).body;
    expect(after).toMatchObject(values);
    expect(after.meta.version).toBe(`W/"${Number(/"(\d+)"/.exec(user.meta.version)![1]) + Object.keys(values).length}"`);
  });

  // PGlite has one connection, so requests never overlap there. On PostgreSQL a PATCH that waited
  // for another transaction's lock on the member reads the member after that transaction's change.
  describe.runIf(onPostgres())('lined up behind a change to the same member (PostgreSQL)', () => {
    /** What a concurrent write of the member does to its row: the version moved (with its audit event). */
    async function bumpVersion(trx: Knex.Transaction, id: string) {
      const ctx = { accountId: acme.accountId, actor: { type: 'system' as const }, channel: 'cli' as const };
      await updateMembership(trx, acme.accountId, id, { changes: {}, audit: eventRow(ctx, { action: 'account_user.update', targetType: 'account_user', targetId: id }) });
    }

    it('applies its operations to the member as that change left it (no lost update of the kept attributes)', async () => {
      const user = await createUser({ title: 'Rear Admiral' });
      const blocker: Knex.Transaction = await app.database.knex.transaction();
      try {
        expect(await lockMembership(blocker, acme.accountId, user.id)).toBeTruthy();
        // what a concurrent write of the member does: new kept attributes, the version moved
        await saveIdpAttributes(blocker, user.id, { title: 'Rear Admiral', nickName: 'Amazing' });
        await bumpVersion(blocker, user.id);
        const pending = patch(user.id, { op: 'replace', path: 'userType', value: 'Officer' });
        await waitForLockWaiters(app.database.knex);
        await blocker.commit();
        const patched = await pending;
        expect(patched.status).toBe(200);
        expect(patched.body).toMatchObject({ title: 'Rear Admiral', nickName: 'Amazing', userType: 'Officer' });
        expect(patched.body).toEqual((await req('GET', `/Users/${user.id}`)).body);
      } finally {
        if (!blocker.isCompleted()) await blocker.rollback();
      }
    });

    it('compares If-Match with the version the other change left', async () => {
      const user = await createUser();
      const blocker: Knex.Transaction = await app.database.knex.transaction();
      try {
        expect(await lockMembership(blocker, acme.accountId, user.id)).toBeTruthy();
        await bumpVersion(blocker, user.id);
        const pending = patch(user.id, { op: 'replace', path: 'title', value: 'Commodore' });
        const stale = req('PATCH', `/Users/${user.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'Admiral' }] }, { 'if-match': user.meta.version });
        await waitForLockWaiters(app.database.knex);
        await blocker.commit();
        expect((await pending).status).toBe(200);
        expect((await stale).status).toBe(412);
        expect((await req('GET', `/Users/${user.id}`)).body.title).toBe('Commodore');
      } finally {
        if (!blocker.isCompleted()) await blocker.rollback();
      }
    });
  });
});
