import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/started-server.js';

/** Issue 13: a database that cannot be reached at start is retried, then named in one line; never a stack trace. */
describe('rollcall serve with a database that does not answer', () => {
  it('retries with a warning line each time, then exits 1 with one line naming the host', async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      LOG_SILENT: '0',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: '0',
      // nothing listens on port 9 of this machine (discard): the connection is refused at once
      DATABASE_URL: 'postgres://rollcall:s3cret-password@127.0.0.1:9/rollcall',
      DATABASE_WAIT_MS: '1500',
      ROLLCALL_SECRET_KEYS: randomBytes(32).toString('base64'),
    };
    const result = await runCli(['serve'], env);
    expect(result.code).toBe(1);
    const stderr = result.stderr.trim().split('\n');
    expect(stderr).toHaveLength(1);
    expect(stderr[0]).toMatch(/^rollcall: cannot reach the database at postgres:\/\/127\.0\.0\.1:9\/rollcall after \d+ s \(ECONNREFUSED/);
    expect(result.stdout).not.toMatch(/\\n\s+at /);
    const warnings = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(warnings.filter((w) => w.message === 'database not reachable yet; retrying').length).toBeGreaterThanOrEqual(2);
    expect(result.stdout + result.stderr).not.toContain('s3cret-password');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
