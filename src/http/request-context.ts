import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { logger, requestScope } from '../log.js';

const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Takes X-Request-Id (or makes one), echoes it, and runs the request in a log scope that carries it. */
export const requestContext: RequestHandler = (req, res, next) => {
  const given = req.get('x-request-id');
  const requestId = given && VALID_REQUEST_ID.test(given) ? given : randomUUID();
  res.locals.requestId = requestId;
  res.set('X-Request-Id', requestId);
  requestScope.run({ requestId }, next);
};

/** One line per request when it ends: method, path (never the query: it may hold personal data), status, time. */
export const accessLog: RequestHandler = (req, res, next) => {
  // below the log level (LOG_LEVEL=warn), not even the timer and listener: this runs on every request
  if (!logger.isInfoEnabled()) {
    next();
    return;
  }
  const started = process.hrtime.bigint();
  const requestId = res.locals.requestId as string;
  res.on('finish', () => {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    logger.info('request', { request_id: requestId, method: req.method, path: req.baseUrl + req.path, status: res.statusCode, duration_ms: Math.round(ms * 10) / 10 });
  });
  next();
};
