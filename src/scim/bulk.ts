import type { Json, ScimCall } from './call.js';
import { type Method, dispatch, parseResourcePath } from './dispatch.js';
import { errorBody, ScimError, toScimError } from './errors.js';
import { LIMITS, URN } from './schemas.js';

/**
 * POST /Bulk (RFC 7644 section 3.7): operations run in order, each on its own and atomic on its
 * own (each is one use case, one transaction); one failing does not undo the others. A POST's
 * bulkId can be named as "bulkId:<id>" in later operations' paths and data. failOnErrors stops
 * after that many failures. More than maxOperations operations is 413; the 1 MiB body limit is
 * the router's.
 */

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const METHODS: Method[] = ['POST', 'PUT', 'PATCH', 'DELETE'];

function substitute(value: unknown, ids: Map<string, string>): unknown {
  if (typeof value === 'string') {
    return value.replace(/bulkId:([\w.-]+)/g, (whole, key: string) => {
      const id = ids.get(key);
      if (id === undefined) throw new ScimError(409, 'invalidValue', `${whole} names no operation that succeeded before this one`);
      return id;
    });
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, ids));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, ids)]));
  return value;
}

/**
 * `clientGone`: aborted when the client's connection closes (it went away, or shutdown closed it
 * once its grace ran out): no further operation starts, and none is left half-done (each is atomic).
 */
export async function runBulk(base: Omit<ScimCall, 'body' | 'query' | 'ifMatch' | 'ifNoneMatch'>, body: unknown, clientGone?: AbortSignal): Promise<Json> {
  if (!isObject(body)) throw new ScimError(400, 'invalidSyntax', 'The request body must be a BulkRequest message');
  const schemas = body.schemas;
  if (schemas !== undefined && (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === URN.bulkRequest.toLowerCase()))) {
    throw new ScimError(400, 'invalidSyntax', `schemas must be ["${URN.bulkRequest}"]`);
  }
  const operations = body.Operations;
  if (!Array.isArray(operations)) throw new ScimError(400, 'invalidSyntax', 'Operations must be a list');
  if (operations.length > LIMITS.bulkMaxOperations) {
    throw new ScimError(413, undefined, `The bulk request has ${operations.length} operations; at most ${LIMITS.bulkMaxOperations} are accepted (maxOperations)`);
  }
  const failOnErrors = body.failOnErrors === undefined ? undefined : Number(body.failOnErrors);
  if (failOnErrors !== undefined && (!Number.isInteger(failOnErrors) || failOnErrors < 1)) throw new ScimError(400, 'invalidValue', 'failOnErrors must be a positive integer');

  const ids = new Map<string, string>();
  const results: Json[] = [];
  let errors = 0;
  for (const [index, raw] of operations.entries()) {
    if (failOnErrors !== undefined && errors >= failOnErrors) break;
    if (index > 0) {
      // Between operations, the event loop serves what waits (health checks, other requests):
      // on the embedded database each statement holds it while it runs.
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (clientGone?.aborted) break;
    const op: Json = isObject(raw) ? raw : {};
    const method = typeof op.method === 'string' ? (op.method.toUpperCase() as Method) : undefined;
    const bulkId = typeof op.bulkId === 'string' ? op.bulkId : undefined;
    const entry: Json = { method: method ?? op.method, ...(bulkId ? { bulkId } : {}) };
    try {
      if (!method || !METHODS.includes(method)) throw new ScimError(400, 'invalidSyntax', `Operations[${index}].method must be POST, PUT, PATCH or DELETE`);
      if (typeof op.path !== 'string') throw new ScimError(400, 'invalidPath', `Operations[${index}].path is required`);
      const target = parseResourcePath(String(substitute(op.path, ids)));
      if (!target) throw new ScimError(400, 'invalidPath', `Operations[${index}].path ${JSON.stringify(op.path)} is not /Users, /Groups or one of theirs`);
      if (method === 'POST' && (target.id !== undefined || !bulkId)) throw new ScimError(400, 'invalidSyntax', `Operations[${index}]: a POST names /Users or /Groups and carries a bulkId`);
      if (method !== 'POST' && target.id === undefined) throw new ScimError(400, 'invalidPath', `Operations[${index}]: ${method} needs the path of one resource`);
      const result = await dispatch(method, target.resource, target.id, {
        ...base,
        query: {},
        body: method === 'DELETE' ? undefined : substitute(op.data, ids),
        ifMatch: typeof op.version === 'string' ? op.version : undefined,
      });
      if (method === 'POST' && bulkId && result.body?.id) ids.set(bulkId, String(result.body.id));
      const location = result.location ?? (target.id ? `${base.baseUrl}/${target.resource}/${target.id}` : undefined);
      Object.assign(entry, { ...(location ? { location } : {}), ...(result.etag ? { version: result.etag } : {}), status: String(result.status) });
    } catch (err) {
      const error = toScimError(err);
      errors++;
      Object.assign(entry, { status: String(error.status), response: errorBody(error.status, error.scimType, error.message) });
    }
    results.push(entry);
  }
  return { schemas: [URN.bulkResponse], Operations: results };
}
