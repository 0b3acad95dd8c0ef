import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Context } from '../../src/domain/context.js';
import { NotFound } from '../../src/domain/errors.js';
import { type AuthApp, startAuthApp } from '../support/auth-app.js';
import { uniqueEmail } from '../support/test-app.js';

/**
 * The admin console's People, Role mappings, Provisioning log and Audit trail pages (issue 15):
 * first the domain queries behind them, then the pages over HTTP as a stranger, a member who is
 * not an admin, and an admin of another account would try them.
 */

let app: AuthApp;
let acme: Awaited<ReturnType<AuthApp['createAccount']>>;
let globex: Awaited<ReturnType<AuthApp['createAccount']>>;
let acmeScimToken: string;

const adminCtx = (account: { accountId: string; owner: { accountUserId: string; userId: string } }): Context => ({
  accountId: account.accountId,
  actor: { type: 'account_user', accountUserId: account.owner.accountUserId, userId: account.owner.userId, roles: ['admin'], method: 'password' },
  channel: 'web',
});

const scim = (method: string, path: string, json?: unknown) =>
  app.request(method, `/scim/v2${path}`, { token: acmeScimToken, json, headers: { 'content-type': 'application/scim+json' } });
const rest = (method: string, path: string, token: string, json?: unknown) => app.request(method, `/api/v4${path}`, { token, json });

beforeAll(async () => {
  app = await startAuthApp();
  acme = await app.createAccount('Acme');
  globex = await app.createAccount('Globex');
  acmeScimToken = (await app.services.scimTokens.createAsOperator(acme.accountId)).token;
});
afterAll(() => app?.stop());

