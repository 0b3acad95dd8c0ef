import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCIM_URN, type ScimRequest, startScimApp } from '../support/scim-client.js';
import { type TestAccount, type TestApp, uniqueEmail } from '../support/test-app.js';

/**
 * Lists of users (an import's pages, an IdP's lookups) are answered from each member's stored
 * document (member_documents, migration 008). These check that a list shows exactly what a GET of
 * the member shows after every kind of change, whichever path made it (SCIM, the REST API, SQL run
 * by hand), so the database, not the code that writes, keeps the documents current; and that a
 * document rendered from an older state is never stored over a newer change.
 */

let app: TestApp;
let acme: TestAccount;
let req: ScimRequest;

const USER = SCIM_URN.user;
const GROUP = SCIM_URN.group;
const PATCH_OP = SCIM_URN.patchOp;

beforeAll(async () => {
  ({ app, account: acme, req } = await startScimApp());
});
afterAll(() => app?.stop());

const sql = (text: string, bindings: unknown[] = []) => app.database.knex.raw(text, bindings as Knex.RawBinding[]);

interface StoredDocument {
  version: string;
  format: string | null;
  stamp: string | null;
  body: string | null;
}

async function stored(id: string): Promise<StoredDocument | undefined> {
  const rows = (await sql('select version::text as version, format, stamp, body from member_documents where account_user_id = ?', [id])).rows as StoredDocument[];
  return rows[0];
}

async function createUser(): Promise<{ id: string; userName: string }> {
  const email = uniqueEmail('documents');
  const res = await req('POST', '/Users', {
    schemas: [USER],
    userName: email,
    name: { givenName: 'Grace', familyName: 'Hopper' },
    emails: [{ value: email, type: 'work', primary: true }],
    phoneNumbers: [{ value: '+1 415 555 0123', type: 'mobile' }],
    title: 'Rear Admiral',
  });
  expect(res.status).toBe(201);
  return { id: res.body.id, userName: email };
}

/** The member as the unfiltered list shows it, checked equal to what GET /Users/{id} shows. */
async function listedAsGot(id: string): Promise<Record<string, any>> {
  const list = await req('GET', '/Users?startIndex=1&count=200');
  expect(list.status).toBe(200);
  expect(list.headers.get('content-type')).toMatch(/^application\/scim\+json/);
  const entry = list.body.Resources.find((r: { id: string }) => r.id === id);
  const got = await req('GET', `/Users/${id}`);
  expect(entry).toEqual(got.body);
  return entry;
}

