/**
 * Errors the domain throws. Each adapter turns them into its own HTTP shape in one place
 * (api/errors.ts, scim/errors.ts); nothing below an adapter knows about status codes.
 */
export type DomainErrorCode = 'not_found' | 'conflict' | 'invalid' | 'forbidden' | 'unauthenticated' | 'unavailable' | 'rate_limited';

export abstract class DomainError extends Error {
  abstract readonly code: DomainErrorCode;
}

/** The thing does not exist, or is not visible to the caller (never says which). */
export class NotFound extends DomainError {
  readonly code = 'not_found';
  constructor(
    readonly resource: string,
    readonly id: string,
  ) {
    super(`${resource} ${id} was not found`);
  }
}

/** The change collides with existing state: a taken email or user name, a member still on a shift. */
export class Conflict extends DomainError {
  readonly code = 'conflict';
  constructor(
    message: string,
    /** The field whose value is taken, when the conflict is about uniqueness. */
    readonly field?: string,
  ) {
    super(message);
  }
}

/**
 * Optimistic concurrency (If-Match, expected_version): the caller saw `expected`, the row (locked
 * by the caller) is at `actual`. Nothing to check when the caller named no version.
 */
export function requireVersion(what: string, id: string, actual: number, expected: number | undefined): void {
  if (expected !== undefined && expected !== actual) throw new Conflict(`${what} ${id} was changed by someone else (version ${actual}, not ${expected})`, 'version');
}

/** A value breaks a rule: the message names the field and the value. */
export class Invalid extends DomainError {
  readonly code = 'invalid';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export class Forbidden extends DomainError {
  readonly code = 'forbidden';
}

export class Unauthenticated extends DomainError {
  readonly code = 'unauthenticated';
}

/** The database cannot be reached; the caller may retry after `retryAfterSeconds`. */
export class Unavailable extends DomainError {
  readonly code = 'unavailable';
  constructor(
    message = 'The service is temporarily unavailable; try again shortly',
    readonly retryAfterSeconds = 5,
  ) {
    super(message);
  }
}

export class RateLimited extends DomainError {
  readonly code = 'rate_limited';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** Quotes a value for an error message without letting a huge value flood it. */
export function show(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return JSON.stringify(text.length > 120 ? `${text.slice(0, 117)}...` : text);
}
