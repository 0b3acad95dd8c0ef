/** Classifies errors thrown by pg or PGlite, so that the rest of the code need not know their shapes. */

interface PgError {
  code?: string;
  constraint?: string;
  detail?: string;
}

export function isUniqueViolation(err: unknown): err is PgError {
  return typeof err === 'object' && err !== null && (err as PgError).code === '23505';
}

export function violatedConstraint(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as PgError;
  if (e.constraint) return e.constraint;
  // PGlite reports the constraint only in the message text.
  const match = /constraint "([^"]+)"/.exec(String((err as Error).message));
  return match?.[1];
}

export function isForeignKeyViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as PgError).code === '23503';
}

export function isSerializationFailure(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null ? (err as PgError).code : undefined;
  return code === '40001' || code === '40P01';
}

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', '57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08006']);

/** True when the database cannot be reached right now (down, restarting, pool exhausted). */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: string; name?: string; message?: string; errors?: unknown[] };
  if (e.code && UNAVAILABLE_CODES.has(e.code)) return true;
  if (e.name === 'KnexTimeoutError') return true;
  if (/Connection terminated|Timeout acquiring a connection|connect ECONNREFUSED/.test(String(e.message))) return true;
  if (Array.isArray(e.errors)) return e.errors.some(isDatabaseUnavailable); // AggregateError from pg on IPv4+IPv6
  return false;
}

/**
 * True when PostgreSQL cancelled the statement: statement_timeout (DATABASE_STATEMENT_TIMEOUT_MS)
 * or pg_cancel_backend (57014), or a lock wait past lock_timeout (55P03).
 */
export function isStatementTimeout(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null ? (err as PgError).code : undefined;
  return code === '57014' || code === '55P03';
}
