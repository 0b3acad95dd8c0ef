import { Router } from 'express';
import { txtRecordOf } from '../domain/domains/domains-service.js';
import type { DomainRow, PersonElsewhereRow } from '../domain/domains/domains-store.js';
import type { Services } from '../domain/services.js';
import { contextOf } from './authenticate.js';
import { listBody, readPage } from './pagination.js';
import { BadRequest, object, optString } from './params.js';

/**
 * /api/v4/account/domains: the account's email domains and their verification by DNS (admins).
 * - GET /                       list
 * - POST /  {"domain"}          add: 201 with the TXT record to publish
 * - GET /:id                    one
 * - POST /:id/verify            check the TXT record; 200 verified, 422 record missing or wrong,
 *                               409 verified by another account, 503 DNS did not answer
 * - DELETE /:id                 remove
 * - GET /:id/people_elsewhere   people at the (verified) domain whom another account created
 */

const iso = (value: Date | string | null): string | null => (value ? new Date(value).toISOString() : null);

function domainView(row: DomainRow) {
  const record = txtRecordOf(row);
  return {
    id: row.id,
    object: 'domain',
    domain: row.domain,
    verified: row.verified_at !== null,
    verified_at: iso(row.verified_at),
    txt_record: { type: 'TXT', name: record.name, value: record.value },
    created_at: iso(row.created_at),
  };
}

function personElsewhereView(row: PersonElsewhereRow) {
  return {
    object: 'person_elsewhere',
    user_id: row.user_id,
    emails: row.emails,
    managed_by_account: { id: row.managed_by_account_id, name: row.managed_by_account_name },
    created_at: iso(row.created_at),
  };
}

export function domainsRouter(services: Services): Router {
  const router = Router();

  router.get('/', async (_req, res) => {
    const rows = await services.domains.list(contextOf(res));
    res.json({ data: rows.map(domainView), has_more: false, total_count: rows.length });
  });

  router.post('/', async (req, res) => {
    const domain = optString(object(req.body, 'body'), 'domain');
    if (domain === undefined) throw new BadRequest('domain', 'domain is required, e.g. {"domain": "example.com"}');
    const { row } = await services.domains.add(contextOf(res), domain);
    res.status(201).json(domainView(row));
  });

  router.get('/:id', async (req, res) => {
    res.json(domainView(await services.domains.get(contextOf(res), req.params.id)));
  });

  router.post('/:id/verify', async (req, res) => {
    res.json(domainView(await services.domains.verify(contextOf(res), req.params.id)));
  });

  router.delete('/:id', async (req, res) => {
    await services.domains.remove(contextOf(res), req.params.id);
    res.status(204).end();
  });

  router.get('/:id/people_elsewhere', async (req, res) => {
    const page = readPage(req.query);
    const { rows, total } = await services.domains.peopleElsewhere(contextOf(res), req.params.id, page);
    res.json(listBody(rows.map(personElsewhereView), total, page));
  });

  return router;
}
