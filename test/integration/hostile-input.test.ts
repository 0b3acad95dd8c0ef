import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import { migrateLatest } from '../../src/db/migrate.js';
import { createServices } from '../../src/domain/services.js';
import { createApp } from '../../src/http/app.js';
import { SCIM_URN, scimClient, type ScimRequest } from '../support/scim-client.js';
import { logLinesOf } from '../support/log-capture.js';
import { startTestApp, type TestAccount, type TestApp, uniqueEmail } from '../support/test-app.js';
import { createScratchPostgres, onPostgres } from '../support/test-database.js';
import { TestIdp } from '../support/test-idp.js';

/**
 * Issue 13: every hostile input gets a 4xx that says what was wrong, never a 5xx or a hang.
 * Real HTTP against the real app on a real database (PGlite, or PostgreSQL with TEST_DATABASE_URL).
 */

const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

let app: TestApp;
let acme: TestAccount;
let scim: ScimRequest;
let scimToken: string;
let memberId: string;
let teamId: string;

const newUser = (extra: Record<string, unknown> = {}) => ({ schemas: [SCIM_URN.user], userName: uniqueEmail('hostile'), displayName: 'Hostile Input', ...extra });

beforeAll(async () => {
  app = await startTestApp();
  acme = await app.createAccount('Acme');
  scimToken = (await app.services.scimTokens.createAsOperator(acme.accountId)).token;
  scim = scimClient(app, scimToken);
  const created = await scim('POST', '/Users', newUser());
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  memberId = created.body.id;
  const team = await app.request('POST', '/api/v4/teams', { token: acme.token, body: { name: 'Hostile team' } });
  expect(team.status).toBe(201);
  teamId = team.body.id;
});
afterAll(() => app?.stop());

function expectScimError(res: { status: number; body: any }, status: number, scimType: string | undefined, detail: RegExp): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.schemas).toEqual([ERROR]);
  expect(res.body.status).toBe(String(status));
  if (scimType) expect(res.body.scimType).toBe(scimType);
  expect(res.body.detail).toMatch(detail);
}

function expectApiError(res: { status: number; body: any }, status: number, message: RegExp, field?: string): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.errors[0].message).toMatch(message);
  if (field) expect(res.body.errors[0].field).toBe(field);
}

