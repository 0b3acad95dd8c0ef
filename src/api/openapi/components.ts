import { DEFAULT_LIMIT, MAX_LIMIT } from '../pagination.js';
import { arrayOf, boolean, integer, json, object, paramRef, ref, responseRef, string } from './schema.js';
import type { Document, Header, Operation, Reference, Response, Schema } from './types.js';

/** What every part of REST v4 shares: the error body, lists and their paging, the bearer scheme, error answers. */

export const errorBody: Schema = object(
  {
    errors: {
      type: 'array',
      minItems: 1,
      items: object({ message: string('What went wrong, in words a person can act on.'), field: string('The parameter at fault, when one is (e.g. `user_attributes.emails_attributes[0].email`).') }, { optional: ['field'] }),
    },
  },
  { description: 'Every error: `{"errors": [{"message", "field"?}]}`.' },
);

/** `{"data": [...], "has_more", "total_count"}` of the named item schema. */
export function listOf(itemSchema: string): Schema {
  return object({
    data: arrayOf(ref(itemSchema)),
    has_more: boolean('True when items follow this page.'),
    total_count: integer('How many items there are in all.'),
  });
}

export const pageParameters: Reference[] = [paramRef('limit'), paramRef('offset'), paramRef('page')];

const retryAfter: Header = { description: 'Seconds to wait before trying again.', schema: { type: 'integer', minimum: 0 } };
const error = (description: string, headers?: Response['headers']): Response => json(description, ref('Error'), headers);

const errorResponses = {
  BadRequest: error('Malformed: a body that is not JSON or is nested too deep, a path that cannot be decoded, or a parameter of the wrong type (`field` names it).'),
  Unauthorized: error('No credential, or one that is unknown, revoked, expired or of a deactivated membership.', {
    'WWW-Authenticate': { description: '`Bearer`', schema: { type: 'string', const: 'Bearer' } },
  }),
  Forbidden: error('Allowed only to admins of the account, or a profile another account manages.'),
  NotFound: error('Nothing with that id in this account (another account\'s ids are not found either).'),
  Conflict: error('Taken (a duplicate email, user name or name; the message names it), or a rule about the current state (the owner cannot be removed).'),
  PayloadTooLarge: error('A body over the limit (1 MiB by default).'),
  UnsupportedMediaType: error('A body encoding or charset the server does not read.'),
  Unprocessable: error('A value that breaks a rule (`field` names it): an invalid email or phone number, an unknown role, time zone or language, an id that is not of this account.'),
  TooManyRequests: error('Too many requests (per account, or failed sign-ins from one address).', { 'Retry-After': retryAfter }),
  Unavailable: error('The database cannot be reached.', { 'Retry-After': retryAfter }),
} satisfies Record<string, Response>;

export type ErrorName = keyof typeof errorResponses;

const STATUS_OF: Record<ErrorName, string> = {
  BadRequest: '400',
  Unauthorized: '401',
  Forbidden: '403',
  NotFound: '404',
  Conflict: '409',
  PayloadTooLarge: '413',
  UnsupportedMediaType: '415',
  Unprocessable: '422',
  TooManyRequests: '429',
  Unavailable: '503',
};

/** The error answers by status, as references to the shared responses. */
export function errors(...names: ErrorName[]): Record<string, Reference> {
  return Object.fromEntries(names.map((name) => [STATUS_OF[name], responseRef(name)]));
}

/**
 * What any authenticated REST v4 request may answer besides its own: 400 (an undecodable path),
 * 401, 422 (a query string PostgreSQL cannot store, e.g. a NUL), 429 and 503.
 */
export const AUTHENTICATED_ERRORS: ErrorName[] = ['BadRequest', 'Unauthorized', 'Unprocessable', 'TooManyRequests', 'Unavailable'];
/** ...and with a body: 413 and 415 too. */
export const BODY_ERRORS: ErrorName[] = [...AUTHENTICATED_ERRORS, 'PayloadTooLarge', 'UnsupportedMediaType'];

/** An operation of REST v4 with its common error answers added to the ones it states. */
export function operation(op: Omit<Operation, 'responses'> & { responses: Operation['responses']; errors: ErrorName[] }): Operation {
  const { errors: own, ...rest } = op;
  const common = rest.requestBody ? BODY_ERRORS : AUTHENTICATED_ERRORS;
  return { ...rest, responses: { ...rest.responses, ...errors(...new Set([...common, ...own])) } };
}

export const sharedComponents: Pick<Document['components'], 'responses' | 'parameters' | 'securitySchemes'> & { schemas: Record<string, Schema> } = {
  schemas: { Error: errorBody },
  responses: errorResponses,
  parameters: {
    limit: { name: 'limit', in: 'query', description: `Items per page, 1 to ${MAX_LIMIT}.`, schema: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT } },
    offset: { name: 'offset', in: 'query', description: 'Items to skip (not with `page`).', schema: { type: 'integer', minimum: 0 } },
    page: { name: 'page', in: 'query', description: 'Page number from 1, of `limit` items (not with `offset`).', schema: { type: 'integer', minimum: 1, default: 1 } },
  },
  securitySchemes: {
    bearer: {
      type: 'http',
      scheme: 'bearer',
      description:
        'An API token (`rc_api_…`, from `POST /account_users/{id}/api_tokens` or `rollcall api-token create`) or a JWT from `POST /public/login`; it acts as its member, in its account only. A browser session cookie from `/login` is accepted too.',
    },
  },
};
