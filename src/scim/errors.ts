import type { ErrorRequestHandler, Response } from 'express';
import SCIMMY from 'scimmy';
import { DomainError, RateLimited, Unavailable } from '../domain/errors.js';
import { unavailableOf } from '../domain/faults.js';
import { clientErrorOf } from '../http/decode.js';
import { logger } from '../log.js';
import { URN } from './schemas.js';

/**
 * The one place where the SCIM endpoint turns errors into HTTP: RFC 7644 section 3.12 bodies
 * ({"schemas":[Error], "status":"400", "scimType":..., "detail":...}) with the right status.
 * A 500 says nothing of internals; the log has them under the request id.
 */

export type ScimType =
  | 'invalidFilter' | 'tooMany' | 'uniqueness' | 'mutability' | 'invalidSyntax' | 'invalidPath'
  | 'noTarget' | 'invalidValue' | 'invalidVers' | 'sensitive';

export class ScimError extends Error {
  constructor(
    readonly status: number,
    readonly scimType: ScimType | undefined,
    detail: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(detail);
  }
}

export interface ScimErrorBody {
  schemas: [typeof URN.error];
  status: string;
  scimType?: ScimType;
  detail: string;
}

export function errorBody(status: number, scimType: ScimType | undefined, detail: string): ScimErrorBody {
  return { schemas: [URN.error], status: String(status), ...(scimType ? { scimType } : {}), detail };
}

/** Fields whose Invalid error is about the filter or sort rather than a value. */
const FILTER_FIELDS = new Set(['filter', 'sortBy']);

/** Any error as a ScimError; an unknown one becomes a 500 that names nothing (and is logged). */
export function toScimError(err: unknown, path = ''): ScimError {
  if (err instanceof ScimError) return err;
  if (err instanceof SCIMMY.Types.Error) {
    const e = err as unknown as { status: number; scimType?: ScimType; message: string };
    return new ScimError(e.status, e.scimType ?? undefined, e.message);
  }
  const type = (err as { type?: string } | undefined)?.type;
  if (type === 'entity.too.large') return new ScimError(413, undefined, 'The request body is larger than 1 MiB');
  if (type === 'entity.parse.failed') return new ScimError(400, 'invalidSyntax', 'The request body is not valid JSON');
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') return new ScimError(400, 'invalidSyntax', 'Unsupported request body encoding');
  // bad gzip/brotli, a path that cannot be percent-decoded: the client's fault, said as such
  const client = clientErrorOf(err);
  if (client) return new ScimError(client.status, client.status === 400 ? 'invalidSyntax' : undefined, client.message);
  err = unavailableOf(err) ?? err;
  if (err instanceof DomainError) {
    switch (err.code) {
      case 'not_found':
        return new ScimError(404, undefined, err.message);
      case 'conflict': {
        const field = (err as { field?: string }).field;
        if (field === 'version') return new ScimError(412, undefined, err.message);
        return new ScimError(409, field === 'email' || field === 'user_name' || field === 'name' || field === 'phone' ? 'uniqueness' : undefined, err.message);
      }
      case 'invalid': {
        const field = (err as { field?: string }).field ?? '';
        return new ScimError(400, FILTER_FIELDS.has(field) ? 'invalidFilter' : 'invalidValue', err.message);
      }
      case 'forbidden':
        return new ScimError(403, undefined, err.message);
      case 'unauthenticated':
        return new ScimError(401, undefined, err.message);
      case 'unavailable':
        return new ScimError(503, undefined, err.message, (err as Unavailable).retryAfterSeconds);
      case 'rate_limited':
        return new ScimError(429, 'tooMany', err.message, (err as RateLimited).retryAfterSeconds);
    }
  }
  logger.error('unhandled error', { err, path });
  return new ScimError(500, undefined, 'Internal server error');
}

export function sendScimError(res: Response, error: ScimError): void {
  if (error.retryAfterSeconds !== undefined) res.set('Retry-After', String(error.retryAfterSeconds));
  if (error.status === 401) res.set('WWW-Authenticate', 'Bearer realm="SCIM"');
  res.status(error.status).type('application/scim+json').send(JSON.stringify(errorBody(error.status, error.scimType, error.message)));
}

/** The final handler under /scim/v2: every error leaves as a SCIM error body and the socket stays open. */
export const scimErrorHandler: ErrorRequestHandler = (err, req, res, next) => {
  if (res.headersSent) return next(err);
  sendScimError(res, toScimError(err, req.baseUrl + req.path));
};
