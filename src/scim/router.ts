import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response, Router } from 'express';
import type { Context } from '../domain/context.js';
import type { Services } from '../domain/services.js';
import { runBulk } from './bulk.js';
import { type Json, listResponse, resultBody, type ScimCall, type ScimResult, searchParams } from './call.js';
import { resourceTypes, schemas, serviceProviderConfig } from './discovery.js';
import { type Method, dispatch, type ResourceName } from './dispatch.js';
import { decodeScimRequest } from './decode.js';
import { errorBody, ScimError, scimErrorHandler, toScimError } from './errors.js';
import { listGroups } from './groups-handlers.js';
import { LIMITS } from './schemas.js';
import { listUsers } from './users-handlers.js';
import { countScimOperations } from '../http/metrics.js';

/**
 * The SCIM 2.0 endpoint, mounted at /scim/v2. Our own Express router rather than scimmy-routers:
 * that router pages and sorts in memory, drops startIndex/count under Express 5, destroys the
 * socket after a 5xx, sets its base URL as process-wide state per request and has no ETags
 * (DESIGN.md section 6). scimmy still writes the discovery documents (discovery.ts).
 *
 * - The bearer SCIM token selects the account (services.scimTokens); nothing else is visible.
 * - Requests are application/scim+json or application/json, at most 1 MiB (413 past that).
 * - Responses are application/scim+json; every error, unknown routes included, is a SCIM error
 *   body (errors.ts), and the final handler here answers it so a 5xx never closes the socket.
 * - ETag on every resource (meta.version); If-Match/If-None-Match honoured (412/304).
 */

export interface ScimRouterOptions {
  /** PUBLIC_URL: the one base URL of every location is PUBLIC_URL + /scim/v2. */
  publicUrl: string;
}

const SCIM_JSON = 'application/scim+json';

/**
 * Writes a SCIM body. Not res.send: that hashes every body for a weak ETag of its own (SCIM
 * resources carry their version as ETag, set here, and lists have none), which was measurable on
 * an IdP's lookups (bench/, BENCHMARKS.md).
 */
function writeBody(res: Response, status: number, body: Json | object): void {
  writeText(res, status, JSON.stringify(body));
}

function writeText(res: Response, status: number, text: string): void {
  // encoded once (a page of 100 users is ~170 KB): not measured and then encoded again by res.end
  const bytes = Buffer.from(text, 'utf8');
  res.locals.scimResponseText = text; // for the provisioning log, which encodes it later, off this path
  res.status(status);
  res.setHeader('Content-Type', `${SCIM_JSON}; charset=utf-8`);
  res.setHeader('Content-Length', bytes.length);
  res.end(bytes);
}

function send(res: Response, result: ScimResult): void {
  if (result.etag) res.set('ETag', result.etag);
  if (result.location && result.status === 201) res.set('Location', result.location);
  if (result.text !== undefined) writeText(res, result.status, result.text);
  else if (result.body !== undefined) writeBody(res, result.status, result.body);
  else res.status(result.status).end();
}

function sendJson(res: Response, body: Json): void {
  writeBody(res, 200, body);
}

/**
 * The provisioning log (issue 15): when a request has been answered, hands what it was to
 * services.provisioningLog, which buffers it and writes batches later. Here only references are
 * taken (the parsed body, the text written): no copy, no encoding, no statement on the request's
 * path. A request without an account (no or a wrong token) is no account's and is not recorded.
 */
function recordProvisioning(services: Services): RequestHandler {
  return (req, res, next) => {
    const startedAt = new Date();
    const started = process.hrtime.bigint();
    const path = req.originalUrl;
    const resourcePath = req.path;
    res.once('finish', () => {
      const ctx = res.locals.scimCtx as Context | undefined;
      if (!ctx) return;
      const error = res.locals.scimError as ScimError | undefined;
      services.provisioningLog.record({
        accountId: ctx.accountId,
        scimTokenId: ctx.actor.type === 'scim_token' ? ctx.actor.tokenId : null,
        startedAt,
        method: req.method,
        path,
        resourcePath,
        status: res.statusCode,
        durationMs: Number(process.hrtime.bigint() - started) / 1e6,
        userAgent: req.get('user-agent'),
        requestId: res.locals.requestId as string | undefined,
        requestBody: req.body,
        requestBytes: req.get('content-length') === undefined ? undefined : Number(req.get('content-length')),
        responseText: error ? JSON.stringify(errorBody(error.status, error.scimType, error.message)) : (res.locals.scimResponseText as string | undefined),
        errorDetail: error?.message,
      });
    });
    next();
  };
}