describe('the people queries', () => {
  it('search by a part of the name, user name or an email, without regard to case, and say where each membership came from', async () => {
    const tag = `zq${Date.now().toString(36)}`;
    const pushed = await scim('POST', '/Users', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: `${tag}.okta@acme.example`,
      name: { givenName: 'Ida', familyName: `Pushed${tag}` },
      emails: [{ value: `${tag}.okta@acme.example`, primary: true }],
    });
    expect(pushed.status).toBe(201);
    const made = await rest('POST', '/account_users', acme.ownerToken, { user_attributes: { name: `Lou Local ${tag}`, emails_attributes: [{ email: uniqueEmail(`${tag}-mail`) }] } });
    expect(made.status).toBe(201);

    const ctx = adminCtx(acme);
    const byName = await app.services.accountUsers.search(ctx, { text: `PUSHED${tag}` }, { limit: 10, offset: 0 });
    expect(byName.rows.map((m) => m.id)).toEqual([pushed.body.id]);
    expect(byName.rows[0].source).toBe('scim');
    const byEmail = await app.services.accountUsers.search(ctx, { text: `${tag}-MAIL` }, { limit: 10, offset: 0 });
    expect(byEmail.rows.map((m) => [m.id, m.source])).toEqual([[made.body.id, 'local']]);
    const byUserName = await app.services.accountUsers.search(ctx, { text: `${tag}.okta` }, { limit: 10, offset: 0 });
    expect(byUserName.total).toBe(1);

    // both, by name; then one page at a time without a repeat
    const both = await app.services.accountUsers.search(ctx, { text: tag }, { limit: 10, offset: 0 });
    expect(both.total).toBe(2);
    expect(both.rows.map((m) => m.user.name)).toEqual([`Ida Pushed${tag}`, `Lou Local ${tag}`]);
    const fromIdp = await app.services.accountUsers.search(ctx, { text: tag, source: 'scim' }, { limit: 10, offset: 0 });
    expect([fromIdp.total, fromIdp.rows.map((m) => m.id)]).toEqual([1, [pushed.body.id]]);
    const local = await app.services.accountUsers.search(ctx, { text: tag, source: 'local' }, { limit: 10, offset: 0 });
    expect([local.total, local.rows.map((m) => m.id)]).toEqual([1, [made.body.id]]);
    expect((await app.services.accountUsers.search(ctx, { text: tag, source: 'sso' }, { limit: 10, offset: 0 })).total).toBe(0);
    const first = await app.services.accountUsers.search(ctx, { text: tag }, { limit: 1, offset: 0 });
    const second = await app.services.accountUsers.search(ctx, { text: tag }, { limit: 1, offset: 1 });
    expect([first.rows[0].id, second.rows[0].id]).toEqual(both.rows.map((m) => m.id));

    // the owner, made with the account, is local; an empty search lists everyone
    expect((await app.services.accountUsers.getWithSource(ctx, acme.owner.accountUserId)).source).toBe('local');
    const all = await app.services.accountUsers.search(ctx, { text: '  ' }, { limit: 100, offset: 0 });
    expect(all.rows.map((m) => m.id)).toEqual(expect.arrayContaining([acme.owner.accountUserId, pushed.body.id, made.body.id]));
  });

  it('take the pattern characters of LIKE literally and refuse a search longer than any name', async () => {
    const ctx = adminCtx(acme);
    const percent = await app.services.accountUsers.search(ctx, { text: '%' }, { limit: 10, offset: 0 });
    expect(percent.total).toBe(0);
    await expect(app.services.accountUsers.search(ctx, { text: 'x'.repeat(255) }, { limit: 10, offset: 0 })).rejects.toThrow(/q: search for at most 254 characters/);
  });

  it("never find or show another account's people, and show an invitation as this account sent it", async () => {
    const tag = `iv${Date.now().toString(36)}`;
    const email = uniqueEmail(tag);
    const globexPerson = await rest('POST', '/account_users', globex.ownerToken, { user_attributes: { name: `Gloria Stored ${tag}`, emails_attributes: [{ email }] } });
    expect(globexPerson.status).toBe(201);
    const invited = await rest('POST', '/account_users', acme.ownerToken, { user_attributes: { name: `Sent By Acme ${tag}`, emails_attributes: [{ email }] } });
    expect(invited.status).toBe(201);
    expect(invited.body.invited).toBe(true);

    const ctx = adminCtx(acme);
    // Globex's stored name is not Acme's to see or search by
    expect((await app.services.accountUsers.search(ctx, { text: `Gloria Stored ${tag}` }, { limit: 10, offset: 0 })).total).toBe(0);
    const found = await app.services.accountUsers.search(ctx, { text: tag }, { limit: 10, offset: 0 });
    expect(found.rows.map((m) => [m.id, m.user.name, m.user.is_invitation])).toEqual([[invited.body.id, `Sent By Acme ${tag}`, true]]);

    await expect(app.services.accountUsers.getWithSource(ctx, globexPerson.body.id)).rejects.toBeInstanceOf(NotFound);
    expect(await app.services.teams.ofMember(ctx, globexPerson.body.id)).toEqual([]);
    expect(await app.services.schedules.namingMember(ctx, globexPerson.body.id)).toEqual([]);
  });

  it("list a member's teams and the schedules they are on, and the account's teams by name", async () => {
    const tag = `tm${Date.now().toString(36)}`;
    const member = await app.createMember(acme.accountId);
    const team = await rest('POST', '/teams', acme.ownerToken, { name: `Night ${tag}`, member_ids: [member.accountUserId] });
    expect(team.status).toBe(201);
    const schedule = await rest('POST', '/schedules', acme.ownerToken, {
      name: `Rota ${tag}`,
      time_zone: 'UTC',
      layers: [{ name: 'Main', starts_at: '2020-01-01T00:00:00Z', rotation_length: 1, rotation_unit: 'week', account_user_ids: [member.accountUserId] }],
    });
    expect(schedule.status).toBe(201);

    const ctx = adminCtx(acme);
    expect(await app.services.teams.ofMember(ctx, member.accountUserId)).toEqual([{ id: team.body.id, name: `Night ${tag}`, member_count: 1 }]);
    expect(await app.services.schedules.namingMember(ctx, member.accountUserId)).toEqual([{ id: schedule.body.id, name: `Rota ${tag}` }]);
    expect(await app.services.teams.summaries(ctx, 100)).toContainEqual({ id: team.body.id, name: `Night ${tag}`, member_count: 1 });
    expect(await app.services.teams.summaries(adminCtx(globex), 100)).not.toContainEqual(expect.objectContaining({ id: team.body.id }));
  });
});

