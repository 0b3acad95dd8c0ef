import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Context } from '../../src/domain/context.js';
import { type AuthApp, PASSWORD, startAuthApp } from '../support/auth-app.js';
import { runCli, scratchEnvironment } from '../support/started-server.js';
import { startTestApp, type TestAccount, type TestApp, uniqueEmail } from '../support/test-app.js';

let app: TestApp;
let acme: TestAccount;
let globex: TestAccount;

beforeAll(async () => {
  app = await startTestApp();
  acme = await app.createAccount('Acme');
  globex = await app.createAccount('Globex');
});
afterAll(() => app?.stop());

/** A new member of the account (roles as REST flags), with their own API token. */
async function newMember(account: TestAccount, roles: Record<string, boolean> = {}): Promise<{ id: string; token: string }> {
  const res = await app.request('POST', '/api/v4/account_users', {
    token: account.token,
    body: { roles, user_attributes: { name: 'Pat Member', emails_attributes: [{ email: uniqueEmail('pat') }] } },
  });
  expect(res.status).toBe(201);
  return { id: res.body.id, token: (await app.services.apiTokens.createAsOperator(res.body.id)).token };
}

async function newTeam(account: TestAccount, name: string, memberIds: string[]): Promise<string> {
  const res = await app.request('POST', '/api/v4/teams', { token: account.token, body: { name, member_ids: memberIds } });
  expect(res.status).toBe(201);
  return res.body.id;
}

async function member(id: string, account = acme) {
  const res = await app.request('GET', `/api/v4/account_users/${id}`, { token: account.token });
  expect(res.status).toBe(200);
  return res.body;
}

const setMapping = (group: string, roles: unknown, account = acme) => app.request('POST', '/api/v4/role_mappings', { token: account.token, body: { group, roles } });

/** Something only an admin may do: list the account's audit trail. */
const actsAsAdmin = async (token: string) => {
  const status = (await app.request('GET', '/api/v4/audit_events', { token })).status;
  expect([200, 403]).toContain(status);
  return status === 200;
};

let groupCounter = 0;
const groupName = (label: string) => `${label} ${++groupCounter}`;

describe('a group mapped to roles before the IdP pushes it', () => {
  it('grants its roles to the members of the team of that name (any case), shown with their source, and they act with them', async () => {
    const pat = await newMember(acme, { broadcaster: true });
    const name = groupName('On-Call Leads');
    const mapped = await setMapping(name, ['admin', 'communicator']);
    expect(mapped.status).toBe(201);
    expect(mapped.body).toMatchObject({ object: 'role_mapping', group: name, roles: ['admin', 'communicator'], team: null });
    expect(mapped.body.id).toMatch(/^rmp_/);
    expect(await actsAsAdmin(pat.token)).toBe(false);

    const teamId = await newTeam(acme, name.toUpperCase(), [pat.id]);
    const after = await member(pat.id);
    expect(after.roles).toEqual({ admin: true, billing: false, broadcaster: true, communicator: true });
    expect(after.role_sources).toEqual([
      { role: 'admin', source: 'group', team_id: teamId, group: name.toUpperCase() },
      { role: 'broadcaster', source: 'direct' },
      { role: 'communicator', source: 'group', team_id: teamId, group: name.toUpperCase() },
    ]);
    expect(await actsAsAdmin(pat.token)).toBe(true);

    const listed = await app.request('GET', '/api/v4/role_mappings', { token: acme.token });
    expect(listed.body.data.find((m: { id: string }) => m.id === mapped.body.id).team).toEqual({ id: teamId, name: name.toUpperCase(), member_count: 1 });
  });
});

