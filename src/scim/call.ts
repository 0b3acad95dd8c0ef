import type { Context } from '../domain/context.js';
import type { Services } from '../domain/services.js';
import { ScimError } from './errors.js';
import { splitList } from './projection.js';
import { LIMITS, URN } from './schemas.js';

/**
 * One SCIM operation, whether it came as an HTTP request or as one operation of a /Bulk request:
 * the handlers take a ScimCall and answer a ScimResult; router.ts and bulk.ts do the transport.
 */

export type Json = Record<string, unknown>;

export interface ScimCall {
  ctx: Context;
  services: Services;
  /** The one base URL (PUBLIC_URL + /scim/v2) used for every location. */
  baseUrl: string;
  query: Record<string, unknown>;
  body?: unknown;
  ifMatch?: string;
  ifNoneMatch?: string;
}

export interface ScimResult {
  status: number;
  body?: Json;
  /** A body already written as JSON (a list of stored documents), sent as it is; never with `body`. */
  text?: string;
  etag?: string;
  location?: string;
}

/** The version an If-Match names; undefined for "*" or no header. A tag that is not ours cannot match: 412. */
export function expectedVersion(ifMatch: string | undefined): number | undefined {
  if (ifMatch === undefined || ifMatch.trim() === '' || ifMatch.trim() === '*') return undefined;
  const first = ifMatch.split(',')[0].trim();
  const match = /^(?:W\/)?"(\d+)"$/.exec(first);
  if (!match) throw new ScimError(412, undefined, `If-Match ${first} does not match the current version of the resource`);
  return Number(match[1]);
}

/** True when If-None-Match names this ETag (or "*"): the client has it already (304). */
export function notModified(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const bare = (t: string) => t.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((t) => t.trim() === '*' || bare(t) === bare(etag));
}

export interface ListParams {
  filter?: string;
  startIndex: number;
  count: number;
  sortBy?: string;
  descending: boolean;
  attributes?: string[];
  excludedAttributes?: string[];
}

function integer(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isInteger(n)) throw new ScimError(400, 'invalidValue', `${name} must be an integer, not ${JSON.stringify(value)}`);
  return n;
}

function one(value: unknown): unknown {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * List parameters from a query string (GET) or a SearchRequest body (POST .search). Express 5
 * hands query values over as strings: startIndex and count are read as integers here.
 * startIndex below 1 is 1; count is capped at maxResults; count=0 asks for the total alone.
 */
export function listParams(source: Json): ListParams {
  const get = (name: string) => one(Object.entries(source).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1]);
  const startIndex = Math.max(integer(get('startIndex'), 'startIndex') ?? 1, 1);
  const count = Math.min(Math.max(integer(get('count'), 'count') ?? LIMITS.defaultCount, 0), LIMITS.maxResults);
  const filter = get('filter');
  if (filter !== undefined && typeof filter !== 'string') throw new ScimError(400, 'invalidFilter', 'filter must be a string');
  const sortBy = get('sortBy');
  if (sortBy !== undefined && typeof sortBy !== 'string') throw new ScimError(400, 'invalidValue', 'sortBy must be a string');
  const sortOrder = get('sortOrder');
  if (sortOrder !== undefined && (typeof sortOrder !== 'string' || !/^(ascending|descending)$/i.test(sortOrder))) {
    throw new ScimError(400, 'invalidValue', `sortOrder must be ascending or descending, not ${JSON.stringify(sortOrder)}`);
  }
  const attrs = (name: string) => splitList(Object.entries(source).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1]);
  return {
    filter: filter === '' ? undefined : (filter as string | undefined),
    startIndex,
    count,
    sortBy: sortBy === '' ? undefined : (sortBy as string | undefined),
    descending: typeof sortOrder === 'string' && sortOrder.toLowerCase() === 'descending',
    attributes: attrs('attributes'),
    excludedAttributes: attrs('excludedAttributes'),
  };
}

export function listResponse(resources: Json[], total: number, startIndex: number): Json {
  return { schemas: [URN.listResponse], totalResults: total, startIndex, itemsPerPage: resources.length, Resources: resources };
}

/** listResponse written from resources that are JSON text already (stored documents): the same message, not parsed and written again. */
export function listResponseText(resources: readonly string[], total: number, startIndex: number): string {
  return `{"schemas":${JSON.stringify([URN.listResponse])},"totalResults":${total},"startIndex":${startIndex},"itemsPerPage":${resources.length},"Resources":[${resources.join(',')}]}`;
}

/** The body of a result as JSON, whichever way it was written. */
export function resultBody(result: ScimResult): Json | undefined {
  return result.text === undefined ? result.body : (JSON.parse(result.text) as Json);
}

/** A SearchRequest body (POST .search): its own schema and the list parameters. */
export function searchParams(body: unknown): ListParams {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ScimError(400, 'invalidSyntax', 'The request body must be a SearchRequest message');
  const schemas = (body as Json).schemas;
  if (schemas !== undefined && (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === URN.searchRequest.toLowerCase()))) {
    throw new ScimError(400, 'invalidSyntax', `schemas must be ["${URN.searchRequest}"]`);
  }
  return listParams(body as Json);
}
