import { isDatabaseUnavailable, isStatementTimeout } from '../db/errors.js';
import { Unavailable } from './errors.js';

/**
 * A database fault as the domain's Unavailable, for the adapters' error handlers: the database
 * down or restarting, the pool exhausted, or a statement cancelled by statement_timeout (or by an
 * operator). All are worth retrying shortly, so every adapter answers 503 with Retry-After instead
 * of a 500. Statements outside transact/atomically (reads) reach the adapters unwrapped, which is
 * why this is asked again there. Undefined for any other error.
 */
export function unavailableOf(err: unknown): Unavailable | undefined {
  if (err instanceof Unavailable) return err;
  if (isStatementTimeout(err)) return new Unavailable('The request took too long and was cancelled; try again shortly', 2);
  if (isDatabaseUnavailable(err)) return new Unavailable();
  return undefined;
}
