import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, runCli, scratchEnvironment } from '../support/started-server.js';

/**
 * The operator's commands as an operator runs them, each its own process on a fresh database:
 * tokens listed and revoked (and the API then refusing them), accounts listed, ownership handed
 * over, and migrations rolled back one at a time, never without a yes.
 */

const ROOT = path.resolve(import.meta.dirname, '../..');
// Each command opens the database anew (the embedded one takes seconds to start): generous timeouts.
const LONG = { timeout: 900_000 };

async function json<T>(args: string[], env: NodeJS.ProcessEnv): Promise<T> {
  const result = await runCli(args, env);
  expect(result.code, `rollcall ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return JSON.parse(result.stdout) as T;
}

/** `rollcall serve` until stop(); the embedded database admits one process, so commands run before and after. */
async function serve(env: NodeJS.ProcessEnv): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(process.execPath, ['bin/rollcall.js', 'serve'], { cwd: ROOT, env: { ...env, PORT: String(port), PUBLIC_URL: url }, stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let tries = 0; ; tries++) {
    if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}`);
    const ready = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
    if (ready) break;
    if (tries > 600) throw new Error('serve was not ready after 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

interface Created {
  account: { id: string };
  owner: { account_user_id: string };
  api_token: string;
}

describe('rollcall tokens, accounts and ownership', () => {
  let env: NodeJS.ProcessEnv;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    ({ env, drop } = await scratchEnvironment());
  });
  afterAll(() => drop?.());

  it('lists and revokes API and SCIM tokens (never showing them); the API refuses a revoked token; hands ownership to another admin', LONG, async () => {
    const acme = await json<Created>(['account', 'create', '--name', 'Acme', '--owner-email', 'owner@acme.example', '--json'], env);
    const other = await json<Created>(['account', 'create', '--name', 'Other', '--owner-email', 'owner@other.example', '--json'], env);
    const second = await json<{ token: string; id: string }>(['api-token', 'create', '--account-user', acme.owner.account_user_id, '--name', 'ci', '--json'], env);
    expect(second).toEqual({ token: expect.stringMatching(/^rc_api_/), id: expect.stringMatching(/^tok_/) });
    const scim = await json<{ token: string; id: string }>(['scim-token', 'create', '--account', acme.account.id, '--name', 'okta', '--json'], env);

    const listed = await runCli(['api-token', 'list', '--account', acme.account.id, '--json'], env);
    expect(listed.code).toBe(0);
    // the tokens themselves are shown once, at creation; a list names them only
    expect(listed.stdout).not.toContain(acme.api_token);
    expect(listed.stdout).not.toContain(second.token);
    const apiTokens = JSON.parse(listed.stdout).data as { id: string; account_user_id: string; name: string | null }[];
    expect(apiTokens.map((t) => t.name)).toEqual(['created with the account', 'ci']);
    expect(apiTokens.every((t) => t.account_user_id === acme.owner.account_user_id)).toBe(true);
    // one member's tokens; a member of another account is not found there
    expect((await json<{ data: unknown[] }>(['api-token', 'list', '--account', acme.account.id, '--account-user', acme.owner.account_user_id, '--json'], env)).data).toHaveLength(2);
    const foreign = await runCli(['api-token', 'list', '--account', acme.account.id, '--account-user', other.owner.account_user_id], env);
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toContain(`account_user ${other.owner.account_user_id} was not found`);

    const scimListed = await runCli(['scim-token', 'list', '--account', acme.account.id, '--json'], env);
    expect(scimListed.stdout).not.toContain(scim.token);
    expect(JSON.parse(scimListed.stdout).data).toEqual([expect.objectContaining({ id: scim.id, name: 'okta', last_used_at: null })]);

    expect(await json(['api-token', 'revoke', '--id', second.id, '--json'], env)).toEqual({ revoked: { id: second.id, account_id: acme.account.id } });
    expect(await json(['scim-token', 'revoke', '--id', scim.id, '--json'], env)).toEqual({ revoked: { id: scim.id, account_id: acme.account.id } });
    // revoked once: a second time there is no such working token, and a made-up id is not found either
    for (const args of [['scim-token', 'revoke', '--id', scim.id], ['api-token', 'revoke', '--id', "tok_x'; drop table api_tokens; --"]]) {
      const again = await runCli(args, env);
      expect(again.code, args.join(' ')).toBe(1);
      expect(again.stderr).toMatch(/(api|scim)_token .* was not found/);
    }
    expect((await json<{ data: { id: string }[] }>(['api-token', 'list', '--account', acme.account.id, '--json'], env)).data.map((t) => t.id)).not.toContain(second.id);

    const server = await serve(env);
    let adminId: string;
    let memberId: string;
    try {
      const asOwner = { authorization: `Bearer ${acme.api_token}`, 'content-type': 'application/json' };
      expect((await fetch(`${server.url}/api/v4/account_users`, { headers: { authorization: `Bearer ${second.token}` } })).status).toBe(401);
      expect((await fetch(`${server.url}/scim/v2/Users`, { headers: { authorization: `Bearer ${scim.token}` } })).status).toBe(401);
      // the owner's token, not revoked, still works; with it, an admin and a non-admin join
      const add = async (name: string, email: string, admin: boolean): Promise<string> => {
        const res = await fetch(`${server.url}/api/v4/account_users`, {
          method: 'POST',
          headers: asOwner,
          body: JSON.stringify({ user_attributes: { name, emails_attributes: [{ email }] }, roles: { admin } }),
        });
        expect(res.status).toBe(201);
        return ((await res.json()) as { id: string }).id;
      };
      adminId = await add('Ada Admin', 'ada@acme.example', true);
      memberId = await add('Max Member', 'max@acme.example', false);
    } finally {
      await server.stop();
    }

    // to a non-admin, to another account's owner (by email), in an account that does not exist: refused, and the owner stays
    const toMember = await runCli(['ownership', 'transfer', '--account', acme.account.id, '--to', memberId], env);
    expect(toMember.code).toBe(1);
    expect(toMember.stderr).toContain('is not an admin');
    const toStranger = await runCli(['ownership', 'transfer', '--account', acme.account.id, '--to', 'owner@other.example'], env);
    expect(toStranger.code).toBe(1);
    expect(toStranger.stderr).toContain('no member of account');
    const noAccount = await runCli(['ownership', 'transfer', '--account', 'acc_missing', '--to', adminId], env);
    expect(noAccount.code).toBe(1);
    expect(noAccount.stderr).toContain('account acc_missing was not found');

    const moved = await json<{ owner_account_user_id: string; previous_owner_account_user_id: string }>(['ownership', 'transfer', '--account', acme.account.id, '--to', 'ADA@acme.example', '--json'], env);
    expect(moved).toMatchObject({ owner_account_user_id: adminId, previous_owner_account_user_id: acme.owner.account_user_id });

    const accounts = await json<{ data: { id: string; name: string; owner: { account_user_id: string; email: string }; members: number }[] }>(['account', 'list', '--json'], env);
    expect(accounts.data).toEqual([
      expect.objectContaining({ id: acme.account.id, name: 'Acme', owner: { account_user_id: adminId, email: 'ada@acme.example' }, members: 3 }),
      expect.objectContaining({ id: other.account.id, name: 'Other', owner: { account_user_id: other.owner.account_user_id, email: 'owner@other.example' }, members: 1 }),
    ]);
  });
});

