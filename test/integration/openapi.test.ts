import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule, { type FormatsPlugin } from 'ajv-formats';
import type { Router } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicRouter } from '../../src/api/public-router.js';
import { apiRouter } from '../../src/api/router.js';
import { type Document, METHODS, type Method, type Operation, type Reference, type Response } from '../../src/api/openapi/types.js';
import { startTestDnsServer, type TestDnsServer } from '../support/test-dns-server.js';
import { TestIdp } from '../support/test-idp.js';
import { type HttpResult, startTestApp, type TestAccount, type TestApp, uniqueEmail } from '../support/test-app.js';

/**
 * GET /openapi.json against the real app (issue 16): the document is valid OpenAPI 3.1; a walk
 * through every documented operation checks each real answer (successes and errors) against the
 * schema documented for its path, method and status, where objects admit no undocumented field;
 * and every route the REST routers register is documented, and nothing else is.
 */

// ajv-formats is CommonJS: under NodeNext its plugin is the default export's default
const addFormats = ((addFormatsModule as unknown as { default?: FormatsPlugin }).default ?? addFormatsModule) as FormatsPlugin;

const PASSWORD = 'correct horse battery staple';
const DOC_ID = 'openapi.json';

let dns: TestDnsServer;
let app: TestApp;
let doc: Document;
let ajv: Ajv2020;
let acme: TestAccount & { ownerEmail: string };
let globex: TestAccount;
/** A member of Acme without roles, with their own API token. */
let plain: { id: string; userId: string; token: string };

/** method + documented path -> the statuses the walk saw answered (and checked). */
const seen = new Map<string, Set<number>>();

beforeAll(async () => {
  dns = await startTestDnsServer();
  app = await startTestApp({ dnsResolver: [dns.address] });
  const ownerEmail = uniqueEmail('owner');
  acme = { ...(await app.createAccount('Acme', ownerEmail)), ownerEmail };
  await app.services.signIn.setPasswordByEmail(ownerEmail, PASSWORD);
  globex = await app.createAccount('Globex');
  const member = await app.request('POST', '/api/v4/account_users', { token: acme.token, body: { user_attributes: { name: 'Plain Member', emails_attributes: [{ email: uniqueEmail('plain') }] } } });
  plain = { id: member.body.id, userId: member.body.user_id, token: (await app.services.apiTokens.createAsOperator(member.body.id)).token };

  const served = await app.request('GET', '/openapi.json');
  doc = served.body as Document;
  ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
  addFormats(ajv);
  // the document's own keys are not schema keywords: declared so that strict mode compiles its schemas
  for (const key of ['openapi', 'info', 'jsonSchemaDialect', 'servers', 'security', 'tags', 'paths', 'components']) ajv.addKeyword(key);
  ajv.addSchema(doc, DOC_ID);
});
afterAll(async () => {
  await app?.stop();
  await dns?.stop();
});

/** A JSON pointer's token. */
const token = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1');

/** The documented path that `path` (under /api/v4, or /public/login) answers to. */
function documentedPath(fullPath: string): { template: string; apiPath: string } | undefined {
  const path = fullPath.split('?')[0];
  const apiPath = path.startsWith('/api/v4/') ? path.slice('/api/v4'.length) : path;
  // a literal segment wins over a parameter (/provisioning_requests/summary, not .../{id}), as express routes them
  const templates = Object.keys(doc.paths).sort((a, b) => a.split('{').length - b.split('{').length);
  const template = templates.find((t) => new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(apiPath));
  return template === undefined ? undefined : { template, apiPath };
}

const validators = new Map<string, ValidateFunction>();
function validatorAt(pointer: string): ValidateFunction {
  let validate = validators.get(pointer);
  if (!validate) {
    validate = ajv.getSchema(`${DOC_ID}#${pointer}`);
    if (!validate) throw new Error(`no schema at ${pointer}`);
    validators.set(pointer, validate);
  }
  return validate;
}

/**
 * One request, checked against the description: the path and method are documented, the status
 * is one documented for them, and the body is valid against that status's schema (or empty when
 * none is documented). Answers the result for the walk to go on with.
 */