describe('the People, Role mappings, Provisioning log and Audit trail pages', () => {
  const SECRET_PASSWORD = 'Hunter2-never-shown-9f3a';
  let ownerCookie: string;
  let globexCookie: string;
  let memberCookie: string;
  let hostile: { accountUserId: string };
  let globexMappingId: string;
  let globexPersonId: string;
  let globexLogId: string;

  const signIn = async (login: string, password: string, accountId: string): Promise<string> => {
    const res = await app.request('POST', '/login', { form: { username: login, password, account_id: accountId } });
    expect(res.status).toBe(303);
    return res.cookie as string;
  };
  const page = (path: string, cookie: string) => app.request('GET', path, { cookie });
  const csrfOf = async (cookie: string): Promise<string> => {
    const res = await page('/admin/role-mappings', cookie);
    expect(res.status).toBe(200);
    return /name="_csrf" value="([^"]+)"/.exec(res.text)![1];
  };

  beforeAll(async () => {
    ownerCookie = await signIn(acme.owner.email, acme.owner.password, acme.accountId);
    globexCookie = await signIn(globex.owner.email, globex.owner.password, globex.accountId);
    const member = await app.createMember(acme.accountId, ['broadcaster']);
    memberCookie = await signIn(member.email, member.password, acme.accountId);
    const made = await rest('POST', '/account_users', acme.ownerToken, { user_attributes: { name: '<img src=x onerror=alert(1)> Mallory', emails_attributes: [{ email: uniqueEmail('mallory') }] } });
    expect(made.status).toBe(201);
    hostile = { accountUserId: made.body.id };

    const mapping = await app.services.roleMappings.set(adminCtx(globex), 'Globex Secret Group', ['billing']);
    globexMappingId = mapping.mapping.id;
    globexPersonId = globex.owner.accountUserId;
    const globexScim = (await app.services.scimTokens.createAsOperator(globex.accountId)).token;
    const read = await app.request('GET', '/scim/v2/Users', { token: globexScim });
    expect(read.status).toBe(200);
    await app.services.provisioningLog.flush();
    globexLogId = (await app.services.provisioningLog.list(adminCtx(globex), {}, { limit: 1, offset: 0 })).rows[0].id;
  });

  const detailPaths = () => [`/admin/people/${hostile.accountUserId}`, `/admin/role-mappings/${globexMappingId}`, `/admin/log/${globexLogId}`];

  it('send a signed-out visitor to /login and refuse a member who is not an admin, on every page', async () => {
    for (const path of ['/admin/people', '/admin/role-mappings', '/admin/log', '/admin/audit', ...detailPaths()]) {
      const out = await app.request('GET', path);
      expect(out.status, path).toBe(303);
      expect(out.headers.get('location'), path).toBe(`/login?return_to=${encodeURIComponent(path)}`);
      const member = await page(path, memberCookie);
      expect(member.status, path).toBe(403);
      expect(member.text, path).not.toContain('Mallory');
    }
    const write = await app.request('POST', '/admin/role-mappings', { cookie: memberCookie, form: { group: 'Sneaky', roles: 'admin' } });
    expect(write.status).toBe(403);
    expect((await app.services.roleMappings.list(adminCtx(acme))).map((m) => m.group_name)).not.toContain('Sneaky');
  });

  it("answer 404 for another account's person, role mapping and log entry, and for ids that cannot be ours", async () => {
    for (const path of [`/admin/people/${globexPersonId}`, `/admin/role-mappings/${globexMappingId}`, `/admin/log/${globexLogId}`, '/admin/people/au_nope', '/admin/log/prq_%00', '/admin/role-mappings/x']) {
      const res = await page(path, ownerCookie);
      expect(res.status, path).toBe(404);
      expect(res.text, path).not.toContain('Globex');
    }
    const csrf = await csrfOf(ownerCookie);
    for (const path of [`/admin/role-mappings/${globexMappingId}`, `/admin/role-mappings/${globexMappingId}/delete`]) {
      const res = await app.request('POST', path, { cookie: ownerCookie, form: { _csrf: csrf, group: 'Taken over', roles: 'admin' } });
      expect(res.status, path).toBe(404);
    }
    expect((await app.services.roleMappings.get(adminCtx(globex), globexMappingId)).group_name).toBe('Globex Secret Group');
    // and Globex's own admin sees them
    expect((await page(`/admin/log/${globexLogId}`, globexCookie)).status).toBe(200);
  });

  it('escape a hostile name on the people list, the person page and a role mapping', async () => {
    const list = await page('/admin/people?q=Mallory', ownerCookie);
    expect(list.status).toBe(200);
    expect(list.text).toContain('&lt;img src=x onerror=alert(1)&gt; Mallory');
    expect(list.text).not.toContain('<img src=x');
    const person = await page(`/admin/people/${hostile.accountUserId}`, ownerCookie);
    expect(person.status).toBe(200);
    expect(person.text).not.toContain('<img src=x');
    const search = await page(`/admin/people?q=${encodeURIComponent('"><script>alert(1)</script>')}`, ownerCookie);
    expect(search.status).toBe(200);
    expect(search.text).not.toContain('<script>alert(1)');

    const csrf = await csrfOf(ownerCookie);
    const created = await app.request('POST', '/admin/role-mappings', { cookie: ownerCookie, form: { _csrf: csrf, group: '<b onmouseover=alert(1)>Leads</b>', roles: 'billing' } });
    expect(created.status).toBe(303);
    const mappings = await page('/admin/role-mappings', ownerCookie);
    expect(mappings.text).toContain('&lt;b onmouseover=alert(1)&gt;Leads&lt;/b&gt;');
    expect(mappings.text).not.toContain('<b onmouseover');
  });

  it('refuse a form without its CSRF token, or with another session’s, and change nothing', async () => {
    const before = (await app.services.roleMappings.list(adminCtx(acme))).length;
    const missing = await app.request('POST', '/admin/role-mappings', { cookie: ownerCookie, form: { group: 'No Token', roles: 'admin' } });
    expect(missing.status).toBe(403);
    expect(missing.text).toContain('This form has expired or did not come from this site');
    const foreign = await app.request('POST', '/admin/role-mappings', { cookie: ownerCookie, form: { _csrf: await csrfOf(globexCookie), group: 'No Token', roles: 'admin' } });
    expect(foreign.status).toBe(403);
    const [mapping] = await app.services.roleMappings.list(adminCtx(acme));
    const deleteWithout = await app.request('POST', `/admin/role-mappings/${mapping.id}/delete`, { cookie: ownerCookie, form: {} });
    expect(deleteWithout.status).toBe(403);
    expect((await app.services.roleMappings.list(adminCtx(acme))).length).toBe(before);
  });

  it('answer a bad filter or page with a 400 page that names the field and the value', async () => {
    const cases: [string, RegExp][] = [
      ['/admin/log?status=maybe', /status: &quot;maybe&quot; is not one of success, failure, or an HTTP status/],
      ['/admin/log?status=600', /status: &quot;600&quot; is not one of/],
      ['/admin/log?since=yesterday', /since: &quot;yesterday&quot; is not a date/],
      ['/admin/log?until=2026-02-30', /until: &quot;2026-02-30&quot; is not a date/],
      ['/admin/log?since=2026-12-06&until=2026-12-01', /until: must be later than since/],
      ['/admin/log?person=bob', /person: &quot;bob&quot; is not an account user ID/],
      ['/admin/log?person=au_aaaaaaaaaaaaaaaaaaaa&group=tem_aaaaaaaaaaaaaaaaaaaa', /filter by a person or by a group, not both/],
      ['/admin/log?page=0', /page: &quot;0&quot; is not a page number/],
      ['/admin/audit?channel=fax', /channel: &quot;fax&quot; is not one of scim, api, sso, cli, web/],
      ['/admin/audit?since=2026-13-01', /since: &quot;2026-13-01&quot; is not a date/],
      ['/admin/audit?page=-1', /page: &quot;-1&quot; is not a page number/],
      ['/admin/audit?action=a&action=b', /action: give one value/],
      [`/admin/people?q=${'x'.repeat(300)}`, /q: at most 254 characters, not 300/],
      ['/admin/people?page=abc', /page: &quot;abc&quot; is not a page number/],
      ['/admin/people?source=ldap', /source: &quot;ldap&quot; is not one of scim, sso, local/],
      ['/admin/people?q=%00', /q/],
    ];
    for (const [path, message] of cases) {
      const res = await page(path, ownerCookie);
      expect(res.status, path).toBe(400);
      expect(res.text, path).toMatch(message);
    }
  });

  it('show a role mapped in the page on the person, with its source, and take it away when the mapping goes', async () => {
    const tag = `rm${Date.now().toString(36)}`;
    const user = await scim('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `${tag}@acme.example`, name: { givenName: 'Gus', familyName: 'Grouped' }, emails: [{ value: `${tag}@acme.example`, primary: true }] });
    expect(user.status).toBe(201);
    const group = await scim('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: `Leads ${tag}`, members: [{ value: user.body.id }] });
    expect(group.status).toBe(201);

    const csrf = await csrfOf(ownerCookie);
    const missingRoles = await app.request('POST', '/admin/role-mappings', { cookie: ownerCookie, form: { _csrf: csrf, group: `leads ${tag}` } });
    expect(missingRoles.status).toBe(400);
    expect(missingRoles.text).toContain('roles must name at least one role');
    expect(missingRoles.text).toContain(`value="leads ${tag}"`);

    const created = await app.request('POST', '/admin/role-mappings', { cookie: ownerCookie, form: { _csrf: csrf, group: `leads ${tag}`, roles: 'broadcaster' } });
    expect(created.status).toBe(303);
    const mapping = (await app.services.roleMappings.list(adminCtx(acme))).find((m) => m.group_name === `leads ${tag}`)!;
    const edited = await app.request('POST', `/admin/role-mappings/${mapping.id}`, { cookie: ownerCookie, form: { _csrf: csrf, group: `leads ${tag}`, roles: 'admin' } });
    expect(edited.status).toBe(303);
    // two roles sent as a repeated field
    const twice = await fetch(`${app.url}/admin/role-mappings/${mapping.id}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: ownerCookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: `_csrf=${encodeURIComponent(csrf)}&group=${encodeURIComponent(`leads ${tag}`)}&roles=admin&roles=communicator`,
    });
    expect(twice.status).toBe(303);

    const person = await page(`/admin/people/${user.body.id}`, ownerCookie);
    expect(person.status).toBe(200);
    expect(person.text).toMatch(new RegExp(`<th scope="row">admin</th><td>group Leads ${tag}</td>`));
    expect(person.text).toMatch(new RegExp(`<th scope="row">communicator</th><td>group Leads ${tag}</td>`));
    expect(person.text).toContain('IdP (SCIM)');
    const fromIdp = await page(`/admin/people?q=${tag}&source=scim`, ownerCookie);
    expect(fromIdp.text).toContain(`/admin/people/${user.body.id}`);
    expect((await page(`/admin/people?q=${tag}&source=local`, ownerCookie)).text).not.toContain(`/admin/people/${user.body.id}`);
    expect(person.text).toContain(`Leads ${tag}`);

    const deleted = await app.request('POST', `/admin/role-mappings/${mapping.id}/delete`, { cookie: ownerCookie, form: { _csrf: csrf } });
    expect(deleted.status).toBe(303);
    expect((await page(`/admin/people/${user.body.id}`, ownerCookie)).text).not.toContain(`group Leads ${tag}`);
  });

  it("list the IdP's requests and show one without the password it sent, with what it changed", async () => {
    const tag = `pw${Date.now().toString(36)}`;
    const created = await scim('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `${tag}@acme.example`, password: SECRET_PASSWORD, emails: [{ value: `${tag}@acme.example`, primary: true }] });
    expect(created.status).toBe(201);
    const refused = await scim('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'] });
    expect(refused.status).toBe(400);
    await app.services.provisioningLog.flush();

    const failures = await page('/admin/log?status=failure', ownerCookie);
    expect(failures.status).toBe(200);
    expect(failures.text).toContain('>400<');
    expect(failures.text).not.toContain('>201<');
    const conflicts = await page('/admin/log?status=400', ownerCookie);
    expect(conflicts.text).toContain('>400<');
    expect(conflicts.text).not.toContain('>201<');
    const ofPerson = await page(`/admin/log?person=${created.body.id}`, ownerCookie);
    const entryId = /href="\/admin\/log\/(prq_[a-z0-9]+)"/.exec(ofPerson.text)![1];
    const entry = await page(`/admin/log/${entryId}`, ownerCookie);
    expect(entry.status).toBe(200);
    expect(entry.text).toContain(`${tag}@acme.example`);
    expect(entry.text).not.toContain(SECRET_PASSWORD);
    expect(entry.text).toContain('account_user.create');
    // the person's page lists it too
    expect((await page(`/admin/people/${created.body.id}`, ownerCookie)).text).toContain(`/admin/log/${entryId}`);
  });

  it('filter the audit trail by action, channel, actor and target, showing the actor and channel by name', async () => {
    const byAction = await page('/admin/audit?action=role_mapping.create', ownerCookie);
    expect(byAction.status).toBe(200);
    expect(byAction.text).toContain('role_mapping.create');
    expect(byAction.text).not.toContain('<code>account_user.create</code>');
    expect(byAction.text).toContain('Web (sign-in and admin console)');
    expect(byAction.text).toContain('>Owner<');

    const scimOnly = await page('/admin/audit?channel=scim', ownerCookie);
    expect(scimOnly.text).toContain('SCIM (identity provider)');
    expect(scimOnly.text).not.toContain('<td>REST API</td>');

    const byTarget = await page(`/admin/audit?target=${hostile.accountUserId}`, ownerCookie);
    expect(byTarget.text).toMatch(/Audit events matching the filter \(1\)/);
    const byActor = await page(`/admin/audit?actor=${acme.owner.accountUserId}&channel=api`, ownerCookie);
    expect(byActor.text).toContain('account_user.create');
    expect(byActor.text).not.toContain('SCIM (identity provider)</td>');
    // Globex's events are not Acme's
    expect((await page('/admin/audit?action=role_mapping.create', ownerCookie)).text).not.toContain('Globex Secret Group');
  });
});
