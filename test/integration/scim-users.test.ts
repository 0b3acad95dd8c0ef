import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ScimRequest, scimClient } from '../support/scim-client.js';
import { startTestApp, type TestAccount, type TestApp, uniqueEmail } from '../support/test-app.js';

let app: TestApp;
let acme: TestAccount;
let scim: string;
let req: ScimRequest;

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

beforeAll(async () => {
  app = await startTestApp();
  acme = await app.createAccount('Acme');
  scim = (await app.services.scimTokens.createAsOperator(acme.accountId)).token;
  req = scimClient(app, scim);
});
afterAll(() => app?.stop());


const newUser = (overrides: Record<string, unknown> = {}) => {
  const email = uniqueEmail('scim');
  return {
    schemas: [USER],
    userName: email,
    name: { givenName: 'Ada', familyName: 'Lovelace' },
    emails: [{ value: email, type: 'work', primary: true }],
    active: true,
    ...overrides,
  };
};

describe('SCIM /Users', () => {
  it('creates a user (201, Location, ETag, scim+json) and never echoes the password', async () => {
    const body = newUser({ password: 'correct horse battery', locale: 'en-US', groups: [], phoneNumbers: [{ value: '+1 (415) 555-0123', type: 'mobile' }] });
    const res = await req('POST', '/Users', body);
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toContain('application/scim+json');
    expect(res.headers.get('location')).toBe(`http://127.0.0.1/scim/v2/Users/${res.body.id}`);
    expect(res.headers.get('etag')).toBe(res.body.meta.version);
    expect(res.body).toMatchObject({ userName: body.userName, active: true, name: { givenName: 'Ada', familyName: 'Lovelace' }, locale: 'en-US' });
    expect(res.body.phoneNumbers).toEqual([{ value: '+1 (415) 555-0123', type: 'mobile', primary: true }]);
    expect(JSON.stringify(res.body)).not.toContain('correct horse');
    expect(res.body.password).toBeUndefined();
  });

  it('looks a user up by userName without regard to case, and answers an empty list (not 404) for a stranger', async () => {
    const body = newUser();
    const created = await req('POST', '/Users', body);
    const found = await req('GET', `/Users?filter=${encodeURIComponent(`userName eq "${body.userName.toUpperCase()}"`)}&startIndex=1&count=100`);
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({ totalResults: 1, startIndex: 1, itemsPerPage: 1 });
    expect(found.body.Resources[0].id).toBe(created.body.id);
    const none = await req('GET', `/Users?filter=${encodeURIComponent('userName eq "nobody@example.com"')}&startIndex=1&count=100`);
    expect(none.status).toBe(200);
    expect(none.body).toEqual({ schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });
  });

  it('answers 409 uniqueness for a duplicate userName', async () => {
    const body = newUser();
    expect((await req('POST', '/Users', body)).status).toBe(201);
    const again = await req('POST', '/Users', { ...body, emails: [{ value: uniqueEmail('other'), primary: true }] });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ schemas: [ERROR], status: '409', scimType: 'uniqueness' });
  });

  it('answers 409 uniqueness naming the userName when a PUT or PATCH renames a user to one another person holds, and writes nothing', async () => {
    const taken = await req('POST', '/Users', newUser());
    const user = await req('POST', '/Users', newUser());
    const attempts = [
      () => req('PUT', `/Users/${user.body.id}`, { ...user.body, userName: taken.body.userName.toUpperCase(), displayName: 'Renamed' }),
      () => req('PATCH', `/Users/${user.body.id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { userName: taken.body.userName, active: false } }] }),
    ];
    for (const attempt of attempts) {
      const res = await attempt();
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ schemas: [ERROR], status: '409', scimType: 'uniqueness' });
      expect(res.body.detail.toLowerCase()).toContain(taken.body.userName.toLowerCase());
      // neither the person nor the membership (nor its version) changed
      expect((await req('GET', `/Users/${user.body.id}`)).body).toEqual(user.body);
    }
  });

  it('replaces a user with PUT (Okta sends id and meta back) and deactivates with a pathless replace', async () => {
    const created = await req('POST', '/Users', newUser());
    const put = await req('PUT', `/Users/${created.body.id}`, { ...created.body, name: { givenName: 'Augusta', familyName: 'King' }, displayName: 'Augusta King' });
    expect(put.status).toBe(200);
    expect(put.body.name).toMatchObject({ givenName: 'Augusta', familyName: 'King' });
    expect(put.body.displayName).toBe('Augusta King');
    const patched = await req('PATCH', `/Users/${created.body.id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: false } }] });
    expect(patched.status).toBe(200);
    expect(patched.body.active).toBe(false);
    const again = await req('GET', `/Users/${created.body.id}`);
    expect(again.body.active).toBe(false);
    const listed = await req('GET', `/Users?filter=${encodeURIComponent(`id eq "${created.body.id}" and active eq false`)}`);
    expect(listed.body.totalResults).toBe(1);
  });

  it('answers 404 with a SCIM error for an unknown id, and 401 without a token', async () => {
    const missing = await req('GET', '/Users/010101001010101011001010101011');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ schemas: [ERROR], status: '404' });
    expect(missing.body.detail).toBeTruthy();
    const anonymous = await app.request('GET', '/scim/v2/Users');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toMatchObject({ schemas: [ERROR], status: '401' });
    const unknownRoute = await req('GET', '/Nope');
    expect(unknownRoute.status).toBe(404);
    expect(unknownRoute.body.schemas).toEqual([ERROR]);
  });
});
