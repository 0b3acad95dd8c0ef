import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import { createServices } from '../../src/domain/services.js';
import { createApp } from '../../src/http/app.js';
import { logger } from '../../src/log.js';
import { logLinesOf } from '../support/log-capture.js';
import { startTestApp, type TestAccount, type TestApp, uniqueEmail } from '../support/test-app.js';

let app: TestApp;
let acme: TestAccount;

beforeAll(async () => {
  app = await startTestApp();
  acme = await app.createAccount('Acme');
});
afterAll(() => app?.stop());

describe('HTTP errors of the REST API', () => {
  it('answers 400 for malformed JSON', async () => {
    const res = await app.request('POST', '/api/v4/teams', { token: acme.token, rawBody: '{"name": ', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [{ message: 'The request body is not valid JSON' }] });
  });

  it('answers 413 for a body over 1 MiB and creates nothing', async () => {
    const res = await app.request('POST', '/api/v4/teams', { token: acme.token, body: { name: 'Big', description: 'x'.repeat(1024 * 1024 + 10) } });
    expect(res.status).toBe(413);
    expect(res.body.errors[0].message).toMatch(/1 MiB/);
  });

  it('answers 404 in the API error shape for an unknown endpoint', async () => {
    const res = await app.request('GET', '/api/v4/nothing-here', { token: acme.token });
    expect(res.status).toBe(404);
    expect(res.body.errors[0].message).toContain('/api/v4/nothing-here');
  });

  it('echoes a given X-Request-Id and makes one otherwise', async () => {
    const given = await app.request('GET', '/healthz', { headers: { 'x-request-id': 'abc-123' } });
    expect(given.headers.get('x-request-id')).toBe('abc-123');
    const made = await app.request('GET', '/healthz', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('reports health and readiness', async () => {
    expect((await app.request('GET', '/healthz')).body).toEqual({ status: 'ok' });
    expect((await app.request('GET', '/readyz')).body).toEqual({ status: 'ready' });
  });
});

describe('when the database cannot be reached', () => {
  it('answers 503 with Retry-After, and /readyz says so', async () => {
    // A PostgreSQL that is not there: nothing listens on port 1.
    const database = await openDatabase({ databaseUrl: 'postgres://postgres@127.0.0.1:1/nowhere' });
    const server = createApp({ config: { bodyLimitBytes: 1024, publicUrl: 'http://127.0.0.1' }, database, services: createServices(database.knex) }).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const res = await fetch(`${url}/api/v4/account_users`, { headers: { authorization: 'Bearer rc_api_x' } });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(JSON.stringify(await res.json())).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(503);
    } finally {
      server.close();
      await database.close();
    }
  });
});

describe('logs', () => {
  it('are JSON lines with the request id and never hold a token or a password', async () => {
    const lines = await logLinesOf(async () => {
      await app.request('POST', '/api/v4/account_users', {
        token: acme.token,
        headers: { 'x-request-id': 'log-check-1' },
        body: { user_attributes: { name: 'Pat', password: 'hunter2hunter2', emails_attributes: [{ email: uniqueEmail('pat') }] } },
      });
      await app.request('GET', '/api/v4/account_users', { token: 'rc_api_wrong-token-value' });
      logger.info('explicit', { password: 'p4ssw0rd!', nested: { api_token: acme.token, authorization: `Bearer ${acme.token}` } });
    });
    const text = lines.join('');
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(lines.some((l) => JSON.parse(l).request_id === 'log-check-1')).toBe(true);
    expect(text).not.toContain(acme.token);
    expect(text).not.toContain('rc_api_wrong-token-value');
    expect(text).not.toContain('hunter2hunter2');
    expect(text).not.toContain('p4ssw0rd!');
  });
});
