import { listOf, operation, pageParameters } from './components.js';
import { constant, id, json, nullable, object, oneOfStrings, queryTime, string, time } from './schema.js';
import type { Parameter, Paths, Schema } from './types.js';

const CHANNELS = ['api', 'scim', 'sso', 'cli', 'web'] as const;

/** GET /audit_events: every change and sign-in of the account, newest first (admins). */

const auditEvent: Schema = object({
  id: id('aud'),
  object: constant('audit_event'),
  actor: object({
    type: oneOfStrings(['account_user', 'scim_token', 'system'], 'A member, the IdP (its SCIM token), or the operator / the system itself.'),
    id: nullable(string('The member (`au_…`) or SCIM token (`stok_…`); null for the system.')),
    name: nullable(string('The member\'s or the SCIM token\'s name; null for the operator, or an actor since deleted.')),
  }),
  channel: oneOfStrings(CHANNELS),
  action: string('What happened, e.g. `account_user.create`, `team.update`, `sign_in.refused`.'),
  target: object({ type: string('e.g. `account_user`, `team`, `account`.'), id: nullable(string()) }),
  changes: { type: 'object', description: 'What changed (the action\'s own fields); never a secret.', additionalProperties: true },
  request_id: nullable(string('The X-Request-Id of the request that made the change.')),
  created_at: time(),
});

export const auditEventSchemas: Record<string, Schema> = { AuditEvent: auditEvent };

export const auditEventPaths: Paths = {
  '/audit_events': {
    get: operation({
      operationId: 'listAuditEvents',
      summary: 'The audit trail, newest first (admins)',
      tags: ['Audit trail'],
      description: 'Every filter given must hold (exact values); any other query parameter is 400.',
      parameters: [
        ...(['action', 'target_id', 'target_type', 'actor_id'] as const).map((name): Parameter => ({ name, in: 'query', schema: { type: 'string', minLength: 1, maxLength: 200 } })),
        { name: 'channel', in: 'query', schema: oneOfStrings(CHANNELS) },
        queryTime('since', 'From (inclusive).'),
        queryTime('until', 'Before (exclusive).'),
        ...pageParameters,
      ],
      responses: { '200': json('A page of events.', listOf('AuditEvent')) },
      errors: ['Forbidden'],
    }),
  },
};