describe('a list of users answered from stored documents', () => {
  it('stores each document as it is first listed, then serves the stored text', async () => {
    const { id } = await createUser();
    await listedAsGot(id);
    const row = await stored(id);
    expect(row?.body).toBeTruthy();
    expect(row?.format).toMatch(/^scim-user\/\d+\//);
    // changed behind the read model's back (no trigger marks it): the list serves what is stored
    await sql(`update member_documents set body = replace(body, '"Grace"', '"Stored"') where account_user_id = ?`, [id]);
    const list = await req('GET', '/Users?startIndex=1&count=200');
    expect(list.body.Resources.find((r: { id: string }) => r.id === id).name.givenName).toBe('Stored');
    // ... and a document of another format is not used: it is rendered anew and stored in this one
    await sql(`update member_documents set format = 'scim-user/0/elsewhere' where account_user_id = ?`, [id]);
    expect((await listedAsGot(id)).name.givenName).toBe('Grace');
    expect((await stored(id))?.format).toBe(row?.format);
  });

  it('shows every change as a GET does, whichever path made it', async () => {
    const { id } = await createUser();
    const team = await req('POST', '/Groups', { schemas: [GROUP], displayName: `Paging ${id}`, members: [{ value: id }] });
    expect(team.status).toBe(201);
    const teamId = team.body.id as string;

    // each step: the document is stored and current, the change is made, the list shows it
    const steps: [string, () => Promise<unknown>, (member: Record<string, any>) => void][] = [
      ['a SCIM PATCH', () => req('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'Commodore' }] }), (m) => expect(m.title).toBe('Commodore')],
      ['a REST update of the profile', () => app.request('PATCH', `/api/v4/account_users/${id}`, { token: acme.token, body: { user_attributes: { name: 'Amazing Grace' } } }), (m) => expect(m.displayName).toBe('Amazing Grace')],
      ['SQL on users', () => sql(`update users set given_name = 'Gracie', updated_at = now() where id = (select user_id from account_users where id = ?)`, [id]), (m) => expect(m.name.givenName).toBe('Gracie')],
      ['SQL adding an email', () => sql(`insert into user_emails (id, user_id, email, type) select 'em_doc_' || ?, user_id, ?, 'home' from account_users where id = ?`, [id, uniqueEmail('home'), id]), (m) => expect(m.emails.map((e: { type: string }) => e.type)).toEqual(['work', 'home'])],
      ['SQL removing the phone', () => sql(`delete from user_phones where user_id = (select user_id from account_users where id = ?)`, [id]), (m) => expect(m.phoneNumbers).toBeUndefined()],
      ['a REST rename of the team', () => app.request('PATCH', `/api/v4/teams/${teamId}`, { token: acme.token, body: { name: `Renamed ${id}` } }), (m) => expect(m.groups).toEqual([expect.objectContaining({ value: teamId, display: `Renamed ${id}` })])],
      ['a role mapping for the team', () => app.request('POST', '/api/v4/role_mappings', { token: acme.token, body: { group: `renamed ${id}`, roles: ['admin'] } }), (m) => expect(m.roles).toContainEqual(expect.objectContaining({ value: 'admin', type: 'group' }))],
      ['SQL on the kept IdP attributes', () => sql(`update member_idp_attributes set attributes = attributes || '{"nickName": "Amazing"}' where account_user_id = ?`, [id]), (m) => expect(m.nickName).toBe('Amazing')],
      ['a SCIM PATCH removing the member from the group', () => req('PATCH', `/Groups/${teamId}`, { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${id}"]` }] }), (m) => {
        expect(m.groups ?? []).toEqual([]);
        expect(m.roles ?? []).not.toContainEqual(expect.objectContaining({ type: 'group' }));
      }],
      ['a SCIM deactivation', () => req('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] }), (m) => expect(m.active).toBe(false)],
    ];
    for (const [what, change, shows] of steps) {
      await listedAsGot(id);
      expect((await stored(id))?.body, `stored before ${what}`).toBeTruthy();
      const result = (await change()) as { status?: number } | undefined;
      if (result && typeof result.status === 'number') expect(result.status, what).toBeLessThan(300);
      // the stored document is not served: the list shows the change, as GET does
      shows(await listedAsGot(id));
    }
  });

  it('marks both members stale when an email moves from one person to another', async () => {
    const from = await createUser();
    const to = await createUser();
    const moved = uniqueEmail('moved');
    await sql(`insert into user_emails (id, user_id, email, type) select 'em_moved_' || ?, user_id, ?, 'other' from account_users where id = ?`, [from.id, moved, from.id]);
    await listedAsGot(from.id);
    await listedAsGot(to.id);
    await sql(`update user_emails set user_id = (select user_id from account_users where id = ?) where email = ?`, [to.id, moved]);
    expect((await stored(from.id))?.body).toBeNull();
    expect((await stored(to.id))?.body).toBeNull();
    expect((await listedAsGot(from.id)).emails.map((e: { value: string }) => e.value)).not.toContain(moved);
    expect((await listedAsGot(to.id)).emails.map((e: { value: string }) => e.value)).toContain(moved);
  });

  it('never serves a document stored late, under the stamp its page read before a change', async () => {
    const { id } = await createUser();
    await listedAsGot(id);
    const before = (await stored(id))!;
    // a change to the member's own rows, then one to a child row (its phones), each followed by
    // what a slow reader that rendered before it would store: the old document under the old stamp
    const changes = [
      () => req('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: 'Late Grace' }] }),
      () => sql(`delete from user_phones where user_id = (select user_id from account_users where id = ?)`, [id]),
    ];
    for (const change of changes) {
      await change();
      await sql('update member_documents set format = ?, stamp = ?, body = ? where account_user_id = ?', [before.format, before.stamp, before.body, id]);
      const listed = await listedAsGot(id);
      expect(listed.displayName).toBe('Late Grace');
    }
    expect((await listedAsGot(id)).phoneNumbers).toBeUndefined();
  });

  it("counts no change its own transaction's write of the membership already shows (a new member, a member written then its emails)", async () => {
    // POST writes the person, their contacts, the membership and its kept attributes in one
    // statement: the read model's triggers find the membership written by it and store nothing
    const { id } = await createUser();
    expect(await stored(id)).toBeUndefined();
    await listedAsGot(id);
    const before = (await stored(id))!;
    expect(before.body).toBeTruthy();

    // the membership's row written first, then the person's emails, in one transaction: its new
    // xmin alone makes the stored document stale, without a count
    await app.database.knex.transaction(async (trx) => {
      await trx.raw(`update account_users set external_id = 'ext-own-write' where id = ?`, [id]);
      await trx.raw(`update user_emails set type = 'home' where user_id = (select user_id from account_users where id = ?)`, [id]);
    });
    expect((await stored(id))?.version).toBe(before.version);
    const after = await listedAsGot(id);
    expect(after.externalId).toBe('ext-own-write');
    expect(after.emails.map((e: { type: string }) => e.type)).toEqual(['home']);

    // the other way round (the emails before the membership's row) the emails' change is counted
    await app.database.knex.transaction(async (trx) => {
      await trx.raw(`update user_emails set type = 'work' where user_id = (select user_id from account_users where id = ?)`, [id]);
      await trx.raw(`update account_users set external_id = 'ext-after' where id = ?`, [id]);
    });
    expect(Number((await stored(id))?.version)).toBe(Number(before.version) + 1);
    expect((await listedAsGot(id)).emails.map((e: { type: string }) => e.type)).toEqual(['work']);
  });

  it('is not made stale by a sign-in (a column no document shows)', async () => {
    const { id } = await createUser();
    await listedAsGot(id);
    const before = await stored(id);
    await sql(`update users set last_sign_in_at = now() where id = (select user_id from account_users where id = ?)`, [id]);
    expect(await stored(id)).toEqual(before);
    // and is still served: changed behind the read model's back, the stored text shows
    await sql(`update member_documents set body = replace(body, '"Grace"', '"Stored"') where account_user_id = ?`, [id]);
    const list = await req('GET', '/Users?startIndex=1&count=200');
    expect(list.body.Resources.find((r: { id: string }) => r.id === id).name.givenName).toBe('Stored');
  });

  it('answers lookups by userName from the same documents, and projections from them', async () => {
    const { id, userName } = await createUser();
    const lookup = async () => (await req('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`)).body;
    expect((await lookup()).Resources).toEqual([(await req('GET', `/Users/${id}`)).body]);
    expect((await stored(id))?.body).toBeTruthy();
    await req('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: 'Admiral Hopper' }] });
    const found = await lookup();
    expect(found).toMatchObject({ totalResults: 1, startIndex: 1, itemsPerPage: 1 });
    expect(found.Resources).toEqual([(await req('GET', `/Users/${id}`)).body]);
    expect(found.Resources[0].displayName).toBe('Admiral Hopper');
    const projected = await req('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}&attributes=userName`);
    expect(projected.body.Resources).toEqual([{ schemas: found.Resources[0].schemas, id, userName }]);
  });

});