async function call(method: string, path: string, options: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> }, expected: number): Promise<HttpResult> {
  const res = await app.request(method, path, options);
  const label = `${method} ${path} -> ${res.status} ${JSON.stringify(res.body)?.slice(0, 300)}`;
  expect(res.status, label).toBe(expected);
  const found = documentedPath(path);
  expect(found, `${method} ${path} is not documented`).toBeDefined();
  const { template } = found!;
  const operation = doc.paths[template][method.toLowerCase() as Method] as Operation | undefined;
  expect(operation, `${method} ${template} is not documented`).toBeDefined();
  let response = operation!.responses[String(res.status)] as Response | Reference | undefined;
  expect(response, `${method} ${template} answered ${res.status}, which is not documented: ${label}`).toBeDefined();
  let pointer = `/paths/${token(template)}/${method.toLowerCase()}/responses/${res.status}`;
  if ('$ref' in response!) {
    pointer = response!.$ref.slice(1);
    response = doc.components.responses[response!.$ref.split('/').pop()!];
  }
  const media = (response as Response).content?.['application/json'];
  if (media) {
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const validate = validatorAt(`${pointer}/content/application~1json/schema`);
    expect(validate(res.body), `${label}\n${JSON.stringify(validate.errors, null, 1)}`).toBe(true);
  } else {
    expect(res.body, `${label}: no body is documented`).toBeUndefined();
  }
  const key = `${method.toLowerCase()} ${template}`;
  seen.set(key, (seen.get(key) ?? new Set()).add(res.status));
  return res;
}

/** An id of the right shape that names nothing. */
const missing = (prefix: string): string => `${prefix}_${'a'.repeat(20)}`;

describe('GET /openapi.json', () => {
  it('is public, JSON, cacheable, and its server is PUBLIC_URL + /api/v4', async () => {
    const res = await app.request('GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toBe('public, max-age=3600');
    expect(res.body.openapi).toBe('3.1.0');
    expect(res.body.servers[0].url).toBe('http://127.0.0.1/api/v4');
    expect(res.body.paths['/public/login'].servers[0].url).toBe('http://127.0.0.1');
    const etag = res.headers.get('etag');
    expect(etag).toBeTruthy();
    // fetch adds Cache-Control: no-cache to a conditional request unless one is given (Fetch standard)
    const again = await app.request('GET', '/openapi.json', { headers: { 'if-none-match': etag!, 'cache-control': 'max-age=0' } });
    expect(again.status).toBe(304);
  });

  it('is the same whoever asks (nothing of an account in it), and only GET is served', async () => {
    const signedIn = await app.request('GET', '/openapi.json', { token: acme.token });
    expect(signedIn.body).toEqual(doc);
    const text = JSON.stringify(doc);
    for (const secret of [acme.accountId, acme.token, globex.accountId, acme.ownerEmail]) expect(text).not.toContain(secret);
    const hostile = await app.request('GET', `/openapi.json?limit=${'9'.repeat(500)}&x=%00`, { headers: { authorization: 'Bearer nonsense' } });
    expect(hostile.status).toBe(200);
    expect(hostile.body).toEqual(doc);
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const res = await app.request(method, '/openapi.json', { body: { openapi: '0' } });
      expect(res.status).toBe(404);
    }
    expect((await app.request('GET', '/openapi.json')).body).toEqual(doc);
  });

  it('is valid OpenAPI 3.1', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc) as unknown as Record<string, unknown>);
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 1)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('closes every object an answer holds (additionalProperties: false), so an undocumented field fails', () => {
    const open: string[] = [];
    const walk = (schema: unknown, where: string): void => {
      if (typeof schema !== 'object' || schema === null) return;
      const s = schema as Record<string, unknown>;
      const types = Array.isArray(s.type) ? s.type : [s.type];
      // audit events' `changes` is the action's own fields: open on purpose, and says so
      if (types.includes('object') && s.properties && s.additionalProperties !== false) open.push(where);
      for (const [key, value] of Object.entries(s)) {
        if (key === 'properties' && value) for (const [name, sub] of Object.entries(value)) walk(sub, `${where}.${name}`);
        else if (key === 'items' || key === 'additionalProperties') walk(value, `${where}.${key}`);
        else if ((key === 'anyOf' || key === 'oneOf') && Array.isArray(value)) value.forEach((sub, i) => walk(sub, `${where}.${key}[${i}]`));
      }
    };
    const answered = new Set<string>();
    const collect = (schema: unknown): void => {
      const text = JSON.stringify(schema);
      for (const match of text.matchAll(/#\/components\/schemas\/(\w+)/g)) {
        if (!answered.has(match[1])) {
          answered.add(match[1]);
          collect(doc.components.schemas[match[1]]);
        }
      }
    };
    for (const item of Object.values(doc.paths)) for (const method of METHODS) for (const response of Object.values(item[method]?.responses ?? {})) collect(response);
    for (const response of Object.values(doc.components.responses)) collect(response);
    expect(answered.size).toBeGreaterThan(10);
    for (const name of answered) walk(doc.components.schemas[name], name);
    expect(open).toEqual([]);
  });
});

