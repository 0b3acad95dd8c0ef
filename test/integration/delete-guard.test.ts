import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockMembership } from '../../src/domain/users/account-users-store.js';
import { startTestApp, type TestAccount, type TestApp, uniqueEmail } from '../support/test-app.js';
import { onPostgres, waitForLockWaiters } from '../support/test-database.js';

/**
 * Rule 4: a membership is not deleted while its member has a place on a schedule that has not
 * ended, nor when it owns the account; deactivation is never refused.
 */

let app: TestApp;
let acme: TestAccount;
let globex: TestAccount;

async function addMember(account: TestAccount, opts: { name?: string; email?: string; admin?: boolean } = {}) {
  const res = await app.request('POST', '/api/v4/account_users', {
    token: account.token,
    body: { user_attributes: { name: opts.name ?? 'Member', emails_attributes: [{ email: opts.email ?? uniqueEmail('m') }] }, roles: { admin: !!opts.admin } },
  });
  expect(res.status).toBe(201);
  return { id: res.body.id as string, userId: res.body.user_id as string, email: res.body.user.emails[0].email as string };
}

async function createSchedule(name: string, body: Record<string, unknown> = {}) {
  const res = await app.request('POST', '/api/v4/schedules', { token: acme.token, body: { name: `${name} ${uniqueEmail('s')}`, time_zone: 'Europe/Paris', ...body } });
  expect(res.status).toBe(201);
  return res.body as { id: string; name: string };
}

const standingLayer = (ids: string[]) => ({ layers: [{ starts_at: '2024-01-01T09:00', rotation_length: 1, rotation_unit: 'week', account_user_ids: ids }] });
const deleteMember = (id: string) => app.request('DELETE', `/api/v4/account_users/${id}`, { token: acme.token });
const getMember = (id: string) => app.request('GET', `/api/v4/account_users/${id}`, { token: acme.token });

beforeAll(async () => {
  app = await startTestApp();
  acme = await app.createAccount('Acme');
  globex = await app.createAccount('Globex');
});
afterAll(() => app?.stop());

describe('DELETE /api/v4/account_users/:id of a scheduled member', () => {
  it('is refused with 409 naming every schedule with a standing layer or a future override for them', async () => {
    const m = await addMember(acme);
    const other = await addMember(acme);
    const primary = await createSchedule('Primary', standingLayer([other.id, m.id]));
    const secondary = await createSchedule('Secondary', { overrides: [{ account_user_id: m.id, starts_at: '2099-01-01T00:00', ends_at: '2099-01-02T00:00' }] });
    await createSchedule('Unrelated', standingLayer([other.id]));

    const res = await deleteMember(m.id);
    expect(res.status).toBe(409);
    expect(res.body.errors[0].message).toContain(`"${primary.name}"`);
    expect(res.body.errors[0].message).toContain(`"${secondary.name}"`);
    expect(res.body.errors[0].message).not.toContain('Unrelated');
    expect(res.body.errors[0].message).toMatch(/cannot be deleted: take them off those schedules/);
    expect((await getMember(m.id)).status).toBe(200);
  });

  it('is refused while a layer has an end that is still to come', async () => {
    const m = await addMember(acme);
    const s = await createSchedule('Until 2099', { layers: [{ starts_at: '2024-01-01T09:00', ends_at: '2099-01-01T09:00', rotation_length: 1, rotation_unit: 'day', account_user_ids: [m.id] }] });
    const res = await deleteMember(m.id);
    expect(res.status).toBe(409);
    expect(res.body.errors[0].message).toContain(`schedule "${s.name}"`);
  });

  it('succeeds once their layers and overrides have all ended: their slot in a past rotation stays, vacant', async () => {
    const m = await addMember(acme);
    const other = await addMember(acme);
    const s = await createSchedule('Last year', {
      layers: [{ starts_at: '2024-01-01T09:00', ends_at: '2024-02-01T09:00', rotation_length: 1, rotation_unit: 'week', account_user_ids: [other.id, m.id] }],
      overrides: [{ account_user_id: m.id, starts_at: '2024-01-03T00:00', ends_at: '2024-01-04T00:00' }],
    });
    expect((await deleteMember(m.id)).status).toBe(204);
    const after = await app.request('GET', `/api/v4/schedules/${s.id}`, { token: acme.token });
    expect(after.body.layers[0].members).toEqual([
      { account_user_id: other.id, name: 'Member', active: true },
      { account_user_id: null, name: null, active: false },
    ]);
    expect(after.body.overrides).toEqual([]);
    const audit = await app.request('GET', '/api/v4/audit_events?limit=1', { token: acme.token });
    expect(audit.body.data[0]).toMatchObject({ action: 'account_user.delete', target: { id: m.id }, changes: { ended_schedule_places: { vacated_slots: 1, removed_overrides: 1 } } });
  });

  it('succeeds once they are taken off every schedule: team memberships go, the person stays for their other accounts', async () => {
    const m = await addMember(acme);
    const inGlobex = await addMember(globex, { email: m.email }); // rule 1: the same person, invited
    await app.services.invitations.acceptAsOperator(inGlobex.id); // and linked once they accept
    const team = await app.request('POST', '/api/v4/teams', { token: acme.token, body: { name: `Ops ${uniqueEmail('t')}`, member_ids: [m.id] } });
    const s = await createSchedule('Primary', { ...standingLayer([m.id]), overrides: [{ account_user_id: m.id, starts_at: '2099-01-01T00:00', ends_at: '2099-01-02T00:00' }] });
    expect((await deleteMember(m.id)).status).toBe(409);

    const other = await addMember(acme);
    const off = await app.request('PUT', `/api/v4/schedules/${s.id}`, { token: acme.token, body: { ...standingLayer([other.id]), overrides: [] } });
    expect(off.status).toBe(200);
    expect((await deleteMember(m.id)).status).toBe(204);

    expect((await getMember(m.id)).status).toBe(404);
    expect((await app.request('GET', `/api/v4/teams/${team.body.id}`, { token: acme.token })).body.member_ids).toEqual([]);
    const stillThere = await app.request('GET', `/api/v4/account_users/${inGlobex.id}`, { token: globex.token });
    expect(stillThere.status).toBe(200);
    expect(stillThere.body.user.id).toBe(m.userId);
  });

  it('is refused by the database itself if anything ever tried to delete a scheduled membership behind the domain’s back', async () => {
    const m = await addMember(acme);
    await createSchedule('Primary', standingLayer([m.id]));
    await expect(app.database.knex('account_users').where({ id: m.id }).del()).rejects.toMatchObject({ code: '23503' });
    expect((await getMember(m.id)).status).toBe(200);
  });
});