export function scimRouter(services: Services, options: ScimRouterOptions): Router {
  const baseUrl = `${options.publicUrl.replace(/\/$/, '')}/scim/v2`;
  const router = Router();

  router.use(recordProvisioning(services));
  router.use(express.json({ type: ['application/scim+json', 'application/json'], limit: LIMITS.bulkMaxPayloadSize }));
  router.use(decodeScimRequest);

  const authenticate: RequestHandler = async (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const token = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? (/^\S+$/.test(header) ? header : '');
    if (!token) throw new ScimError(401, undefined, 'Send the SCIM token as "Authorization: Bearer <token>"');
    const ctx = await services.scimTokens.authenticate(token, res.locals.requestId as string | undefined);
    res.locals.scimCtx = ctx; // before the limit: a 429 is the account's too, and in its provisioning log
    services.rateLimits.take(ctx);
    next();
  };
  router.use(authenticate);
  router.use(countScimOperations); // by kind and outcome, once answered (http/metrics.ts)

  const callOf = (req: Request, res: Response): ScimCall => ({
    ctx: res.locals.scimCtx as Context,
    services,
    baseUrl,
    query: req.query as Record<string, unknown>,
    body: req.body,
    ifMatch: req.get('if-match'),
    ifNoneMatch: req.get('if-none-match'),
  });

  router.get('/ServiceProviderConfig', async (_req, res) => sendJson(res, await serviceProviderConfig(baseUrl)));
  router.get('/ResourceTypes', async (_req, res) => sendJson(res, await resourceTypes(baseUrl)));
  router.get('/ResourceTypes/:id', async (req, res) => sendJson(res, await resourceTypes(baseUrl, req.params.id)));
  router.get('/Schemas', async (_req, res) => sendJson(res, await schemas(baseUrl)));
  router.get('/Schemas/:id', async (req, res) => sendJson(res, await schemas(baseUrl, req.params.id)));

  router.post('/Bulk', async (req, res) => {
    const call = callOf(req, res);
    const clientGone = new AbortController();
    res.on('close', () => clientGone.abort());
    sendJson(res, await runBulk({ ctx: call.ctx, services, baseUrl }, req.body, clientGone.signal));
  });

  // POST /.search at the root searches Users, then Groups, as one list.
  router.post('/.search', async (req, res) => {
    const call = callOf(req, res);
    const params = searchParams(req.body);
    if (params.filter || params.sortBy) {
      throw new ScimError(400, 'invalidValue', 'A search at the root takes no filter or sortBy (attributes differ between resource types): search /Users/.search or /Groups/.search');
    }
    const users = resultBody(await listUsers(call, params))!;
    const userTotal = users.totalResults as number;
    const userRows = users.Resources as Json[];
    const groupStart = Math.max(params.startIndex - userTotal, 1);
    const groups = await listGroups(call, { ...params, startIndex: groupStart, count: Math.max(params.count - userRows.length, 0) });
    const total = userTotal + ((groups.body as Json).totalResults as number);
    sendJson(res, listResponse([...userRows, ...((groups.body as Json).Resources as Json[])], total, params.startIndex));
  });

  for (const resource of ['Users', 'Groups'] as ResourceName[]) {
    router.post(`/${resource}/.search`, async (req, res) => {
      const call = callOf(req, res);
      const handler = resource === 'Users' ? listUsers : listGroups;
      send(res, await handler(call, searchParams(req.body)));
    });
    router.all(`/${resource}`, async (req, res) => send(res, await dispatch(req.method as Method, resource, undefined, callOf(req, res))));
    router.all(`/${resource}/:id`, async (req, res) => send(res, await dispatch(req.method as Method, resource, req.params.id as string, callOf(req, res))));
  }

  router.all('/Me', () => {
    throw new ScimError(501, undefined, '/Me is not supported: a SCIM token acts for the account, not for a user');
  });
  router.use((req) => {
    throw new ScimError(404, undefined, `No such SCIM endpoint: ${req.method} ${req.baseUrl}${req.path}`);
  });
  router.use(((err, req, res, next) => {
    const error = toScimError(err, req.baseUrl + req.path);
    if (!res.headersSent) res.locals.scimError = error; // the provisioning log's error detail and body
    scimErrorHandler(error, req, res, next);
  }) as ErrorRequestHandler);
  return router;
}
