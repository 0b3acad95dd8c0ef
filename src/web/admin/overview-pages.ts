import { Router } from 'express';
import type { Services } from '../../domain/services.js';
import { html } from '../html.js';
import type { AdminConfig } from './admin-router.js';
import { adminOf } from './admin-session.js';
import { adminPage } from './layout.js';

// Being built (issue 15): the page's frame only for now.
export function overviewPages(_services: Services, _config: AdminConfig): Router {
  const router = Router();
  router.get('/', (_req, res) => {
    res.type('html').send(adminPage({ title: 'Overview', section: 'overview', session: adminOf(res) }, html`<p>This page is being built.</p>`));
  });
  return router;
}