describe('deactivating a scheduled member', () => {
  it('is never refused: they stay on their shifts, flagged, and the audit event says they are still scheduled', async () => {
    const m = await addMember(acme);
    const s = await createSchedule('Primary', standingLayer([m.id]));
    const res = await app.request('PUT', `/api/v4/account_users/${m.id}`, { token: acme.token, body: { active: false } });
    expect(res.status).toBe(200);
    expect(res.body.active).toBe(false);
    const audit = await app.request('GET', '/api/v4/audit_events?limit=1', { token: acme.token });
    expect(audit.body.data[0]).toMatchObject({ action: 'account_user.update', target: { id: m.id }, changes: { active: false, still_scheduled_on: [{ id: s.id, name: s.name }] } });
    const schedule = await app.request('GET', `/api/v4/schedules/${s.id}`, { token: acme.token });
    expect(schedule.body.layers[0].members[0]).toMatchObject({ account_user_id: m.id, active: false });
    expect(schedule.body.inactive_account_user_ids).toEqual([m.id]);
    // and deleting them is still refused while they are on it
    expect((await deleteMember(m.id)).status).toBe(409);
  });

  it('says nothing about schedules for a member who is on none', async () => {
    const m = await addMember(acme);
    await app.request('PUT', `/api/v4/account_users/${m.id}`, { token: acme.token, body: { active: false } });
    const audit = await app.request('GET', '/api/v4/audit_events?limit=1', { token: acme.token });
    expect(audit.body.data[0].changes).toEqual({ active: false });
  });
});

describe('the account owner', () => {
  it('cannot be deleted; ownership goes to another admin over the API, after which the former owner can be', async () => {
    const account = await app.createAccount('Initech');
    const refused = await app.request('DELETE', `/api/v4/account_users/${account.ownerAccountUserId}`, { token: account.token });
    expect(refused.status).toBe(409);
    expect(refused.body.errors[0].message).toMatch(/owns the account.*transfer ownership to another admin first/);

    const plain = await addMember(account);
    const admin = await addMember(account, { admin: true });
    const transfer = (id: unknown, token = account.token) => app.request('POST', '/api/v4/account/transfer_ownership', { token, body: { account_user_id: id } });

    const notAdmin = await transfer(plain.id);
    expect(notAdmin.status).toBe(422);
    expect(notAdmin.body.errors[0]).toMatchObject({ field: 'account_user_id' });
    expect(notAdmin.body.errors[0].message).toMatch(/is not an admin/);
    const outsider = await transfer(acme.ownerAccountUserId);
    expect(outsider.status).toBe(422);
    expect(outsider.body.errors[0].message).toMatch(/is not a member of this account/);
    expect((await transfer(undefined)).status).toBe(422);

    // another admin who is not the owner may not give the account away
    const adminToken = (await app.services.apiTokens.createAsOperator(admin.id)).token;
    expect((await transfer(admin.id, adminToken)).status).toBe(403);

    const done = await transfer(admin.id);
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ object: 'account', owner_account_user_id: admin.id });
    const audit = await app.request('GET', '/api/v4/audit_events?limit=1', { token: adminToken });
    expect(audit.body.data[0]).toMatchObject({ action: 'account.transfer_ownership', changes: { owner_account_user_id: { from: account.ownerAccountUserId, to: admin.id } } });

    expect((await app.request('DELETE', `/api/v4/account_users/${admin.id}`, { token: adminToken })).status).toBe(409);
    expect((await app.request('DELETE', `/api/v4/account_users/${account.ownerAccountUserId}`, { token: adminToken })).status).toBe(204);
  });
});

