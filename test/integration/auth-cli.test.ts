import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import { createServices } from '../../src/domain/services.js';
import { runCli, scratchEnvironment } from '../support/started-server.js';
import { testSecrets } from '../support/test-app.js';
import { TestIdp } from '../support/test-idp.js';

let env: NodeJS.ProcessEnv;
let drop: () => Promise<void>;
let tmp: string;

beforeAll(async () => {
  ({ env, drop } = await scratchEnvironment({ PUBLIC_URL: 'https://rollcall.example.com' }));
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rollcall-auth-cli-'));
});
afterAll(async () => {
  await drop?.();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** The database the commands wrote to, opened after they exited (the embedded one admits one process). */
async function withServicesOfEnv<T>(work: (services: ReturnType<typeof createServices>) => Promise<T>): Promise<T> {
  const database = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR });
  try {
    return await work(createServices(database.knex, undefined, testSecrets()));
  } finally {
    await database.close();
  }
}

describe('rollcall user set-password and sso configure', () => {
  // Each command opens the database anew (the embedded one takes seconds to start): a generous timeout.
  it('sets a password read from stdin, and configures SSO from IdP metadata', { timeout: 600_000 }, async () => {
    const created = await runCli(['account', 'create', '--name', 'Acme', '--owner-email', 'owner@acme.example', '--json'], env);
    expect(created.code).toBe(0);
    const accountId = JSON.parse(created.stdout).account.id as string;

    const set = await runCli(['user', 'set-password', '--email', 'owner@acme.example', '--json'], env, 'a long enough secret\n');
    expect(set.code).toBe(0);
    expect(set.stdout).not.toContain('a long enough secret');
    expect(JSON.parse(set.stdout).email).toBe('owner@acme.example');

    const short = await runCli(['user', 'set-password', '--email', 'owner@acme.example'], env, 'short\n');
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('at least 8 characters');
    const nobody = await runCli(['user', 'set-password', '--email', 'nobody@acme.example'], env, 'a long enough secret\n');
    expect(nobody.code).toBe(1);

    const idp = await TestIdp.create({ entityId: 'https://idp.acme.example/metadata', ssoUrl: 'https://idp.acme.example/sso' });
    const metadataFile = path.join(tmp, 'idp.xml');
    fs.writeFileSync(metadataFile, idp.metadataXml());
    const configured = await runCli(['sso', 'configure', '--account', accountId, '--idp-metadata', metadataFile, '--enforce', '--jit', '--json'], env);
    expect(configured.code, configured.stderr).toBe(0);
    const summary = JSON.parse(configured.stdout);
    expect(summary).toMatchObject({
      idp_entity_id: 'https://idp.acme.example/metadata',
      idp_sso_url: 'https://idp.acme.example/sso',
      enforced: true,
      jit: true,
      allow_idp_initiated: false,
      service_provider: { entity_id: `https://rollcall.example.com/sso/saml/${accountId}/metadata`, acs_url: `https://rollcall.example.com/sso/saml/${accountId}/acs` },
    });
    expect(summary.idp_certificate_fingerprints).toHaveLength(1);

    // links the CLI prints are made from PUBLIC_URL, as the server's are; without it, from HOST and PORT, and it says so
    const scim = await runCli(['scim-token', 'create', '--account', accountId, '--json'], env);
    expect(JSON.parse(scim.stdout).base_url).toBe('https://rollcall.example.com/scim/v2');
    const withoutPublicUrl = { ...env, PUBLIC_URL: '', HOST: '127.0.0.1', PORT: '8080' };
    const text = await runCli(['scim-token', 'create', '--account', accountId], withoutPublicUrl);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('SCIM base URL: http://127.0.0.1:8080/scim/v2');
    expect(text.stdout).toContain("run rollcall with the server's PUBLIC_URL, or its HOST and PORT");

    const missing = await runCli(['sso', 'configure', '--account', accountId, '--idp-metadata', path.join(tmp, 'nope.xml')], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no such file');

    await withServicesOfEnv(async (services) => {
      // The owner is an admin: a password sign-in is allowed even though the account now enforces SSO.
      const signedIn = await services.signIn.signInWithPassword({ login: 'owner@acme.example', password: 'a long enough secret', channel: 'api' }, 'jwt');
      expect(signedIn.membership.account_id).toBe(accountId);
      const settings = await services.sso.forAccount(accountId);
      expect(settings).toMatchObject({ enforced: true, jit: true, idpEntityId: 'https://idp.acme.example/metadata' });
      const events = await services.audit.list({ accountId, actor: { type: 'system' }, channel: 'cli' }, { limit: 20, offset: 0 });
      expect(events.rows.map((e) => e.action)).toEqual(expect.arrayContaining(['user.set_password', 'sso.configure']));
    });
  });
});
