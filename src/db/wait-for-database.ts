import type { Knex } from 'knex';
import { logger } from '../log.js';

/** The database could not be reached within the time allowed at start: said in one line, without a stack. */
export class DatabaseUnreachableError extends Error {
  constructor(describe: string, waitedMs: number, reason: string) {
    super(`cannot reach the database at ${describe} after ${Math.round(waitedMs / 1000)} s (${reason}): check DATABASE_URL and that PostgreSQL is running`);
    this.name = 'DatabaseUnreachableError';
  }
}

/** What a failed connection says, without anything a URL might hold (a password). */
function reasonOf(err: unknown): string {
  const code = (err as { code?: string }).code;
  const message = err instanceof Error ? err.message : String(err);
  return code ? `${code}: ${message.replace(/postgres(ql)?:\/\/\S+/g, '(url)')}` : message.replace(/postgres(ql)?:\/\/\S+/g, '(url)');
}

/**
 * Waits until the database answers, retrying with backoff (0.25 s doubling to 5 s) for up to
 * `waitMs`, so that a server started beside its database (or while PostgreSQL restarts) comes up
 * on its own instead of exiting with a stack trace.
 */
export async function waitForDatabase(knex: Knex, describe: string, waitMs: number): Promise<void> {
  const started = Date.now();
  let delay = 250;
  for (;;) {
    try {
      await knex.raw('select 1');
      return;
    } catch (err) {
      const waited = Date.now() - started;
      const reason = reasonOf(err);
      if (waited + delay > waitMs) throw new DatabaseUnreachableError(describe, waited, reason);
      logger.warn('database not reachable yet; retrying', { database: describe, reason, retry_in_ms: delay });
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 5_000);
    }
  }
}
