import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Okta's documented SCIM 2.0 provisioning sequence (developer.okta.com, "SCIM 2.0 protocol
 * reference"), replayed step by step against the started server, with the bodies Okta sends.
 * Each step depends on the one before; each asserts status and body.
 */

let app: TestApp;
let token: string;
const stamp = Date.now().toString(36);
const userName = `okta.${stamp}@atko.example.com`;
const state: { userId?: string; groupId?: string; otherId?: string } = {};

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

// Okta sends application/json with "Authorization: Bearer <token>" (header auth).
const okta = (method: string, path: string, body?: unknown) => app.request(method, `/scim/v2${path}`, { token, body, headers: { accept: 'application/scim+json' } });

beforeAll(async () => {
  app = await startTestApp();
  const account = await app.createAccount('Okta Replay');
  token = (await app.services.scimTokens.createAsOperator(account.accountId)).token;
});
afterAll(() => app?.stop());

describe.sequential('Okta replay', () => {
  it('1. looks the user up by userName: an empty list, not a 404', async () => {
    const res = await okta('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}&startIndex=1&count=100`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ schemas: [LIST], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });
  });

  it('2. creates the user (password, locale, groups:[]) and never echoes the password', async () => {
    const res = await okta('POST', '/Users', {
      schemas: [USER],
      userName,
      name: { givenName: 'Rita', familyName: 'Runscope' },
      emails: [{ primary: true, value: userName, type: 'work' }],
      displayName: 'Rita Runscope',
      locale: 'en-US',
      externalId: '00u1abcd',
      groups: [],
      password: '1mz050nq',
      active: true,
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      schemas: expect.arrayContaining([USER]),
      userName,
      name: { givenName: 'Rita', familyName: 'Runscope' },
      emails: [{ primary: true, value: userName, type: 'work' }],
      displayName: 'Rita Runscope',
      locale: 'en-US',
      externalId: '00u1abcd',
      groups: [],
      active: true,
      meta: { resourceType: 'User' },
    });
    expect(res.body.password).toBeUndefined();
    expect(JSON.stringify(res.body)).not.toContain('1mz050nq');
    state.userId = res.body.id;
  });

  it('3. a second create of the same userName is 409 uniqueness', async () => {
    const res = await okta('POST', '/Users', { schemas: [USER], userName, name: { givenName: 'Rita', familyName: 'Runscope' }, emails: [{ primary: true, value: userName, type: 'work' }], active: true });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ schemas: [ERROR], status: '409', scimType: 'uniqueness' });
    expect(res.body.detail).toBeTruthy();
  });

  it('4. reads the user by id', async () => {
    const res = await okta('GET', `/Users/${state.userId}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: state.userId, userName, active: true });
  });

  it('5. updates with a full-object PUT that carries id and meta', async () => {
    const current = (await okta('GET', `/Users/${state.userId}`)).body;
    const res = await okta('PUT', `/Users/${state.userId}`, { ...current, name: { givenName: 'Margarita', familyName: 'Runscope' }, displayName: 'Margarita Runscope' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: state.userId, userName, name: { givenName: 'Margarita', familyName: 'Runscope' }, displayName: 'Margarita Runscope', externalId: '00u1abcd', active: true });
  });

  it('6. deactivates with a pathless replace {"active": false}', async () => {
    const res = await okta('PATCH', `/Users/${state.userId}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: state.userId, active: false, name: { givenName: 'Margarita' } });
  });

  it('7. still finds the deactivated user by userName', async () => {
    const res = await okta('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}&startIndex=1&count=100`);
    expect(res.status).toBe(200);
    expect(res.body.totalResults).toBe(1);
    expect(res.body.Resources[0]).toMatchObject({ id: state.userId, active: false });
  });

  it('8. reactivates with a pathless replace', async () => {
    const res = await okta('PATCH', `/Users/${state.userId}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: true } }] });
    expect(res.status).toBe(200);
    expect(res.body.active).toBe(true);
  });

  it('9. pushes a group with members:[]', async () => {
    const other = await okta('POST', '/Users', { schemas: [USER], userName: `other.${userName}`, name: { givenName: 'O', familyName: 'Ther' }, emails: [{ primary: true, value: `other.${userName}`, type: 'work' }], active: true });
    state.otherId = other.body.id;
    const res = await okta('POST', '/Groups', { schemas: [GROUP], displayName: 'Okta Push Group', members: [] });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ schemas: [GROUP], displayName: 'Okta Push Group', members: [], meta: { resourceType: 'Group' } });
    state.groupId = res.body.id;
  });

  it('10. renames the group with {"op":"replace","value":{"id","displayName"}}', async () => {
    const res = await okta('PATCH', `/Groups/${state.groupId}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { id: state.groupId, displayName: 'Okta Renamed Group' } }] });
    expect(res.status).toBe(204);
    expect((await okta('GET', `/Groups/${state.groupId}`)).body.displayName).toBe('Okta Renamed Group');
  });

  it('11. adds members with a value list', async () => {
    const res = await okta('PATCH', `/Groups/${state.groupId}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: state.userId, display: userName }, { value: state.otherId, display: `other.${userName}` }] }] });
    expect(res.status).toBe(204);
    const group = await okta('GET', `/Groups/${state.groupId}`);
    expect(group.body.members.map((m: { value: string }) => m.value).sort()).toEqual([state.userId, state.otherId].sort());
  });

  it('12. removes a member with members[value eq "id"], and a remove that matches nothing succeeds', async () => {
    const res = await okta('PATCH', `/Groups/${state.groupId}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: `members[value eq "${state.otherId}"]` }] });
    expect(res.status).toBe(204);
    const group = await okta('GET', `/Groups/${state.groupId}`);
    expect(group.body.members.map((m: { value: string }) => m.value)).toEqual([state.userId]);
    const again = await okta('PATCH', `/Groups/${state.groupId}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: `members[value eq "${state.otherId}"]` }] });
    expect(again.status).toBe(204);
  });

  it('13. deletes the group', async () => {
    expect((await okta('DELETE', `/Groups/${state.groupId}`)).status).toBe(204);
    const gone = await okta('GET', `/Groups/${state.groupId}`);
    expect(gone.status).toBe(404);
    expect(gone.body.schemas).toEqual([ERROR]);
  });
});
