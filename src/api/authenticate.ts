import type { RequestHandler, Response } from 'express';
import type { SignedIn } from '../domain/auth/sign-in-service.js';
import type { Context } from '../domain/context.js';
import { Forbidden, Unauthenticated } from '../domain/errors.js';
import type { Services } from '../domain/services.js';
import { countedAuthentication, metricsOf } from '../http/metrics.js';
import { isCrossSiteWrite, readSessionCookie } from '../http/session-cookie.js';

const JWT_SHAPE = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Reads the credential and puts the acting context on res.locals.ctx (and how the caller signed in
 * on res.locals.signedIn): `Authorization: Bearer <API token>`, `Authorization: Bearer <JWT>` from
 * POST /public/login, or the session cookie of a browser signed in at /login. Sessions and JWTs
 * are checked against the membership on every request (deactivation, SSO-only).
 */
export function authenticateApiToken(services: Services): RequestHandler {
  return async (req, res, next) => {
    const requestId = res.locals.requestId as string | undefined;
    const header = req.get('authorization');
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    const cookie = readSessionCookie(req);
    let signedIn: SignedIn;
    if (match && JWT_SHAPE.test(match[1])) {
      signedIn = await countedAuthentication(res, 'jwt', services.signIn.authenticateJwt(match[1], requestId));
    } else if (match) {
      signedIn = { ctx: await countedAuthentication(res, 'api_token', services.apiTokens.authenticate(match[1], requestId)), credential: 'api_token', method: 'api_token' };
    } else if (header === undefined && cookie) {
      if (isCrossSiteWrite(req)) throw new Forbidden('A change sent with a session cookie must come from this site');
      signedIn = await countedAuthentication(res, 'session', services.signIn.authenticateSession(cookie, 'api', requestId));
    } else {
      metricsOf(res)?.apiAuthentication('none', 'missing');
      throw new Unauthenticated('Send an API token (or a JWT from POST /public/login) as "Authorization: Bearer <token>"');
    }
    services.rateLimits.take(signedIn.ctx);
    res.locals.ctx = signedIn.ctx;
    res.locals.signedIn = signedIn;
    next();
  };
}

export function contextOf(res: Response): Context {
  return res.locals.ctx as Context;
}

export function signedInOf(res: Response): SignedIn {
  return res.locals.signedIn as SignedIn;
}