describe('every route the REST routers register is documented, and nothing else', () => {
  interface Layer {
    rawPath?: string | string[];
    route?: { path: string; methods: Record<string, boolean> };
    handle: { stack?: Layer[] };
  }

  /** "METHOD /path" of every route in a router, nested routers followed, `:id` written `{id}`. */
  function routesOf(router: Router, prefix: string): string[] {
    const out: string[] = [];
    for (const layer of (router as unknown as { stack: Layer[] }).stack) {
      const at = (path: string) => `${prefix}${path === '/' ? '' : path}`.replace(/:(\w+)/g, '{$1}');
      if (layer.route) {
        for (const [method, on] of Object.entries(layer.route.methods)) if (on && method !== '_all') out.push(`${method} ${at(layer.route.path) || '/'}`);
      } else if (layer.handle.stack) {
        out.push(...routesOf(layer.handle as unknown as Router, at(String(layer.rawPath ?? '/'))));
      }
    }
    return out;
  }

  it('matches the express router stacks of /api/v4 and /public', () => {
    const registered = [
      ...routesOf(apiRouter(app.services, { bodyLimitBytes: 1024, publicUrl: 'http://127.0.0.1' }), ''),
      ...routesOf(publicRouter(app.services, { bodyLimitBytes: 1024 }), '/public'),
    ].sort();
    const documented = Object.entries(doc.paths)
      .flatMap(([path, item]) => METHODS.filter((m) => item[m]).map((m) => `${m} ${path}`))
      .sort();
    expect(registered.length).toBeGreaterThan(40);
    expect(documented).toEqual(registered);
  });

  it('each documented path is served (no "No such endpoint")', async () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of METHODS.filter((m) => item[m])) {
        const concrete = path.replace('{id}', missing('xx')).replace('{overrideId}', missing('ovr'));
        const full = path === '/public/login' ? path : `/api/v4${concrete}`;
        // as a member without roles: nothing the request reaches can change (403, 404 or 400)
        const res = await app.request(method.toUpperCase(), full, { token: plain.token });
        expect(JSON.stringify(res.body), `${method} ${path}`).not.toContain('No such endpoint');
      }
    }
  });
});

