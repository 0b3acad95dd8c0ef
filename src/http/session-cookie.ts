import type { Request, Response } from 'express';

/**
 * The browser session cookie: an opaque secret (only its hash is stored), HttpOnly, SameSite=Lax,
 * Secure when the service is reached over https. Read by the web pages and by /api/v4.
 */
export const SESSION_COOKIE = 'rollcall_session';

export function readSessionCookie(req: Request): string | undefined {
  const header = req.get('cookie');
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    return /^[A-Za-z0-9_-]{10,200}$/.test(value) ? value : undefined;
  }
  return undefined;
}

export function setSessionCookie(res: Response, secret: string, expiresAt: Date, publicUrl: string): void {
  res.cookie(SESSION_COOKIE, secret, { httpOnly: true, sameSite: 'lax', secure: publicUrl.startsWith('https:'), path: '/', expires: expiresAt });
}

export function clearSessionCookie(res: Response, publicUrl: string): void {
  res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure: publicUrl.startsWith('https:'), path: '/' });
}

/**
 * A write sent with the cookie must come from our own pages: a browser names the page's origin in
 * Origin, and another site's differs. (SameSite=Lax already keeps the cookie off cross-site posts.)
 */
export function isCrossSiteWrite(req: Request): boolean {
  if (['GET', 'HEAD', 'OPTIONS'].includes(req.method)) return false;
  const origin = req.get('origin');
  if (!origin || origin === 'null') return origin === 'null';
  return origin !== `${req.protocol}://${req.get('host')}`;
}

/** A path inside this service to go back to after sign-in: never another site. */
export function safeReturnPath(value: unknown, publicUrl: string): string | undefined {
  if (typeof value !== 'string' || value === '' || value.length > 2048) return undefined;
  let path = value;
  if (/^https?:\/\//i.test(value)) {
    if (!value.startsWith(`${publicUrl}/`)) return undefined;
    path = value.slice(publicUrl.length);
  }
  // One leading slash, no scheme-relative "//host", no backslashes browsers read as slashes, no control characters.
  if (!path.startsWith('/') || path.startsWith('//') || /[\\\u0000-\u001f\u007f]/.test(path)) return undefined;
  try {
    const resolved = new URL(path, 'http://rollcall.invalid');
    if (resolved.host !== 'rollcall.invalid') return undefined;
    return resolved.pathname + resolved.search + resolved.hash;
  } catch {
    return undefined;
  }
}
