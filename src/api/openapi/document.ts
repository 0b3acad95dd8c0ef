import { accountPaths, accountSchemas } from './account.js';
import { accountUserPaths, accountUserSchemas } from './account-users.js';
import { apiTokenPaths, apiTokenSchemas } from './api-tokens.js';
import { auditEventPaths, auditEventSchemas } from './audit-events.js';
import { sharedComponents } from './components.js';
import { domainPaths, domainSchemas } from './domains.js';
import { ownershipPaths } from './ownership.js';
import { provisioningPaths, provisioningSchemas } from './provisioning.js';
import { schedulePaths, scheduleSchemas } from './schedules.js';
import { scimAccessPaths, scimAccessSchemas } from './scim-access.js';
import { signInPaths, signInSchemas } from './sign-in.js';
import { teamPaths, teamSchemas } from './teams.js';
import type { Document } from './types.js';
import { userPaths, userSchemas } from './users.js';

/**
 * The OpenAPI 3.1 description of REST v4, served at GET /openapi.json. Paths are relative to
 * PUBLIC_URL + /api/v4 (POST /public/login names its own server). test/integration/openapi.test.ts
 * checks real answers against it and every route the routers register against its paths.
 */
export function openApiDocument(publicUrl: string): Document {
  const base = publicUrl.replace(/\/+$/, '');
  return {
    openapi: '3.1.0',
    info: {
      title: 'Rollcall REST API',
      version: '4',
      description:
        'Rollcall\'s native API (PagerTree v4 shapes): members, users, teams, schedules, sign-in, SSO, SCIM setup, domains, the audit trail and the provisioning log. ' +
        'Every request acts as the member whose credential it carries, in that member\'s account only: anything of another account answers 404. ' +
        'Lists take `limit` with `offset`, or `page`, and answer `{"data", "has_more", "total_count"}`; every error answers `{"errors": [{"message", "field"?}]}`. ' +
        `SCIM 2.0 (/scim/v2) describes itself: ${base}/scim/v2/ServiceProviderConfig, /Schemas and /ResourceTypes (with the account's SCIM token).`,
    },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    servers: [{ url: `${base}/api/v4`, description: 'This server (PUBLIC_URL).' }],
    security: [{ bearer: [] }],
    tags: [
      { name: 'Account users', description: 'A person\'s membership in the account, with the person nested in it.' },
      { name: 'Users', description: 'The members as people, by user id.' },
      { name: 'API tokens', description: 'A member\'s tokens for this API.' },
      { name: 'Teams', description: 'Named groups of members.' },
      { name: 'Schedules', description: 'Rotations, overrides and who is on call.' },
      { name: 'SCIM setup', description: 'SCIM tokens for identity providers, and groups that grant roles.' },
      { name: 'Sign-in', description: 'Passwords, the caller, and SAML SSO settings.' },
      { name: 'Account', description: 'The account and its ownership.' },
      { name: 'Domains', description: 'Email domains verified by DNS.' },
      { name: 'Audit trail', description: 'Every change, who made it, how.' },
      { name: 'Provisioning log', description: 'Every SCIM request the account\'s IdP made.' },
    ],
    paths: {
      ...accountUserPaths,
      ...apiTokenPaths,
      ...userPaths,
      ...teamPaths,
      ...schedulePaths,
      ...scimAccessPaths,
      ...signInPaths(base),
      ...accountPaths,
      ...ownershipPaths,
      ...domainPaths,
      ...auditEventPaths,
      ...provisioningPaths,
    },
    components: {
      ...sharedComponents,
      schemas: {
        ...sharedComponents.schemas,
        ...userSchemas,
        ...accountUserSchemas,
        ...apiTokenSchemas,
        ...teamSchemas,
        ...scheduleSchemas,
        ...scimAccessSchemas,
        ...signInSchemas,
        ...accountSchemas,
        ...auditEventSchemas,
        ...domainSchemas,
        ...provisioningSchemas,
      },
    },
  };
}