describe('the walk: every documented operation, each answer checked against its schema', () => {
  const ids: Record<string, string> = {};

  it('signs in: POST /public/login, GET /me, GET /account', async () => {
    const login = await call('POST', '/public/login', { body: { username: acme.ownerEmail, password: PASSWORD } }, 200);
    expect(login.headers.get('cache-control')).toBe('no-store');
    await call('POST', '/public/login', { body: { username: acme.ownerEmail, password: 'wrong' } }, 401);
    await call('POST', '/public/login', { body: [] }, 400);
    await call('POST', '/public/login', { body: { username: acme.ownerEmail, password: PASSWORD, account_id: globex.accountId } }, 403);
    await call('GET', '/api/v4/me', { token: login.body.token }, 200);
    await call('GET', '/api/v4/me', { token: acme.token }, 200);
    await call('GET', '/api/v4/me', {}, 401);
    await call('GET', '/api/v4/account', { token: plain.token }, 200);
    await call('GET', '/api/v4/account', { token: 'rc_api_nonsense' }, 401);
  });

  it('account users: create, list, get, update, and the errors', async () => {
    const created = await call(
      'POST',
      '/api/v4/account_users',
      {
        token: acme.token,
        body: {
          user_attributes: { name: 'Bobby Hill', given_name: 'Bobby', time_zone: 'America/Chicago', emails_attributes: [{ email: uniqueEmail('bobby') }], phones_attributes: [{ phone: '+1 (415) 555-0123' }] },
          roles: { broadcaster: true },
          external_id: 'okta-1',
        },
      },
      201,
    );
    ids.bobby = created.body.id;
    ids.bobbyUser = created.body.user_id;
    ids.bobbyEmail = created.body.user.emails[0].email;
    // no name: the README's "required" is not so; the name shown is the user name (the email)
    const unnamed = await call('POST', '/api/v4/account_users', { token: acme.token, body: { user_attributes: { emails_attributes: [{ email: uniqueEmail('unnamed') }] } } }, 201);
    expect(unnamed.body.user.name).toBe(unnamed.body.user.user_name);
    await call('POST', '/api/v4/account_users', { token: acme.token, body: {} }, 400);
    await call('POST', '/api/v4/account_users', { token: acme.token, body: { user_attributes: { name: 'No Mail', emails_attributes: [{ email: 'not-an-email' }] } } }, 422);
    await call('POST', '/api/v4/account_users', { token: plain.token, body: { user_attributes: { name: 'X', emails_attributes: [{ email: uniqueEmail() }] } } }, 403);
    await call('POST', '/api/v4/account_users', { token: acme.token, body: { user_attributes: { name: 'B', emails_attributes: [{ email: uniqueEmail() }] }, roles: { admin: 'yes' } } }, 400);
    await call('POST', '/api/v4/account_users', { token: acme.token, rawBody: '{"user_attributes":', headers: { 'content-type': 'application/json' } }, 400);
    await call('POST', '/api/v4/account_users', { token: acme.token, rawBody: '{}', headers: { 'content-type': 'application/json; charset=latin1' } }, 415);
    await call('POST', '/api/v4/account_users', { token: acme.token, rawBody: JSON.stringify({ pad: 'x'.repeat(1024 * 1024 + 10) }), headers: { 'content-type': 'application/json' } }, 413);

    await call('GET', '/api/v4/account_users?limit=2', { token: acme.token }, 200);
    await call('GET', '/api/v4/account_users?page=2&limit=1', { token: plain.token }, 200);
    await call('GET', '/api/v4/account_users?limit=0', { token: acme.token }, 400);
    await call('GET', '/api/v4/account_users?limit=1&x=%00', { token: acme.token }, 422);
    await call('GET', `/api/v4/account_users/${ids.bobby}`, { token: acme.token }, 200);
    await call('GET', `/api/v4/account_users/${ids.bobby}`, { token: globex.token }, 404);
    await call('GET', `/api/v4/account_users/${missing('au')}`, { token: acme.token }, 404);
    await call('GET', '/api/v4/account_users/%E0%A4%A', { token: acme.token }, 400);

    await call('PUT', `/api/v4/account_users/${ids.bobby}`, { token: acme.token, body: { user_attributes: { family_name: 'Hill', notify_sms: false }, member_team_ids: [], active: true } }, 200);
    const patched = await call('PATCH', `/api/v4/account_users/${ids.bobby}`, { token: acme.token, body: { user_attributes: { phones_attributes: [{ phone: '+44 20 7946 0958' }] }, external_id: null } }, 200);
    expect(patched.body.user.phones).toHaveLength(2);
    await call('PATCH', `/api/v4/account_users/${ids.bobby}`, { token: acme.token, body: { roles: { overlord: true } } }, 422);
    await call('PATCH', `/api/v4/account_users/${ids.bobby}`, { token: plain.token, body: { roles: { admin: true } } }, 403);
    await call('PUT', `/api/v4/account_users/${ids.bobby}`, { token: acme.token, body: { user_attributes: { emails_attributes: [{ email: acme.ownerEmail }] } } }, 409);
    await call('DELETE', `/api/v4/account_users/${acme.ownerAccountUserId}`, { token: acme.token }, 409);
  });

  it('API tokens: mint, list, revoke', async () => {
    const minted = await call('POST', `/api/v4/account_users/${acme.ownerAccountUserId}/api_tokens`, { token: acme.token, body: { name: 'ci' } }, 201);
    await call('POST', `/api/v4/account_users/${plain.id}/api_tokens`, { token: plain.token }, 201);
    await call('POST', `/api/v4/account_users/${ids.bobby}/api_tokens`, { token: acme.token, body: {} }, 403);
    await call('GET', `/api/v4/account_users/${acme.ownerAccountUserId}/api_tokens`, { token: acme.token }, 200);
    await call('GET', `/api/v4/account_users/${plain.id}/api_tokens`, { token: acme.token }, 200);
    await call('GET', `/api/v4/account_users/${acme.ownerAccountUserId}/api_tokens`, { token: plain.token }, 403);
    await call('DELETE', `/api/v4/api_tokens/${minted.body.id}`, { token: plain.token }, 403);
    await call('DELETE', `/api/v4/api_tokens/${minted.body.id}`, { token: acme.token }, 204);
    await call('DELETE', `/api/v4/api_tokens/${minted.body.id}`, { token: acme.token }, 404);
    await call('GET', '/api/v4/me', { token: minted.body.token }, 401);
  });

  it('users: create, list, get, update, and the refused delete', async () => {
    const created = await call('POST', '/api/v4/users', { token: acme.token, body: { name: 'Hank Hill', email: uniqueEmail('hank'), preferred_language: 'fr-CA' } }, 201);
    ids.hank = created.body.id;
    await call('POST', '/api/v4/users', { token: acme.token, body: { name: 'No Email' } }, 422);
    await call('POST', '/api/v4/users', { token: acme.token, body: { name: 'Dup', email: ids.bobbyEmail } }, 409);
    await call('GET', '/api/v4/users?limit=100', { token: acme.token }, 200);
    await call('GET', `/api/v4/users/${ids.hank}`, { token: plain.token }, 200);
    await call('GET', `/api/v4/users/${ids.hank}`, { token: globex.token }, 404);
    await call('PUT', `/api/v4/users/${ids.hank}`, { token: acme.token, body: { time_zone: 'Europe/Paris' } }, 200);
    await call('PATCH', `/api/v4/users/${ids.hank}`, { token: acme.token, body: { notify_voice: false, phones_attributes: [{ phone: '+33 1 42 68 53 00' }] } }, 200);
    await call('PATCH', `/api/v4/users/${ids.hank}`, { token: acme.token, body: { time_zone: 'Mars/Olympus' } }, 422);
    await call('PATCH', `/api/v4/users/${ids.hank}`, { token: acme.token, body: { notify_push: 'no' } }, 400);
    await call('PATCH', `/api/v4/users/${ids.hank}`, { token: plain.token, body: { name: 'Hacked' } }, 403);
    await call('DELETE', `/api/v4/users/${ids.hank}`, { token: acme.token }, 405);
    await call('DELETE', `/api/v4/users/${missing('usr')}`, { token: acme.token }, 404);
  });

  it('teams: create, list, get, update, delete', async () => {
    const team = await call('POST', '/api/v4/teams', { token: acme.token, body: { name: 'Ops', description: 'Night shift', member_ids: [ids.bobby] } }, 201);
    ids.team = team.body.id;
    await call('POST', '/api/v4/teams', { token: acme.token, body: { name: 'OPS' } }, 409);
    await call('POST', '/api/v4/teams', { token: plain.token, body: { name: 'Mine' } }, 403);
    await call('POST', '/api/v4/teams', { token: acme.token, body: { name: 'Strangers', member_ids: [globex.ownerAccountUserId] } }, 422);
    await call('GET', '/api/v4/teams', { token: plain.token }, 200);
    await call('GET', `/api/v4/teams/${ids.team}`, { token: acme.token }, 200);
    await call('GET', `/api/v4/teams/${ids.team}`, { token: globex.token }, 404);
    await call('PUT', `/api/v4/teams/${ids.team}`, { token: acme.token, body: { external_id: 'grp-1', member_ids: [ids.bobby, plain.id] } }, 200);
    await call('PATCH', `/api/v4/teams/${ids.team}`, { token: acme.token, body: { description: null } }, 200);
    const scratch = await call('POST', '/api/v4/teams', { token: acme.token, body: { name: 'Scratch' } }, 201);
    await call('DELETE', `/api/v4/teams/${scratch.body.id}`, { token: plain.token }, 403);
    await call('DELETE', `/api/v4/teams/${scratch.body.id}`, { token: acme.token }, 204);
  });

  it('schedules: create, list, get, update, on call, overrides, delete', async () => {
    const body = {
      name: 'Primary',
      time_zone: 'America/New_York',
      team_id: ids.team,
      layers: [{ name: 'Week', starts_at: '2024-03-09T09:00', rotation_length: 1, rotation_unit: 'day', account_user_ids: [ids.bobby, acme.ownerAccountUserId] }],
      overrides: [{ account_user_id: plain.id, starts_at: '2024-03-20T00:00', ends_at: '2024-03-21T00:00' }],
    };
    const created = await call('POST', '/api/v4/schedules', { token: acme.token, body }, 201);
    ids.schedule = created.body.id;
    await call('POST', '/api/v4/schedules', { token: acme.token, body: { ...body, name: 'primary' } }, 409);
    await call('POST', '/api/v4/schedules', { token: acme.token, body: { name: 'Bad', time_zone: 'Nowhere/Land' } }, 422);
    await call('POST', '/api/v4/schedules', { token: plain.token, body: { name: 'Mine', time_zone: 'UTC' } }, 403);
    await call('GET', '/api/v4/schedules', { token: plain.token }, 200);
    await call('GET', `/api/v4/schedules/${ids.schedule}`, { token: plain.token }, 200);
    await call('GET', `/api/v4/schedules/${ids.schedule}/on_call?at=2024-03-10T13:30:00Z`, { token: plain.token }, 200);
    const override = await call('GET', `/api/v4/schedules/${ids.schedule}/on_call?at=2024-03-20T12:00:00Z`, { token: plain.token }, 200);
    expect(override.body.on_call.source.type).toBe('override');
    const nobody = await call('GET', `/api/v4/schedules/${ids.schedule}/on_call?at=2020-01-01T00:00:00Z`, { token: plain.token }, 200);
    expect(nobody.body.on_call).toBeNull();
    await call('GET', `/api/v4/schedules/${ids.schedule}/on_call?at=yesterday`, { token: plain.token }, 422);
    await call('GET', `/api/v4/schedules/${ids.schedule}`, { token: globex.token }, 404);
    const layerId = created.body.layers[0].id;
    await call('PUT', `/api/v4/schedules/${ids.schedule}`, { token: acme.token, body: { ...body, layers: [{ ...body.layers[0], id: layerId, ends_at: '2030-01-01T00:00' }], overrides: [] } }, 200);
    await call('PATCH', `/api/v4/schedules/${ids.schedule}`, { token: acme.token, body: { name: 'Primary on-call' } }, 200);
    await call('PATCH', `/api/v4/schedules/${ids.schedule}`, { token: acme.token, body: { layers: [{ rotation_length: 'one' }] } }, 400);
    const added = await call('POST', `/api/v4/schedules/${ids.schedule}/overrides`, { token: acme.token, body: { account_user_id: plain.id, starts_at: '2024-04-01T00:00', ends_at: '2024-04-02T00:00' } }, 201);
    await call('POST', `/api/v4/schedules/${ids.schedule}/overrides`, { token: acme.token, body: { account_user_id: globex.ownerAccountUserId, starts_at: '2024-04-01T00:00', ends_at: '2024-04-02T00:00' } }, 422);
    await call('DELETE', `/api/v4/schedules/${ids.schedule}/overrides/${added.body.overrides[0].id}`, { token: acme.token }, 200);
    await call('DELETE', `/api/v4/schedules/${ids.schedule}/overrides/${missing('ovr')}`, { token: acme.token }, 404);
    // the delete guard: a member on a schedule is not removed
    await call('DELETE', `/api/v4/account_users/${ids.bobby}`, { token: acme.token }, 409);
    await call('DELETE', `/api/v4/schedules/${ids.schedule}`, { token: plain.token }, 403);
    await call('DELETE', `/api/v4/schedules/${ids.schedule}`, { token: acme.token }, 204);
  });

  it('SCIM tokens and role mappings', async () => {
    const scim = await call('POST', '/api/v4/scim_tokens', { token: acme.token, body: { name: 'Okta' } }, 201);
    await call('POST', '/api/v4/scim_tokens', { token: acme.token }, 201);
    await call('POST', '/api/v4/scim_tokens', { token: plain.token, body: {} }, 403);
    await call('GET', '/api/v4/scim_tokens', { token: acme.token }, 200);
    await call('GET', '/api/v4/scim_tokens', { token: plain.token }, 403);
    await call('POST', '/api/v4/scim_tokens', { token: acme.token, body: { name: 'Expiring', expires_in_days: 30 } }, 201);
    await call('POST', '/api/v4/scim_tokens', { token: acme.token, body: { expires_at: '2001-01-01' } }, 422);
    await call('DELETE', `/api/v4/scim_tokens/${scim.body.id}`, { token: acme.token }, 204);
    await call('DELETE', `/api/v4/scim_tokens/${scim.body.id}`, { token: globex.token }, 404);

    const mapping = await call('POST', '/api/v4/role_mappings', { token: acme.token, body: { group: 'Ops', roles: ['communicator'] } }, 201);
    await call('POST', '/api/v4/role_mappings', { token: acme.token, body: { group: 'ops', roles: ['communicator', 'billing'] } }, 200);
    await call('POST', '/api/v4/role_mappings', { token: acme.token, body: { group: 'Nobody', roles: ['billing'] } }, 201);
    await call('POST', '/api/v4/role_mappings', { token: acme.token, body: { group: 'Ops', roles: ['overlord'] } }, 422);
    await call('POST', '/api/v4/role_mappings', { token: plain.token, body: { group: 'Ops', roles: ['admin'] } }, 403);
    await call('GET', '/api/v4/role_mappings', { token: acme.token }, 200);
    await call('GET', `/api/v4/role_mappings/${mapping.body.id}`, { token: acme.token }, 200);
    await call('GET', `/api/v4/role_mappings/${mapping.body.id}`, { token: globex.token }, 404);
    const granted = await call('GET', `/api/v4/account_users/${ids.bobby}`, { token: acme.token }, 200);
    expect(granted.body.role_sources).toContainEqual({ role: 'communicator', source: 'group', team_id: ids.team, group: 'Ops' });
    await call('PUT', `/api/v4/role_mappings/${mapping.body.id}`, { token: acme.token, body: { group: 'Ops', roles: ['broadcaster'] } }, 200);
    await call('PATCH', `/api/v4/role_mappings/${mapping.body.id}`, { token: acme.token, body: { roles: ['communicator'] } }, 200);
    await call('PATCH', `/api/v4/role_mappings/${mapping.body.id}`, { token: acme.token, body: { group: 'Nobody' } }, 409);
    await call('DELETE', `/api/v4/role_mappings/${mapping.body.id}`, { token: acme.token }, 204);
  });

  it('SSO settings: get, configure, remove', async () => {
    const idp = await TestIdp.create();
    await call('GET', '/api/v4/account/sso', { token: acme.token }, 200);
    await call('GET', '/api/v4/account/sso', { token: plain.token }, 403);
    await call('PUT', '/api/v4/account/sso', { token: acme.token, body: { idp_metadata_xml: idp.metadataXml(), jit: true } }, 200);
    await call('PATCH', '/api/v4/account/sso', { token: acme.token, body: { allow_idp_initiated: true } }, 200);
    await call('PATCH', '/api/v4/account/sso', { token: acme.token, body: { idp_certificates: ['not a certificate'] } }, 422);
    await call('PATCH', '/api/v4/account/sso', { token: acme.token, body: { enforced: 'yes' } }, 400);
    await call('PUT', '/api/v4/account/sso', { token: plain.token, body: { jit: false } }, 403);
    await call('DELETE', '/api/v4/account/sso', { token: acme.token }, 200);
  });

  it('domains: add, list, get, verify, people elsewhere, remove', async () => {
    const domain = `acme-${process.pid}.test`;
    const added = await call('POST', '/api/v4/account/domains', { token: acme.token, body: { domain } }, 201);
    await call('POST', '/api/v4/account/domains', { token: acme.token, body: { domain } }, 409);
    await call('POST', '/api/v4/account/domains', { token: acme.token, body: { domain: '*.wild' } }, 422);
    await call('POST', '/api/v4/account/domains', { token: acme.token, body: {} }, 400);
    await call('POST', '/api/v4/account/domains', { token: plain.token, body: { domain: 'x.test' } }, 403);
    await call('GET', '/api/v4/account/domains', { token: acme.token }, 200);
    await call('GET', `/api/v4/account/domains/${added.body.id}`, { token: acme.token }, 200);
    await call('GET', `/api/v4/account/domains/${added.body.id}`, { token: globex.token }, 404);
    await call('GET', `/api/v4/account/domains/${added.body.id}/people_elsewhere`, { token: acme.token }, 409);
    await call('POST', `/api/v4/account/domains/${added.body.id}/verify`, { token: acme.token }, 422);
    dns.setTxt(added.body.txt_record.name, [added.body.txt_record.value]);
    const verified = await call('POST', `/api/v4/account/domains/${added.body.id}/verify`, { token: acme.token }, 200);
    expect(verified.body.verified).toBe(true);
    // Globex created someone at the domain before Acme verified it: Acme sees them elsewhere
    await app.request('POST', '/api/v4/users', { token: globex.token, body: { name: 'Elsewhere', email: `someone@${domain}` } });
    await call('GET', `/api/v4/account/domains/${added.body.id}/people_elsewhere?limit=5`, { token: acme.token }, 200);
    await call('GET', `/api/v4/account/domains/${added.body.id}/people_elsewhere`, { token: plain.token }, 403);
    const theirs = await app.request('POST', '/api/v4/account/domains', { token: globex.token, body: { domain } });
    dns.setTxt(theirs.body.txt_record.name, [added.body.txt_record.value, theirs.body.txt_record.value]);
    await call('POST', `/api/v4/account/domains/${theirs.body.id}/verify`, { token: globex.token }, 409);
    await call('DELETE', `/api/v4/account/domains/${added.body.id}`, { token: acme.token }, 204);
    await call('DELETE', `/api/v4/account/domains/${added.body.id}`, { token: acme.token }, 404);
  });

  it('ownership: the owner hands the account over, and gets it back', async () => {
    await call('POST', '/api/v4/account/transfer_ownership', { token: acme.token, body: { account_user_id: plain.id } }, 422);
    await call('POST', '/api/v4/account/transfer_ownership', { token: plain.token, body: { account_user_id: plain.id } }, 403);
    await call('POST', '/api/v4/account/transfer_ownership', { token: acme.token, body: { account_user_id: missing('au') } }, 422);
    await call('PATCH', `/api/v4/account_users/${ids.bobby}`, { token: acme.token, body: { roles: { admin: true } } }, 200);
    const bobbyToken = (await app.services.apiTokens.createAsOperator(ids.bobby)).token;
    const handed = await call('POST', '/api/v4/account/transfer_ownership', { token: acme.token, body: { account_user_id: ids.bobby } }, 200);
    expect(handed.body.owner_account_user_id).toBe(ids.bobby);
    await call('POST', '/api/v4/account/transfer_ownership', { token: bobbyToken, body: { account_user_id: acme.ownerAccountUserId } }, 200);
  });

  it('the provisioning log of a SCIM request', async () => {
    const scim = await app.request('POST', '/api/v4/scim_tokens', { token: acme.token, body: { name: 'Entra' } });
    const provisioned = await app.request('POST', '/scim/v2/Users', {
      token: scim.body.token,
      body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: uniqueEmail('scim'), name: { givenName: 'Sam', familyName: 'Scim' } },
    });
    expect(provisioned.status).toBe(201);
    await app.request('GET', `/scim/v2/Users?filter=${encodeURIComponent('userName eq "nobody@example.com"')}`, { token: scim.body.token });
    await app.services.provisioningLog.flush();
    const list = await call('GET', '/api/v4/provisioning_requests?limit=10', { token: acme.token }, 200);
    expect(list.body.data.length).toBeGreaterThanOrEqual(2);
    await call('GET', '/api/v4/provisioning_requests?status=success&resource_type=User&since=2020-01-01', { token: acme.token }, 200);
    await call('GET', '/api/v4/provisioning_requests?status=teapot', { token: acme.token }, 400);
    await call('GET', '/api/v4/provisioning_requests?nope=1', { token: acme.token }, 400);
    await call('GET', '/api/v4/provisioning_requests', { token: plain.token }, 403);
    await call('GET', '/api/v4/provisioning_requests/summary', { token: acme.token }, 200);
    await call('GET', '/api/v4/provisioning_requests/summary', { token: globex.token }, 200);
    await call('GET', `/api/v4/provisioning_requests/${list.body.data[0].id}`, { token: acme.token }, 200);
    const created = list.body.data.find((r: { method: string }) => r.method === 'POST');
    await call('GET', `/api/v4/provisioning_requests/${created.id}`, { token: acme.token }, 200);
    await call('GET', `/api/v4/provisioning_requests/${created.id}`, { token: globex.token }, 404);
    await call('GET', `/api/v4/provisioning_requests/${missing('prq')}`, { token: plain.token }, 403);
  });

  it('the audit trail, and removing a member', async () => {
    const events = await call('GET', '/api/v4/audit_events?limit=100', { token: acme.token }, 200);
    expect(events.body.total_count).toBeGreaterThan(20);
    await call('GET', '/api/v4/audit_events?action=team.create&channel=api&target_type=team&since=2020-01-01&until=2100-01-01T00:00:00Z', { token: acme.token }, 200);
    await call('GET', `/api/v4/audit_events?actor_id=${acme.ownerAccountUserId}&limit=5`, { token: acme.token }, 200);
    await call('GET', '/api/v4/audit_events?channel=fax', { token: acme.token }, 400);
    await call('GET', '/api/v4/audit_events?since=yesterday', { token: acme.token }, 400);
    await call('GET', '/api/v4/audit_events?nope=1', { token: acme.token }, 400);
    await call('GET', '/api/v4/audit_events?limit=100&page=2', { token: acme.token }, 200);
    await call('GET', '/api/v4/audit_events', { token: plain.token }, 403);
    await call('GET', '/api/v4/audit_events?offset=1&page=2', { token: acme.token }, 400);
    await call('DELETE', `/api/v4/account_users/${plain.id}`, { token: globex.token }, 404);
    await call('DELETE', `/api/v4/account_users/${ids.bobby}`, { token: plain.token }, 403);
    await call('DELETE', `/api/v4/account_users/${ids.bobby}`, { token: acme.token }, 204);
    await call('DELETE', `/api/v4/account_users/${ids.bobby}`, { token: acme.token }, 404);
  });

  it('went through every documented operation with a success, and met every error status REST v4 answers', () => {
    const notWalked: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of METHODS.filter((m) => item[m])) {
        const statuses = [...(seen.get(`${method} ${path}`) ?? [])];
        const success = Object.keys(item[method]!.responses).filter((s) => /^2/.test(s) || s === '405');
        if (!success.every((s) => statuses.includes(Number(s)))) notWalked.push(`${method} ${path} (saw ${statuses.join(', ') || 'nothing'})`);
      }
    }
    expect(notWalked).toEqual([]);
    const errorsSeen = new Set([...seen.values()].flatMap((s) => [...s]).filter((s) => s >= 400));
    expect([...errorsSeen].sort()).toEqual(expect.arrayContaining([400, 401, 403, 404, 405, 409, 413, 415, 422]));
  });
});
