import { readFileSync } from 'node:fs';
import express, { type ErrorRequestHandler, type RequestHandler, Router } from 'express';
import type { Config } from '../../config.js';
import { DomainError } from '../../domain/errors.js';
import { unavailableOf } from '../../domain/faults.js';
import type { Services } from '../../domain/services.js';
import { logger } from '../../log.js';
import { inputProblem, problemMessage } from '../../http/decode.js';
import { statusOf } from '../errors.js';
import { html } from '../html.js';
import { requireAdmin, type AdminSession } from './admin-session.js';
import { checkCsrf } from './csrf.js';
import { adminErrorPage, adminPage } from './layout.js';
import { overviewPages } from './overview-pages.js';
import { scimPages } from './scim-pages.js';
import { ssoPages } from './sso-pages.js';
import { peoplePages } from './people-pages.js';
import { roleMappingPages } from './role-mapping-pages.js';
import { provisioningLogPages } from './provisioning-log-pages.js';
import { auditPages } from './audit-pages.js';

export type AdminConfig = Pick<Config, 'publicUrl' | 'bodyLimitBytes'>;

/** Every /admin response: never cached, no inline script or style, never framed, no referrer to other sites. */
export const ADMIN_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const securityHeaders: RequestHandler = (_req, res, next) => {
  res.set({
    'Cache-Control': 'no-store',
    'Content-Security-Policy': ADMIN_CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'same-origin',
  });
  next();
};

const ASSETS = {
  'admin.css': { type: 'text/css; charset=utf-8', body: readFileSync(new URL('./assets/admin.css', import.meta.url), 'utf8') },
  'admin.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(new URL('./assets/admin.js', import.meta.url), 'utf8') },
} as const;

/**
 * The admin console (issue 15), mounted at /admin: an account's admins set up SCIM and SSO and
 * see what the IdP did. Pages are server-rendered over the same domain services as the REST API;
 * each page module is a Router with routes relative to /admin.
 */
export function adminRouter(services: Services, config: AdminConfig): Router {
  const router = Router();
  router.use(securityHeaders);
  // The stylesheet and script hold nothing of any account: served before the admin check, so that the 403 page is styled too.
  router.get('/assets/:name', (req, res, next) => {
    const asset = ASSETS[req.params.name as keyof typeof ASSETS];
    if (!asset) return next();
    res.type(asset.type).send(asset.body);
  });
  router.use(express.urlencoded({ extended: false, limit: config.bodyLimitBytes }));
  router.use(requireAdmin(services));
  // A field PostgreSQL cannot store (NUL) is refused naming the field, as on the sign-in forms.
  router.use((req, res, next) => {
    const problem = inputProblem(req.body) ?? inputProblem(req.query);
    if (problem) throw new AdminInputRefused(problemMessage(problem));
    next();
  });
  router.use(checkCsrf);

  router.use(overviewPages(services, config));
  router.use(scimPages(services, config));
  router.use(ssoPages(services, config));
  router.use(peoplePages(services, config));
  router.use(roleMappingPages(services, config));
  router.use(provisioningLogPages(services, config));
  router.use(auditPages(services, config));

  router.use((_req, res) => {
    const admin = res.locals.admin as AdminSession | undefined;
    const message = 'There is no such page in the admin console.';
    res.status(404).type('html').send(admin ? adminPage({ title: 'Not found', session: admin, error: message }, html`<p><a href="/admin">Back to the overview</a></p>`) : adminErrorPage('Not found', message));
  });
  router.use(adminErrorHandler);
  return router;
}

class AdminInputRefused extends Error {
  readonly status = 400;
}

/** Errors of the console's pages become HTML: a domain error with its status and message, in the layout when the admin is known. */
const adminErrorHandler: ErrorRequestHandler = (err, req, res, next) => {
  if (res.headersSent) return next(err);
  err = unavailableOf(err) ?? err;
  let status: number;
  let title: string;
  let message: string;
  if (err instanceof DomainError) {
    status = statusOf(err, res);
    title = status === 404 ? 'Not found' : status === 403 ? 'Not allowed' : status === 409 ? 'Conflict' : status === 503 ? 'Temporarily unavailable' : 'Not accepted';
    message = err.message;
  } else if (err instanceof AdminInputRefused) {
    [status, title, message] = [400, 'Not accepted', err.message];
  } else {
    status = typeof err?.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 500;
    if (status === 500) logger.error('unhandled error', { err, method: req.method, path: req.path });
    title = status === 500 ? 'Something went wrong' : status === 413 ? 'Too large' : 'Bad request';
    message = status === 500 ? 'Something went wrong on our side. Try again.' : status === 413 ? 'The form is too large.' : 'The request could not be read.';
  }
  const admin = res.locals.admin as AdminSession | undefined;
  res.status(status).type('html').send(admin ? adminPage({ title, session: admin, error: message }, html`<p><a href="/admin">Back to the overview</a></p>`) : adminErrorPage(title, message));
};
