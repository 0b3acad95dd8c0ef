import type { RequestHandler } from 'express';
import { openApiDocument } from './document.js';

/**
 * GET /openapi.json: public (it describes, it holds nothing of an account), the same for every
 * request of this server, so it is built once and may be cached; express answers If-None-Match
 * with 304 from its ETag.
 */
export function openApiRoute(publicUrl: string): RequestHandler {
  const body = JSON.stringify(openApiDocument(publicUrl));
  return (_req, res) => {
    res.set('Cache-Control', 'public, max-age=3600');
    res.type('application/json').send(body);
  };
}