describe('a delete racing an assignment of the same member', () => {
  type Outcome = { deleted: number; assigned: number };

  /** Puts the member on the schedule, alternately as an override and as a layer. */
  const assign = (scheduleId: string, memberId: string, round: number) =>
    round % 2 === 0
      ? app.request('POST', `/api/v4/schedules/${scheduleId}/overrides`, { token: acme.token, body: { account_user_id: memberId, starts_at: '2099-01-01T00:00', ends_at: '2099-01-02T00:00' } })
      : app.request('PUT', `/api/v4/schedules/${scheduleId}`, { token: acme.token, body: standingLayer([memberId]) });

  /** Exactly one of the two wins, and a deleted member is never left on the schedule. */
  async function expectConsistent(scheduleId: string, memberId: string, outcome: Outcome) {
    const schedule = (await app.request('GET', `/api/v4/schedules/${scheduleId}`, { token: acme.token })).body;
    const named = JSON.stringify(schedule).includes(memberId);
    if (outcome.deleted === 204) {
      expect(outcome.assigned).toBe(422);
      expect((await getMember(memberId)).status).toBe(404);
      expect(named).toBe(false);
    } else {
      expect(outcome.deleted).toBe(409);
      expect([200, 201]).toContain(outcome.assigned);
      expect((await getMember(memberId)).status).toBe(200);
      expect(named).toBe(true);
    }
  }

  it('fired at the same moment, round after round: one wins, never both', async () => {
    const outcomes: string[] = [];
    for (let round = 0; round < 12; round++) {
      const m = await addMember(acme);
      const s = await createSchedule('Race');
      const [deleted, assigned] = await Promise.all([deleteMember(m.id), assign(s.id, m.id, round)]);
      await expectConsistent(s.id, m.id, { deleted: deleted.status, assigned: assigned.status });
      outcomes.push(deleted.status === 204 ? 'delete won' : 'assignment won');
    }
    expect(outcomes).toHaveLength(12);
  });

  // PGlite has one connection, so requests never overlap there; on PostgreSQL this lines both
  // requests up behind a lock on the member's row and releases them together, in a known order.
  describe.runIf(onPostgres())('lined up behind a lock on the member (PostgreSQL)', () => {
    async function race(first: 'delete' | 'assign', round: number): Promise<Outcome & { memberId: string; scheduleId: string }> {
      const m = await addMember(acme);
      const s = await createSchedule('Lined up');
      const blocker: Knex.Transaction = await app.database.knex.transaction();
      try {
        expect(await lockMembership(blocker, acme.accountId, m.id)).toBeTruthy();
        const start = (which: 'delete' | 'assign') => (which === 'delete' ? deleteMember(m.id) : assign(s.id, m.id, round));
        const a = start(first);
        await waitForLockWaiters(app.database.knex, 1);
        const b = start(first === 'delete' ? 'assign' : 'delete');
        await waitForLockWaiters(app.database.knex, 2);
        await blocker.commit();
        const [ra, rb] = await Promise.all([a, b]);
        const [deleted, assigned] = first === 'delete' ? [ra, rb] : [rb, ra];
        return { deleted: deleted.status, assigned: assigned.status, memberId: m.id, scheduleId: s.id };
      } finally {
        if (!blocker.isCompleted()) await blocker.rollback();
      }
    }

    it.each([0, 1])('the delete first: it wins, and the assignment finds no such member (round %i)', async (round) => {
      const r = await race('delete', round);
      expect(r).toMatchObject({ deleted: 204, assigned: 422 });
      await expectConsistent(r.scheduleId, r.memberId, r);
    });

    it.each([0, 1])('the assignment first: it wins, and the delete is refused naming the schedule (round %i)', async (round) => {
      const r = await race('assign', round);
      expect(r).toMatchObject({ deleted: 409, assigned: round % 2 === 0 ? 201 : 200 });
      await expectConsistent(r.scheduleId, r.memberId, r);
    });
  });
});
