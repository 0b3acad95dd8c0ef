import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCIM_URN, type ScimRequest, startScimApp } from '../support/scim-client.js';
import { onPostgres, waitForLockWaiters } from '../support/test-database.js';
import { type TestAccount, type TestApp, uniqueEmail } from '../support/test-app.js';

/**
 * A group's version (ETag) and meta.lastModified move with every change to its members, whichever
 * path made it, though member changes do not write the group's row (migration 009): changes to one
 * group's members run side by side, and what compares the version (If-Match) waits for them.
 */

let app: TestApp;
let acme: TestAccount;
let req: ScimRequest;

const USER = SCIM_URN.user;
const GROUP = SCIM_URN.group;
const PATCH_OP = SCIM_URN.patchOp;

beforeAll(async () => {
  ({ app, account: acme, req } = await startScimApp());
});
afterAll(() => app?.stop());

async function createUser(): Promise<string> {
  const email = uniqueEmail('grouped');
  const res = await req('POST', '/Users', { schemas: [USER], userName: email, name: { givenName: 'G', familyName: 'Roup' }, emails: [{ value: email, primary: true }] });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function createGroup(members: string[] = []): Promise<string> {
  const res = await req('POST', '/Groups', { schemas: [GROUP], displayName: `Group ${uniqueEmail('g')}`, members: members.map((value) => ({ value })) });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

const addMember = (group: string, member: string, headers: Record<string, string> = {}) =>
  req('PATCH', `/Groups/${group}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: member }] }] }, headers);

async function seen(group: string): Promise<{ etag: string; lastModified: string }> {
  const res = await req('GET', `/Groups/${group}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('etag')).toBe(res.body.meta.version);
  return { etag: res.body.meta.version, lastModified: res.body.meta.lastModified };
}

describe('a group\'s version and last change', () => {
  it('move with every member change, through SCIM, the REST API and a member\'s deletion', async () => {
    const [a, b] = [await createUser(), await createUser()];
    const group = await createGroup([a]);
    const etags = [(await seen(group)).etag];
    const changed = async (what: string) => {
      const now = await seen(group);
      expect(etags, what).not.toContain(now.etag);
      etags.push(now.etag);
      return now;
    };

    const added = await addMember(group, b);
    expect(added.status).toBe(204);
    // the 204 carries the version the change left
    expect(added.headers.get('etag')).toBe((await changed('SCIM add')).etag);

    expect((await req('PATCH', `/Groups/${group}`, { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${a}"]` }] })).status).toBe(204);
    await changed('SCIM remove');

    const rest = await app.request('PATCH', `/api/v4/account_users/${a}`, { token: acme.token, body: { member_team_ids: [group] } });
    expect(rest.status).toBe(200);
    await changed("the REST API setting a member's teams");

    const before = await seen(group);
    expect((await req('DELETE', `/Users/${b}`)).status).toBe(204);
    const after = await changed("a member's deletion");
    expect(new Date(after.lastModified).getTime()).toBeGreaterThanOrEqual(new Date(before.lastModified).getTime());
    const since = await req('GET', `/Groups?filter=${encodeURIComponent(`meta.lastModified ge "${after.lastModified}"`)}&excludedAttributes=members`);
    expect(since.body.Resources.map((g: { id: string }) => g.id)).toContain(group);
  });

  it('refuses an If-Match older than a member change (412), and takes the current one', async () => {
    const [a, b] = [await createUser(), await createUser()];
    const group = await createGroup();
    const old = (await seen(group)).etag;
    expect((await addMember(group, a)).status).toBe(204);
    const stale = await addMember(group, b, { 'if-match': old });
    expect(stale.status).toBe(412);
    const current = await addMember(group, b, { 'if-match': (await seen(group)).etag });
    expect(current.status).toBe(204);
  });

  // PGlite has one connection, so requests never overlap there.
  it('adds no one when any of the members added is not a member of the account (400), and the version stays', async () => {
    const a = await createUser();
    const group = await createGroup();
    const before = (await seen(group)).etag;
    const res = await req('PATCH', `/Groups/${group}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: a }, { value: 'au_stranger' }] }] });
    expect(res.status).toBe(400);
    expect(res.body.detail).toContain('au_stranger');
    expect((await req('GET', `/Groups/${group}`)).body.members ?? []).toEqual([]);
    expect((await seen(group)).etag).toBe(before);
    expect((await req('PATCH', '/Groups/tem_nowhere', { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: a }] }] })).status).toBe(404);
  });

  describe.runIf(onPostgres())('while another change to its members is open (PostgreSQL)', () => {
    /** What a member change does, left open: the team share-locked and a member added. */
    async function openMemberChange(group: string, member: string): Promise<Knex.Transaction> {
      const blocker = await app.database.knex.transaction();
      await blocker.raw('select id from teams where id = ? for share', [group]);
      await blocker.raw('insert into team_members (team_id, account_user_id) values (?, ?)', [group, member]);
      return blocker;
    }

    it('adds a member without waiting for it', async () => {
      const [a, b] = [await createUser(), await createUser()];
      const group = await createGroup();
      const blocker = await openMemberChange(group, a);
      try {
        // answered while the other change is still open: it does not queue behind it
        expect((await addMember(group, b)).status).toBe(204);
        await blocker.commit();
        expect((await req('GET', `/Groups/${group}`)).body.members.map((m: { value: string }) => m.value).sort()).toEqual([a, b].sort());
      } finally {
        if (!blocker.isCompleted()) await blocker.rollback();
      }
    });

    it('answers the ETag a GET then shows when it waited for a rename of the group with a whole member list', async () => {
      const [a, b, c] = [await createUser(), await createUser(), await createUser()];
      const group = await createGroup([a]);
      // what a PUT of the group does, left open: the team locked for update, renamed, its members replaced
      const blocker = await app.database.knex.transaction();
      try {
        await blocker.raw('select id from teams where id = ? for update', [group]);
        await blocker.raw(`update teams set name = name || ' renamed', version = version + 1 where id = ?`, [group]);
        await blocker.raw('delete from team_members where team_id = ?', [group]);
        await blocker.raw('insert into team_members (team_id, account_user_id) values (?, ?)', [group, b]);
        const pending = addMember(group, c);
        await waitForLockWaiters(app.database.knex);
        await blocker.commit();
        const added = await pending;
        expect(added.status).toBe(204);
        const after = await seen(group);
        expect(added.headers.get('etag')).toBe(after.etag);
        expect((await req('GET', `/Groups/${group}`)).body.members.map((m: { value: string }) => m.value).sort()).toEqual([b, c].sort());
      } finally {
        if (!blocker.isCompleted()) await blocker.rollback();
      }
    });

    it('compares an If-Match only once that change has committed', async () => {
      const [a, b] = [await createUser(), await createUser()];
      const group = await createGroup();
      const before = (await seen(group)).etag;
      const blocker = await openMemberChange(group, a);
      try {
        const pending = addMember(group, b, { 'if-match': before });
        await waitForLockWaiters(app.database.knex);
        await blocker.commit();
        // the open change moved the version: the If-Match names the version before it
        expect((await pending).status).toBe(412);
      } finally {
        if (!blocker.isCompleted()) await blocker.rollback();
      }
    });
  });
});
