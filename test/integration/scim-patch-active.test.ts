import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventRow } from '../../src/domain/audit/audit-service.js';
import { lockMembershipsShared, updateMembership } from '../../src/domain/users/account-users-store.js';
import { onPostgres, waitForLockWaiters } from '../support/test-database.js';
import { SCIM_URN, type ScimRequest, startScimApp } from '../support/scim-client.js';
import { type TestAccount, type TestApp, uniqueEmail } from '../support/test-app.js';

/**
 * Okta's PATCH of `active` (a pathless replace), the commonest write an IdP sends. It reads the
 * member without a lock and writes it with one statement that checks the version read: the
 * member's UPDATE writes its audit event and, on deactivation, reads the schedules that still name
 * the member into that event (still_scheduled_on). These check what the event and the member hold
 * afterwards, over SCIM and the REST API alike, and, on PostgreSQL, when another transaction holds
 * the member between the PATCH's read and its write.
 */

let app: TestApp;
let acme: TestAccount;
let req: ScimRequest;

const USER = SCIM_URN.user;
const PATCH_OP = SCIM_URN.patchOp;

beforeAll(async () => {
  ({ app, account: acme, req } = await startScimApp());
});
afterAll(() => app?.stop());

const setActive = (id: string, active: boolean) => req('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active } }] });

async function createUser(overrides: Record<string, unknown> = {}) {
  const email = uniqueEmail('active');
  const res = await req('POST', '/Users', { schemas: [USER], userName: email, name: { givenName: 'Ada', familyName: 'Lovelace' }, emails: [{ value: email, type: 'work', primary: true }], active: true, ...overrides });
  expect(res.status).toBe(201);
  return res.body as { id: string; meta: { version: string } };
}

async function createSchedule(name: string, body: Record<string, unknown>) {
  const res = await app.request('POST', '/api/v4/schedules', { token: acme.token, body: { name, time_zone: 'Europe/London', ...body } });
  expect(res.status).toBe(201);
  return res.body as { id: string; name: string };
}

const layerOf = (ids: string[], ends_at?: string) => ({ starts_at: '2024-01-01T09:00', ...(ends_at ? { ends_at } : {}), rotation_length: 1, rotation_unit: 'week', account_user_ids: ids });

async function auditEvents(targetId: string): Promise<{ action: string; changes: Record<string, unknown> }[]> {
  const res = await app.request('GET', '/api/v4/audit_events?limit=100', { token: acme.token });
  return res.body.data.filter((e: { target: { id: string } }) => e.target.id === targetId);
}

const versionOf = (etag: string) => Number(/"(\d+)"/.exec(etag)![1]);

describe('SCIM PATCH of active', () => {
  it('deactivating records every schedule that still names the member, in name order, and only those', async () => {
    const user = await createUser();
    const suffix = uniqueEmail('s');
    const zulu = await createSchedule(`Zulu ${suffix}`, { layers: [layerOf([user.id])] });
    const alpha = await createSchedule(`Alpha ${suffix}`, { overrides: [{ account_user_id: user.id, starts_at: '2099-01-01T00:00', ends_at: '2099-01-02T00:00' }] });
    await createSchedule(`Ended ${suffix}`, { layers: [layerOf([user.id], '2024-02-01T09:00')] });

    const off = await setActive(user.id, false);
    expect(off.status).toBe(200);
    expect(off.body.active).toBe(false);
    expect(versionOf(off.body.meta.version)).toBe(versionOf(user.meta.version) + 1);
    const [event] = await auditEvents(user.id);
    expect(event).toEqual(expect.objectContaining({ action: 'account_user.update' }));
    expect(event.changes).toEqual({ active: false, still_scheduled_on: [{ id: alpha.id, name: alpha.name }, { id: zulu.id, name: zulu.name }] });

    // reactivating reads no schedules
    const on = await setActive(user.id, true);
    expect(on.status).toBe(200);
    expect(on.body.active).toBe(true);
    expect((await auditEvents(user.id))[0].changes).toEqual({ active: true });
  });

  it('deactivating a member on no schedule records the change alone', async () => {
    const user = await createUser();
    expect((await setActive(user.id, false)).status).toBe(200);
    expect((await auditEvents(user.id))[0].changes).toEqual({ active: false });
  });

  it('leaves the kept attributes as stored: only active changes, and the answer is what a GET shows', async () => {
    // name.formatted and preferredLanguage show the profile's values when the IdP sent none
    const user = await createUser();
    const before = await auditEvents(user.id);
    const off = await setActive(user.id, false);
    expect(off.status).toBe(200);
    const events = await auditEvents(user.id);
    expect(events).toHaveLength(before.length + 1);
    expect(events[0].changes).toEqual({ active: false });
    expect(off.body).toEqual((await req('GET', `/Users/${user.id}`)).body);
    // a PATCH that sends nothing new writes nothing
    const again = await setActive(user.id, false);
    expect(again.status).toBe(200);
    expect(again.body.meta.version).toBe(off.body.meta.version);
    expect(await auditEvents(user.id)).toHaveLength(events.length);
  });

  it('deactivating together with a change of kept attributes and roles is one event naming all of it', async () => {
    const user = await createUser({ title: 'Countess' });
    const s = await createSchedule(`Primary ${uniqueEmail('s')}`, { layers: [layerOf([user.id])] });
    const res = await req('PATCH', `/Users/${user.id}`, {
      schemas: [PATCH_OP],
      Operations: [
        { op: 'replace', value: { active: false, title: 'Analyst' } },
        { op: 'add', path: 'roles', value: [{ value: 'broadcaster' }] },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ active: false, title: 'Analyst' });
    expect(versionOf(res.body.meta.version)).toBe(versionOf(user.meta.version) + 1);
    expect((await auditEvents(user.id))[0].changes).toEqual({ active: false, roles: ['broadcaster'], idp_attributes: 'changed', still_scheduled_on: [{ id: s.id, name: s.name }] });
    expect(res.body).toEqual((await req('GET', `/Users/${user.id}`)).body);
  });

  it('is the same rule over the REST API: a deactivation with an external id change records the schedules', async () => {
    const user = await createUser();
    const s = await createSchedule(`Primary ${uniqueEmail('s')}`, { overrides: [{ account_user_id: user.id, starts_at: '2099-03-01T00:00', ends_at: '2099-03-02T00:00' }] });
    const res = await app.request('PUT', `/api/v4/account_users/${user.id}`, { token: acme.token, body: { active: false, external_id: 'okta-42' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ active: false, external_id: 'okta-42' });
    expect((await auditEvents(user.id))[0].changes).toEqual({ active: false, external_id: 'okta-42', still_scheduled_on: [{ id: s.id, name: s.name }] });
  });

  it('lands every one of concurrent deactivations and reactivations of one member, one version step each that changed it', async () => {
    const user = await createUser();
    const results = [];
    // in turn, so each one changes the member: false, true, false, ...
    for (let i = 0; i < 4; i++) results.push(await setActive(user.id, i % 2 === 1));
    expect(results.map((r) => r.body.active)).toEqual([false, true, false, true]);
    const concurrent = await Promise.all([setActive(user.id, false), setActive(user.id, false), setActive(user.id, false)]);
    expect(concurrent.map((r) => r.status)).toEqual([200, 200, 200]);
    const after = (await req('GET', `/Users/${user.id}`)).body;
    expect(after.active).toBe(false);
    // the first to take the lock changed it; the two behind it found it done
    expect(versionOf(after.meta.version)).toBe(versionOf(user.meta.version) + 5);
    expect((await auditEvents(user.id)).filter((e) => e.action === 'account_user.update')).toHaveLength(5);
  });

  // PGlite has one connection, so requests never overlap there
  describe.runIf(onPostgres())('when another transaction holds the member between the read and the write (PostgreSQL)', () => {
    async function withBlocker(hold: (blocker: Knex.Transaction) => Promise<void>, whileHeld: () => Promise<void>) {
      const blocker: Knex.Transaction = await app.database.knex.transaction();
      try {
        await hold(blocker);
        await whileHeld();
      } finally {
        if (!blocker.isCompleted()) await blocker.rollback();
      }
    }

    it('is written again on the member as a write that came first left it, with one audit event', async () => {
      const user = await createUser();
      const ctx = { accountId: acme.accountId, actor: { type: 'system' as const }, channel: 'cli' as const };
      let blocker!: Knex.Transaction;
      await withBlocker(
        async (trx) => {
          blocker = trx;
          // a write of the member that holds its row: a new external id, the version moved
          await updateMembership(trx, acme.accountId, user.id, { changes: { external_id: 'first-write' }, audit: eventRow(ctx, { action: 'account_user.update', targetType: 'account_user', targetId: user.id }) });
        },
        async () => {
          const pending = setActive(user.id, false);
          await waitForLockWaiters(app.database.knex);
          await blocker.commit();
          const off = await pending;
          expect(off.status).toBe(200);
          expect(off.body).toMatchObject({ active: false, externalId: 'first-write' });
          expect(versionOf(off.body.meta.version)).toBe(versionOf(user.meta.version) + 2);
          expect(off.body).toEqual((await req('GET', `/Users/${user.id}`)).body);
          // the attempt that found the version moved wrote nothing, its audit event included
          expect((await auditEvents(user.id)).filter((e) => e.changes.active === false)).toHaveLength(1);
        },
      );
    });

    it('records the schedule of an assignment that committed while the deactivation waited for the member', async () => {
      const user = await createUser();
      const schedule = await createSchedule(`Late ${uniqueEmail('s')}`, {});
      let blocker!: Knex.Transaction;
      await withBlocker(
        async (trx) => {
          blocker = trx;
          // what an assignment does: share-lock the member, then give them a place
          expect(await lockMembershipsShared(trx, acme.accountId, [user.id])).toHaveLength(1);
          await trx('schedule_overrides').insert({ id: `ovr_late_${user.id}`, schedule_id: schedule.id, account_user_id: user.id, starts_at: '2099-05-01T00:00Z', ends_at: '2099-05-02T00:00Z' });
        },
        async () => {
          const pending = setActive(user.id, false);
          await waitForLockWaiters(app.database.knex);
          await blocker.commit();
          expect((await pending).status).toBe(200);
          expect((await auditEvents(user.id))[0].changes).toEqual({ active: false, still_scheduled_on: [{ id: schedule.id, name: schedule.name }] });
        },
      );
    });
  });
});
