import type { RequestHandler } from 'express';
import { isIdOf } from '../domain/id-shape.js';
import type { IdPrefix } from '../domain/ids.js';
import { decodedPath, inputProblem, problemMessage } from '../http/decode.js';
import { ScimError } from './errors.js';

/**
 * The SCIM endpoint's decode step (issue 13): what no handler should ever see is refused here, in
 * the SCIM error shape, before authentication's query or any other.
 * - a path that cannot be percent-decoded: 400;
 * - a query parameter or a JSON body holding a string PostgreSQL cannot store (NUL, a lone UTF-16
 *   surrogate), in a value or a key: 400 invalidValue naming the field (invalidFilter for filter);
 * - a JSON body nested deeper than MAX_JSON_DEPTH: 400 invalidSyntax, before any recursive walk.
 * Ids are checked by scimId (dispatch.ts, for HTTP and /Bulk alike). Types of attribute values are
 * checked where the document is read against the schema (canonical.ts coerceValue): a number
 * where RFC 7643 says string is 400 invalidValue naming the attribute.
 */
export const decodeScimRequest: RequestHandler = (req, _res, next) => {
  if (!decodedPath(req.path)) throw new ScimError(400, 'invalidValue', 'The request path cannot be percent-decoded as UTF-8');
  const inQuery = inputProblem(req.query);
  if (inQuery) throw new ScimError(400, inQuery.field.toLowerCase() === 'filter' ? 'invalidFilter' : 'invalidValue', problemMessage(inQuery));
  if (req.body !== undefined) {
    const inBody = inputProblem(req.body);
    if (inBody) throw new ScimError(400, inBody.kind === 'too_deep' ? 'invalidSyntax' : 'invalidValue', problemMessage(inBody));
  }
  next();
};

const PREFIX: Record<'Users' | 'Groups', IdPrefix> = { Users: 'au', Groups: 'tem' };

/** A resource id as sent; one that is not the shape of our ids names nothing: 404, no query run. */
export function scimId(resource: 'Users' | 'Groups', id: string): string {
  if (!isIdOf(id, PREFIX[resource])) {
    const shown = JSON.stringify(id.length > 60 ? `${id.slice(0, 57)}...` : id);
    throw new ScimError(404, undefined, `${resource === 'Users' ? 'User' : 'Group'} ${shown} was not found`);
  }
  return id;
}
