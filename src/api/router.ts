import express, { Router } from 'express';
import type { Services } from '../domain/services.js';
import { accountUsersRouter } from './account-users-router.js';
import { authenticateApiToken, contextOf } from './authenticate.js';
import { domainsRouter } from './domains-router.js';
import { decodeApiRequest } from './decode.js';
import { apiErrorHandler, sendError } from './errors.js';
import { listBody, readPage } from './pagination.js';
import { scimAccessRouter } from './scim-access-router.js';
import { signInRouter } from './sign-in-router.js';
import { ownershipRouter } from './ownership-router.js';
import { schedulesRouter } from './schedules-router.js';
import { teamsRouter } from './teams-router.js';
import { usersRouter } from './users-router.js';
import { accountView, auditEventView } from './views.js';

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

  router.get('/account', async (_req, res) => {
    res.json(accountView(await services.accounts.get(contextOf(res))));
  });

  router.get('/audit_events', async (req, res) => {
    const page = readPage(req.query);
    const { rows, total } = await services.audit.list(contextOf(res), page);
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
