import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Microsoft Entra ID's provisioning sequences (learn.microsoft.com, "Tutorial: Develop and plan
 * provisioning for a SCIM endpoint", request/response examples), replayed against the started
 * server: first the default dialect, then the one a tenant URL with ?aadOptscim062020 gets.
 */

let app: TestApp;
let token: string;
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

const entra = (method: string, path: string, body?: unknown, flag = '') => {
  const url = `/scim/v2${path}${flag ? `${path.includes('?') ? '&' : '?'}${flag}` : ''}`;
  return app.request(method, url, { token, body, headers: { 'content-type': 'application/scim+json' } });
};

beforeAll(async () => {
  app = await startTestApp();
  token = (await app.services.scimTokens.createAsOperator((await app.createAccount('Entra Replay')).accountId)).token;
});
afterAll(() => app?.stop());

const stamp = Date.now().toString(36);
const upn = `Test_User_${stamp}@contoso.example.com`;
const externalId = randomUUID();
const state: { userId?: string; managerId?: string; groupId?: string } = {};

describe.sequential('Entra ID replay (default dialect)', () => {
  it('1. connection test: a random userName is an empty list', async () => {
    const res = await entra('GET', `/Users?filter=${encodeURIComponent(`userName eq "${randomUUID()}"`)}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ totalResults: 0, Resources: [] });
  });

  it('2. looks the user up by externalId: not there yet', async () => {
    const res = await entra('GET', `/Users?filter=${encodeURIComponent(`externalId eq "${externalId}"`)}`);
    expect(res.status).toBe(200);
    expect(res.body.totalResults).toBe(0);
  });

  it('3. creates the user with the enterprise extension', async () => {
    const res = await entra('POST', '/Users', {
      schemas: [USER, ENTERPRISE],
      externalId,
      userName: upn,
      active: true,
      emails: [{ primary: true, type: 'work', value: upn }],
      meta: { resourceType: 'User' },
      name: { formatted: 'Test User', familyName: 'User', givenName: 'Test' },
      roles: [],
      [ENTERPRISE]: { employeeNumber: '1001', department: 'Operations' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      userName: upn,
      externalId,
      active: true,
      name: { formatted: 'Test User', familyName: 'User', givenName: 'Test' },
      emails: [{ primary: true, type: 'work', value: upn }],
      [ENTERPRISE]: { employeeNumber: '1001', department: 'Operations' },
    });
    state.userId = res.body.id;
    const manager = await entra('POST', '/Users', { schemas: [USER], userName: `mgr.${upn}`, active: true, emails: [{ primary: true, type: 'work', value: `mgr.${upn}` }], name: { familyName: 'Ger', givenName: 'Mana' } });
    state.managerId = manager.body.id;
  });

  it('4. finds the user by externalId', async () => {
    const res = await entra('GET', `/Users?filter=${encodeURIComponent(`externalId eq "${externalId}"`)}`);
    expect(res.body.totalResults).toBe(1);
    expect(res.body.Resources[0].id).toBe(state.userId);
  });

  it('5. updates with capitalised ops, "False", and value paths that create the entry', async () => {
    const res = await entra('PATCH', `/Users/${state.userId}`, {
      schemas: [PATCH],
      Operations: [
        { op: 'Replace', path: 'emails[type eq "work"].value', value: `updated.${upn}` },
        { op: 'Replace', path: 'name.familyName', value: 'Updated' },
        { op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 (206) 555-0142' },
        { op: 'Add', path: 'title', value: 'Incident Commander' },
        { op: 'Replace', path: 'active', value: 'False' },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      active: false,
      name: { familyName: 'Updated', givenName: 'Test' },
      emails: [{ value: `updated.${upn}`, type: 'work', primary: true }],
      phoneNumbers: [{ value: '+1 (206) 555-0142', type: 'mobile', primary: true }],
      title: 'Incident Commander',
    });
  });

  it('6. sets the manager as a bare id and clears it with ""', async () => {
    const set = await entra('PATCH', `/Users/${state.userId}`, { schemas: [PATCH], Operations: [{ op: 'Add', path: `${ENTERPRISE}:manager`, value: state.managerId }] });
    expect(set.status).toBe(200);
    expect(set.body[ENTERPRISE]).toMatchObject({ manager: { value: state.managerId }, employeeNumber: '1001' });
    const cleared = await entra('PATCH', `/Users/${state.userId}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: `${ENTERPRISE}:manager`, value: '' }] });
    expect(cleared.status).toBe(200);
    expect(cleared.body[ENTERPRISE]).toEqual({ employeeNumber: '1001', department: 'Operations' });
  });

  it('7. looks the group up by displayName without members: not there yet', async () => {
    const res = await entra('GET', `/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "Entra Responders"')}`);
    expect(res.status).toBe(200);
    expect(res.body.totalResults).toBe(0);
  });

  it('8. creates the group', async () => {
    const res = await entra('POST', '/Groups', { schemas: [GROUP], externalId: randomUUID(), displayName: 'Entra Responders', meta: { resourceType: 'Group' }, members: [] });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ displayName: 'Entra Responders', members: [] });
    state.groupId = res.body.id;
  });

  it('9. adds members, then removes only the one listed', async () => {
    const add = await entra('PATCH', `/Groups/${state.groupId}`, { schemas: [PATCH], Operations: [{ op: 'Add', path: 'members', value: [{ $ref: null, value: state.userId }, { $ref: null, value: state.managerId }] }] });
    expect(add.status).toBe(204);
    const remove = await entra('PATCH', `/Groups/${state.groupId}`, { schemas: [PATCH], Operations: [{ op: 'Remove', path: 'members', value: [{ $ref: null, value: state.managerId }] }] });
    expect(remove.status).toBe(204);
    const group = await entra('GET', `/Groups/${state.groupId}`);
    expect(group.body.members.map((m: { value: string }) => m.value)).toEqual([state.userId]);
  });

  it('10. renames the group with Replace displayName', async () => {
    const res = await entra('PATCH', `/Groups/${state.groupId}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'displayName', value: 'Entra Responders 2' }] });
    expect(res.status).toBe(204);
    const found = await entra('GET', `/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "Entra Responders 2"')}`);
    expect(found.body.Resources[0]).toMatchObject({ id: state.groupId, displayName: 'Entra Responders 2' });
    expect(found.body.Resources[0].members).toBeUndefined();
  });
});

