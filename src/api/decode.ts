import type { RequestHandler } from 'express';
import { Invalid, NotFound } from '../domain/errors.js';
import { isIdOf } from '../domain/id-shape.js';
import type { IdPrefix } from '../domain/ids.js';
import { decodedPath, inputProblem, problemMessage } from '../http/decode.js';
import { BadRequest } from './params.js';

/**
 * The REST API's decode step (issue 13), before authentication and any handler:
 * - a path that cannot be percent-decoded: 400;
 * - an id in the path that cannot be one of ours (wrong prefix, characters or length; a NUL): 404
 *   without a query, in the same words a missing one gets;
 * - a query parameter or JSON body string PostgreSQL cannot store (NUL, a lone UTF-16 surrogate):
 *   422 naming the field, like any other invalid value;
 * - a JSON body nested deeper than MAX_JSON_DEPTH: 400, before any recursive walk.
 */

/** The collections whose next path segment is an id, and the prefix of their ids. */
const ID_PREFIX: Record<string, IdPrefix> = {
  account_users: 'au',
  users: 'usr',
  teams: 'tem',
  schedules: 'skd',
  overrides: 'ovr',
  scim_tokens: 'stok',
  role_mappings: 'rmp',
  api_tokens: 'tok',
};

export const decodeApiRequest: RequestHandler = (req, _res, next) => {
  const segments = decodedPath(req.path);
  if (!segments) throw new BadRequest('path', 'The request path cannot be percent-decoded as UTF-8');
  for (let i = 0; i + 1 < segments.length; i++) {
    const prefix = Object.hasOwn(ID_PREFIX, segments[i]) ? ID_PREFIX[segments[i]] : undefined;
    const id = segments[i + 1];
    if (prefix && id !== '' && !isIdOf(id, prefix)) throw new NotFound(segments[i].replace(/s$/, '').replace(/_/g, ' '), JSON.stringify(id.length > 60 ? `${id.slice(0, 57)}...` : id));
  }
  const inQuery = inputProblem(req.query);
  if (inQuery) throw new Invalid(inQuery.field, problemMessage(inQuery));
  if (req.body !== undefined) {
    const inBody = inputProblem(req.body);
    if (inBody?.kind === 'too_deep') throw new BadRequest(inBody.field, problemMessage(inBody));
    if (inBody) throw new Invalid(inBody.field, problemMessage(inBody));
  }
  next();
};
