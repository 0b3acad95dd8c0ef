import express, { type ErrorRequestHandler, type Request, type Response, Router } from 'express';
import type { Config } from '../config.js';
import { AccountChoiceRequired } from '../domain/auth/sign-in-service.js';
import { SsoRequired } from '../domain/auth/sign-in-policy.js';
import { DomainError, Forbidden } from '../domain/errors.js';
import type { Services } from '../domain/services.js';
import { clearSessionCookie, isCrossSiteWrite, readSessionCookie, safeReturnPath, setSessionCookie } from '../http/session-cookie.js';
import { countedSignIn } from '../http/metrics.js';
import { statusOf, webErrorHandler } from './errors.js';
import { homePage, type LoginForm, loginPage } from './pages.js';
import { redirectToLogin, signedInMember } from './signed-in.js';

const field = (body: unknown, name: string): string | undefined => {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
};

/** The sign-in pages: /login (password and SSO), /logout, and / (who am I). */
export function webRouter(services: Services, config: Pick<Config, 'publicUrl' | 'bodyLimitBytes'>): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: config.bodyLimitBytes });
  const sendLogin = (res: Response, status: number, view: LoginForm) => res.status(status).type('html').send(loginPage(view));
  const refuseCrossSite = (req: Request) => {
    if (isCrossSiteWrite(req)) throw new Forbidden('This form must be sent from this site');
  };

  router.get('/login', (req, res) => {
    res.set('Cache-Control', 'no-store');
    sendLogin(res, 200, { returnTo: safeReturnPath(req.query.return_to, config.publicUrl), accountId: field(req.query, 'account_id') });
  });

  router.post('/login', form, async (req, res) => {
    refuseCrossSite(req);
    res.set('Cache-Control', 'no-store');
    const username = field(req.body, 'username');
    const returnTo = safeReturnPath(field(req.body, 'return_to'), config.publicUrl);
    const accountId = field(req.body, 'account_id');
    try {
      const { credential } = await countedSignIn(res, 'password', services.signIn.signInWithPassword(
        { login: username, password: field(req.body, 'password'), accountId, clientAddress: req.ip, requestId: res.locals.requestId as string, channel: 'web' },
        'session',
      ));
      if (credential.kind !== 'session') throw new Error('expected a session');
      setSessionCookie(res, credential.secret, credential.expiresAt, config.publicUrl);
      res.redirect(303, returnTo ?? '/');
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      const status = statusOf(err, res);
      if (err instanceof AccountChoiceRequired) {
        return sendLogin(res, status, { notice: 'You belong to several accounts: choose one and enter your password again.', username, returnTo, accounts: err.accounts, accountId });
      }
      if (err instanceof SsoRequired) return sendLogin(res, status, { error: err.message, username, returnTo, accountId: err.accountId, ssoAccountId: err.accountId });
      sendLogin(res, status, { error: err.message, username, returnTo, accountId });
    }
  });

  router.get('/login/sso', (req, res) => {
    const accountId = field(req.query, 'account_id')?.trim();
    if (!accountId) return sendLogin(res, 400, { error: 'Enter your account ID to sign in with SSO.' });
    const returnTo = safeReturnPath(req.query.return_to, config.publicUrl);
    const query = returnTo ? `?RelayState=${encodeURIComponent(returnTo)}` : '';
    res.redirect(303, `/sso/saml/${encodeURIComponent(accountId)}/login${query}`);
  });

  // SSO discovery: the email's domain, verified by an account that uses SAML, picks the account.
  router.post('/login/sso', form, async (req, res) => {
    refuseCrossSite(req);
    res.set('Cache-Control', 'no-store');
    const email = field(req.body, 'email')?.trim();
    const returnTo = safeReturnPath(field(req.body, 'return_to'), config.publicUrl);
    if (!email) return sendLogin(res, 400, { error: 'Enter your work email to sign in with SSO.', returnTo });
    const accountId = await services.domains.ssoAccountForEmail(email);
    if (accountId) {
      const query = returnTo ? `?RelayState=${encodeURIComponent(returnTo)}` : '';
      return res.redirect(303, `/sso/saml/${encodeURIComponent(accountId)}/login${query}`);
    }
    // The same answer for every address without one, whether or not anyone has it.
    sendLogin(res, 200, { notice: 'Single sign-on is not set up for that address: sign in with your password, or with SSO by account ID.', username: email.length <= 320 ? email : undefined, returnTo });
  });

  router.post('/logout', async (req, res) => {
    refuseCrossSite(req);
    const secret = readSessionCookie(req);
    if (secret) await services.signIn.signOut(secret, res.locals.requestId as string);
    clearSessionCookie(res, config.publicUrl);
    res.set('Cache-Control', 'no-store');
    res.status(200).type('html').send(loginPage({ notice: 'You are signed out.' }));
  });

  router.get('/', async (req, res) => {
    if (!readSessionCookie(req)) return redirectToLogin(res);
    const signedIn = await signedInMember(services, req, res);
    if (!signedIn || signedIn.ctx.actor.type !== 'account_user') {
      clearSessionCookie(res, config.publicUrl);
      return redirectToLogin(res);
    }
    const member = await services.accountUsers.get(signedIn.ctx, signedIn.ctx.actor.accountUserId);
    const account = await services.accounts.get(signedIn.ctx);
    const invitations = await services.invitations.listMine(signedIn.ctx);
    res.set('Cache-Control', 'no-store');
    res.type('html').send(
      homePage({
        name: member.user.name,
        email: member.user.emails.find((e) => e.primary)?.email ?? member.user.emails[0]?.email,
        accountName: account.name,
        accountId: account.id,
        method: signedIn.method,
        roles: member.roles,
        pendingInvitations: invitations.length,
        // the console's own check (admin-session.ts) is what guards it: this only shows the way
        isAdmin: signedIn.ctx.actor.roles.includes('admin'),
      }),
    );
  });

  // Only errors of these pages become HTML here; anything else passes on.
  const PAGES = new Set(['/', '/login', '/login/sso', '/logout']);
  router.use(((err, req, res, next) => (PAGES.has(req.path) ? webErrorHandler(err, req, res, next) : next(err))) as ErrorRequestHandler);
  return router;
}
