import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestAccount, type TestApp, uniqueEmail } from '../support/test-app.js';

let app: TestApp;
let acme: TestAccount;
let globex: TestAccount;
let ann: string;
let bob: string;
let cat: string;
let outsider: string;

async function addMember(account: TestAccount, name: string): Promise<string> {
  const res = await app.request('POST', '/api/v4/account_users', {
    token: account.token,
    body: { user_attributes: { name, emails_attributes: [{ email: uniqueEmail(name.toLowerCase()) }] } },
  });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

/** A daily rotation that hands off at 09:00 in New York, from Saturday 9 March 2024 (the clocks go forward on the 10th). */
const newYorkDaily = () => ({
  name: `Primary ${uniqueEmail('s')}`,
  time_zone: 'America/New_York',
  layers: [{ name: 'Weekdays', starts_at: '2024-03-09T09:00', rotation_length: 1, rotation_unit: 'day', account_user_ids: [ann, bob, cat] }],
});

const createSchedule = async (body: Record<string, unknown>, token = acme.token) => app.request('POST', '/api/v4/schedules', { token, body });

beforeAll(async () => {
  app = await startTestApp();
  acme = await app.createAccount('Acme');
  globex = await app.createAccount('Globex');
  ann = await addMember(acme, 'Ann');
  bob = await addMember(acme, 'Bob');
  cat = await addMember(acme, 'Cat');
  outsider = await addMember(globex, 'Otto');
});
afterAll(() => app?.stop());

describe('POST /api/v4/schedules', () => {
  it('creates a schedule with a rotation layer read on its own clock, and an override', async () => {
    const res = await createSchedule({
      ...newYorkDaily(),
      overrides: [{ account_user_id: cat, starts_at: '2024-03-20T00:00:00Z', ends_at: '2024-03-21T00:00:00Z' }],
    });
    expect(res.status).toBe(201);
    expect(res.body.id).toMatch(/^skd_/);
    expect(res.body).toMatchObject({ object: 'schedule', time_zone: 'America/New_York', team_id: null, version: 1, inactive_account_user_ids: [] });
    const [layer] = res.body.layers;
    expect(layer.id).toMatch(/^lyr_/);
    // 09:00 on 9 March in New York is 14:00Z (EST, UTC-5)
    expect(layer).toMatchObject({ position: 0, name: 'Weekdays', starts_at: '2024-03-09T14:00:00.000Z', ends_at: null, rotation_length: 1, rotation_unit: 'day' });
    expect(layer.members).toEqual([
      { account_user_id: ann, name: 'Ann', active: true },
      { account_user_id: bob, name: 'Bob', active: true },
      { account_user_id: cat, name: 'Cat', active: true },
    ]);
    expect(res.body.overrides[0]).toMatchObject({ account_user_id: cat, name: 'Cat', active: true, starts_at: '2024-03-20T00:00:00.000Z', ends_at: '2024-03-21T00:00:00.000Z' });
    expect(res.body.overrides[0].id).toMatch(/^ovr_/);

    const fetched = await app.request('GET', `/api/v4/schedules/${res.body.id}`, { token: acme.token });
    expect(fetched.body).toEqual(res.body);
  });

  it.each([
    [{ time_zone: 'Mars/Olympus' }, 'time_zone', /Mars\/Olympus.*IANA/],
    [{ name: '  ' }, 'name', /name is required/],
    [{ layers: [{ starts_at: 'next tuesday', rotation_length: 1, rotation_unit: 'day', account_user_ids: ['x'] }] }, 'layers[0].starts_at', /"next tuesday" is not an ISO 8601 time/],
    [{ layers: [{ starts_at: '2024-03-09T09:00', rotation_length: 1, rotation_unit: 'fortnight', account_user_ids: ['x'] }] }, 'layers[0].rotation_unit', /hour, day, week.*"fortnight"/],
    [{ layers: [{ starts_at: '2024-03-09T09:00', rotation_length: 0, rotation_unit: 'day', account_user_ids: ['x'] }] }, 'layers[0].rotation_length', /from 1 to/],
    [{ layers: [{ starts_at: '2024-03-09T09:00', rotation_length: 1, rotation_unit: 'day', account_user_ids: [] }] }, 'layers[0].account_user_ids', /from 1 to 100 members/],
    [{ layers: [{ starts_at: '2024-03-09T09:00', ends_at: '2024-03-08T09:00', rotation_length: 1, rotation_unit: 'day', account_user_ids: ['x'] }] }, 'layers[0].ends_at', /must be after the start/],
    [{ overrides: [{ account_user_id: 'x', starts_at: '2024-03-09T09:00', ends_at: '2024-03-09T09:00' }] }, 'overrides[0].ends_at', /must be after the start/],
    [{ team_id: 'tem_nope' }, 'team_id', /team "tem_nope" does not exist in this account/],
  ])('refuses %j with 422 naming %s', async (change, field, message) => {
    const res = await createSchedule({ ...newYorkDaily(), ...change });
    expect(res.status).toBe(422);
    expect(res.body.errors[0].field).toBe(field);
    expect(res.body.errors[0].message).toMatch(message);
  });

  it('refuses a wrong type with 400 naming the field', async () => {
    const res = await createSchedule({ ...newYorkDaily(), layers: [{ starts_at: '2024-03-09T09:00', rotation_length: '1', rotation_unit: 'day', account_user_ids: [ann] }] });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('layers[0].rotation_length');
  });

  it("puts only members of this account on its schedules: another account's member is refused, naming where", async () => {
    const body = newYorkDaily();
    body.layers[0].account_user_ids = [ann, outsider];
    const res = await createSchedule(body);
    expect(res.status).toBe(422);
    expect(res.body.errors[0].field).toBe('layers[0].account_user_ids[1]');
    expect(res.body.errors[0].message).toContain(`account user "${outsider}" is not a member of this account`);
    const override = await createSchedule({ ...newYorkDaily(), overrides: [{ account_user_id: outsider, starts_at: '2030-01-01T00:00Z', ends_at: '2030-01-02T00:00Z' }] });
    expect(override.status).toBe(422);
    expect(override.body.errors[0].field).toBe('overrides[0].account_user_id');
  });

  it('refuses a second schedule with the same name (any case) in the account, but not in another account', async () => {
    const body = newYorkDaily();
    expect((await createSchedule(body)).status).toBe(201);
    const again = await createSchedule({ ...newYorkDaily(), name: body.name.toUpperCase() });
    expect(again.status).toBe(409);
    expect(again.body.errors[0].field).toBe('name');
    expect((await createSchedule({ name: body.name, time_zone: 'UTC' }, globex.token)).status).toBe(201);
  });

  it('lets only admins change schedules; any member may read them and ask who is on call', async () => {
    const token = (await app.services.apiTokens.createAsOperator(bob)).token;
    expect((await createSchedule(newYorkDaily(), token)).status).toBe(403);
    const created = await createSchedule(newYorkDaily());
    expect((await app.request('GET', `/api/v4/schedules/${created.body.id}`, { token })).status).toBe(200);
    expect((await app.request('GET', `/api/v4/schedules/${created.body.id}/on_call?at=2024-03-09T15:00:00Z`, { token })).body.on_call.account_user_id).toBe(ann);
    expect((await app.request('DELETE', `/api/v4/schedules/${created.body.id}`, { token })).status).toBe(403);
  });

  it("does not show one account's schedules to another", async () => {
    const created = await createSchedule(newYorkDaily());
    expect((await app.request('GET', `/api/v4/schedules/${created.body.id}`, { token: globex.token })).status).toBe(404);
    expect((await app.request('GET', `/api/v4/schedules/${created.body.id}/on_call`, { token: globex.token })).status).toBe(404);
    const list = await app.request('GET', '/api/v4/schedules?limit=100', { token: globex.token });
    expect(list.body.data.map((s: { id: string }) => s.id)).not.toContain(created.body.id);
  });
});

describe('GET /api/v4/schedules/:id/on_call', () => {
  let id: string;
  beforeAll(async () => {
    const res = await createSchedule({
      ...newYorkDaily(),
      overrides: [{ account_user_id: cat, starts_at: '2024-03-10T10:00', ends_at: '2024-03-10T12:00' }],
    });
    id = res.body.id;
  });
  const onCall = async (at: string) => app.request('GET', `/api/v4/schedules/${id}/on_call?at=${encodeURIComponent(at)}`, { token: acme.token });

  it('hands off at 09:00 local time on the day the clocks go forward, computed on the schedule’s clock', async () => {
    const before = await onCall('2024-03-10T12:59:00Z'); // 08:59 EDT
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ object: 'on_call', schedule_id: id, time_zone: 'America/New_York', at: '2024-03-10T12:59:00.000Z', local_time: '2024-03-10T08:59:00.000-04:00' });
    expect(before.body.on_call).toMatchObject({ account_user_id: ann, name: 'Ann', active: true, starts_at: '2024-03-09T14:00:00.000Z', ends_at: '2024-03-10T13:00:00.000Z' });
    expect(before.body.on_call.source).toMatchObject({ type: 'layer' });
    // 09:30 EDT is 13:30Z: a rotation counted in 24-hour steps from 14:00Z would still answer Ann here.
    const after = await onCall('2024-03-10T13:30:00Z');
    expect(after.body.on_call).toMatchObject({ account_user_id: bob, starts_at: '2024-03-10T13:00:00.000Z', ends_at: '2024-03-11T13:00:00.000Z' });
  });

  it('reads a time without an offset on the schedule’s clock, and lets an override win while it lasts', async () => {
    const during = await onCall('2024-03-10T11:00');
    expect(during.body.at).toBe('2024-03-10T15:00:00.000Z');
    expect(during.body.on_call).toMatchObject({ account_user_id: cat, source: { type: 'override' }, starts_at: '2024-03-10T14:00:00.000Z', ends_at: '2024-03-10T16:00:00.000Z' });
    expect((await onCall('2024-03-10T12:00')).body.on_call.account_user_id).toBe(bob);
  });

  it('answers on_call null before the first layer starts, and now when no time is given', async () => {
    expect((await onCall('2024-03-09T08:59')).body.on_call).toBeNull();
    const now = await app.request('GET', `/api/v4/schedules/${id}/on_call`, { token: acme.token });
    expect(now.status).toBe(200);
    expect(Math.abs(Date.parse(now.body.at) - Date.now())).toBeLessThan(60 * 60 * 1000);
    expect([ann, bob, cat]).toContain(now.body.on_call.account_user_id);
  });

  it('refuses a time that is not ISO 8601 with 422 naming at', async () => {
    const res = await onCall('yesterday');
    expect(res.status).toBe(422);
    expect(res.body.errors[0]).toMatchObject({ field: 'at' });
  });
});

