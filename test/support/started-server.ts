import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createScratchPostgres, onPostgres } from './test-database.js';

/**
 * The real thing, as an operator runs it: `node bin/rollcall.js serve` as its own process on a
 * free port, over a fresh database (a new embedded data directory, or a new PostgreSQL database
 * when TEST_DATABASE_URL is set), with an account and a SCIM token made by the CLI beforehand.
 * For the conformance suites, which must talk to a started server.
 */

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface StartedServer {
  /** http://127.0.0.1:PORT */
  url: string;
  /** What `rollcall scim-token create --json` printed as base_url (PUBLIC_URL + /scim/v2). */
  scimBaseUrl: string;
  scimToken: string;
  accountId: string;
  ownerAccountUserId: string;
  /** The owner's (an admin's) API token, for /api/v4. */
  apiToken: string;
  port: number;
  /** The environment the server runs with (DATABASE_URL or DATA_DIR, PORT, PUBLIC_URL). */
  env: NodeJS.ProcessEnv;
  /** The server's output so far (JSON log lines), for diagnosing a failure. */
  output(): string;
  stop(): Promise<void>;
}

/** A loopback port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Runs one `rollcall` command to its end, with `input` on its standard input when given. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv, input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/rollcall.js', ...args], { cwd: ROOT, env, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d));
    child.stderr!.on('data', (d: Buffer) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    if (input !== undefined) child.stdin!.end(input);
  });
}

async function cliJson<T>(args: readonly string[], env: NodeJS.ProcessEnv): Promise<T> {
  const result = await runCli(args, env);
  if (result.code !== 0) throw new Error(`rollcall ${args.join(' ')} exited with ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

async function waitUntilReady(url: string, child: ChildProcess, output: () => string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`rollcall serve exited with ${child.exitCode}:\n${output()}`);
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`rollcall serve was not ready after ${timeoutMs} ms:\n${output()}`);
}

/**
 * An environment for `rollcall` commands over a fresh, empty database: a new embedded data
 * directory, or a new PostgreSQL database when TEST_DATABASE_URL is set. drop() removes it.
 */
export async function scratchEnvironment(extra: NodeJS.ProcessEnv = {}): Promise<{ env: NodeJS.ProcessEnv; drop(): Promise<void> }> {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', ...extra };
  delete env.DATABASE_URL;
  delete env.DATA_DIR;
  if (onPostgres()) {
    const scratch = await createScratchPostgres(process.env.TEST_DATABASE_URL!);
    env.DATABASE_URL = scratch.url;
    // serve refuses PostgreSQL without a key for secrets at rest (the embedded database makes its own)
    env.ROLLCALL_SECRET_KEYS ??= randomBytes(32).toString('base64');
    return { env, drop: scratch.drop };
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rollcall-started-'));
  env.DATA_DIR = dataDir;
  return { env, drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }) };
}

export interface StartOptions {
  accountName?: string;
  ownerEmail?: string;
  /** The owner's full name, as `--owner-name` takes it. */
  ownerName?: string;
  /** More environment for the server (not the CLI), made from the scratch environment (e.g. from its DATABASE_URL). */
  serverEnv?: (env: NodeJS.ProcessEnv) => NodeJS.ProcessEnv;
}

export async function startServer(options: StartOptions = {}): Promise<StartedServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // The server logs (warnings and errors, JSON lines) are kept for output(), even under vitest's LOG_SILENT.
  const { env, drop: dropDatabase } = await scratchEnvironment({ HOST: '127.0.0.1', PORT: String(port), PUBLIC_URL: url, LOG_SILENT: '0' });

  let child: ChildProcess | undefined;
  try {
    // The embedded database admits one process at a time: the CLI runs before the server starts.
    const account = await cliJson<{ account: { id: string }; owner: { account_user_id: string }; api_token: string }>(
      ['account', 'create', '--name', options.accountName ?? 'Conformance', '--owner-email', options.ownerEmail ?? 'owner@conformance.example.com', ...(options.ownerName ? ['--owner-name', options.ownerName] : []), '--json'],
      env,
    );
    const scim = await cliJson<{ token: string; base_url: string }>(['scim-token', 'create', '--account', account.account.id, '--name', 'conformance', '--json'], env);

    const started = spawn(process.execPath, ['bin/rollcall.js', 'serve'], { cwd: ROOT, env: { ...env, ...options.serverEnv?.(env) }, stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    let output = '';
    started.stdout!.on('data', (d: Buffer) => (output += d));
    started.stderr!.on('data', (d: Buffer) => (output += d));
    const exited = new Promise<void>((resolve) => started.once('exit', () => resolve()));
    await waitUntilReady(url, started, () => output);

    let stopping: Promise<void> | undefined;
    return {
      url,
      port,
      scimBaseUrl: scim.base_url,
      scimToken: scim.token,
      accountId: account.account.id,
      ownerAccountUserId: account.owner.account_user_id,
      apiToken: account.api_token,
      env,
      output: () => output,
      stop: () =>
        (stopping ??= (async () => {
          if (started.exitCode === null) {
            started.kill('SIGTERM');
            const timer = setTimeout(() => started.kill('SIGKILL'), 15_000);
            await exited;
            clearTimeout(timer);
          }
          await dropDatabase();
        })()),
    };
  } catch (err) {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await dropDatabase();
    throw err;
  }
}
