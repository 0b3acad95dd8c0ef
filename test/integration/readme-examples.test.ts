import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readmeExamples, type ReadmeCommand, sampleDifferences } from '../support/readme-examples.js';
import { freePort, scratchEnvironment } from '../support/started-server.js';
import { onPostgres } from '../support/test-database.js';

/**
 * The README, followed top to bottom as a new user would (issue 16): every `curl` and
 * `npx rollcall` line of its `sh` blocks runs as written, through bash, against a server started
 * the way it says (`npm start`), on a fresh database (embedded, or PostgreSQL with
 * TEST_DATABASE_URL). Each example is one test named by its README line and section; it checks the
 * status and that the answer printed under it has the same keys and values (`…` in the README
 * stands for any text).
 *
 * What the test fills in, and nothing else:
 * - `http://127.0.0.1:3000` (the default PORT) is the started server's address: it listens on a
 *   free port, as `PORT` allows; in a sample answer, so is `https://rollcall.example.com` (the
 *   README's PUBLIC_URL).
 * - `PREFIX…` in a command (`acc_…`, `tem_…`, `rc_api_…`, `eyJ…`) is what the reader copies from
 *   an earlier answer: the value starting with PREFIX in the newest answer that holds exactly one.
 * - The placeholders the README names (NAMED_PLACEHOLDERS below).
 * - On the embedded database the server is stopped before an `npx rollcall` command and started
 *   again (`npm start`) before the next request, as First steps tells the reader.
 * curl reads its options from CURL_HOME/.curlrc: silent, and the status written after the body.
 */

