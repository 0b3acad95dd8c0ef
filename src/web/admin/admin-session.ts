import type { Request, RequestHandler, Response } from 'express';
import type { Context } from '../../domain/context.js';
import type { Services } from '../../domain/services.js';
import { readSessionCookie } from '../../http/session-cookie.js';
import { redirectToLogin, signedInMember } from '../signed-in.js';
import { csrfTokenOf } from './csrf.js';
import { adminErrorPage } from './layout.js';

/** Who is using the console: an admin (or the owner, always an admin) of the signed-in account. */
export interface AdminSession {
  ctx: Context;
  accountId: string;
  accountName: string;
  memberName: string;
  /** This session's form token (csrf.ts): every form of the console carries it. */
  csrfToken: string;
}

/** The /admin path asked for, to come back to after signing in (a path of this site only). */
function askedPath(req: Request): string {
  const path = `/admin${req.path === '/' ? '' : req.path}`;
  return req.method === 'GET' ? path : '/admin';
}

/**
 * Signed out (or an ended session) → 303 to /login and back; signed in but not an admin of the
 * account signed in to → 403 page that says nothing of the account; otherwise res.locals.admin.
 */
export function requireAdmin(services: Services): RequestHandler {
  return async (req, res, next) => {
    const me = await signedInMember(services, req, res);
    if (!me || me.ctx.actor.type !== 'account_user') return redirectToLogin(res, askedPath(req));
    if (!me.ctx.actor.roles.includes('admin')) {
      res.status(403).type('html').send(adminErrorPage('Admins only', 'The admin console is for the admins of this account. Ask an admin if you need a change.', [{ href: '/', text: 'Back' }]));
      return;
    }
    const [account, member] = await Promise.all([services.accounts.get(me.ctx), services.accountUsers.get(me.ctx, me.ctx.actor.accountUserId)]);
    const session: AdminSession = {
      ctx: me.ctx,
      accountId: account.id,
      accountName: account.name,
      memberName: member.user.name,
      csrfToken: csrfTokenOf(readSessionCookie(req) as string),
    };
    res.locals.admin = session;
    next();
  };
}

/** The console's user on a request that passed requireAdmin. */
export function adminOf(res: Response): AdminSession {
  const session = res.locals.admin as AdminSession | undefined;
  if (!session) throw new Error('adminOf: requireAdmin did not run on this route');
  return session;
}
