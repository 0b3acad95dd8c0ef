import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** Filters, sorting and paging run in the database: every page, every filter form, one account only. */

let app: TestApp;
let scim: string;
let otherScim: string;
const tag = `l${Date.now().toString(36)}`;
const ids: Record<string, string> = {};

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

const req = (method: string, path: string, body?: unknown, token = scim) => app.request(method, `/scim/v2${path}`, { token, body });
const filtered = async (filter: string, extra = '') => {
  const res = await req('GET', `/Users?filter=${encodeURIComponent(filter)}${extra}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { totalResults: number; itemsPerPage: number; startIndex: number; Resources: { id: string; userName: string }[] };
};
const names = (body: { Resources: { userName: string }[] }) => body.Resources.map((r) => r.userName.split('@')[0].replace(`${tag}-`, ''));

beforeAll(async () => {
  app = await startTestApp();
  const acme = await app.createAccount('Acme');
  const other = await app.createAccount('Other');
  scim = (await app.services.scimTokens.createAsOperator(acme.accountId)).token;
  otherScim = (await app.services.scimTokens.createAsOperator(other.accountId)).token;
  const people: [string, string, string, boolean, string][] = [
    ['alice', 'Alice', 'Zeta', true, 'Engineering'],
    ['bob', 'Bob', 'Young', true, 'Sales'],
    ['carol', 'Carol', "O'Hara", false, 'Engineering'],
    ['dave', 'Dave', 'Xu', true, 'Support'],
    ['erin', 'Erin', 'Walker', true, 'Engineering'],
  ];
  for (const [n, given, family, active, department] of people) {
    const res = await req('POST', '/Users', {
      schemas: [USER, ENTERPRISE],
      userName: `${tag}-${n}@Example.com`,
      externalId: `ext-${n}`,
      name: { givenName: given, familyName: family },
      displayName: `${given} ${family}`,
      emails: [{ value: `${tag}-${n}@example.com`, type: 'work', primary: true }, { value: `${tag}-${n}@home.example.org`, type: 'home' }],
      active,
      [ENTERPRISE]: { department },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    ids[n] = res.body.id;
  }
  // someone in another account who matches every filter below must never appear
  await req('POST', '/Users', { schemas: [USER], userName: `${tag}-zed@example.com`, name: { givenName: 'Zed', familyName: 'Zeta' }, emails: [{ value: `${tag}-zed@example.com`, primary: true }] }, otherScim);
});
afterAll(() => app?.stop());

describe('SCIM filters in the database', () => {
  it('compares userName, emails.value and displayName without regard to case; externalId exactly', async () => {
    expect(names(await filtered(`userName eq "${tag}-ALICE@EXAMPLE.COM"`))).toEqual(['alice']);
    expect(names(await filtered(`emails.value eq "${tag}-BOB@example.COM"`))).toEqual(['bob']);
    expect(names(await filtered(`displayName eq "dave xu"`))).toEqual(['dave']);
    expect(names(await filtered('externalId eq "ext-erin"'))).toEqual(['erin']);
    expect((await filtered('externalId eq "EXT-ERIN"')).totalResults).toBe(0);
  });

  it('supports co, sw, ew, ne, pr, gt/lt on dates, and escaped quotes', async () => {
    expect(names(await filtered(`userName sw "${tag}-c"`))).toEqual(['carol']);
    expect(names(await filtered(`userName ew "${tag.slice(-3)}-dave@example.com" or name.familyName co "alk"`))).toEqual(['dave', 'erin']);
    expect(names(await filtered(`name.familyName eq "O\\"Hara" or name.familyName eq "O'Hara"`))).toEqual(['carol']);
    expect(names(await filtered(`userName sw "${tag}" and name.givenName ne "Alice"`))).toEqual(['bob', 'carol', 'dave', 'erin']);
    expect(names(await filtered(`userName sw "${tag}" and phoneNumbers pr`))).toEqual([]);
    expect(names(await filtered(`userName sw "${tag}" and externalId pr and not (emails.type eq "home")`))).toEqual([]);
    expect((await filtered(`userName sw "${tag}" and meta.created gt "2000-01-01T00:00:00Z"`)).totalResults).toBe(5);
    expect((await filtered(`userName sw "${tag}" and meta.created lt "2000-01-01T00:00:00Z"`)).totalResults).toBe(0);
  });

  it('supports and/or/not with nested parentheses, and not (A or B) means neither', async () => {
    expect(names(await filtered(`userName sw "${tag}" and not (name.givenName eq "Alice" or name.givenName eq "Bob")`))).toEqual(['carol', 'dave', 'erin']);
    expect(names(await filtered(`userName sw "${tag}" and ((name.givenName eq "Alice" or (name.givenName eq "Bob")) and active eq true)`))).toEqual(['alice', 'bob']);
  });

  it('matches a value path on one and the same entry', async () => {
    expect(names(await filtered(`emails[type eq "home" and value co "${tag}-dave@"]`))).toEqual(['dave']);
    // the home address is not the work one: no single entry meets both
    expect((await filtered(`emails[type eq "work" and value co "home.example.org"] and userName sw "${tag}"`)).totalResults).toBe(0);
    // Entra matching on a work email writes the comparison after the value filter (and Microsoft's guide, without ".value")
    expect(names(await filtered(`emails[type eq "home"].value co "${tag}-dave@"`))).toEqual(['dave']);
    expect(names(await filtered(`emails[type eq "home"] co "${tag}-dave@"`))).toEqual(['dave']);
    expect((await filtered(`emails[type eq "work"].value co "${tag}-dave@home"`)).totalResults).toBe(0);
  });

  it('filters on the enterprise extension and returns deactivated users', async () => {
    expect(names(await filtered(`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "engineering"`))).toEqual(['alice', 'carol', 'erin']);
    const inactive = await filtered('active eq false');
    expect(names(inactive)).toEqual(['carol']);
  });

  it('answers 400 invalidFilter for an unsupported attribute or bad syntax, never an empty list', async () => {
    for (const bad of ['nickName eq "x"', 'userName eq', 'userName eq "x" and (', 'meta.created gt "yesterday"', 'active co "t"']) {
      const res = await req('GET', `/Users?filter=${encodeURIComponent(bad)}`);
      expect(res.status, bad).toBe(400);
      expect(res.body.scimType, bad).toBe('invalidFilter');
    }
  });
});