describe('PUT /api/v4/schedules/:id', () => {
  it('replaces the layers (a layer sent with its id keeps it), the overrides, the name and the time zone; one audit event', async () => {
    const created = await createSchedule({ ...newYorkDaily(), overrides: [{ account_user_id: cat, starts_at: '2030-01-01T00:00Z', ends_at: '2030-01-02T00:00Z' }] });
    const layerId = created.body.layers[0].id;
    const res = await app.request('PUT', `/api/v4/schedules/${created.body.id}`, {
      token: acme.token,
      body: {
        name: 'Renamed',
        time_zone: 'Europe/London',
        layers: [
          { id: layerId, starts_at: '2024-03-09T14:00:00Z', rotation_length: 1, rotation_unit: 'weeks', account_user_ids: [bob, ann] },
          { name: 'Nights', starts_at: '2024-03-09T20:00', ends_at: '2030-01-01T00:00', rotation_length: 12, rotation_unit: 'hour', account_user_ids: [cat] },
        ],
        overrides: [],
      },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: 'Renamed', time_zone: 'Europe/London', version: 2, overrides: [] });
    expect(res.body.layers.map((l: { id: string }) => l.id)[0]).toBe(layerId);
    expect(res.body.layers[1].id).toMatch(/^lyr_/);
    expect(res.body.layers[1]).toMatchObject({ position: 1, name: 'Nights', starts_at: '2024-03-09T20:00:00.000Z', rotation_unit: 'hour', rotation_length: 12 }); // London is on GMT in March
    expect(res.body.layers[0].members.map((m: { account_user_id: string }) => m.account_user_id)).toEqual([bob, ann]);

    const audit = await app.request('GET', '/api/v4/audit_events?limit=1', { token: acme.token });
    expect(audit.body.data[0]).toMatchObject({ action: 'schedule.update', target: { type: 'schedule', id: created.body.id } });
    expect(Object.keys(audit.body.data[0].changes).sort()).toEqual(['layers', 'name', 'overrides', 'time_zone']);
  });

  it('refuses a layer id that is not one of this schedule’s layers', async () => {
    const a = await createSchedule(newYorkDaily());
    const b = await createSchedule(newYorkDaily());
    const res = await app.request('PATCH', `/api/v4/schedules/${a.body.id}`, {
      token: acme.token,
      body: { layers: [{ id: b.body.layers[0].id, starts_at: '2024-03-09T09:00', rotation_length: 1, rotation_unit: 'day', account_user_ids: [ann] }] },
    });
    expect(res.status).toBe(422);
    expect(res.body.errors[0].field).toBe('layers[0].id');
  });

  it('adds and removes single overrides', async () => {
    const created = await createSchedule(newYorkDaily());
    const added = await app.request('POST', `/api/v4/schedules/${created.body.id}/overrides`, { token: acme.token, body: { account_user_id: bob, starts_at: '2030-05-01T09:00', ends_at: '2030-05-01T17:00' } });
    expect(added.status).toBe(201);
    expect(added.body.overrides).toHaveLength(1);
    expect(added.body.overrides[0]).toMatchObject({ account_user_id: bob, starts_at: '2030-05-01T13:00:00.000Z', ends_at: '2030-05-01T21:00:00.000Z' });
    const missing = await app.request('POST', `/api/v4/schedules/${created.body.id}/overrides`, { token: acme.token, body: { starts_at: '2030-05-01T09:00', ends_at: '2030-05-01T17:00' } });
    expect(missing.status).toBe(422);
    expect(missing.body.errors[0].field).toBe('account_user_id');
    const removed = await app.request('DELETE', `/api/v4/schedules/${created.body.id}/overrides/${added.body.overrides[0].id}`, { token: acme.token });
    expect(removed.status).toBe(200);
    expect(removed.body.overrides).toEqual([]);
    expect((await app.request('DELETE', `/api/v4/schedules/${created.body.id}/overrides/${added.body.overrides[0].id}`, { token: acme.token })).status).toBe(404);
  });

  it('belongs to a team of the account; deleting the team leaves the schedule without one', async () => {
    const team = await app.request('POST', '/api/v4/teams', { token: acme.token, body: { name: `Ops ${uniqueEmail('t')}` } });
    const created = await createSchedule({ ...newYorkDaily(), team_id: team.body.id });
    expect(created.body.team_id).toBe(team.body.id);
    expect((await app.request('DELETE', `/api/v4/teams/${team.body.id}`, { token: acme.token })).status).toBe(204);
    expect((await app.request('GET', `/api/v4/schedules/${created.body.id}`, { token: acme.token })).body.team_id).toBeNull();
  });
});

