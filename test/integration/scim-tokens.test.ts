import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Unauthenticated } from '../../src/domain/errors.js';
import { runCli, scratchEnvironment } from '../support/started-server.js';
import { startTestApp, type TestAccount, type TestApp, uniqueEmail } from '../support/test-app.js';

let app: TestApp;
let acme: TestAccount;
let globex: TestAccount;
/** A member of Acme without roles, with their own API token. */
let plain: { id: string; token: string };

beforeAll(async () => {
  app = await startTestApp();
  acme = await app.createAccount('Acme');
  globex = await app.createAccount('Globex');
  const member = await app.request('POST', '/api/v4/account_users', {
    token: acme.token,
    body: { user_attributes: { name: 'Plain Member', emails_attributes: [{ email: uniqueEmail('plain') }] } },
  });
  expect(member.status).toBe(201);
  plain = { id: member.body.id, token: (await app.services.apiTokens.createAsOperator(member.body.id)).token };
});
afterAll(() => app?.stop());

describe('SCIM tokens over /api/v4/scim_tokens', () => {
  it('an admin creates a token, sees it once with the SCIM base URL, and the token acts in the account through the SCIM channel', async () => {
    const created = await app.request('POST', '/api/v4/scim_tokens', { token: acme.token, body: { name: 'Okta' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ object: 'scim_token', name: 'Okta', last_used_at: null });
    expect(created.body.id).toMatch(/^stok_/);
    expect(created.body.token).toMatch(/^rc_scim_[A-Za-z0-9_-]{43}$/);
    expect(created.body.base_url).toBe(`${app.url}/scim/v2`);

    const ctx = await app.services.scimTokens.authenticate(created.body.token, 'req-1');
    expect(ctx).toEqual({ accountId: acme.accountId, actor: { type: 'scim_token', tokenId: created.body.id }, channel: 'scim', requestId: 'req-1' });

    const list = await app.request('GET', '/api/v4/scim_tokens', { token: acme.token });
    expect(list.status).toBe(200);
    const listed = list.body.data.find((t: { id: string }) => t.id === created.body.id);
    expect(listed).toMatchObject({ id: created.body.id, name: 'Okta' });
    expect(listed.last_used_at).not.toBeNull(); // authenticate recorded the use
    expect(JSON.stringify(list.body)).not.toContain(created.body.token);
  });

  it('keeps only the SHA-256 hash of the token, and the audit trail never holds it', async () => {
    const created = await app.request('POST', '/api/v4/scim_tokens', { token: acme.token, body: {} });
    expect(created.status).toBe(201);
    const rows = await app.database.knex('scim_tokens').where({ id: created.body.id });
    expect(rows).toHaveLength(1);
    expect(rows[0].token_hash).toBe(createHash('sha256').update(created.body.token).digest('hex'));
    expect(JSON.stringify(rows)).not.toContain(created.body.token);
    const audit = await app.request('GET', '/api/v4/audit_events?limit=100', { token: acme.token });
    expect(audit.body.data.some((e: { action: string; target: { id: string } }) => e.action === 'scim_token.create' && e.target.id === created.body.id)).toBe(true);
    expect(JSON.stringify(audit.body)).not.toContain(created.body.token);
  });

  it('a revoked token no longer authenticates and leaves the list; revoking again is a 404', async () => {
    const created = await app.request('POST', '/api/v4/scim_tokens', { token: acme.token, body: { name: 'to revoke' } });
    await expect(app.services.scimTokens.authenticate(created.body.token)).resolves.toMatchObject({ accountId: acme.accountId });

    const revoked = await app.request('DELETE', `/api/v4/scim_tokens/${created.body.id}`, { token: acme.token });
    expect(revoked.status).toBe(204);
    await expect(app.services.scimTokens.authenticate(created.body.token)).rejects.toBeInstanceOf(Unauthenticated);

    const list = await app.request('GET', '/api/v4/scim_tokens', { token: acme.token });
    expect(list.body.data.map((t: { id: string }) => t.id)).not.toContain(created.body.id);
    expect((await app.request('DELETE', `/api/v4/scim_tokens/${created.body.id}`, { token: acme.token })).status).toBe(404);
  });

  it('an unknown, empty or API token is not a SCIM token', async () => {
    await expect(app.services.scimTokens.authenticate('rc_scim_not-a-real-token')).rejects.toBeInstanceOf(Unauthenticated);
    await expect(app.services.scimTokens.authenticate('')).rejects.toBeInstanceOf(Unauthenticated);
    await expect(app.services.scimTokens.authenticate(acme.token)).rejects.toBeInstanceOf(Unauthenticated);
  });

  it('only admins manage SCIM tokens', async () => {
    expect((await app.request('POST', '/api/v4/scim_tokens', { token: plain.token, body: {} })).status).toBe(403);
    expect((await app.request('GET', '/api/v4/scim_tokens', { token: plain.token })).status).toBe(403);
    const created = await app.request('POST', '/api/v4/scim_tokens', { token: acme.token, body: {} });
    expect((await app.request('DELETE', `/api/v4/scim_tokens/${created.body.id}`, { token: plain.token })).status).toBe(403);
    await expect(app.services.scimTokens.authenticate(created.body.token)).resolves.toMatchObject({ accountId: acme.accountId });
  });

  it("another account's admin neither sees nor revokes the tokens of this one", async () => {
    const created = await app.request('POST', '/api/v4/scim_tokens', { token: acme.token, body: { name: 'acme only' } });
    const list = await app.request('GET', '/api/v4/scim_tokens', { token: globex.token });
    expect(list.body.data.map((t: { id: string }) => t.id)).not.toContain(created.body.id);
    expect((await app.request('DELETE', `/api/v4/scim_tokens/${created.body.id}`, { token: globex.token })).status).toBe(404);
    await expect(app.services.scimTokens.authenticate(created.body.token)).resolves.toMatchObject({ accountId: acme.accountId });
  });

  it('refuses a name that is not a string, naming the field', async () => {
    const res = await app.request('POST', '/api/v4/scim_tokens', { token: acme.token, body: { name: 42 } });
    expect(res.status).toBe(400);
    expect(res.body.errors[0]).toMatchObject({ field: 'name' });
  });
});

describe('rollcall scim-token create', () => {
  it('prints {"token","base_url"} with base_url = PUBLIC_URL + /scim/v2; an unknown account is an error', async () => {
    const scratch = await scratchEnvironment({ PUBLIC_URL: 'https://rollcall.example.com' });
    try {
      const account = await runCli(['account', 'create', '--name', 'CLI Co', '--owner-email', uniqueEmail('cli'), '--json'], scratch.env);
      expect(account.code).toBe(0);
      const accountId = JSON.parse(account.stdout).account.id as string;

      const created = await runCli(['scim-token', 'create', '--account', accountId, '--json'], scratch.env);
      expect(created.code).toBe(0);
      const printed = JSON.parse(created.stdout);
      expect(printed.token).toMatch(/^rc_scim_/);
      expect(printed.base_url).toBe('https://rollcall.example.com/scim/v2');

      const missing = await runCli(['scim-token', 'create', '--account', 'acc_nope', '--json'], scratch.env);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('acc_nope');
      const usage = await runCli(['scim-token', 'create', '--json'], scratch.env);
      expect(usage.code).toBe(2);
      expect(usage.stderr).toContain('--account is required');
    } finally {
      await scratch.drop();
    }
  }, 180_000); // each command is a new Node process loading TypeScript: slow on a busy machine
});