describe('SCIM: strings PostgreSQL cannot store are refused naming the field', () => {
  it('a NUL in userName (POST) is 400 invalidValue naming userName', async () => {
    expectScimError(await scim('POST', '/Users', newUser({ userName: 'nul\u0000@example.com' })), 400, 'invalidValue', /^userName contains a character that cannot be stored/);
  });

  it('a lone surrogate in name.givenName (PUT) is 400 naming name.givenName', async () => {
    expectScimError(await scim('PUT', `/Users/${memberId}`, newUser({ name: { givenName: 'Pat\udfff' } })), 400, 'invalidValue', /^name\.givenName contains/);
  });

  it('a NUL in emails[0].value of a PATCH and in a Group displayName is 400', async () => {
    const patch = { schemas: [SCIM_URN.patchOp], Operations: [{ op: 'replace', path: 'emails', value: [{ value: 'a\u0000@example.com', primary: true }] }] };
    expectScimError(await scim('PATCH', `/Users/${memberId}`, patch), 400, 'invalidValue', /^Operations\[0\]\.value\[0\]\.value contains/);
    expectScimError(await scim('POST', '/Groups', { schemas: [SCIM_URN.group], displayName: 'x\u0000' }), 400, 'invalidValue', /^displayName contains/);
  });

  it('a NUL in a key is refused too', async () => {
    expectScimError(await scim('POST', '/Users', { ...newUser(), 'nick\u0000Name': 'x' }), 400, 'invalidValue', /contains a character that cannot be stored/);
  });

  it('a NUL in a query parameter is 400 (invalidFilter for filter)', async () => {
    expectScimError(await scim('GET', '/Users?filter=userName%20eq%20%22a%00b%22'), 400, 'invalidFilter', /^filter contains/);
    expectScimError(await scim('GET', '/Users?attributes=userName%00'), 400, 'invalidValue', /^attributes contains/);
  });

  it('a \\u0000 or lone surrogate escape inside a filter value is 400 invalidFilter', async () => {
    expectScimError(await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "a\\u0000"')}`), 400, 'invalidFilter', /cannot be stored/);
    expectScimError(await scim('POST', '/Users/.search', { filter: 'userName eq "\\udfff"' }), 400, 'invalidFilter', /cannot be stored/);
  });
});

describe('SCIM: ids and paths that cannot be ids', () => {
  it('ids that cannot be ids are 404 (NUL, wrong prefix, wrong length)', async () => {
    for (const id of ['%00', 'au_%00', 'tem_aaaaaaaaaaaaaaaaaaaa', 'au_short', encodeURIComponent('x'.repeat(5000))]) {
      expectScimError(await scim('GET', `/Users/${id}`), 404, undefined, /was not found/);
    }
    expectScimError(await scim('DELETE', `/Groups/${memberId}`), 404, undefined, /was not found/);
    expectScimError(await scim('PUT', '/Users/%00', newUser()), 404, undefined, /was not found/);
  });

  it('%ff%fe and a lone % in a path are 400, never 500', async () => {
    expectScimError(await scim('GET', '/Users/%ff%fe'), 400, undefined, /percent-decoded/);
    expectScimError(await scim('GET', '/Users/%'), 400, undefined, /percent-decoded/);
    expectScimError(await scim('GET', '/%ff%fe'), 400, undefined, /percent-decoded/);
  });

  it('a /Bulk operation with such paths answers each one with a 4xx', async () => {
    const res = await scim('POST', '/Bulk', {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
      Operations: [
        { method: 'DELETE', path: '/Users/%ff%fe' },
        { method: 'DELETE', path: '/Users/%00' },
        { method: 'PUT', path: `/Users/${memberId}`, data: newUser({ userName: 123 }) },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.Operations.map((o: { status: string }) => o.status)).toEqual(['400', '404', '400']);
  });
});

describe('SCIM: bodies that cannot be read', () => {
  it('JSON nested 200,000 deep is 400 invalidSyntax, not a stack overflow', async () => {
    const deep = `{"schemas":["${SCIM_URN.user}"],"userName":"deep@example.com","addresses":${'['.repeat(200_000)}${']'.repeat(200_000)}}`;
    expectScimError(await app.request('POST', '/scim/v2/Users', { token: scimToken, rawBody: deep, headers: { 'content-type': 'application/scim+json' } }), 400, 'invalidSyntax', /nested deeper than 32/);
  });

  it('gzip that is not gzip is 400, an unknown Content-Encoding 4xx', async () => {
    const garbage = await app.request('POST', '/scim/v2/Users', { token: scimToken, rawBody: 'this is not gzip', headers: { 'content-type': 'application/scim+json', 'content-encoding': 'gzip' } });
    expectScimError(garbage, 400, undefined, /./);
    const brotli = await app.request('POST', '/scim/v2/Users', { token: scimToken, rawBody: 'not brotli either', headers: { 'content-type': 'application/scim+json', 'content-encoding': 'br' } });
    expectScimError(brotli, 400, undefined, /./);
    const unknown = await app.request('POST', '/scim/v2/Users', { token: scimToken, rawBody: '{}', headers: { 'content-type': 'application/scim+json', 'content-encoding': 'zstd-nope' } });
    expect(unknown.status).toBeGreaterThanOrEqual(400);
    expect(unknown.status).toBeLessThan(500);
  });

  it('a gzip body that inflates to JSON is read as any other', async () => {
    const res = await fetch(`${app.url}/scim/v2/Users/.search`, {
      method: 'POST',
      headers: { authorization: `Bearer ${scimToken}`, 'content-type': 'application/scim+json', 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify({ filter: 'userName eq "nobody@example.com"' })),
    });
    expect(res.status).toBe(200);
  });
});

describe('SCIM: a non-string where RFC 7643 says string is 400 naming the attribute', () => {
  it.each([
    [{ userName: 123 }, /^userName must be a string, not "123"/],
    [{ displayName: true }, /^displayName must be a string/],
    [{ externalId: 42 }, /^externalId must be a string/],
    [{ name: { givenName: 7 } }, /^name\.givenName must be a string/],
    [{ emails: [{ value: 5, primary: true }] }, /^emails\[0\]\.value must be a string/],
    [{ timezone: 1 }, /^timezone must be a string/],
  ])('PUT %j', async (change, detail) => {
    expectScimError(await scim('PUT', `/Users/${memberId}`, newUser(change)), 400, 'invalidValue', detail);
  });

  it('a PATCH replacing displayName with a number is 400, and the user is unchanged', async () => {
    const before = await scim('GET', `/Users/${memberId}`);
    const res = await scim('PATCH', `/Users/${memberId}`, { schemas: [SCIM_URN.patchOp], Operations: [{ op: 'replace', path: 'displayName', value: 5 }] });
    expectScimError(res, 400, 'invalidValue', /displayName must be a string/);
    expect((await scim('GET', `/Users/${memberId}`)).body.meta.version).toBe(before.body.meta.version);
  });

  it('a Group displayName of a number is 400', async () => {
    expectScimError(await scim('POST', '/Groups', { schemas: [SCIM_URN.group], displayName: 12 }), 400, 'invalidValue', /^displayName must be a string/);
  });
});

describe('SCIM: filters have a cost bound', () => {
  const clauses = (n: number) => Array.from({ length: n }, (_, i) => `emails.value co "x${i}"`).join(' or ');

  it('Okta and Entra filters are served', async () => {
    expect((await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "a@example.com"')}`)).status).toBe(200);
    expect((await scim('GET', `/Users?filter=${encodeURIComponent('externalId eq "x" and userName eq "a@example.com"')}`)).status).toBe(200);
    expect((await scim('POST', '/Users/.search', { filter: clauses(10) })).status).toBe(200);
  });

  it('more than 10 comparisons is 400 invalidFilter naming maxClauses', async () => {
    expectScimError(await scim('POST', '/Users/.search', { filter: clauses(11) }), 400, 'invalidFilter', /maxClauses limit/);
    expectScimError(await scim('GET', `/Users?filter=${encodeURIComponent(clauses(100))}`), 400, 'invalidFilter', /maxClauses limit/);
  });

  it('nesting deeper than 5 is 400 invalidFilter naming maxDepth, even 8,000 deep', async () => {
    const nested = (n: number) => `${'('.repeat(n)}userName eq "a"${')'.repeat(n)}`;
    expect((await scim('POST', '/Users/.search', { filter: nested(5) })).status).toBe(200);
    expectScimError(await scim('POST', '/Users/.search', { filter: nested(6) }), 400, 'invalidFilter', /maxDepth limit/);
    expectScimError(await scim('POST', '/Users/.search', { filter: nested(8_000) }), 400, 'invalidFilter', /maxDepth limit/);
    expectScimError(await scim('POST', '/Users/.search', { filter: `${'not ('.repeat(6)}userName eq "a"${')'.repeat(6)}` }), 400, 'invalidFilter', /maxDepth limit/);
  });

  it('a value over 1024 characters is 400 naming maxValueLength; a filter over 16 KB naming maxLength', async () => {
    expectScimError(await scim('POST', '/Users/.search', { filter: `userName eq "${'a'.repeat(1025)}"` }), 400, 'invalidFilter', /maxValueLength limit/);
    expectScimError(await scim('POST', '/Users/.search', { filter: `userName eq "${'a'.repeat(20_000)}"` }), 400, 'invalidFilter', /maxLength limit/);
  });

  it('a PATCH path holds to the same bounds', async () => {
    const path = `emails[${clauses(11).replaceAll('emails.value', 'value')}].primary`;
    const res = await scim('PATCH', `/Users/${memberId}`, { schemas: [SCIM_URN.patchOp], Operations: [{ op: 'replace', path, value: true }] });
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/more than 10 comparisons/);
  });
});

describe('REST v4: the same inputs', () => {
  it('a NUL or a lone surrogate in a body is 422 naming the field', async () => {
    expectApiError(await app.request('POST', '/api/v4/teams', { token: acme.token, body: { name: 'a\u0000b' } }), 422, /^name contains a character that cannot be stored/, 'name');
    expectApiError(
      await app.request('POST', '/api/v4/account_users', { token: acme.token, body: { user_attributes: { name: 'Pat\ud800', emails_attributes: [{ email: uniqueEmail() }] } } }),
      422,
      /cannot be stored/,
      'user_attributes.name',
    );
    expectApiError(await app.request('POST', '/api/v4/scim_tokens', { token: acme.token, body: { name: '\u0000' } }), 422, /cannot be stored/, 'name');
    expectApiError(await app.request('PUT', '/api/v4/account/sso', { token: acme.token, body: { idp_entity_id: 'https://idp\u0000' } }), 422, /cannot be stored/, 'idp_entity_id');
  });

  it('a NUL in a query parameter is 422 naming it', async () => {
    expectApiError(await app.request('GET', '/api/v4/schedules?x=%00', { token: acme.token }), 422, /^x contains/, 'x');
  });

  it('ids that cannot be ids are 404; undecodable paths 400', async () => {
    for (const path of ['/api/v4/account_users/%00', '/api/v4/users/au_aaaaaaaaaaaaaaaaaaaa', `/api/v4/teams/${memberId}`, '/api/v4/schedules/skd_x/on_call', '/api/v4/role_mappings/rmp_%00']) {
      expectApiError(await app.request('GET', path, { token: acme.token }), 404, /was not found/);
    }
    expectApiError(await app.request('DELETE', '/api/v4/scim_tokens/%00', { token: acme.token }), 404, /was not found/);
    expectApiError(await app.request('GET', '/api/v4/users/%ff%fe', { token: acme.token }), 400, /percent-decoded/);
    // an encoded lone surrogate is not UTF-8 either
    expectApiError(await app.request('GET', '/api/v4/role_mappings/%ed%a0%80', { token: acme.token }), 400, /percent-decoded/);
    expect((await app.request('GET', `/api/v4/teams/${teamId}`, { token: acme.token })).status).toBe(200);
  });

  it('deep JSON is 400 and bad gzip 400', async () => {
    expectApiError(await app.request('POST', '/api/v4/teams', { token: acme.token, rawBody: `{"name":${'['.repeat(100_000)}${']'.repeat(100_000)}}`, headers: { 'content-type': 'application/json' } }), 400, /nested deeper/);
    expectApiError(await app.request('POST', '/api/v4/teams', { token: acme.token, rawBody: 'garbage', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } }), 400, /./);
  });

  it('an externalId over 1024 characters is refused by the domain (REST 422, SCIM 400), one of 1024 kept', async () => {
    expectApiError(await app.request('PATCH', `/api/v4/account_users/${acme.ownerAccountUserId}`, { token: acme.token, body: { external_id: 'x'.repeat(3000) } }), 422, /at most 1024/, 'external_id');
    expectApiError(await app.request('POST', '/api/v4/teams', { token: acme.token, body: { name: 'Long', external_id: 'x'.repeat(3000) } }), 422, /at most 1024/, 'external_id');
    expectScimError(await scim('POST', '/Users', newUser({ externalId: 'e'.repeat(2800) })), 400, 'invalidValue', /at most 1024/);
    expectScimError(await scim('POST', '/Groups', { schemas: [SCIM_URN.group], displayName: 'Long ext', externalId: 'e'.repeat(2800) }), 400, 'invalidValue', /at most 1024/);
    expect((await scim('POST', '/Users', newUser({ externalId: 'e'.repeat(1024) }))).status).toBe(201);
  });

  it('more than 20 emails or phones is refused naming the list', async () => {
    const emails = Array.from({ length: 21 }, (_, i) => ({ value: uniqueEmail(`many${i}`), primary: i === 0 }));
    expectScimError(await scim('POST', '/Users', newUser({ emails })), 400, 'invalidValue', /at most 20 emails/);
    const phones = Array.from({ length: 21 }, (_, i) => ({ value: `+1415555${String(1000 + i)}` }));
    expectScimError(await scim('PUT', `/Users/${memberId}`, newUser({ phoneNumbers: phones })), 400, 'invalidValue', /at most 20 phones/);
    const rest = await app.request('PATCH', `/api/v4/account_users/${acme.ownerAccountUserId}`, {
      token: acme.token,
      body: { user_attributes: { emails_attributes: emails.map((e) => ({ email: e.value })) } },
    });
    expectApiError(rest, 422, /at most 20 emails/, 'emails');
  });

  it('dates out of range in schedules are 422 naming the field', async () => {
    const schedule = (startsAt: string) => ({ name: `S ${startsAt}`, time_zone: 'UTC', layers: [{ starts_at: startsAt, rotation_length: 1, rotation_unit: 'week', account_user_ids: [acme.ownerAccountUserId] }] });
    for (const startsAt of ['+275760-09-13', '-271821-04-20T00:00:00Z', '+010000-01-01T00:00:00Z', '1969-12-31T00:00:00Z']) {
      expectApiError(await app.request('POST', '/api/v4/schedules', { token: acme.token, body: schedule(startsAt) }), 422, /between the years 1970 and 9999/, 'layers[0].starts_at');
    }
    const made = await app.request('POST', '/api/v4/schedules', { token: acme.token, body: schedule('2030-01-01T00:00:00Z') });
    expect(made.status).toBe(201);
    const override = await app.request('POST', `/api/v4/schedules/${made.body.id}/overrides`, { token: acme.token, body: { account_user_id: acme.ownerAccountUserId, starts_at: '2030-01-01T00:00:00Z', ends_at: '+275760-09-13' } });
    expectApiError(override, 422, /between the years/, 'ends_at');
    expectApiError(await app.request('GET', `/api/v4/schedules/${made.body.id}/on_call?at=${encodeURIComponent('+275760-09-13')}`, { token: acme.token }), 422, /between the years/, 'at');
  });

  it('an invalid time zone is 422 each time it is sent (and not kept)', async () => {
    for (let i = 0; i < 3; i++) {
      expectApiError(await app.request('PATCH', `/api/v4/users/${acme.ownerUserId}`, { token: acme.token, body: { time_zone: `Nowhere/${i}${'x'.repeat(200)}` } }), 422, /not an IANA time zone/, 'time_zone');
    }
  });
});

describe('sign-in with hostile usernames', () => {
  it('POST /public/login with "\\udfff" or a NUL is 422 naming username', async () => {
    expectApiError(await app.request('POST', '/public/login', { body: { username: '\udfff', password: 'x' } }), 422, /^username contains/, 'username');
    expectApiError(await app.request('POST', '/public/login', { body: { username: 'a\u0000b@example.com', password: 'x' } }), 422, /^username contains/, 'username');
  });

  it('POST /login (the form) with a NUL is a 400 page', async () => {
    const res = await fetch(`${app.url}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: app.url }, body: 'username=a%00b&password=x' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('username contains a character that cannot be stored');
  });
});

describe('SAML: unauthenticated posts are bounded before parsing', () => {
  let ssoAccount: TestAccount;
  const acs = (accountId: string, form: Record<string, string>) =>
    fetch(`${app.url}/sso/saml/${accountId}/acs`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });

  beforeAll(async () => {
    ssoAccount = await app.createAccount('SSO Co');
    const idp = await TestIdp.create();
    const res = await app.request('PUT', '/api/v4/account/sso', { token: ssoAccount.token, body: { idp_metadata_xml: idp.metadataXml() } });
    expect(res.status).toBe(200);
  });

  it('a response over 256 KB is a 400 page', async () => {
    const big = Buffer.from(`<samlp:Response>${'<a/>'.repeat(80_000)}</samlp:Response>`).toString('base64');
    const res = await acs(ssoAccount.accountId, { SAMLResponse: big });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('larger than 256 KB');
  });

  it('a response nested deeper than 32 elements is a 400 page', async () => {
    const deep = Buffer.from(`${'<a>'.repeat(5_000)}${'</a>'.repeat(5_000)}`).toString('base64');
    const res = await acs(ssoAccount.accountId, { SAMLResponse: deep });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('deeper than 32');
  });

  it('XML that does not parse is refused (403) and the log names the reason, never the document', async () => {
    const secret = 'QUOTED-SECRET-TEXT';
    const lines = await logLinesOf(async () => {
      const res = await acs(ssoAccount.accountId, { SAMLResponse: Buffer.from(`<samlp:Response <${secret}>& <<</`).toString('base64') });
      expect(res.status).toBe(403);
      const res2 = await acs(ssoAccount.accountId, { SAMLResponse: Buffer.from(`<?xml version="1.0"?><Response>${secret}<Signature>${secret}</Response>`).toString('base64') });
      expect(res2.status).toBe(403);
    });
    expect(lines.join('')).not.toContain(secret);
    expect(lines.some((l) => JSON.parse(l).message === 'saml sign-in refused')).toBe(true);
  });

  it('an account id that cannot be one is 404', async () => {
    expect((await acs('acc_%00', { SAMLResponse: 'PA==' })).status).toBe(404);
    expect((await fetch(`${app.url}/sso/saml/${encodeURIComponent('\u0000')}/metadata`)).status).toBe(404);
  });
});

describe('database faults answer 503 with Retry-After, never 500 or a hang', () => {
  it('SCIM and REST when the database cannot be reached', async () => {
    // A PostgreSQL that is not there: nothing listens on port 1.
    const database = await openDatabase({ databaseUrl: 'postgres://postgres@127.0.0.1:1/nowhere' });
    const server = createApp({ config: { bodyLimitBytes: 1024, publicUrl: 'http://127.0.0.1' }, database, services: createServices(database.knex, database.changes) }).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const res = await fetch(`${url}/scim/v2/Users`, { headers: { authorization: 'Bearer rc_scim_x' } });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(await res.json()).toMatchObject({ schemas: [ERROR], status: '503' });
      const rest = await fetch(`${url}/api/v4/teams`, { headers: { authorization: 'Bearer rc_api_x' } });
      expect(rest.status).toBe(503);
      expect(rest.headers.get('retry-after')).toBe('5');
      const page = await fetch(`${url}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: url }, body: 'username=pat%40example.com&password=x' });
      expect(page.status).toBe(503);
      expect(page.headers.get('retry-after')).toBeTruthy();
      const saml = await fetch(`${url}/sso/saml/acc_aaaaaaaaaaaaaaaaaaaa/metadata`);
      expect(saml.status).toBe(503);
    } finally {
      server.close();
      await database.close();
    }
  });

  it.skipIf(!onPostgres())('a statement past DATABASE_STATEMENT_TIMEOUT_MS is cancelled: SCIM and REST answer 503 with Retry-After', async () => {
    const scratch = await createScratchPostgres(process.env.TEST_DATABASE_URL!, 'rollcall_timeout');
    const database = await openDatabase({ databaseUrl: scratch.url, statementTimeoutMs: 300 });
    const holder = await openDatabase({ databaseUrl: scratch.url, statementTimeoutMs: 0 });
    try {
      await migrateLatest(database.knex);
      const services = createServices(database.knex, database.changes);
      const server = createApp({ config: { bodyLimitBytes: 1024 * 1024, publicUrl: 'http://127.0.0.1' }, database, services }).listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      try {
        const created = await services.accounts.create({ name: 'Slow', ownerEmail: uniqueEmail('slow'), ownerName: 'Owner' });
        const { token } = await services.scimTokens.createAsOperator(created.account.id);
        const { token: apiToken } = await services.apiTokens.createAsOperator(created.ownerAccountUserId);
        // Warm the token caches, then hold every table a read needs: each statement waits on the lock until cancelled.
        expect((await fetch(`${url}/scim/v2/Users`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
        const trx = await holder.knex.transaction();
        try {
          await trx.raw('lock table account_users, teams in access exclusive mode');
          const res = await fetch(`${url}/scim/v2/Users?filter=${encodeURIComponent('userName eq "x@example.com"')}`, { headers: { authorization: `Bearer ${token}` } });
          expect(res.status).toBe(503);
          expect(res.headers.get('retry-after')).toBe('2');
          expect(await res.json()).toMatchObject({ schemas: [ERROR], status: '503', detail: expect.stringMatching(/took too long/) });
          const rest = await fetch(`${url}/api/v4/teams`, { headers: { authorization: `Bearer ${apiToken}` } });
          expect(rest.status).toBe(503);
          expect(rest.headers.get('retry-after')).toBeTruthy();
        } finally {
          await trx.rollback();
        }
      } finally {
        server.closeAllConnections();
        server.close();
      }
    } finally {
      await holder.close();
      await database.close();
      await scratch.drop();
    }
  });
});
