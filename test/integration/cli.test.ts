import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/started-server.js';
import { createScratchPostgres, onPostgres } from '../support/test-database.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
let env: NodeJS.ProcessEnv;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const base: NodeJS.ProcessEnv = { ...process.env, LOG_SILENT: '0', LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: '0' };
  delete base.DATABASE_URL;
  if (onPostgres()) {
    const scratch = await createScratchPostgres(process.env.TEST_DATABASE_URL!);
    // serve refuses PostgreSQL without keys for secrets at rest (README, ROLLCALL_SECRET_KEYS)
    env = { ...base, DATABASE_URL: scratch.url, ROLLCALL_SECRET_KEYS: randomBytes(32).toString('base64') };
    cleanup = scratch.drop;
  } else {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rollcall-cli-'));
    env = { ...base, DATA_DIR: dataDir };
    cleanup = async () => fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
const children: ChildProcess[] = [];
afterAll(async () => {
  // a serve left running by a failed test would hold the embedded database's lock
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await cleanup?.();
});

const rollcall = (args: string[]) => runCli(args, env);

/** Starts `rollcall serve`; resolves with the process, its URL and its log lines so far. */
function serve(): Promise<{ child: ChildProcess; url: string; lines: Record<string, unknown>[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/rollcall.js', 'serve'], { cwd: ROOT, env });
    children.push(child);
    const lines: Record<string, unknown>[] = [];
    let buffer = '';
    child.stdout.on('data', (d) => {
      buffer += d;
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = JSON.parse(buffer.slice(0, nl)) as Record<string, unknown>;
        buffer = buffer.slice(nl + 1);
        lines.push(line);
        if (line.message === 'rollcall listening') setTimeout(() => resolve({ child, url: String(line.url), lines }), 300);
      }
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}`)));
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

// Every test starts processes (the embedded database takes seconds to open, more on a busy machine).
describe('the rollcall command', { timeout: 300_000 }, () => {
  it('serves an empty database, says how to create the first account, and stops cleanly on SIGTERM', async () => {
    const { child, lines } = await serve();
    child.removeAllListeners('exit');
    expect(lines.some((l) => String(l.message).includes('rollcall account create'))).toBe(true);
    if (!onPostgres()) {
      // the embedded database belongs to one process: a second one is refused, clearly
      const second = await rollcall(['account', 'create', '--name', 'Acme', '--owner-email', 'x@example.com', '--json']);
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/in use by process \d+/);
    }
    const done = exited(child);
    child.kill('SIGTERM');
    expect(await done).toBe(0);
    expect(lines.at(-1)?.message).toBe('stopped');
  });

  it('creates an account whose owner token works against the started server, then more tokens', async () => {
    const created = await rollcall(['account', 'create', '--name', 'Acme', '--owner-email', 'owner@acme.example', '--owner-name', 'Olive Owner', '--json']);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const out = JSON.parse(created.stdout);
    expect(out).toEqual({
      account: { id: expect.stringMatching(/^acc_/), name: 'Acme' },
      owner: { account_user_id: expect.stringMatching(/^au_/), user_id: expect.stringMatching(/^usr_/) },
      api_token: expect.stringMatching(/^rc_api_/),
    });

    const token = await rollcall(['api-token', 'create', '--account-user', out.owner.account_user_id, '--json']);
    expect(token.code).toBe(0);
    const second = JSON.parse(token.stdout).token as string;

    const { child, url } = await serve();
    child.removeAllListeners('exit');
    try {
      for (const bearer of [out.api_token, second]) {
        const res = await fetch(`${url}/api/v4/account_users`, { headers: { authorization: `Bearer ${bearer}` } });
        expect(res.status).toBe(200);
        const body = await res.json();
        expect(body.data[0].user).toMatchObject({ name: 'Olive Owner', user_name: 'owner@acme.example' });
        expect(body.data[0].roles.admin).toBe(true);
      }
    } finally {
      const done = exited(child);
      child.kill('SIGTERM');
      await done;
    }
  });

  it('reports errors on stderr with a non-zero exit', async () => {
    const missing = await rollcall(['account', 'create', '--name', 'Acme']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--owner-email is required');
    const badEmail = await rollcall(['account', 'create', '--name', 'Acme', '--owner-email', 'nope', '--json']);
    expect(badEmail.code).toBe(1);
    expect(badEmail.stderr).toContain('"nope" is not a valid email address');
    expect(badEmail.stdout).toBe('');
    const unknown = await rollcall(['api-token', 'create', '--account-user', 'au_missing', '--json']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('account_user au_missing was not found');
    const nonsense = await rollcall(['frobnicate']);
    expect(nonsense.code).toBe(2);
    expect(nonsense.stderr).toContain('unknown command: frobnicate');
  });

  it('exits 2 on a usage error, with the command\'s usage, before opening any database', async () => {
    // a data directory that does not exist: a command that opened the database would make it
    const untouched = path.join(os.tmpdir(), `rollcall-never-${randomBytes(4).toString('hex')}`);
    const usageEnv = { ...env, DATA_DIR: untouched, DATABASE_URL: '' };
    const cases: [string[], string][] = [
      [['migrate', '--rollbak'], 'unknown option --rollbak for `rollcall migrate` (did you mean --rollback?)'],
      [['account', 'create', '--name', 'Acme'], '--owner-email is required'],
      [['account', 'create', '--name'], "Option '--name' argument missing"],
      [['account', 'list', 'extra'], 'unexpected argument "extra"'],
      [['account', 'list', '--json=yes'], "Option '--json' does not take an argument"],
      [['api-token', 'revoke'], '--id is required'],
      [['ownership', 'transfer', '--account', 'acc_x'], '--to is required'],
      [['account'], '`rollcall account` needs one more word: create, list'],
      [['account', 'delete'], 'unknown command: account delete'],
      [['help', 'nothing'], 'unknown command: nothing'],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args, usageEnv);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toContain(message);
      expect(result.stderr, args.join(' ')).toContain('Usage: rollcall');
      expect(result.stdout).toBe('');
    }
    expect(fs.existsSync(untouched)).toBe(false);
  });

  it('answers --help and -h for every command with its usage and each option described, exit 0', async () => {
    const { COMMANDS } = await import('../../src/cli/commands.js');
    const noDatabase = { ...env, DATA_DIR: path.join(os.tmpdir(), `rollcall-never-${randomBytes(4).toString('hex')}`), DATABASE_URL: '' };
    const queue = [...COMMANDS];
    // a few at a time: each is a process of its own
    await Promise.all(
      Array.from({ length: 3 }, async () => {
        for (let command = queue.shift(); command; command = queue.shift()) {
          const help = await runCli([...command.words, '--help'], noDatabase);
          const name = command.words.join(' ');
          expect(help.code, name).toBe(0);
          expect(help.stderr, name).toBe('');
          expect(help.stdout, name).toContain(`Usage: rollcall ${name}`);
          for (const [option, spec] of Object.entries(command.options)) {
            const line = help.stdout.split('\n').find((l) => l.startsWith(`  --${option} `));
            expect(line, `${name} --${option}`).toContain(spec.description);
          }
          expect(help.stdout, name).toContain('-h, --help');
        }
      }),
    );
    const short = await runCli(['scim-token', 'revoke', '-h'], noDatabase);
    expect(short.code).toBe(0);
    expect(short.stdout).toContain('Usage: rollcall scim-token revoke --id TOKEN_ID [--json]');
    const all = await runCli(['--help'], noDatabase);
    expect(all.code).toBe(0);
    for (const command of COMMANDS) expect(all.stdout).toContain(`  ${command.words.join(' ')} `);
    expect(fs.existsSync(noDatabase.DATA_DIR!)).toBe(false);
  });
});
