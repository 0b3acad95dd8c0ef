import { listOf, operation, pageParameters } from './components.js';
import { arrayOf, constant, integer, json, nullable, object, oneOfStrings, queryTime, ref, string, time } from './schema.js';
import type { Paths, Schema } from './types.js';

/** /provisioning_requests: the account's provisioning log, every SCIM request its IdP made (admins). */

const requestId: Schema = { type: 'string', pattern: '^prq_[a-hj-km-np-z02-9]{20}$' };

const requestProperties: Record<string, Schema> = {
  id: requestId,
  object: constant('provisioning_request'),
  created_at: time(),
  method: string(),
  path: string('With its query (the IdP\'s filter), e.g. `/scim/v2/Users?filter=userName eq "x"`.'),
  status: integer('The HTTP status answered.'),
  duration_ms: { type: 'number', minimum: 0 },
  user_agent: nullable(string()),
  request_id: nullable(string()),
  scim_token_id: nullable(string()),
  resource: object({ type: nullable(oneOfStrings(['User', 'Group'])), id: nullable(string('The SCIM id named or created (for Users the account user id).')) }),
  error_detail: nullable(string('The SCIM error\'s detail of a failed request.')),
  request_body: { description: 'The body sent, secrets removed; `{"truncated": true, "characters": N}` when too long; null without one.' },
  response_body: { description: 'The body answered, likewise.' },
};


export const provisioningSchemas: Record<string, Schema> = {
  ProvisioningRequest: object(requestProperties),
  ProvisioningRequestWithChanges: object({ ...requestProperties, changes: arrayOf(ref('AuditEvent'), 'The audit events the request wrote.') }),
  ProvisioningSummary: object({
    object: constant('provisioning_summary'),
    last: nullable(object({ created_at: time(), method: string(), path: string(), status: integer() })),
    requests_last_24h: integer(),
    failures_last_24h: integer(),
  }),
};

export const provisioningPaths: Paths = {
  '/provisioning_requests': {
    get: operation({
      operationId: 'listProvisioningRequests',
      summary: 'The provisioning log, newest first (admins)',
      description: 'Every filter given must hold; any other query parameter is 400.',
      tags: ['Provisioning log'],
      parameters: [
        { name: 'status', in: 'query', description: '`success`, `failure`, or one HTTP status such as `409`.', schema: { type: 'string', pattern: '^(success|failure|[1-5][0-9][0-9])$' } },
        { name: 'resource_id', in: 'query', schema: { type: 'string', minLength: 1, maxLength: 128 } },
        { name: 'resource_type', in: 'query', schema: oneOfStrings(['User', 'Group']) },
        queryTime('since', 'From (inclusive).'),
        queryTime('until', 'Before (exclusive).'),
        ...pageParameters,
      ],
      responses: { '200': json('A page of requests.', listOf('ProvisioningRequest')) },
      errors: ['Forbidden'],
    }),
  },
  '/provisioning_requests/summary': {
    get: operation({
      operationId: 'getProvisioningSummary',
      summary: 'The last request, and the requests and failures of the last 24 hours (admins)',
      tags: ['Provisioning log'],
      responses: { '200': json('The summary.', ref('ProvisioningSummary')) },
      errors: ['Forbidden'],
    }),
  },
  '/provisioning_requests/{id}': {
    parameters: [{ name: 'id', in: 'path', required: true, description: 'A provisioning request id (`prq_…`).', schema: { type: 'string' } }],
    get: operation({
      operationId: 'getProvisioningRequest',
      summary: 'One request, with the audit events it wrote (admins)',
      tags: ['Provisioning log'],
      responses: { '200': json('The request.', ref('ProvisioningRequestWithChanges')) },
      errors: ['Forbidden', 'NotFound'],
    }),
  },
};


