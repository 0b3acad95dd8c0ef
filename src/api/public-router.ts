import express, { Router } from 'express';
import type { Services } from '../domain/services.js';
import { countedSignIn } from '../http/metrics.js';
import { decodeApiRequest } from './decode.js';
import { apiErrorHandler, sendError } from './errors.js';
import { object, optString } from './params.js';

/**
 * /public: what needs no credential. POST /public/login {"username", "password", "account_id"?}
 * answers a short-lived JWT for "Authorization: Bearer". The same answer for an unknown name and
 * a wrong password, and for a right one that is not honoured (a non-admin of an SSO-only account,
 * a password set by another account); 429 with Retry-After once failures pile up.
 */
export function publicRouter(services: Services, options: { bodyLimitBytes: number }): Router {
  const router = Router();
  router.use(express.json({ limit: options.bodyLimitBytes, type: ['application/json', 'application/*+json'] }));
  router.use(decodeApiRequest);

  router.post('/login', async (req, res) => {
    const body = object(req.body, 'body');
    const { membership, credential } = await countedSignIn(res, 'password', services.signIn.signInWithPassword(
      {
        login: optString(body, 'username') ?? optString(body, 'email'),
        password: optString(body, 'password'),
        accountId: optString(body, 'account_id'),
        clientAddress: req.ip,
        requestId: res.locals.requestId as string | undefined,
        channel: 'api',
      },
      'jwt',
    ));
    if (credential.kind !== 'jwt') throw new Error('expected a JWT');
    res.set('Cache-Control', 'no-store');
    res.json({ token: credential.token, token_type: 'Bearer', expires_in: credential.expiresIn, account_id: membership.account_id, account_user_id: membership.account_user_id });
  });

  router.use((req, res) => sendError(res, 404, `No such endpoint: ${req.method} ${req.baseUrl}${req.path}`));
  router.use(apiErrorHandler);
  return router;
}