describe('rollcall migrate --rollback', () => {
  let env: NodeJS.ProcessEnv;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    ({ env, drop } = await scratchEnvironment());
  });
  afterAll(() => drop?.());

  const migrationNames = () =>
    fs
      .readdirSync(path.join(ROOT, 'migrations'))
      .filter((f) => /^\d{3}_[a-z0-9_]+\.ts$/.test(f))
      .sort()
      .map((f) => f.replace(/\.ts$/, ''));

  interface Status {
    applied: { name: string; batch: number }[];
    pending: string[];
  }

  it('refuses off a terminal without --yes and loses nothing; with --yes undoes the last migration only', LONG, async () => {
    const created = await json<Created>(['account', 'create', '--name', 'Kept', '--owner-email', 'owner@kept.example', '--json'], env);
    const names = migrationNames();
    const last = names.at(-1)!;
    const before = await json<Status>(['migrate', '--status', '--json'], env);
    expect(before.applied.map((m) => m.name)).toEqual(names);
    expect(before.pending).toEqual([]);

    // stdin is not a terminal here: no one to ask, so nothing is done
    const refused = await runCli(['migrate', '--rollback'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`not rolling back migration ${last}`);
    expect(refused.stderr).toMatch(/DROPS DATA|drops no data|MAY DROP DATA/);
    expect(refused.stderr).toContain('add --yes');
    const all = await runCli(['migrate', '--rollback', '--all'], env);
    expect(all.code).toBe(2);
    expect(all.stderr).toContain(`all ${names.length} applied migrations`);
    expect(all.stderr).toContain('drops every table');
    for (const misuse of [['migrate', '--yes'], ['migrate', '--all', '--yes'], ['migrate', '--status', '--rollback']]) {
      expect((await runCli(misuse, env)).code, misuse.join(' ')).toBe(2);
    }
    expect(await json<Status>(['migrate', '--status', '--json'], env)).toEqual(before);
    // the row written before is still there (account list reads it; nothing was pending to apply)
    expect((await json<{ data: { id: string }[] }>(['account', 'list', '--json'], env)).data.map((a) => a.id)).toEqual([created.account.id]);

    const rolledBack = await json<{ rolled_back: string[] }>(['migrate', '--rollback', '--yes', '--json'], env);
    expect(rolledBack.rolled_back).toEqual([last]);
    const after = await json<Status>(['migrate', '--status', '--json'], env);
    expect(after.applied.map((m) => m.name)).toEqual(names.slice(0, -1));
    expect(after.pending).toEqual([last]);

    // applied again, and the account (made long before the last migration) is still there
    expect((await json<{ applied: string[] }>(['migrate', '--json'], env)).applied).toEqual([last]);
    expect((await json<{ data: { id: string }[] }>(['account', 'list', '--json'], env)).data.map((a) => a.id)).toEqual([created.account.id]);
  });

  // util-linux's `script` gives the command a terminal, where it asks instead of refusing
  const hasScript = fs.existsSync('/usr/bin/script');
  it.skipIf(!hasScript)('on a terminal asks y/N, naming the migration and what it drops, and does nothing unless told yes', LONG, async () => {
    const last = migrationNames().at(-1)!;
    await json(['migrate', '--json'], env); // up to date, whether or not the test above ran
    const onTerminal = (answer: string): string => {
      try {
        return execFileSync('/usr/bin/script', ['-qec', 'node bin/rollcall.js migrate --rollback; echo "exit=$?"', '/dev/null'], { cwd: ROOT, env, input: answer, encoding: 'utf8', timeout: 240_000 });
      } catch (err) {
        return String((err as { stdout?: string }).stdout ?? err);
      }
    };
    const declined = onTerminal('n\n');
    expect(declined).toContain(`Roll back migration ${last}`);
    expect(declined).toContain('Roll it back? [y/N]');
    expect(declined).toContain('Nothing was rolled back.');
    expect(declined).toContain('exit=1');
    expect((await json<Status>(['migrate', '--status', '--json'], env)).pending).toEqual([]);

    const accepted = onTerminal('y\n');
    expect(accepted).toContain(`Rolled back: ${last}.`);
    expect(accepted).toContain('exit=0');
    expect((await json<Status>(['migrate', '--status', '--json'], env)).pending).toEqual([last]);
  });
});
