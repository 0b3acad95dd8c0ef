import type { RequestHandler, Response } from 'express';
import type { Context } from '../domain/context.js';
import { Unauthenticated } from '../domain/errors.js';
import type { Services } from '../domain/services.js';

/** Reads `Authorization: Bearer <api token>` and puts the acting context on res.locals. */
export function authenticateApiToken(services: Services): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new Unauthenticated('Send an API token as "Authorization: Bearer <token>"');
    res.locals.ctx = await services.apiTokens.authenticate(match[1], res.locals.requestId as string | undefined);
    next();
  };
}

export function contextOf(res: Response): Context {
  return res.locals.ctx as Context;
}
