import type { IdPrefix } from '../../domain/ids.js';
import type { Parameter, Reference, RequestBody, Response, Schema } from './types.js';

/** Small builders for the description's schemas, so every module states shapes the same way. */

/**
 * An object whose properties are all present unless named optional; nothing else may appear
 * (additionalProperties: false): a field the API starts answering must be described here first,
 * or the test that checks real responses against this description fails.
 */
export function object(properties: Record<string, Schema>, options: { optional?: string[]; description?: string } = {}): Schema {
  const optional = new Set(options.optional ?? []);
  return {
    type: 'object',
    ...(options.description ? { description: options.description } : {}),
    properties,
    required: Object.keys(properties).filter((key) => !optional.has(key)),
    additionalProperties: false,
  };
}

/** OpenAPI 3.1 has no `nullable`: null is one more type, or one more alternative to a $ref. */
export function nullable(schema: Schema): Schema {
  if (schema.$ref || schema.type === undefined) return { anyOf: [schema, { type: 'null' }] };
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  return { ...schema, type: [...types, 'null'], ...(schema.enum ? { enum: [...schema.enum, null] } : {}) };
}

export const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
export const paramRef = (name: string): Reference => ({ $ref: `#/components/parameters/${name}` });
export const responseRef = (name: string): Reference => ({ $ref: `#/components/responses/${name}` });

export const string = (description?: string): Schema => ({ type: 'string', ...(description ? { description } : {}) });
export const boolean = (description?: string): Schema => ({ type: 'boolean', ...(description ? { description } : {}) });
export const integer = (description?: string): Schema => ({ type: 'integer', ...(description ? { description } : {}) });
export const time = (description?: string): Schema => ({ type: 'string', format: 'date-time', ...(description ? { description } : {}) });
export const arrayOf = (items: Schema, description?: string): Schema => ({ type: 'array', items, ...(description ? { description } : {}) });
export const constant = (value: string): Schema => ({ type: 'string', const: value });
export const oneOfStrings = (values: readonly string[], description?: string): Schema => ({ type: 'string', enum: values, ...(description ? { description } : {}) });

/** newId's shape (src/domain/id-shape.ts): the prefix, "_", 20 characters without i, l, o and 1. */
export const id = (prefix: IdPrefix, description?: string): Schema => ({
  type: 'string',
  pattern: `^${prefix}_[a-hj-km-np-z02-9]{20}$`,
  ...(description ? { description } : {}),
});

export const pathId = (prefix: IdPrefix, description: string, name = 'id'): Parameter => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string', examples: [`${prefix}_…`] },
});

/** A JSON answer. */
export function json(description: string, schema: Schema, headers?: Response['headers']): Response {
  return { description, ...(headers ? { headers } : {}), content: { 'application/json': { schema } } };
}

/** A JSON request body; most routers require an object, the token mints take none as {}. */
export function jsonBody(schema: Schema, options: { description?: string; required?: boolean } = {}): RequestBody {
  return { required: options.required ?? true, ...(options.description ? { description: options.description } : {}), content: { 'application/json': { schema } } };
}


/** A query parameter holding an instant (src/api/query-filters.ts queryTime). */
export const queryTime = (name: string, description: string): Parameter => ({
  name,
  in: 'query',
  description: `${description} ISO 8601 with a zone, or a date (midnight UTC).`,
  schema: { type: 'string', examples: ['2026-12-01', '2026-12-01T09:30:00Z'] },
});
