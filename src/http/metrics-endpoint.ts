import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { AppMetrics } from './metrics.js';

/**
 * GET /metrics in the Prometheus text format. Metrics say how busy the service is, which routes
 * fail and how its sign-ins go: not for everyone.
 * - METRICS_TOKEN set: "Authorization: Bearer <METRICS_TOKEN>" is required, from any address
 *   (Prometheus' `authorization` scrape setting). No Rollcall credential stands in for it.
 * - unset: only a caller on this machine, judged by the socket's address (never req.ip, which
 *   X-Forwarded-For sets when a proxy is trusted), and only when the request carries no
 *   forwarding header: a reverse proxy on the same host connects from loopback for everyone
 *   on the internet, and says so with X-Forwarded-For (or Forwarded).
 */
export function metricsEndpoint(metrics: AppMetrics, token: string | undefined): RequestHandler {
  const expected = token === undefined ? undefined : digest(token);
  return async (req, res) => {
    res.set('Cache-Control', 'no-store');
    if (expected) {
      const given = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '')?.[1];
      if (!given || !timingSafeEqual(digest(given), expected)) {
        res.set('WWW-Authenticate', 'Bearer realm="metrics"');
        res.status(401).json({ errors: [{ message: 'Send the metrics token (METRICS_TOKEN) as "Authorization: Bearer <token>"' }] });
        return;
      }
    } else if (!isLocalCaller(req)) {
      res.status(403).json({ errors: [{ message: 'Without METRICS_TOKEN, /metrics answers only on this machine (loopback, not through a proxy): set METRICS_TOKEN to scrape from elsewhere' }] });
      return;
    }
    metrics.startProcessMetrics();
    const text = await metrics.registry.metrics();
    res.type(metrics.registry.contentType).send(text);
  };
}

/** Hashed first, so that the comparison takes as long whatever the length of what was sent. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

const LOOPBACK = /^(?:127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;

export function isLoopbackAddress(address: string | undefined): boolean {
  return address !== undefined && LOOPBACK.test(address);
}

function isLocalCaller(req: Request): boolean {
  return isLoopbackAddress(req.socket.remoteAddress) && req.get('x-forwarded-for') === undefined && req.get('forwarded') === undefined;
}
