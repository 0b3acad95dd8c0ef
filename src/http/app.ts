import express, { type ErrorRequestHandler, type Express } from 'express';
import type { Config } from '../config.js';
import { pingDatabase, type Database } from '../db/database.js';
import type { Services } from '../domain/services.js';
import { apiRouter } from '../api/router.js';
import { scimRouter } from '../scim/router.js';
import { publicRouter } from '../api/public-router.js';
import { samlRouter } from '../sso/saml-router.js';
import { decodeWebForm } from '../web/decode.js';
import { webRouter } from '../web/web-router.js';
import { invitationsRouter } from '../web/invitations-router.js';
import { openApiRoute } from '../api/openapi/route.js';
import { adminRouter } from '../web/admin/admin-router.js';
import { unavailableOf } from '../domain/faults.js';
import { logger } from '../log.js';
import { accessLog, requestContext } from './request-context.js';
import { createMetrics, recordRequests } from './metrics.js';
import { metricsEndpoint } from './metrics-endpoint.js';

export interface AppDeps {
  // trustProxy and metricsToken are optional for the tests' and benchmarks' apps: loopback and none by default
  config: Pick<Config, 'bodyLimitBytes' | 'publicUrl'> & Partial<Pick<Config, 'trustProxy' | 'metricsToken'>>;
  database: Database;
  services: Services;
}

/** Assembles the HTTP application: request ids and logging, health checks, the adapters' routers, a final error handler. */
export function createApp({ config, database, services }: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // TRUST_PROXY: whose X-Forwarded-For makes req.ip, the address the sign-in limits count by
  app.set('trust proxy', config.trustProxy ?? 'loopback');
  // one registry per app; the adapters count through res.app.locals.metrics (metrics.ts)
  const metrics = createMetrics(database);
  app.locals.metrics = metrics;
  app.use(requestContext);
  app.use(accessLog);
  app.use(recordRequests);
  app.get('/metrics', metricsEndpoint(metrics, config.metricsToken));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const ready = await pingDatabase(database.knex);
    if (!ready) res.set('Retry-After', '5');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'database unreachable' });
  });

  app.use('/api/v4', apiRouter(services, { bodyLimitBytes: config.bodyLimitBytes, publicUrl: config.publicUrl }));
  app.use('/scim/v2', scimRouter(services, { publicUrl: config.publicUrl }));
  app.use('/public', publicRouter(services, { bodyLimitBytes: config.bodyLimitBytes }));
  app.use('/sso/saml', samlRouter(services, config));
  // the sign-in form's fields decoded before the sign-in looks anything up (web/decode.ts)
  app.post('/login', express.urlencoded({ extended: false, limit: config.bodyLimitBytes }), decodeWebForm);
  app.use(webRouter(services, config)); // /login, /logout, /
  app.use(invitationsRouter(services, config)); // /invitations
  app.use('/admin', adminRouter(services, config)); // the admin console (issue 15)

  app.get('/openapi.json', openApiRoute(config.publicUrl)); // REST v4 described (OpenAPI 3.1), public
  app.use((req, res) => {
    res.status(404).json({ errors: [{ message: `No such endpoint: ${req.method} ${req.path}` }] });
  });
  // Last resort: never Express's default handler, which prints stacks and may close the socket.
  const finalHandler: ErrorRequestHandler = (err, req, res, next) => {
    if (res.headersSent) return next(err);
    const unavailable = unavailableOf(err); // a database fault: 503 + Retry-After, not 500
    if (unavailable) {
      res.set('Retry-After', String(unavailable.retryAfterSeconds));
      return res.status(503).json({ errors: [{ message: unavailable.message }] });
    }
    const status = typeof err?.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 500;
    if (status === 500) logger.error('unhandled error', { err, method: req.method, path: req.path });
    res.status(status).json({ errors: [{ message: status === 500 ? 'Internal server error' : String(err.message) }] });
  };
  app.use(finalHandler);
  return app;
}
