/**
 * The part of OpenAPI 3.1 this description uses, typed so that a misspelt keyword fails the
 * typecheck instead of being ignored by every client. Schemas are JSON Schema 2020-12 (OpenAPI
 * 3.1's dialect): null is a type (`type: ['string', 'null']`), there is no `nullable`.
 */

export type JsonType = 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array' | 'null';

export interface Schema {
  $ref?: string;
  type?: JsonType | JsonType[];
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  enum?: readonly (string | number | boolean | null)[];
  const?: string | number | boolean | null;
  format?: 'date-time' | 'email' | 'uri';
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  default?: string | number | boolean | null;
  examples?: unknown[];
}

export interface MediaType {
  schema: Schema;
}

export interface Header {
  description: string;
  schema: Schema;
}

export interface Response {
  description: string;
  headers?: Record<string, Header>;
  content?: Record<string, MediaType>;
}

export type Reference = { $ref: string };

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  description?: string;
  required?: boolean;
  schema: Schema;
}

export interface RequestBody {
  description?: string;
  required?: boolean;
  content: Record<string, MediaType>;
}

export interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  /** [] for an operation that needs no credential; absent: the document's default (bearer). */
  security?: Record<string, string[]>[];
  parameters?: (Parameter | Reference)[];
  requestBody?: RequestBody;
  /** Status code (as a string) to response. */
  responses: Record<string, Response | Reference>;
}

export type Method = 'get' | 'put' | 'post' | 'delete' | 'patch';
export const METHODS: readonly Method[] = ['get', 'put', 'post', 'delete', 'patch'];

export type PathItem = { parameters?: (Parameter | Reference)[]; servers?: Server[] } & Partial<Record<Method, Operation>>;

/** Paths relative to the server URL, as OpenAPI writes them: `/teams/{id}`. */
export type Paths = Record<string, PathItem>;

export interface Server {
  url: string;
  description?: string;
}

export interface SecurityScheme {
  type: 'http';
  scheme: 'bearer';
  bearerFormat?: string;
  description: string;
}

export interface Document {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string; license?: { name: string; identifier: string } };
  jsonSchemaDialect: string;
  servers: Server[];
  security: Record<string, string[]>[];
  tags: { name: string; description: string }[];
  paths: Paths;
  components: {
    schemas: Record<string, Schema>;
    responses: Record<string, Response>;
    parameters: Record<string, Parameter>;
    securitySchemes: Record<string, SecurityScheme>;
  };
}
