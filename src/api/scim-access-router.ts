import { type Request, Router } from 'express';
import type { ScimTokenRow } from '../domain/auth/scim-tokens-store.js';
import type { RoleMappingRecord } from '../domain/roles/role-mappings-store.js';
import type { Services } from '../domain/services.js';
import { contextOf } from './authenticate.js';
import { object, optString } from './params.js';

/**
 * What an admin sets up for provisioning, under /api/v4:
 * - /scim_tokens: the account's SCIM bearer tokens (create shows the token once; list; revoke)
 * - /role_mappings: groups (by display name) that grant roles to their members
 */

const iso = (value: Date | string | null): string | null => (value ? new Date(value).toISOString() : null);

function scimTokenView(t: ScimTokenRow) {
  return { id: t.id, object: 'scim_token', name: t.name, created_at: iso(t.created_at), last_used_at: iso(t.last_used_at), expires_at: iso(t.expires_at) };
}

function roleMappingView(m: RoleMappingRecord) {
  return {
    id: m.id,
    object: 'role_mapping',
    group: m.group_name,
    roles: m.roles,
    team: m.team && { id: m.team.id, name: m.team.name, member_count: Number(m.team.member_count) },
    created_at: iso(m.created_at),
    updated_at: iso(m.updated_at),
  };
}

/** The SCIM base URL as the admin reached this server (PUBLIC_URL is what the CLI prints). */
const scimBaseUrl = (req: Request): string => `${req.protocol}://${req.get('host')}/scim/v2`;

export function scimAccessRouter(services: Services): Router {
  const router = Router();

  router.get('/scim_tokens', async (_req, res) => {
    const tokens = await services.scimTokens.list(contextOf(res));
    res.json({ data: tokens.map(scimTokenView), has_more: false, total_count: tokens.length });
  });

  router.post('/scim_tokens', async (req, res) => {
    const body = req.body === undefined ? {} : object(req.body, 'body');
    // expires_at (ISO 8601) or expires_in_days; neither: the token never expires
    const { token, row } = await services.scimTokens.create(contextOf(res), optString(body, 'name'), { expiresAt: body.expires_at, expiresInDays: body.expires_in_days });
    res.status(201).json({ ...scimTokenView(row), token, base_url: scimBaseUrl(req) });
  });

  router.delete('/scim_tokens/:id', async (req, res) => {
    await services.scimTokens.revoke(contextOf(res), req.params.id);
    res.status(204).end();
  });

  router.get('/role_mappings', async (_req, res) => {
    const mappings = await services.roleMappings.list(contextOf(res));
    res.json({ data: mappings.map(roleMappingView), has_more: false, total_count: mappings.length });
  });

  /** {"group": "On-call Leads", "roles": ["admin"]}: creates the mapping (201) or replaces its roles (200). */
  router.post('/role_mappings', async (req, res) => {
    const body = object(req.body, 'body');
    // a group of another type is a 400 naming it (optString); a missing one, the domain's 422
    const { mapping, created } = await services.roleMappings.set(contextOf(res), optString(body, 'group'), body.roles);
    res.status(created ? 201 : 200).json(roleMappingView(mapping));
  });

  router.get('/role_mappings/:id', async (req, res) => {
    res.json(roleMappingView(await services.roleMappings.get(contextOf(res), req.params.id)));
  });

  const update = async (req: Request<{ id: string }>, res: import('express').Response) => {
    const body = object(req.body, 'body');
    res.json(roleMappingView(await services.roleMappings.update(contextOf(res), req.params.id, { group: optString(body, 'group'), roles: body.roles })));
  };
  router.put('/role_mappings/:id', update);
  router.patch('/role_mappings/:id', update);

  router.delete('/role_mappings/:id', async (req, res) => {
    await services.roleMappings.delete(contextOf(res), req.params.id);
    res.status(204).end();
  });

  return router;
}