describe('SCIM paging and sorting', () => {
  it('pages in a stable order with the right totalResults on every page, integers in the response', async () => {
    const seen: string[] = [];
    for (let start = 1; start <= 6; start += 2) {
      const page = await filtered(`userName sw "${tag}"`, `&startIndex=${start}&count=2`);
      expect(page.totalResults).toBe(5);
      expect(page.startIndex).toBe(start);
      expect(page.itemsPerPage).toBe(page.Resources.length);
      seen.push(...names(page));
    }
    expect(seen).toEqual(['alice', 'bob', 'carol', 'dave', 'erin']);
  });

  it('gives the total alone for count=0, an empty page past the end, and caps count at maxResults', async () => {
    const zero = await filtered(`userName sw "${tag}"`, '&count=0');
    expect(zero).toMatchObject({ totalResults: 5, itemsPerPage: 0, Resources: [] });
    const past = await filtered(`userName sw "${tag}"`, '&startIndex=50&count=10');
    expect(past).toMatchObject({ totalResults: 5, startIndex: 50, itemsPerPage: 0 });
    const config = await req('GET', '/ServiceProviderConfig');
    expect(config.body.filter.maxResults).toBe(200);
    const capped = await req('GET', '/Users?count=100000');
    expect(capped.status).toBe(200);
    expect(capped.body.Resources.length).toBeLessThanOrEqual(200);
    const bad = await req('GET', '/Users?count=many');
    expect(bad.status).toBe(400);
  });

  it('sorts by an attribute in either order', async () => {
    const asc = await filtered(`userName sw "${tag}"`, '&sortBy=name.familyName&sortOrder=ascending');
    expect(names(asc)).toEqual(['carol', 'erin', 'dave', 'bob', 'alice']);
    const desc = await filtered(`userName sw "${tag}"`, '&sortBy=name.familyName&sortOrder=descending&startIndex=2&count=2');
    expect(names(desc)).toEqual(['bob', 'dave']);
  });

  it('applies attributes and excludedAttributes, and searches with POST /.search', async () => {
    const slim = await filtered(`userName eq "${tag}-alice@example.com"`, '&attributes=userName,name.givenName');
    expect(slim.Resources[0]).toEqual({ schemas: expect.any(Array), id: ids.alice, userName: `${tag}-alice@Example.com`, name: { givenName: 'Alice' } });
    const without = await filtered(`userName eq "${tag}-alice@example.com"`, '&excludedAttributes=emails,groups');
    expect(without.Resources[0].userName).toBeDefined();
    expect((without.Resources[0] as Record<string, unknown>).emails).toBeUndefined();
    const search = await req('POST', '/Users/.search', { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: `userName sw "${tag}"`, startIndex: 2, count: 2, attributes: ['userName'] });
    expect(search.status).toBe(200);
    expect(search.body).toMatchObject({ totalResults: 5, startIndex: 2, itemsPerPage: 2 });
    expect(Object.keys(search.body.Resources[0]).sort()).toEqual(['id', 'schemas', 'userName']);
  });
});