describe('a group that exists before it is mapped', () => {
  it('grants at once; leaving the team drops what only it granted and keeps direct roles', async () => {
    const pat = await newMember(acme, { broadcaster: true });
    const name = groupName('Incident Commanders');
    const teamId = await newTeam(acme, name, [pat.id]);
    expect((await member(pat.id)).roles.admin).toBe(false);

    expect((await setMapping(name.toLowerCase(), ['admin', 'broadcaster'])).status).toBe(201);
    expect((await member(pat.id)).roles).toMatchObject({ admin: true, broadcaster: true });
    expect(await actsAsAdmin(pat.token)).toBe(true);

    const left = await app.request('PUT', `/api/v4/teams/${teamId}`, { token: acme.token, body: { member_ids: [] } });
    expect(left.status).toBe(200);
    const after = await member(pat.id);
    expect(after.roles).toEqual({ admin: false, billing: false, broadcaster: true, communicator: false });
    expect(after.role_sources).toEqual([{ role: 'broadcaster', source: 'direct' }]);
    expect(await actsAsAdmin(pat.token)).toBe(false);
  });

  it("deleting the team drops its grants; a role another team also grants stays", async () => {
    const pat = await newMember(acme);
    const first = groupName('Billing Admins');
    const second = groupName('Finance');
    await setMapping(first, ['billing', 'admin']);
    await setMapping(second, ['billing']);
    const firstId = await newTeam(acme, first, [pat.id]);
    const secondId = await newTeam(acme, second, [pat.id]);
    expect((await member(pat.id)).roles).toMatchObject({ admin: true, billing: true });

    expect((await app.request('DELETE', `/api/v4/teams/${firstId}`, { token: acme.token })).status).toBe(204);
    const after = await member(pat.id);
    expect(after.roles).toMatchObject({ admin: false, billing: true });
    expect(after.role_sources).toEqual([{ role: 'billing', source: 'group', team_id: secondId, group: second }]);
  });

  it('changing or deleting the mapping changes what members hold at the next read; renaming the team away from the name drops it', async () => {
    const pat = await newMember(acme);
    const name = groupName('Responders');
    const teamId = await newTeam(acme, name, [pat.id]);
    const created = await setMapping(name, ['communicator']);
    expect((await member(pat.id)).roles.communicator).toBe(true);

    const replaced = await setMapping(name.toUpperCase(), ['admin']);
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ id: created.body.id, group: name.toUpperCase(), roles: ['admin'] });
    expect((await member(pat.id)).roles).toMatchObject({ admin: true, communicator: false });

    const patched = await app.request('PATCH', `/api/v4/role_mappings/${created.body.id}`, { token: acme.token, body: { roles: ['broadcaster'] } });
    expect(patched.status).toBe(200);
    expect((await member(pat.id)).roles).toMatchObject({ admin: false, broadcaster: true });

    await app.request('PUT', `/api/v4/teams/${teamId}`, { token: acme.token, body: { name: `${name} (old)` } });
    expect((await member(pat.id)).roles.broadcaster).toBe(false);
    await app.request('PUT', `/api/v4/teams/${teamId}`, { token: acme.token, body: { name } });
    expect((await member(pat.id)).roles.broadcaster).toBe(true);

    expect((await app.request('DELETE', `/api/v4/role_mappings/${created.body.id}`, { token: acme.token })).status).toBe(204);
    expect((await member(pat.id)).role_sources).toEqual([]);
    expect((await app.request('GET', `/api/v4/role_mappings/${created.body.id}`, { token: acme.token })).status).toBe(404);
  });
});

describe('roles sent back by an identity provider or a REST client', () => {
  it('roles_from_idp: a role the member holds only through a group never becomes direct', async () => {
    const pat = await newMember(acme, { communicator: true });
    const name = groupName('SRE');
    const teamId = await newTeam(acme, name, [pat.id]);
    await setMapping(name, ['admin']);
    const { token } = await app.services.scimTokens.createAsOperator(acme.accountId);
    const scim: Context = await app.services.scimTokens.authenticate(token);

    // The IdP read [admin, communicator] and sends back the lot, with broadcaster added.
    const updated = await app.services.accountUsers.update(scim, pat.id, { membership: { roles_from_idp: ['admin', 'broadcaster', 'communicator'] } });
    expect(updated.roles).toEqual(['broadcaster', 'communicator']);
    expect(updated.granted_roles).toEqual([{ role: 'admin', team_id: teamId, team_name: name }]);

    // A direct role left out is taken away; the group's role, left out, stays (the group grants it).
    const dropped = await app.services.accountUsers.update(scim, pat.id, { membership: { roles_from_idp: ['broadcaster'] } });
    expect(dropped.roles).toEqual(['broadcaster']);
    expect((await member(pat.id)).roles).toMatchObject({ admin: true, broadcaster: true, communicator: false });

    await app.request('PUT', `/api/v4/teams/${teamId}`, { token: acme.token, body: { member_ids: [] } });
    expect((await member(pat.id)).roles).toEqual({ admin: false, billing: false, broadcaster: true, communicator: false });
  });

  it('a role both direct and granted stays direct when sent back, and survives leaving the group', async () => {
    const pat = await newMember(acme, { admin: true });
    const name = groupName('Admins');
    const teamId = await newTeam(acme, name, [pat.id]);
    await setMapping(name, ['admin']);
    const scim = await app.services.scimTokens.authenticate((await app.services.scimTokens.createAsOperator(acme.accountId)).token);
    const updated = await app.services.accountUsers.update(scim, pat.id, { membership: { roles_from_idp: ['admin'] } });
    expect(updated.roles).toEqual(['admin']);
    await app.request('PUT', `/api/v4/teams/${teamId}`, { token: acme.token, body: { member_ids: [] } });
    expect((await member(pat.id)).roles.admin).toBe(true);
  });

  it('REST: sending back the effective roles changes nothing; taking a role only a group grants is refused, naming the group', async () => {
    const pat = await newMember(acme);
    const name = groupName('Escalation');
    const teamId = await newTeam(acme, name, [pat.id]);
    await setMapping(name, ['admin']);
    const read = await member(pat.id);

    const roundTrip = await app.request('PUT', `/api/v4/account_users/${pat.id}`, { token: acme.token, body: { roles: read.roles } });
    expect(roundTrip.status).toBe(200);
    expect(roundTrip.body.role_sources).toEqual([{ role: 'admin', source: 'group', team_id: teamId, group: name }]);

    const refused = await app.request('PUT', `/api/v4/account_users/${pat.id}`, { token: acme.token, body: { roles: { admin: false } } });
    expect(refused.status).toBe(422);
    expect(refused.body.errors[0].field).toBe('roles.admin');
    expect(refused.body.errors[0].message).toContain(name);
  });
});

