import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, uniqueEmail } from '../support/test-app.js';

let app: TestApp;
let scim: string;

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

const req = (method: string, path: string, options: { body?: unknown; rawBody?: string; headers?: Record<string, string> } = {}) =>
  app.request(method, `/scim/v2${path}`, { token: scim, ...options, headers: { 'content-type': 'application/scim+json', ...options.headers } });
const userBody = () => {
  const email = uniqueEmail('proto');
  return { schemas: [USER], userName: email, name: { givenName: 'P', familyName: 'Roto' }, emails: [{ value: email, type: 'work', primary: true }] };
};

beforeAll(async () => {
  app = await startTestApp();
  scim = (await app.services.scimTokens.createAsOperator((await app.createAccount('Acme')).accountId)).token;
});
afterAll(() => app?.stop());

describe('ETags', () => {
  it('answers 304 to a matching If-None-Match and 412 to a stale If-Match; a matching If-Match goes through', async () => {
    const created = await req('POST', '/Users', { body: userBody() });
    const id = created.body.id;
    const etag = created.headers.get('etag')!;
    expect(etag).toMatch(/^W\/"\d+"$/);
    expect((await req('GET', `/Users/${id}`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    const changed = await req('PATCH', `/Users/${id}`, { body: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'displayName', value: 'Pat Roto' }] }, headers: { 'if-match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    const stale = await req('PUT', `/Users/${id}`, { body: { ...userBody(), userName: created.body.userName }, headers: { 'if-match': etag } });
    expect(stale.status).toBe(412);
    expect(stale.body).toMatchObject({ schemas: [ERROR], status: '412' });
    expect((await req('DELETE', `/Users/${id}`, { headers: { 'if-match': etag } })).status).toBe(412);
    expect((await req('DELETE', `/Users/${id}`, { headers: { 'if-match': changed.headers.get('etag')! } })).status).toBe(204);
  });
});

describe('Bulk', () => {
  it('runs each operation on its own, resolves bulkId references, and reports each status', async () => {
    const body = userBody();
    const res = await req('POST', '/Bulk', {
      body: {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
        Operations: [
          { method: 'POST', path: '/Users', bulkId: 'u1', data: body },
          { method: 'POST', path: '/Users', bulkId: 'dup', data: body },
          { method: 'POST', path: '/Groups', bulkId: 'g1', data: { displayName: 'Bulk Team', members: [{ value: 'bulkId:u1' }] } },
          { method: 'PATCH', path: '/Users/bulkId:u1', data: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: false }] } },
          { method: 'DELETE', path: '/Groups/nope' },
        ],
      },
    });
    expect(res.status).toBe(200);
    const ops = res.body.Operations as { status: string; location?: string; bulkId?: string; response?: { scimType?: string } }[];
    expect(ops.map((o) => o.status)).toEqual(['201', '409', '201', '200', '404']);
    expect(ops[1].response?.scimType).toBe('uniqueness');
    const group = await app.request('GET', ops[2].location!.replace('http://127.0.0.1', ''), { token: scim });
    const userId = ops[0].location!.split('/').at(-1);
    expect(group.body.members.map((m: { value: string }) => m.value)).toEqual([userId]);
    expect((await req('GET', `/Users/${userId}`)).body.active).toBe(false);
  });

  it('stops after failOnErrors failures and refuses more than maxOperations (413)', async () => {
    const stop = await req('POST', '/Bulk', { body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], failOnErrors: 1, Operations: [{ method: 'DELETE', path: '/Users/nope' }, { method: 'POST', path: '/Users', bulkId: 'x', data: userBody() }] } });
    expect(stop.body.Operations).toHaveLength(1);
    const tooMany = await req('POST', '/Bulk', { body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations: Array.from({ length: 1001 }, () => ({ method: 'DELETE', path: '/Users/x' })) } });
    expect(tooMany.status).toBe(413);
    expect(tooMany.body.schemas).toEqual([ERROR]);
  });
});

