import express, { type ErrorRequestHandler, type Request, type Response, Router } from 'express';
import type { Config } from '../config.js';
import type { SignedIn } from '../domain/auth/sign-in-service.js';
import { Forbidden, Invalid } from '../domain/errors.js';
import type { Services } from '../domain/services.js';
import { isCrossSiteWrite } from '../http/session-cookie.js';
import { webErrorHandler } from './errors.js';
import { redirectToLogin, signedInMember } from './signed-in.js';
import { invitationAnsweredPage, invitationConfirmPage, invitationListPage } from './invitation-pages.js';

/**
 * /invitations: a signed-in person's pending invitations (ask for the accept link, decline), and
 * /invitations/confirm, where the emailed one-time link lands (accept or decline; using it proves
 * the address).
 */
export function invitationsRouter(services: Services, config: Pick<Config, 'bodyLimitBytes'>): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: config.bodyLimitBytes });
  const noStore = (res: Response) => res.set({ 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' });
  const refuseCrossSite = (req: Request) => {
    if (isCrossSiteWrite(req)) throw new Forbidden('This form must be sent from this site');
  };
  /** The signed-in person, or a redirect to /login (undefined). */
  const signedIn = async (req: Request, res: Response): Promise<SignedIn | undefined> => {
    const found = await signedInMember(services, req, res);
    if (!found) redirectToLogin(res, '/invitations');
    return found;
  };
  const tokenOf = (value: unknown): string => {
    if (typeof value !== 'string' || !/^[A-Za-z0-9_-]{10,200}$/.test(value)) throw new Invalid('token', 'This link is not complete: open it again from the email');
    return value;
  };

  router.get('/invitations', async (req, res) => {
    noStore(res);
    const me = await signedIn(req, res);
    if (!me) return;
    res.type('html').send(invitationListPage(await services.invitations.listMine(me.ctx)));
  });

  router.post('/invitations/:id/send-link', async (req, res) => {
    refuseCrossSite(req);
    noStore(res);
    const me = await signedIn(req, res);
    if (!me) return;
    const { address } = await services.invitations.sendConfirmation(me.ctx, req.params.id);
    res.type('html').send(invitationListPage(await services.invitations.listMine(me.ctx), `We sent a link to ${address}: open it to accept.`));
  });

  router.post('/invitations/:id/decline', async (req, res) => {
    refuseCrossSite(req);
    noStore(res);
    const me = await signedIn(req, res);
    if (!me) return;
    const declined = await services.invitations.declineMine(me.ctx, req.params.id);
    res.type('html').send(invitationListPage(await services.invitations.listMine(me.ctx), `You declined ${declined.account_name}'s invitation.`));
  });

  router.get('/invitations/confirm', async (req, res) => {
    noStore(res);
    const token = tokenOf(req.query.token);
    res.type('html').send(invitationConfirmPage(await services.invitations.peek(token), token));
  });

  router.post('/invitations/confirm', form, async (req, res) => {
    refuseCrossSite(req);
    noStore(res);
    const body = req.body as Record<string, unknown> | undefined;
    const token = tokenOf(body?.token);
    const decision = body?.decision;
    if (decision !== 'accept' && decision !== 'decline') throw new Invalid('decision', 'Choose Accept or Decline');
    const answered = await services.invitations.answerWithLink(token, decision, { requestId: res.locals.requestId as string });
    res.type('html').send(invitationAnsweredPage(answered, decision));
  });

  router.use(((err, req, res, next) => (req.path.startsWith('/invitations') ? webErrorHandler(err, req, res, next) : next(err))) as ErrorRequestHandler);
  return router;
}