describe('through SCIM', () => {
  it('SCIM shows group-granted roles as type "group"; a PUT sending the user back does not make them direct; the group push grants them', async () => {
    const { token } = await app.services.scimTokens.createAsOperator(acme.accountId, 'idp');
    const scim = (method: string, path: string, body?: unknown) =>
      app.request(method, `/scim/v2${path}`, { token, body, headers: { 'content-type': 'application/scim+json' } });
    const name = groupName('Okta Admins');
    expect((await setMapping(name, ['admin'])).status).toBe(201);

    const created = await scim('POST', '/Users', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: uniqueEmail('scim'),
      name: { givenName: 'Sam', familyName: 'Scim' },
      emails: [{ value: uniqueEmail('scim-mail'), primary: true, type: 'work' }],
      roles: [{ value: 'broadcaster' }],
    });
    expect(created.status).toBe(201);
    const group = await scim('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: name, members: [{ value: created.body.id }] });
    expect(group.status).toBe(201);

    const read = await scim('GET', `/Users/${created.body.id}`);
    expect(read.body.roles).toEqual(expect.arrayContaining([expect.objectContaining({ value: 'admin', type: 'group' }), expect.objectContaining({ value: 'broadcaster' })]));
    const { meta: _meta, ...sendBack } = read.body;
    const put = await scim('PUT', `/Users/${created.body.id}`, sendBack);
    expect(put.status).toBe(200);
    const rest = await member(created.body.id);
    expect(rest.role_sources).toEqual([
      { role: 'admin', source: 'group', team_id: group.body.id, group: name },
      { role: 'broadcaster', source: 'direct' },
    ]);

    const removed = await scim('PATCH', `/Groups/${group.body.id}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'remove', path: `members[value eq "${created.body.id}"]` }],
    });
    expect([200, 204]).toContain(removed.status);
    const after = await scim('GET', `/Users/${created.body.id}`);
    expect(after.body.roles.map((r: { value: string }) => r.value)).toEqual(['broadcaster']);
  });
});

describe('validation, permissions and accounts', () => {
  it('refuses unknown roles, an empty role list and a missing group, naming the field and value', async () => {
    const unknown = await setMapping(groupName('X'), ['admin', 'owner']);
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors[0]).toMatchObject({ field: 'roles[1]' });
    expect(unknown.body.errors[0].message).toContain('"owner"');
    expect((await setMapping(groupName('X'), [])).status).toBe(422);
    expect((await setMapping(groupName('X'), 'admin')).body.errors[0].field).toBe('roles');
    const noGroup = await app.request('POST', '/api/v4/role_mappings', { token: acme.token, body: { roles: ['admin'] } });
    expect(noGroup.status).toBe(422);
    expect(noGroup.body.errors[0].field).toBe('group');
    // a group of another type is a 400 naming its type, on create and on update alike
    const numberGroup = await app.request('POST', '/api/v4/role_mappings', { token: acme.token, body: { group: 5, roles: ['admin'] } });
    expect(numberGroup.status).toBe(400);
    expect(numberGroup.body.errors[0]).toMatchObject({ field: 'group', message: 'group must be a string, not a number' });
    const made = await setMapping(groupName('Typed'), ['admin']);
    const patched = await app.request('PATCH', `/api/v4/role_mappings/${made.body.id}`, { token: acme.token, body: { group: ['x'] } });
    expect(patched.status).toBe(400);
    expect(patched.body.errors[0].message).toBe('group must be a string, not an array');
  });

  it('renaming a mapping onto the name of another mapping is a 409', async () => {
    const a = await setMapping(groupName('Alpha'), ['admin']);
    const bName = groupName('Beta');
    await setMapping(bName, ['billing']);
    const res = await app.request('PATCH', `/api/v4/role_mappings/${a.body.id}`, { token: acme.token, body: { group: bName.toLowerCase() } });
    expect(res.status).toBe(409);
  });

  it('only admins manage role mappings', async () => {
    const pat = await newMember(acme);
    expect((await setMapping(groupName('Mine'), ['admin'], { ...acme, token: pat.token })).status).toBe(403);
    expect((await app.request('GET', '/api/v4/role_mappings', { token: pat.token })).status).toBe(403);
  });

  it("a mapping applies only in its own account, even to a team of the same name elsewhere", async () => {
    const name = groupName('Shared Name');
    await setMapping(name, ['admin'], acme);
    const other = await newMember(globex);
    await newTeam(globex, name, [other.id]);
    expect((await member(other.id, globex)).roles.admin).toBe(false);
    expect(await actsAsAdmin(other.token)).toBe(false);
    const listed = await app.request('GET', '/api/v4/role_mappings', { token: globex.token });
    expect(listed.body.data).toEqual([]);
  });

  it('each change is in the audit trail', async () => {
    const created = await setMapping(groupName('Audited'), ['billing']);
    await app.request('DELETE', `/api/v4/role_mappings/${created.body.id}`, { token: acme.token });
    const audit = await app.request('GET', '/api/v4/audit_events?limit=100', { token: acme.token });
    const actions = audit.body.data.filter((e: { target: { id: string } }) => e.target.id === created.body.id).map((e: { action: string }) => e.action);
    expect(actions).toEqual(['role_mapping.delete', 'role_mapping.create']);
  });
});

describe('signed in with a password', () => {
  let auth: AuthApp;
  beforeAll(async () => {
    auth = await startAuthApp();
  });
  afterAll(() => auth?.stop());

  it('a member whose admin role comes from a group acts as an admin with their session token, and not once they leave it', async () => {
    const account = await auth.createAccount('Initech');
    const member = await auth.createMember(account.accountId, ['broadcaster']);
    const team = await auth.request('POST', '/api/v4/teams', { token: account.ownerToken, json: { name: 'Ops Admins', member_ids: [member.accountUserId] } });
    expect(team.status).toBe(201);
    expect((await auth.request('POST', '/api/v4/role_mappings', { token: account.ownerToken, json: { group: 'ops admins', roles: ['admin'] } })).status).toBe(201);

    const login = await auth.request('POST', '/public/login', { json: { username: member.email, password: PASSWORD }, headers: { 'x-forwarded-for': '198.51.100.200' } });
    expect(login.status).toBe(200);
    const me = await auth.request('GET', '/api/v4/me', { token: login.body.token });
    expect(me.body.account_user.roles).toMatchObject({ admin: true, broadcaster: true });
    expect((await auth.request('GET', '/api/v4/audit_events', { token: login.body.token })).status).toBe(200);

    await auth.request('PUT', `/api/v4/teams/${team.body.id}`, { token: account.ownerToken, json: { member_ids: [] } });
    expect((await auth.request('GET', '/api/v4/audit_events', { token: login.body.token })).status).toBe(403);
  });
});

describe('rollcall role-mapping', () => {
  it('set creates or replaces a mapping, list shows it, delete removes it', async () => {
    const scratch = await scratchEnvironment();
    try {
      const account = await runCli(['account', 'create', '--name', 'CLI Co', '--owner-email', uniqueEmail('cli'), '--json'], scratch.env);
      const accountId = JSON.parse(account.stdout).account.id as string;
      const set = await runCli(['role-mapping', 'set', '--account', accountId, '--group', 'Ops Leads', '--roles', 'admin,broadcaster', '--json'], scratch.env);
      expect(set.code).toBe(0);
      expect(JSON.parse(set.stdout)).toMatchObject({ group: 'Ops Leads', roles: ['admin', 'broadcaster'], team_id: null, created: true });
      const again = await runCli(['role-mapping', 'set', '--account', accountId, '--group', 'ops leads', '--roles', 'communicator', '--json'], scratch.env);
      expect(JSON.parse(again.stdout)).toMatchObject({ group: 'ops leads', roles: ['communicator'], created: false });
      const bad = await runCli(['role-mapping', 'set', '--account', accountId, '--group', 'Ops Leads', '--roles', 'admin,root'], scratch.env);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('"root" is not a role');
      const list = await runCli(['role-mapping', 'list', '--account', accountId, '--json'], scratch.env);
      expect(JSON.parse(list.stdout).data).toEqual([expect.objectContaining({ group: 'ops leads', roles: ['communicator'] })]);
      expect((await runCli(['role-mapping', 'delete', '--account', accountId, '--group', 'OPS LEADS'], scratch.env)).code).toBe(0);
      expect(JSON.parse((await runCli(['role-mapping', 'list', '--account', accountId, '--json'], scratch.env)).stdout).data).toEqual([]);
    } finally {
      await scratch.drop();
    }
  }, 180_000); // each command is a new Node process loading TypeScript: slow on a busy machine
});
