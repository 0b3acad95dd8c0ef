import { Router } from 'express';
import type { ProvisioningLogFilter, ProvisioningRequest } from '../domain/provisioning/provisioning-log-service.js';
import type { Services } from '../domain/services.js';
import { contextOf } from './authenticate.js';
import { listBody, readPage } from './pagination.js';
import { BadRequest, type Params } from './params.js';
import { onlyParams, PAGE_PARAMS, queryChoice, queryString, queryTime } from './query-filters.js';
import { auditEventView } from './views.js';

/**
 * /api/v4/provisioning_requests: the account's provisioning log, every SCIM request its IdP made
 * (issue 15), admins only; bodies come with secrets removed (domain/provisioning/redaction.ts).
 * - GET /           newest first; filters status (success, failure or a status such as 409),
 *                   resource_id, resource_type (User, Group), since and until (ISO 8601; since
 *                   inclusive, until exclusive); page parameters as every list. Any other is 400.
 * - GET /summary    the last request, and the requests and failures of the last 24 hours
 * - GET /:id        one, with the audit events it wrote (changes)
 */

const iso = (value: Date): string => value.toISOString();

export function provisioningRequestView(r: ProvisioningRequest) {
  return {
    id: r.id,
    object: 'provisioning_request',
    created_at: iso(r.at),
    method: r.method,
    path: r.path,
    status: r.status,
    duration_ms: r.durationMs,
    user_agent: r.userAgent,
    request_id: r.requestId,
    scim_token_id: r.scimTokenId,
    resource: { type: r.resourceType, id: r.resourceId },
    error_detail: r.errorDetail,
    request_body: r.requestBody,
    response_body: r.responseBody,
  };
}

const FILTERS = ['status', 'resource_id', 'resource_type', 'since', 'until'] as const;

function readFilter(query: Params): ProvisioningLogFilter {
  onlyParams(query, [...FILTERS, ...PAGE_PARAMS]);
  const filter: ProvisioningLogFilter = {};
  const status = queryString(query, 'status');
  if (status === 'success' || status === 'failure') filter.status = status;
  else if (status !== undefined) {
    if (!/^[1-5]\d\d$/.test(status)) throw new BadRequest('status', `status must be success, failure or an HTTP status from 100 to 599, not ${JSON.stringify(status.slice(0, 60))}`);
    filter.status = Number(status);
  }
  const resourceId = queryString(query, 'resource_id', 128);
  if (resourceId !== undefined) filter.resourceId = resourceId;
  const resourceType = queryChoice(query, 'resource_type', ['User', 'Group'] as const);
  if (resourceType !== undefined) filter.resourceType = resourceType;
  const since = queryTime(query, 'since');
  if (since !== undefined) filter.since = since;
  const until = queryTime(query, 'until');
  if (until !== undefined) filter.until = until;
  return filter;
}

export function provisioningRouter(services: Services): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    const query = req.query as Params;
    const filter = readFilter(query);
    const page = readPage(query);
    const { rows, total } = await services.provisioningLog.list(contextOf(res), filter, page);
    res.json(listBody(rows.map(provisioningRequestView), total, page));
  });

  router.get('/summary', async (req, res) => {
    onlyParams(req.query as Params, []);
    const summary = await services.provisioningLog.summary(contextOf(res));
    res.json({
      object: 'provisioning_summary',
      last: summary.last ? { created_at: iso(summary.last.at), method: summary.last.method, path: summary.last.path, status: summary.last.status } : null,
      requests_last_24h: summary.requestsLast24h,
      failures_last_24h: summary.failuresLast24h,
    });
  });

  router.get('/:id', async (req, res) => {
    const request = await services.provisioningLog.get(contextOf(res), req.params.id);
    res.json({ ...provisioningRequestView(request), changes: request.changes.map(auditEventView) });
  });

  return router;
}
