import type { ErrorRequestHandler, Response } from 'express';
import { DomainError, RateLimited, Unavailable } from '../domain/errors.js';
import { unavailableOf } from '../domain/faults.js';
import { clientErrorOf } from '../http/decode.js';
import { logger } from '../log.js';
import { BadRequest } from './params.js';

/** The one place where the REST API turns errors into HTTP: {"errors":[{"message": ...}]}. */

const STATUS: Record<DomainError['code'], number> = {
  not_found: 404,
  conflict: 409,
  invalid: 422,
  forbidden: 403,
  unauthenticated: 401,
  unavailable: 503,
  rate_limited: 429,
};

export function sendError(res: Response, status: number, message: string, field?: string): void {
  res.status(status).json({ errors: [{ message, ...(field ? { field } : {}) }] });
}

/** Errors of body-parser (express.json) carry a `type` and a status. */
function bodyParserError(err: unknown): { status: number; message: string } | undefined {
  const type = (err as { type?: string }).type;
  if (type === 'entity.too.large') return { status: 413, message: 'The request body is larger than 1 MiB' };
  if (type === 'entity.parse.failed') return { status: 400, message: 'The request body is not valid JSON' };
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') return { status: 415, message: 'Unsupported request body encoding' };
  return undefined;
}

export const apiErrorHandler: ErrorRequestHandler = (err, req, res, next) => {
  if (res.headersSent) return next(err);
  const parsed = bodyParserError(err) ?? clientErrorOf(err);
  if (parsed) return sendError(res, parsed.status, parsed.message);
  err = unavailableOf(err) ?? err; // a database fault outside a transaction: 503, not 500
  if (err instanceof BadRequest) return sendError(res, 400, err.message, err.field);
  if (err instanceof DomainError) {
    if (err instanceof Unavailable || err instanceof RateLimited) res.set('Retry-After', String(err.retryAfterSeconds));
    if (err.code === 'unauthenticated') res.set('WWW-Authenticate', 'Bearer');
    return sendError(res, STATUS[err.code], err.message, 'field' in err && typeof err.field === 'string' ? err.field : undefined);
  }
  logger.error('unhandled error', { err, method: req.method, path: req.path });
  sendError(res, 500, 'Internal server error');
};
