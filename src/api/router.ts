import express, { Router } from 'express';
import type { Channel } from '../domain/context.js';
import type { Services } from '../domain/services.js';
import { accountUsersRouter } from './account-users-router.js';
import { authenticateApiToken, contextOf } from './authenticate.js';
import { domainsRouter } from './domains-router.js';
import { decodeApiRequest } from './decode.js';
import { apiErrorHandler, sendError } from './errors.js';
import { listBody, readPage } from './pagination.js';
import type { Params } from './params.js';
import type { AuditFilter } from '../domain/audit/audit-service.js';
import { scimAccessRouter } from './scim-access-router.js';
import { signInRouter } from './sign-in-router.js';
import { ownershipRouter } from './ownership-router.js';
import { provisioningRouter } from './provisioning-router.js';
import { onlyParams, PAGE_PARAMS, queryChoice, queryString, queryTime } from './query-filters.js';
import { schedulesRouter } from './schedules-router.js';
import { teamsRouter } from './teams-router.js';
import { usersRouter } from './users-router.js';
import { accountView, auditEventView } from './views.js';

const AUDIT_FILTERS = ['action', 'target_id', 'target_type', 'channel', 'actor_id', 'since', 'until'] as const;
const CHANNELS = ['api', 'scim', 'sso', 'cli', 'web'] as const satisfies readonly Channel[];

/** The native REST API, v4. Every route acts as the member whose API token is presented. */
export function apiRouter(services: Services, options: { bodyLimitBytes: number; publicUrl: string }): Router {
  const router = Router();
  router.use(express.json({ limit: options.bodyLimitBytes, type: ['application/json', 'application/*+json'] }));
  router.use(decodeApiRequest);
  router.use(authenticateApiToken(services));

  router.use('/account_users', accountUsersRouter(services));
  router.use('/users', usersRouter(services));
  router.use('/teams', teamsRouter(services));
  router.use(scimAccessRouter(services)); // /scim_tokens, /role_mappings
  router.use(signInRouter(services, { publicUrl: options.publicUrl })); // /me, /account/sso
  router.use('/schedules', schedulesRouter(services));
  router.use('/account/transfer_ownership', ownershipRouter(services));
  router.use('/account/domains', domainsRouter(services));
  router.use('/provisioning_requests', provisioningRouter(services));

  router.get('/account', async (_req, res) => {
    res.json(accountView(await services.accounts.get(contextOf(res))));
  });

  // filters as ISO 8601 times and exact values; any other parameter is 400, never ignored
  router.get('/audit_events', async (req, res) => {
    const query = req.query as Params;
    onlyParams(query, [...AUDIT_FILTERS, ...PAGE_PARAMS]);
    const filter: AuditFilter = {
      action: queryString(query, 'action'),
      targetId: queryString(query, 'target_id'),
      targetType: queryString(query, 'target_type'),
      channel: queryChoice(query, 'channel', CHANNELS),
      actorId: queryString(query, 'actor_id'),
      since: queryTime(query, 'since'),
      until: queryTime(query, 'until'),
    };
    const page = readPage(query);
    const { rows, total } = await services.audit.list(contextOf(res), page, filter);
    res.json(listBody(rows.map(auditEventView), total, page));
  });

  router.delete('/api_tokens/:id', async (req, res) => {
    await services.apiTokens.revoke(contextOf(res), req.params.id);
    res.status(204).end();
  });

  router.use((req, res) => sendError(res, 404, `No such endpoint: ${req.method} ${req.baseUrl}${req.path}`));
  router.use(apiErrorHandler);
  return router;
}
