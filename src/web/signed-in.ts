import type { Request, Response } from 'express';
import type { SignedIn } from '../domain/auth/sign-in-service.js';
import { DomainError } from '../domain/errors.js';
import type { Services } from '../domain/services.js';
import { readSessionCookie } from '../http/session-cookie.js';

/**
 * The one check behind every signed-in page (/, /invitations, /admin): the member whose session
 * cookie this request carries, or undefined when there is none, it is malformed, or it has ended.
 * Other refusals (an SSO-only account's password session, a database fault) are thrown, so that
 * they reach the page's error handler instead of passing for "signed out".
 */
export async function signedInMember(services: Services, req: Request, res: Response): Promise<SignedIn | undefined> {
  const secret = readSessionCookie(req);
  if (!secret) return undefined;
  const found = await services.signIn.authenticateSession(secret, 'web', res.locals.requestId as string).catch((err: unknown) => {
    if (err instanceof DomainError && err.code === 'unauthenticated') return undefined;
    throw err;
  });
  return found?.ctx.actor.type === 'account_user' ? found : undefined;
}

/** Sends a signed-out visitor to /login, back to `returnTo` (a path of this site) once signed in. */
export function redirectToLogin(res: Response, returnTo?: string): void {
  res.redirect(303, returnTo ? `/login?return_to=${encodeURIComponent(returnTo)}` : '/login');
}