describe('inactive members', () => {
  it('keeps a deactivated member on the schedule, flagged, and still answers them as on call', async () => {
    const dee = await addMember(acme, 'Dee');
    const created = await createSchedule({ name: `Dee's ${uniqueEmail('s')}`, time_zone: 'UTC', layers: [{ starts_at: '2024-01-01T00:00Z', rotation_length: 1, rotation_unit: 'week', account_user_ids: [dee, ann] }] });
    expect((await app.request('PUT', `/api/v4/account_users/${dee}`, { token: acme.token, body: { active: false } })).status).toBe(200);
    const fetched = await app.request('GET', `/api/v4/schedules/${created.body.id}`, { token: acme.token });
    expect(fetched.body.inactive_account_user_ids).toEqual([dee]);
    expect(fetched.body.layers[0].members[0]).toEqual({ account_user_id: dee, name: 'Dee', active: false });
    const onCall = await app.request('GET', `/api/v4/schedules/${created.body.id}/on_call?at=2024-01-02T00:00Z`, { token: acme.token });
    expect(onCall.body.on_call).toMatchObject({ account_user_id: dee, active: false });
    // an inactive member can still be put on a schedule (kept, flagged)
    const added = await app.request('POST', `/api/v4/schedules/${created.body.id}/overrides`, { token: acme.token, body: { account_user_id: dee, starts_at: '2030-01-01T00:00Z', ends_at: '2030-01-02T00:00Z' } });
    expect(added.status).toBe(201);
    expect(added.body.overrides[0]).toMatchObject({ account_user_id: dee, active: false });
  });
});

describe('list and delete', () => {
  it('pages schedules in creation order and deletes one with its layers and overrides', async () => {
    const list = await app.request('GET', '/api/v4/schedules?limit=2', { token: acme.token });
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(2);
    expect(list.body.has_more).toBe(true);
    expect(list.body.total_count).toBeGreaterThan(2);
    const second = await app.request('GET', '/api/v4/schedules?limit=2&page=2', { token: acme.token });
    expect(second.body.data[0].id).not.toBe(list.body.data[1].id);

    const created = await createSchedule({ ...newYorkDaily(), overrides: [{ account_user_id: cat, starts_at: '2030-01-01T00:00Z', ends_at: '2030-01-02T00:00Z' }] });
    expect((await app.request('DELETE', `/api/v4/schedules/${created.body.id}`, { token: acme.token })).status).toBe(204);
    expect((await app.request('GET', `/api/v4/schedules/${created.body.id}`, { token: acme.token })).status).toBe(404);
    expect((await app.request('DELETE', `/api/v4/schedules/${created.body.id}`, { token: acme.token })).status).toBe(404);
  });
});
