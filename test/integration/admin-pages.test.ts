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
    const byName = await app.services.accountUsers.search(ctx, `PUSHED${tag}`, { limit: 10, offset: 0 });
    expect(byName.rows.map((m) => m.id)).toEqual([pushed.body.id]);
    expect(byName.rows[0].source).toBe('scim');
    const byEmail = await app.services.accountUsers.search(ctx, `${tag}-MAIL`, { limit: 10, offset: 0 });
    expect(byEmail.rows.map((m) => [m.id, m.source])).toEqual([[made.body.id, 'local']]);
    const byUserName = await app.services.accountUsers.search(ctx, `${tag}.okta`, { limit: 10, offset: 0 });
    expect(byUserName.total).toBe(1);

    // both, by name; then one page at a time without a repeat
    const both = await app.services.accountUsers.search(ctx, tag, { limit: 10, offset: 0 });
    expect(both.total).toBe(2);
    expect(both.rows.map((m) => m.user.name)).toEqual([`Ida Pushed${tag}`, `Lou Local ${tag}`]);
    const first = await app.services.accountUsers.search(ctx, tag, { limit: 1, offset: 0 });
    const second = await app.services.accountUsers.search(ctx, tag, { limit: 1, offset: 1 });
    expect([first.rows[0].id, second.rows[0].id]).toEqual(both.rows.map((m) => m.id));

    // the owner, made with the account, is local; an empty search lists everyone
    expect((await app.services.accountUsers.getWithSource(ctx, acme.owner.accountUserId)).source).toBe('local');
    const all = await app.services.accountUsers.search(ctx, '  ', { limit: 100, offset: 0 });
    expect(all.rows.map((m) => m.id)).toEqual(expect.arrayContaining([acme.owner.accountUserId, pushed.body.id, made.body.id]));
  });

  it('take the pattern characters of LIKE literally and refuse a search longer than any name', async () => {
    const ctx = adminCtx(acme);
    const percent = await app.services.accountUsers.search(ctx, '%', { limit: 10, offset: 0 });
    expect(percent.total).toBe(0);
    await expect(app.services.accountUsers.search(ctx, 'x'.repeat(255), { limit: 10, offset: 0 })).rejects.toThrow(/q: search for at most 254 characters/);
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
    expect((await app.services.accountUsers.search(ctx, `Gloria Stored ${tag}`, { limit: 10, offset: 0 })).total).toBe(0);
    const found = await app.services.accountUsers.search(ctx, tag, { limit: 10, offset: 0 });
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
