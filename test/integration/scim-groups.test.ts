import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, uniqueEmail } from '../support/test-app.js';

let app: TestApp;
let scim: string;
let otherScim: string;

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

const req = (method: string, path: string, body?: unknown, token = scim, headers: Record<string, string> = {}) => app.request(method, `/scim/v2${path}`, { token, body, headers });
const createUser = async (token = scim) => {
  const email = uniqueEmail('member');
  const res = await req('POST', '/Users', { schemas: [USER], userName: email, name: { givenName: 'M', familyName: 'Ember' }, emails: [{ value: email, primary: true }] }, token);
  expect(res.status).toBe(201);
  return res.body.id as string;
};
const memberIds = async (groupId: string) => ((await req('GET', `/Groups/${groupId}`)).body.members ?? []).map((m: { value: string }) => m.value).sort();

beforeAll(async () => {
  app = await startTestApp();
  scim = (await app.services.scimTokens.createAsOperator((await app.createAccount('Acme')).accountId)).token;
  otherScim = (await app.services.scimTokens.createAsOperator((await app.createAccount('Other')).accountId)).token;
});
afterAll(() => app?.stop());

describe('SCIM /Groups', () => {
  it('creates a group with members:[] (Okta), renames it with a pathless replace carrying the id, and adds/removes members', async () => {
    const [a, b] = [await createUser(), await createUser()];
    const created = await req('POST', '/Groups', { schemas: [GROUP], displayName: 'On-call East', members: [] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ displayName: 'On-call East', members: [] });
    const id = created.body.id as string;

    const renamed = await req('PATCH', `/Groups/${id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { id, displayName: 'On-call West' } }] });
    expect(renamed.status).toBe(204);
    expect(renamed.headers.get('etag')).not.toBe(created.headers.get('etag'));
    const added = await req('PATCH', `/Groups/${id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: a }, { value: b }] }] });
    expect(added.status).toBe(204);
    expect(await memberIds(id)).toEqual([a, b].sort());

    const user = await req('GET', `/Users/${a}`);
    expect(user.body.groups).toEqual([{ value: id, $ref: `http://127.0.0.1/scim/v2/Groups/${id}`, display: 'On-call West' }]);

    expect((await req('PATCH', `/Groups/${id}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: `members[value eq "${a}"]` }] })).status).toBe(204);
    expect(await memberIds(id)).toEqual([b]);
    // a remove that matches nothing succeeds
    expect((await req('PATCH', `/Groups/${id}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: `members[value eq "${a}"]` }] })).status).toBe(204);
  });

  it('removes only the listed members with Entra\'s Remove + value list, and looks groups up by displayName without members', async () => {
    const [a, b, c] = [await createUser(), await createUser(), await createUser()];
    const created = await req('POST', '/Groups', { schemas: [GROUP], displayName: 'Entra Team', externalId: 'e-1', members: [{ value: a }, { value: b }, { value: c }] });
    const id = created.body.id as string;
    const removed = await req('PATCH', `/Groups/${id}`, { schemas: [PATCH], Operations: [{ op: 'Remove', path: 'members', value: [{ $ref: null, value: a }, { $ref: null, value: c }] }] });
    expect(removed.status).toBe(204);
    expect(await memberIds(id)).toEqual([b]);
    const found = await req('GET', `/Groups?filter=${encodeURIComponent('displayName eq "entra team"')}&excludedAttributes=members`);
    expect(found.body.totalResults).toBe(1);
    expect(found.body.Resources[0]).toMatchObject({ id, displayName: 'Entra Team', externalId: 'e-1' });
    expect(found.body.Resources[0].members).toBeUndefined();
    const byMember = await req('GET', `/Groups?filter=${encodeURIComponent(`members[value eq "${b}"]`)}`);
    expect(byMember.body.Resources.map((g: { id: string }) => g.id)).toEqual([id]);
  });

  it('replaces a group with PUT, answers 409 for a taken name and 400 for a member of another account', async () => {
    const [a, b] = [await createUser(), await createUser()];
    const created = await req('POST', '/Groups', { schemas: [GROUP], displayName: 'Put Me', members: [{ value: a }] });
    const put = await req('PUT', `/Groups/${created.body.id}`, { schemas: [GROUP], id: created.body.id, displayName: 'Put Done', members: [{ value: b }] });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ displayName: 'Put Done', members: [{ value: b }] });
    const taken = await req('POST', '/Groups', { schemas: [GROUP], displayName: 'put done' });
    expect(taken.status).toBe(409);
    expect(taken.body.scimType).toBe('uniqueness');
    const stranger = await createUser(otherScim);
    const foreign = await req('PATCH', `/Groups/${created.body.id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: stranger }] }] });
    expect(foreign.status).toBe(400);
    expect(foreign.body.scimType).toBe('invalidValue');
    expect((await req('GET', `/Groups/${created.body.id}`, undefined, otherScim)).status).toBe(404);
    expect((await req('DELETE', `/Groups/${created.body.id}`)).status).toBe(204);
    expect((await req('GET', `/Groups/${created.body.id}`)).status).toBe(404);
  });
});

describe('SCIM DELETE /Groups with If-Match', () => {
  it('refuses a stale ETag with 412 and keeps the group, and deletes with the current one', async () => {
    const created = await req('POST', '/Groups', { schemas: [GROUP], displayName: `Doomed ${uniqueEmail('g')}`, members: [] });
    const id = created.body.id as string;
    const stale = created.headers.get('etag')!;
    expect((await req('PATCH', `/Groups/${id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { displayName: `Renamed ${uniqueEmail('g')}` } }] })).status).toBe(204);
    const refused = await req('DELETE', `/Groups/${id}`, undefined, scim, { 'if-match': stale });
    expect(refused.status).toBe(412);
    expect((await req('GET', `/Groups/${id}`)).status).toBe(200);
    const current = (await req('GET', `/Groups/${id}`)).headers.get('etag')!;
    expect((await req('DELETE', `/Groups/${id}`, undefined, scim, { 'if-match': current })).status).toBe(204);
    expect((await req('GET', `/Groups/${id}`)).status).toBe(404);
  });
});

describe('SCIM under concurrency', () => {
  it('lands all of 50 concurrent PATCHes adding different members to one group', async () => {
    const users: string[] = [];
    for (let i = 0; i < 50; i++) users.push(await createUser());
    const group = (await req('POST', '/Groups', { schemas: [GROUP], displayName: 'Fifty', members: [] })).body.id as string;
    const results = await Promise.all(users.map((u) => req('PATCH', `/Groups/${group}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: u }] }] })));
    expect(results.map((r) => r.status)).toEqual(users.map(() => 204));
    expect(await memberIds(group)).toEqual([...users].sort());
  });

  it('gives one 201 and 409s for 20 concurrent POSTs of one userName, and one user', async () => {
    const email = uniqueEmail('race');
    const body = { schemas: [USER], userName: email, name: { givenName: 'R', familyName: 'Ace' }, emails: [{ value: email, primary: true }] };
    const results = await Promise.all(Array.from({ length: 20 }, () => req('POST', '/Users', body)));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    for (const r of results.filter((x) => x.status === 409)) expect(r.body.scimType).toBe('uniqueness');
    const found = await req('GET', `/Users?filter=${encodeURIComponent(`userName eq "${email}"`)}`);
    expect(found.body.totalResults).toBe(1);
  });
});
