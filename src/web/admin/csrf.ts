import { createHmac, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { isCrossSiteWrite } from '../../http/session-cookie.js';
import { html, type Html } from '../html.js';
import { adminErrorPage } from './layout.js';

/**
 * The console's forms carry a token derived from the session's secret (which only the browser's
 * HttpOnly cookie holds, and the database only as a hash): another site can make a browser send
 * the cookie, but cannot read or compute the token. Each session has its own; no state is kept.
 */
const LABEL = 'rollcall admin console csrf v1';

export const CSRF_FIELD = '_csrf';

export function csrfTokenOf(sessionSecret: string): string {
  return createHmac('sha256', sessionSecret).update(LABEL).digest('base64url');
}

export function csrfField(token: string): Html {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${token}">`;
}

export const CSRF_REFUSED = 'This form has expired or did not come from this site: reload the page and try again.';

function sameToken(sent: unknown, expected: string): boolean {
  if (typeof sent !== 'string') return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Every write under /admin (after requireAdmin): sent from this site (Origin, when the browser
 * names one) and carrying this session's token; otherwise 403 and nothing is done.
 */
export const checkCsrf: RequestHandler = (req, res, next) => {
  if (['GET', 'HEAD', 'OPTIONS'].includes(req.method)) return next();
  const expected = (res.locals.admin as { csrfToken?: string } | undefined)?.csrfToken;
  const sent = (req.body as Record<string, unknown> | undefined)?.[CSRF_FIELD];
  if (isCrossSiteWrite(req) || !expected || !sameToken(sent, expected)) {
    res.status(403).type('html').send(adminErrorPage('Form refused', CSRF_REFUSED));
    return;
  }
  next();
};