describe('errors and discovery', () => {
  it('answers 400 invalidSyntax for malformed JSON and 413 for a body over 1 MiB, as SCIM errors', async () => {
    const bad = await req('POST', '/Users', { rawBody: '{"userName": ' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ schemas: [ERROR], scimType: 'invalidSyntax' });
    const huge = await req('POST', '/Users', { rawBody: JSON.stringify({ userName: 'x', pad: 'x'.repeat(1024 * 1024 + 10) }) });
    expect(huge.status).toBe(413);
    expect(huge.body.schemas).toEqual([ERROR]);
    const noName = await req('POST', '/Users', { body: { schemas: [USER], emails: [{ value: uniqueEmail('x') }] } });
    expect(noName.status).toBe(400);
    expect(noName.body.scimType).toBe('invalidValue');
    const badRole = await req('POST', '/Users', { body: { ...userBody(), roles: [{ value: 'wizard' }] } });
    expect(badRole.status).toBe(400);
    expect(badRole.body).toMatchObject({ scimType: 'invalidValue' });
    expect(badRole.body.detail).toContain('wizard');
  });

  it('keeps a phone number it cannot dial (no country code) as sent, apart from the numbers it notifies', async () => {
    const created = await req('POST', '/Users', { body: { ...userBody(), phoneNumbers: [{ value: '312-320-0500', type: 'fax' }, { value: '+1 312 320 0932', type: 'work', primary: true }] } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.phoneNumbers).toEqual([{ value: '+1 312 320 0932', type: 'work', primary: true }, { value: '312-320-0500', type: 'fax', primary: false }]);
    const member = await app.services.directory.getMember({ accountId: (await app.services.scimTokens.authenticate(scim)).accountId, actor: { type: 'system' }, channel: 'cli' }, created.body.id);
    expect(member.membership.user.phones.map((p) => p.number)).toEqual(['+13123200932']);
  });

  it('describes exactly what is supported', async () => {
    const config = await req('GET', '/ServiceProviderConfig');
    expect(config.status).toBe(200);
    expect(config.headers.get('content-type')).toContain('application/scim+json');
    expect(config.body).toMatchObject({ patch: { supported: true }, bulk: { supported: true, maxOperations: 1000, maxPayloadSize: 1048576 }, filter: { supported: true, maxResults: 200 }, sort: { supported: true }, etag: { supported: true }, changePassword: { supported: false } });
    const types = await req('GET', '/ResourceTypes');
    expect(types.body.Resources.map((r: { endpoint: string }) => r.endpoint)).toEqual(['/Users', '/Groups']);
    const schemas = await req('GET', '/Schemas');
    const ids = schemas.body.Resources.map((s: { id: string }) => s.id);
    expect(ids).toContain('urn:ietf:params:scim:schemas:extension:rollcall:2.0:User');
    const user = schemas.body.Resources.find((s: { id: string }) => s.id === USER);
    const names = user.attributes.map((a: { name: string }) => a.name);
    expect(names).toContain('userName');
    expect(names).not.toContain('x509Certificates');
    expect((await req('GET', '/Schemas/urn:nope')).status).toBe(404);
  });

  it('keeps Entra\'s values as sent and applies its default PATCH dialect', async () => {
    const created = await req('POST', '/Users', { body: { ...userBody(), title: 'SRE', preferredLanguage: 'fr-CA', phoneNumbers: [{ value: '+44 20 7946 0958', type: 'work' }] } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ title: 'SRE', preferredLanguage: 'fr-CA', phoneNumbers: [{ value: '+44 20 7946 0958', type: 'work', primary: true }] });
    const id = created.body.id;
    const patched = await req('PATCH', `/Users/${id}`, {
      body: {
        schemas: [PATCH],
        Operations: [
          { op: 'Replace', path: 'active', value: 'False' },
          { op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 415 555 0100' },
          { op: 'Add', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager', value: id },
          { op: 'Replace', path: 'title', value: '' },
        ],
      },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.active).toBe(false);
    expect(patched.body.title).toBeUndefined();
    expect(patched.body.phoneNumbers).toEqual(expect.arrayContaining([{ value: '+1 415 555 0100', type: 'mobile', primary: false }]));
    expect(patched.body['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User']).toEqual({ manager: { value: id } });
    const cleared = await req('PATCH', `/Users/${id}`, { body: { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager', value: '' }] } });
    expect(cleared.body['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User']).toBeUndefined();
  });
});