const ROOT = path.resolve(import.meta.dirname, '../..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const examples = readmeExamples(README);
const README_URL = 'http://127.0.0.1:3000';
const README_PUBLIC_URL = 'https://rollcall.example.com';

interface Answer {
  command: ReadmeCommand;
  body: unknown;
}

/** Placeholders the README names where one `PREFIX…` would not say which: its Schedules example. */
const NAMED_PLACEHOLDERS: Record<string, { means: string; value(answers: Answer[]): unknown }> = {
  au_ann: {
    means: 'Ann, the owner made by `rollcall account create` in First steps',
    value: (answers) => (answers.find((a) => a.command.text.includes('account create'))?.body as { owner?: { account_user_id?: string } } | undefined)?.owner?.account_user_id,
  },
  au_bob: {
    means: 'Bobby Hill, added in "Account users"',
    value: (answers) => (answers.find((a) => (a.body as { user?: { name?: string } } | undefined)?.user?.name === 'Bobby Hill')?.body as { id?: string } | undefined)?.id,
  },
};

let env: NodeJS.ProcessEnv;
let dropDatabase: () => Promise<void>;
let url: string;
let curlHome: string;
let server: ChildProcess | undefined;
let serverOutput = '';
const answers: Answer[] = [];

beforeAll(async () => {
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  // the reader's shell: a fresh database (DATA_DIR or DATABASE_URL), PORT, logs for diagnosis
  const scratch = await scratchEnvironment({ PORT: String(port), LOG_SILENT: '0', LOG_LEVEL: 'warn' });
  env = scratch.env;
  delete env.HOST;
  delete env.PUBLIC_URL;
  dropDatabase = scratch.drop;
  curlHome = fs.mkdtempSync(path.join(os.tmpdir(), 'rollcall-readme-curl-'));
  fs.writeFileSync(path.join(curlHome, '.curlrc'), 'silent\nshow-error\nwrite-out = "\\n%{http_code}"\n');
  env.CURL_HOME = curlHome;
});

afterAll(async () => {
  await stopServer();
  await dropDatabase?.();
  if (curlHome) fs.rmSync(curlHome, { recursive: true, force: true });
});

function run(text: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', text], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `npm start`, as First steps says, in its own process group so that stopping it stops node too. */
async function startServer(): Promise<void> {
  if (server) return;
  serverOutput = '';
  const started = spawn('npm', ['start'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  server = started;
  started.stdout!.on('data', (d: Buffer) => (serverOutput += d));
  started.stderr!.on('data', (d: Buffer) => (serverOutput += d));
  for (;;) {
    if (started.exitCode !== null) throw new Error(`npm start exited with ${started.exitCode}:\n${serverOutput}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM to the server's process group (npm and node), then waits until every process of it is gone. */
async function stopServer(): Promise<void> {
  const stopping = server;
  server = undefined;
  if (!stopping?.pid) return;
  if (groupAlive(stopping.pid)) process.kill(-stopping.pid, 'SIGTERM');
  // SIGTERM drains and exits (README); a server stuck past the grace period is killed, not waited for forever
  const killAt = Date.now() + 30_000;
  while (groupAlive(stopping.pid)) {
    if (Date.now() > killAt) {
      try {
        process.kill(-stopping.pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The value starting with `prefix` in the newest answer that holds exactly one such value. */
function copiedFromAnAnswer(prefix: string): string | undefined {
  for (const answer of [...answers].reverse()) {
    const found = new Set<string>();
    const walk = (value: unknown): void => {
      if (typeof value === 'string' && value.startsWith(prefix) && value.length > prefix.length) found.add(value);
      else if (value && typeof value === 'object') Object.values(value).forEach(walk);
    };
    walk(answer.body);
    if (found.size === 1) return [...found][0];
  }
  return undefined;
}

function fillNamed(text: string): string {
  let filled = text;
  for (const [name, placeholder] of Object.entries(NAMED_PLACEHOLDERS)) {
    if (!new RegExp(`\\b${name}\\b`).test(filled)) continue;
    const value = placeholder.value(answers);
    if (typeof value !== 'string') throw new Error(`The README's ${name} (${placeholder.means}) has no value: that answer is missing`);
    filled = filled.replace(new RegExp(`\\b${name}\\b`, 'g'), value);
  }
  return filled;
}

/** The command as the reader types it, with the placeholders they fill (see the top of this file). */
function asTyped(command: ReadmeCommand): string {
  let text = command.text.split(README_URL).join(url);
  text = text.replace(/([A-Za-z0-9_]*)…/g, (placeholder, prefix: string) => {
    const value = prefix ? copiedFromAnAnswer(prefix) : undefined;
    if (!value) throw new Error(`README line ${command.line}: no earlier answer holds one value for ${placeholder}`);
    return value;
  });
  return fillNamed(text);
}

/** The README's sample with the server's address and the named placeholders filled in. */
function expectedSample(sample: unknown): unknown {
  return JSON.parse(fillNamed(JSON.stringify(sample).split(README_PUBLIC_URL).join(url).split(README_URL).join(url)));
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const title = (c: ReadmeCommand) => `README line ${c.line} (${c.section}): ${c.text.split('\n')[0].slice(0, 90)}`;

describe(`README.md followed top to bottom (${onPostgres() ? 'PostgreSQL' : 'embedded database'})`, () => {
  it('holds examples, each a command the test knows how to run, and few that are not run', () => {
    expect(examples.unknown.map((u) => `README line ${u.line} (${u.section}): ${u.text}`)).toEqual([]);
    // as many as the README held when this test was written: an example dropped by mistake shows here
    expect(examples.commands.filter((c) => c.kind === 'curl').length).toBeGreaterThanOrEqual(18);
    expect(examples.commands.filter((c) => c.kind === 'cli').length).toBeGreaterThanOrEqual(10);
    expect(examples.commands.filter((c) => c.sample).length).toBeGreaterThanOrEqual(18);
    expect(examples.skipped.length).toBeLessThanOrEqual(2);
    for (const skipped of examples.skipped) expect(skipped.reason.length).toBeGreaterThan(10);
  });

  it('tells a sample from an answer that lacks a key, has one more, or another value', () => {
    const sample = { id: 'au_…', user: { name: 'Bobby Hill', emails: [{ verified: false }] }, created_at: '…' };
    expect(sampleDifferences(sample, { id: 'au_x1', user: { name: 'Bobby Hill', emails: [{ verified: false }] }, created_at: '2024-01-01T00:00:00.000Z' })).toEqual([]);
    expect(sampleDifferences(sample, { id: 'au_x1', user: { name: 'Bobby Hill', emails: [{ verified: false }] } })).toEqual(['created_at: README shows it, the answer has no such key']);
    expect(sampleDifferences(sample, { id: 'au_x1', user: { name: 'Bobby Hill', given_name: 'Bobby', emails: [{ verified: false }] }, created_at: 't' })).toEqual([
      'user.given_name: the answer has it ("Bobby"), README does not show it',
    ]);
    expect(sampleDifferences(sample, { id: 'usr_x1', user: { name: 'Bob', emails: [{ verified: false }, { verified: true }] }, created_at: null })).toHaveLength(4);
    // a command's status and its sample, as the README writes them
    const parsedReadme = readmeExamples('## S\n\n```sh\ncurl -X POST http://127.0.0.1:3000/x \\\n  -d \'{\n "a": 1}\'   # 201 made\n# {"id":"x_…",\n#  "n":2}\n# prose\n```\n');
    expect(parsedReadme.commands).toMatchObject([{ line: 4, kind: 'curl', status: 201, sample: { line: 7, body: { id: 'x_…', n: 2 } } }]);
  });

  it('starts the server with `npm start` as `rollcall serve` (what the README says npm start runs)', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string>; bin: Record<string, string> };
    expect(pkg.scripts.start).toBe('node bin/rollcall.js serve');
    expect(pkg.bin.rollcall).toBe('bin/rollcall.js');
  });

  for (const command of examples.commands) {
    it(title(command), { timeout: 180_000 }, async () => {
      const where = `README line ${command.line} (${command.section})`;
      if (command.kind === 'serve') {
        await startServer();
        return;
      }
      const text = asTyped(command);
      if (command.kind === 'export') {
        const name = /^export (\w+)=/.exec(text)![1];
        const result = await run(`${text}\nprintf %s "$${name}"`);
        expect(result.code, `${where}: ${result.stderr}`).toBe(0);
        env[name] = result.stdout;
        return;
      }
      if (command.kind === 'cli') {
        // the embedded database is one process's at a time: the reader stops the server first
        if (!onPostgres()) await stopServer();
        const result = await run(text);
        const body = parsed(result.stdout);
        answers.push({ command, body });
        expect(result.code, `${where} exited with ${result.code}: ${result.stderr}`).toBe(command.status === undefined ? 0 : command.status);
        if (command.sample) {
          expect(body, `${where}: the command printed no JSON: ${result.stdout}`).toBeDefined();
          expect(sampleDifferences(expectedSample(command.sample.body), body), `${where}: the sample at line ${command.sample.line} differs`).toEqual([]);
        }
        return;
      }
      await startServer();
      const result = await run(text);
      expect(result.code, `${where}: curl failed: ${result.stderr}`).toBe(0);
      const cut = result.stdout.lastIndexOf('\n');
      const status = Number(result.stdout.slice(cut + 1));
      const body = parsed(result.stdout.slice(0, cut));
      answers.push({ command, body });
      if (command.status !== undefined) expect(status, `${where}: ${result.stdout}`).toBe(command.status);
      else expect(status >= 200 && status < 300, `${where} answered ${status}: ${result.stdout}`).toBe(true);
      if (command.sample) {
        expect(body, `${where}: the answer is not JSON: ${result.stdout}`).toBeDefined();
        expect(sampleDifferences(expectedSample(command.sample.body), body), `${where}: the sample at line ${command.sample.line} differs`).toEqual([]);
      }
    });
  }
});
