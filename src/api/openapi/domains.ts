import { listOf, operation, pageParameters } from './components.js';
import { arrayOf, boolean, constant, id, json, jsonBody, nullable, object, pathId, ref, string, time } from './schema.js';
import type { Paths, Schema } from './types.js';

/** /account/domains: the account's email domains and their verification by DNS (admins). */

const domain: Schema = object({
  id: id('dom'),
  object: constant('domain'),
  domain: string('A host name, lower-cased, international names in their `xn--` form.'),
  verified: boolean(),
  verified_at: nullable(time()),
  txt_record: object({ type: constant('TXT'), name: string('`_rollcall-challenge.<domain>`'), value: string('`rollcall-domain-verification=<token>`') }, { description: 'The record to publish.' }),
  created_at: time(),
});

const personElsewhere: Schema = object({
  object: constant('person_elsewhere'),
  user_id: id('usr'),
  emails: arrayOf(string(), 'Their addresses at the domain.'),
  managed_by_account: object({ id: id('acc'), name: string() }, { description: 'The account that created them.' }),
  created_at: time(),
});

export const domainSchemas: Record<string, Schema> = { Domain: domain, PersonElsewhere: personElsewhere };

const domainId = pathId('dom', 'A domain id (`dom_…`).');

export const domainPaths: Paths = {
  '/account/domains': {
    get: operation({
      operationId: 'listDomains',
      summary: 'The account\'s domains, each with its TXT record (admins)',
      tags: ['Domains'],
      responses: { '200': json('All of them (one page; at most 100).', listOf('Domain')) },
      errors: ['Forbidden'],
    }),
    post: operation({
      operationId: 'addDomain',
      summary: 'Add a domain (admins)',
      tags: ['Domains'],
      requestBody: jsonBody({ type: 'object', properties: { domain: string('e.g. `acme.example`') }, required: ['domain'] }),
      responses: { '201': json('The domain with the TXT record to publish.', ref('Domain')) },
      errors: ['Forbidden', 'Conflict'],
    }),
  },
  '/account/domains/{id}': {
    parameters: [domainId],
    get: operation({ operationId: 'getDomain', summary: 'One domain (admins)', tags: ['Domains'], responses: { '200': json('The domain.', ref('Domain')) }, errors: ['Forbidden', 'NotFound'] }),
    delete: operation({
      operationId: 'removeDomain',
      summary: 'Remove a domain and its verification (admins)',
      tags: ['Domains'],
      responses: { '204': { description: 'Removed.' } },
      errors: ['Forbidden', 'NotFound'],
    }),
  },
  '/account/domains/{id}/verify': {
    parameters: [domainId],
    post: operation({
      operationId: 'verifyDomain',
      summary: 'Look the TXT record up (admins)',
      description: '422: the record is missing or different (the message names what was expected and found); 409: another account verified the domain; 503: DNS did not answer.',
      tags: ['Domains'],
      responses: { '200': json('Verified.', ref('Domain')) },
      errors: ['Forbidden', 'NotFound', 'Conflict'],
    }),
  },
  '/account/domains/{id}/people_elsewhere': {
    parameters: [domainId],
    get: operation({
      operationId: 'listPeopleElsewhere',
      summary: 'People at a verified domain whom another account created (admins)',
      description: '409 while the domain is not verified.',
      tags: ['Domains'],
      parameters: pageParameters,
      responses: { '200': json('A page of people.', listOf('PersonElsewhere')) },
      errors: ['Forbidden', 'NotFound', 'Conflict'],
    }),
  },
};
