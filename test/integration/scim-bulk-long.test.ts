import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCIM_URN, startScimApp } from '../support/scim-client.js';
import type { TestApp } from '../support/test-app.js';

/** Issue 13: a long /Bulk must not stall the process, and stops when its client goes away. */

let app: TestApp;
let token: string;

beforeAll(async () => {
  const started = await startScimApp('Bulk');
  app = started.app;
  token = (await app.services.scimTokens.createAsOperator(started.account.accountId)).token;
});
afterAll(() => app?.stop());

const bulkOf = (count: number, tag: string) => ({
  schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
  Operations: Array.from({ length: count }, (_, i) => ({
    method: 'POST',
    path: '/Users',
    bulkId: `u${i}`,
    data: { schemas: [SCIM_URN.user], userName: `${tag}-${i}@bulk.example`, name: { givenName: 'Bulk', familyName: String(i) }, emails: [{ value: `${tag}-${i}@bulk.example`, primary: true }] },
  })),
});

const post = (body: unknown, signal?: AbortSignal) =>
  fetch(`${app.url}/scim/v2/Bulk`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' }, body: JSON.stringify(body), signal });

describe('a long /Bulk', () => {
  it('lets health checks and other requests through between its operations', async () => {
    const order: string[] = [];
    const bulk = post(bulkOf(150, `yield${Date.now()}`)).then(async (res) => {
      order.push('bulk');
      return res.json() as Promise<{ Operations: { status: string }[] }>;
    });
    // once the bulk has started writing, a health check asked now is answered before it ends
    const started = Date.now();
    while ((await app.database.knex('users').whereLike('user_name', 'yield%').count<{ n: number }[]>('* as n'))[0].n < 3 && Date.now() - started < 20_000) {
      await new Promise((r) => setTimeout(r, 5));
    }
    const health = await fetch(`${app.url}/healthz`);
    order.push('healthz');
    expect(health.status).toBe(200);
    const done = await bulk;
    expect(order).toEqual(['healthz', 'bulk']);
    expect(done.Operations.every((op) => op.status === '201')).toBe(true);
  });

  it('starts no further operation once the client has gone, and leaves none half-written', async () => {
    const tag = `gone${Date.now()}`;
    const client = new AbortController();
    const bulk = post(bulkOf(400, tag), client.signal).catch((err: unknown) => err);
    const started = Date.now();
    while ((await app.database.knex('users').whereLike('user_name', `${tag}%`).count<{ n: number }[]>('* as n'))[0].n < 3 && Date.now() - started < 20_000) {
      await new Promise((r) => setTimeout(r, 5));
    }
    client.abort();
    await bulk;
    // the operation under way when the connection closed may finish; then the count stays put
    const count = async () => Number((await app.database.knex('users').whereLike('user_name', `${tag}%`).count<{ n: number }[]>('* as n'))[0].n);
    let before = await count();
    for (let settled = 0; settled < 5; ) {
      await new Promise((r) => setTimeout(r, 100));
      const now = await count();
      settled = now === before ? settled + 1 : 0;
      before = now;
    }
    expect(before).toBeLessThan(400);
    // every user written is whole: an email and a membership each
    const partial = await app.database.knex('users as u')
      .whereLike('u.user_name', `${tag}%`)
      .andWhere((w) => w.whereNotExists((s) => s.select(1).from('user_emails as e').whereRaw('e.user_id = u.id')).orWhereNotExists((s) => s.select(1).from('account_users as au').whereRaw('au.user_id = u.id')))
      .count<{ n: number }[]>('* as n');
    expect(Number(partial[0].n)).toBe(0);
  });
});