describe.sequential('Entra ID replay (?aadOptscim062020)', () => {
  const flag = 'aadOptscim062020';

  it('1. updates with a lower-case pathless replace whose keys are attribute paths', async () => {
    const res = await entra('PATCH', `/Users/${state.userId}`, {
      schemas: [PATCH],
      Operations: [{ op: 'replace', value: { 'name.givenName': 'Flagged', [`${ENTERPRISE}:employeeNumber`]: '2002', active: true, displayName: 'Flagged Updated' } }],
    }, flag);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ active: true, displayName: 'Flagged Updated', name: { givenName: 'Flagged', familyName: 'Updated' }, [ENTERPRISE]: { employeeNumber: '2002', department: 'Operations' } });
  });

  it('2. adds and removes members with lower-case ops', async () => {
    const add = await entra('PATCH', `/Groups/${state.groupId}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: state.managerId }] }] }, flag);
    expect(add.status).toBe(204);
    const remove = await entra('PATCH', `/Groups/${state.groupId}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: 'members', value: [{ value: state.userId }] }] }, flag);
    expect(remove.status).toBe(204);
    const group = await entra('GET', `/Groups/${state.groupId}`, undefined, flag);
    expect(group.body.members.map((m: { value: string }) => m.value)).toEqual([state.managerId]);
  });

  it('3. deletes the user: 204, then 404', async () => {
    expect((await entra('DELETE', `/Users/${state.userId}`, undefined, flag)).status).toBe(204);
    const gone = await entra('GET', `/Users/${state.userId}`, undefined, flag);
    expect(gone.status).toBe(404);
    expect(gone.body.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
  });
});
