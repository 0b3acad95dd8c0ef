import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestAccount } from '../support/test-app.js';

/**
 * What an identity provider's import sees when it pages through /Users: totalResults is the exact
 * number of members however they were created or deleted (it is kept by the database, not
 * counted), and a walk that continues page after page returns every member who stayed exactly
 * once, even when others come and go in between.
 */

let app: TestApp;
let acme: TestAccount;
let scim: string;
let otherScim: string;
const tag = `w${Date.now().toString(36)}`;
let seq = 0;

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';

interface ListBody {
  totalResults: number;
  itemsPerPage: number;
  startIndex: number;
  Resources: { id: string; userName: string }[];
}

const req = (method: string, path: string, body?: unknown, token = scim) => app.request(method, `/scim/v2${path}`, { token, body });

async function createUser(token = scim): Promise<string> {
  const name = `${tag}-${seq++}`;
  const res = await req('POST', '/Users', { schemas: [USER], userName: `${name}@example.com`, name: { givenName: 'Walk', familyName: name }, emails: [{ value: `${name}@example.com`, primary: true }] }, token);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

async function deleteUser(id: string): Promise<void> {
  const res = await req('DELETE', `/Users/${id}`);
  expect(res.status, JSON.stringify(res.body)).toBe(204);
}

async function list(startIndex: number, count: number): Promise<ListBody> {
  const res = await req('GET', `/Users?startIndex=${startIndex}&count=${count}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as ListBody;
}

async function countedMembers(accountId: string): Promise<number> {
  const [{ count }] = (await app.database.knex('account_users').where({ account_id: accountId }).count('* as count')) as { count: number | string }[];
  return Number(count);
}

beforeAll(async () => {
  app = await startTestApp();
  acme = await app.createAccount('Acme');
  const other = await app.createAccount('Other');
  scim = (await app.services.scimTokens.createAsOperator(acme.accountId)).token;
  otherScim = (await app.services.scimTokens.createAsOperator(other.accountId)).token;
  // members of another account are neither counted nor listed here
  await createUser(otherScim);
});
afterAll(() => app?.stop());

describe('totalResults of /Users', () => {
  it('is the exact number of members after concurrent creates and deletes', async () => {
    const first = await Promise.all(Array.from({ length: 12 }, () => createUser()));
    // deletes of some racing creates of others
    await Promise.all([...first.slice(0, 5).map((id) => deleteUser(id)), ...Array.from({ length: 6 }, () => createUser())]);
    const expected = await countedMembers(acme.accountId);
    expect(expected).toBe(1 + 12 - 5 + 6); // the owner, then the SCIM members

    expect((await list(1, 0)).totalResults).toBe(expected);
    const page = await list(1, 5);
    expect(page.totalResults).toBe(expected);
    expect(page.itemsPerPage).toBe(5);
    expect((await list(expected - 1, 5)).totalResults).toBe(expected);
  });

  it('does not count a create that failed (its transaction rolled back)', async () => {
    const before = (await list(1, 0)).totalResults;
    const taken = `${tag}-taken@example.com`;
    const body = { schemas: [USER], userName: taken, name: { givenName: 'T', familyName: 'T' }, emails: [{ value: taken, primary: true }] };
    expect((await req('POST', '/Users', body)).status).toBe(201);
    expect((await req('POST', '/Users', body)).status).toBe(409);
    expect((await list(1, 0)).totalResults).toBe(before + 1);
    expect(await countedMembers(acme.accountId)).toBe(before + 1);
  });
});

describe('walking /Users page by page, as an import does', () => {
  it('returns every member who stayed exactly once while members are deleted and created during the walk', async () => {
    const count = 4;
    const startTotal = (await list(1, 0)).totalResults;
    const stayed = new Set<string>();
    const seen: string[] = [];
    const deleted: string[] = [];
    const created: string[] = [];
    for (let start = 1; ; start += count) {
      const page = await list(start, count);
      seen.push(...page.Resources.map((r) => r.id));
      if (start === 1) for (const id of (await list(1, startTotal)).Resources.map((r) => r.id)) stayed.add(id);
      if (start === 1 + count) {
        // behind the walk: a member already returned, and one on the next page goes too; a new member arrives
        const gone = [seen[1], (await list(start + count, 1)).Resources[0].id];
        for (const id of gone) {
          await deleteUser(id);
          stayed.delete(id);
          deleted.push(id);
        }
        created.push(await createUser());
      }
      if (page.Resources.length < count) break;
    }
    expect(new Set(seen).size, 'no member twice').toBe(seen.length);
    for (const id of stayed) expect(seen, `member ${id} was in the account throughout`).toContain(id);
    expect(seen).not.toContain(deleted[1]);
    expect(seen).toContain(created[0]);
  });

  it('answers a page that does not follow one just served (OFFSET) the same as one that does', async () => {
    const total = (await list(1, 0)).totalResults;
    const all = (await list(1, total)).Resources.map((r) => r.id);
    const walked: string[] = [];
    for (let start = 1; start <= total; start += 3) walked.push(...(await list(start, 3)).Resources.map((r) => r.id));
    expect(walked).toEqual(all);
    // startIndex 2 and 5 never ended a page: these are skipped to, not continued
    expect((await list(2, 3)).Resources.map((r) => r.id)).toEqual(all.slice(1, 4));
    expect((await list(5, 4)).Resources.map((r) => r.id)).toEqual(all.slice(4, 8));
    // startIndex 11 did not end a page, but 9 did (startIndex 5, count 4): continued from there, 2 skipped
    expect((await list(11, 2)).Resources.map((r) => r.id)).toEqual(all.slice(10, 12));
    // startIndex 8: a page ended at 6 in an earlier test, before members were deleted; not continued from
    expect((await list(8, 2)).Resources.map((r) => r.id)).toEqual(all.slice(7, 9));
    const past = await list(total + 1, 3);
    expect(past.Resources).toEqual([]);
    expect(past.totalResults).toBe(total);
  });
});

describe('a member in a page', () => {
  it('is the same document as the member read alone: emails and phones in order, groups, group-granted roles, attributes kept as sent', async () => {
    const name = `${tag}-whole`;
    const created = await req('POST', '/Users', {
      schemas: [USER],
      userName: `${name}@example.com`,
      name: { givenName: 'Whole', familyName: 'Member', formatted: 'Dr Whole Member' },
      title: 'On-call lead',
      emails: [{ value: `${name}@home.example.org`, type: 'home' }, { value: `${name}@example.com`, type: 'work', primary: true }, { value: `${name}@other.example.org`, type: 'other' }],
      phoneNumbers: [{ value: '+1 415 555 0101', type: 'work' }, { value: '+1 415 555 0102', type: 'mobile', primary: true }],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;
    for (const group of [`${tag} Zulu responders`, `${tag} Alpha responders`]) {
      expect((await req('POST', '/Groups', { schemas: [GROUP], displayName: group, members: [{ value: id }] })).status).toBe(201);
    }
    const mapped = await app.request('POST', '/api/v4/role_mappings', { token: acme.token, body: { group: `${tag} Alpha responders`, roles: ['admin'] } });
    expect(mapped.status, JSON.stringify(mapped.body)).toBe(201);

    const alone = await req('GET', `/Users/${id}`);
    expect(alone.status).toBe(200);
    expect(alone.body.groups).toHaveLength(2);
    expect(alone.body.roles).toContainEqual(expect.objectContaining({ value: 'admin', type: 'group' }));
    const total = (await list(1, 0)).totalResults;
    const pages: ListBody['Resources'][] = [];
    for (let start = 1; start <= total; start += 7) pages.push((await list(start, 7)).Resources);
    const inPage = pages.flat().find((r) => r.id === id);
    expect(inPage).toEqual(alone.body);
  });
});

