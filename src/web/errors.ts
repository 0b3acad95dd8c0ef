import type { ErrorRequestHandler, Response } from 'express';
import { DomainError, RateLimited, Unavailable } from '../domain/errors.js';
import { unavailableOf } from '../domain/faults.js';
import { logger } from '../log.js';
import { refusalPage } from './pages.js';

/** The one place where the web pages (and the SAML endpoints) turn errors into HTML. */

export const WEB_STATUS: Record<DomainError['code'], number> = {
  not_found: 404,
  conflict: 409,
  invalid: 400,
  forbidden: 403,
  unauthenticated: 401,
  unavailable: 503,
  rate_limited: 429,
};

const TITLES: Record<DomainError['code'], string> = {
  not_found: 'Not found',
  conflict: 'Conflict',
  invalid: 'Not accepted',
  forbidden: 'Sign-in refused',
  unauthenticated: 'Not signed in',
  unavailable: 'Temporarily unavailable',
  rate_limited: 'Too many attempts',
};

export function sendErrorPage(res: Response, status: number, title: string, message: string): void {
  res.status(status).type('html').send(refusalPage(title, message));
}

export function statusOf(err: DomainError, res: Response): number {
  if (err instanceof Unavailable || err instanceof RateLimited) res.set('Retry-After', String(err.retryAfterSeconds));
  return WEB_STATUS[err.code];
}

export const webErrorHandler: ErrorRequestHandler = (err, req, res, next) => {
  if (res.headersSent) return next(err);
  err = unavailableOf(err) ?? err; // a database fault outside a transaction: 503 + Retry-After, not 500
  if (err instanceof DomainError) return sendErrorPage(res, statusOf(err, res), TITLES[err.code], err.message);
  const status = typeof err?.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 500;
  if (status === 500) logger.error('unhandled error', { err, method: req.method, path: req.path });
  sendErrorPage(res, status, status === 500 ? 'Something went wrong' : 'Bad request', status === 500 ? 'Something went wrong on our side. Try again.' : 'The request could not be read.');
};
