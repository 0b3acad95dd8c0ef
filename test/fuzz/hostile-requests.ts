import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { SCIM_URN } from '../support/scim-client.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { TestIdp } from '../support/test-idp.js';

/**
 * Issue 13's fuzz suite: hostile requests made by fast-check (bodies, filters, ids, headers and
 * encodings) sent over real HTTP to the real app on a real database. Every answer must be below
 * 500 and come back within REQUEST_TIMEOUT_MS. `npm test` runs a bounded seeded slice
 * (hostile.test.ts); `npm run fuzz -- --cases N --seed S` runs more and prints answers by status.
 */

export const REQUEST_TIMEOUT_MS = 15_000;

export interface FuzzTargets {
  app: TestApp;
  scimToken: string;
  apiToken: string;
  accountId: string;
  ssoAccountId: string;
  memberId: string;
  teamId: string;
}

/** One app with what the requests aim at: an account, its tokens, a member, a team, an account with SSO. */
export async function startFuzzTargets(): Promise<FuzzTargets> {
  const app = await startTestApp();
  const account = await app.createAccount('Fuzz');
  const scimToken = (await app.services.scimTokens.createAsOperator(account.accountId)).token;
  const member = await app.request('POST', '/scim/v2/Users', {
    token: scimToken,
    body: { schemas: [SCIM_URN.user], userName: 'fuzz.member@example.com', displayName: 'Fuzz Member' },
    headers: { 'content-type': 'application/scim+json' },
  });
  const team = await app.request('POST', '/api/v4/teams', { token: account.token, body: { name: 'Fuzz team' } });
  const sso = await app.createAccount('Fuzz SSO');
  const idp = await TestIdp.create();
  await app.request('PUT', '/api/v4/account/sso', { token: sso.token, body: { idp_metadata_xml: idp.metadataXml() } });
  if (member.status !== 201 || team.status !== 201) throw new Error(`fuzz setup failed: ${member.status} ${team.status}`);
  return { app, scimToken, apiToken: account.token, accountId: account.accountId, ssoAccountId: sso.accountId, memberId: member.body.id, teamId: team.body.id };
}

export interface HostileRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** What kind of request it is, for the table. */
  kind: string;
}

// --- building blocks -------------------------------------------------------------------------

const nasty = fc.constantFrom('\u0000', 'a\u0000b', '\udfff', '\ud800', 'x\ud83d', '😀', '%00', '%ff%fe', '\\u0000', '"', "'", '\\', '<a>', '&', ' ', '', 'x'.repeat(3000), '../..', 'null');
/** Any string, lone surrogates and NULs included, or one of the known troublemakers. */
const hostileString = fc.oneof({ weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) }, { weight: 2, arbitrary: nasty }, { weight: 1, arbitrary: fc.string({ maxLength: 2000 }) });
const scalar = fc.oneof(hostileString, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
const jsonish = (depth: number): fc.Arbitrary<unknown> =>
  fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small', maxDepth: depth }, scalar, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(hostileString, tie('value'), { maxKeys: 4 })),
  })).value;

const USER_ATTRS = ['userName', 'displayName', 'externalId', 'name', 'emails', 'phoneNumbers', 'active', 'timezone', 'preferredLanguage', 'locale', 'title', 'roles', 'password', 'addresses', 'groups', 'meta', 'id'];
const GROUP_ATTRS = ['displayName', 'externalId', 'members', 'id'];

/** A SCIM User (or Group) document where some attributes have hostile values. */
const scimDocument = (attrs: string[], schema: string) =>
  fc.record({ base: fc.subarray(attrs), values: fc.array(jsonish(3), { minLength: attrs.length, maxLength: attrs.length }), extra: fc.dictionary(hostileString, jsonish(2), { maxKeys: 2 }) }).map(({ base, values, extra }) => ({
    schemas: [schema],
    ...Object.fromEntries(base.map((a, i) => [a, values[i]])),
    ...extra,
  }));

const validUser = fc.record({ n: fc.nat(), v: fc.oneof(hostileString, fc.integer(), fc.constant(undefined)) }).map(({ n, v }) => ({
  schemas: [SCIM_URN.user],
  userName: `fuzz${n}@example.com`,
  displayName: 'Fuzz',
  ...(v === undefined ? {} : { externalId: v }),
}));

const FILTER_ATTRS = ['userName', 'displayName', 'externalId', 'emails', 'emails.value', 'emails.type', 'name.givenName', 'active', 'meta.created', 'id', 'members.value', 'title', 'x', 'urn:ietf:params:scim:schemas:core:2.0:User:userName'];
const OPS = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le', 'pr', 'zz'];
/** Filters from the grammar, nested and wide, with hostile values; sometimes just junk. */
const filter: fc.Arbitrary<string> = fc.letrec((tie) => ({
  f: fc.oneof(
    { depthSize: 'small', maxDepth: 8 },
    fc.tuple(fc.constantFrom(...FILTER_ATTRS), fc.constantFrom(...OPS), hostileString).map(([a, op, v]) => (op === 'pr' ? `${a} pr` : `${a} ${op} ${JSON.stringify(v)}`)),
    fc.tuple(tie('f'), fc.constantFrom('and', 'or', 'AND', 'xor'), tie('f')).map(([l, op, r]) => `${l} ${op} ${r}`),
    tie('f').map((f) => `(${f})`),
    tie('f').map((f) => `not (${f})`),
    tie('f').map((f) => `emails[${f}]`),
  ),
})).f as fc.Arbitrary<string>;
const anyFilter = fc.oneof(
  { weight: 4, arbitrary: filter },
  { weight: 1, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 3000 }).map((n) => `${'('.repeat(n)}userName eq "a"${')'.repeat(n)}`) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 300 }).map((n) => Array.from({ length: n }, (_, i) => `emails.value co "x${i}"`).join(' or ')) },
);

/** Ids: real ones, of the wrong kind, malformed, percent-encoded junk. */
const idSegment = (real: string[]) =>
  fc.oneof(
    fc.constantFrom(...real),
    fc.constantFrom('%00', '%ff%fe', '%', '%ed%a0%80', 'au_', 'tem_aaaaaaaaaaaaaaaaaaaa', 'au_aaaaaaaaaaaaaaaaaaaa', '..', '%2e%2e', 'x'.repeat(5000)),
    hostileString.map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '')) || 'x'),
  );

const patchBody = fc.record({ ops: fc.array(fc.record({ op: fc.constantFrom('add', 'replace', 'remove', 'Replace', 'bogus'), path: fc.option(fc.oneof(fc.constantFrom(...USER_ATTRS, ...GROUP_ATTRS), filter.map((f) => `emails[${f}].value`), hostileString), { nil: undefined }), value: jsonish(3) }), { maxLength: 4 }) }).map(({ ops }) => ({ schemas: [SCIM_URN.patchOp], Operations: ops }));

/** Hostile bytes of a body: JSON of a value, deeply nested JSON, truncated JSON or junk. */
const bodyText = (value: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { weight: 6, arbitrary: value.map((v) => JSON.stringify(v) ?? 'null') },
    { weight: 1, arbitrary: fc.integer({ min: 20, max: 200_000 }).map((n) => `{"a":${'['.repeat(n)}${']'.repeat(n)}}`) },
    { weight: 1, arbitrary: value.map((v) => (JSON.stringify(v) ?? '').slice(0, -1)) },
    { weight: 1, arbitrary: hostileString },
  );

/** The bytes as sent, and the Content-Encoding that claims them (sometimes falsely). */
const encoded = (text: string, how: string): { body: Buffer; encoding?: string } => {
  const raw = Buffer.from(text, 'utf8');
  switch (how) {
    case 'gzip':
      return { body: gzipSync(raw), encoding: 'gzip' };
    case 'br':
      return { body: brotliCompressSync(raw), encoding: 'br' };
    case 'deflate':
      return { body: deflateSync(raw), encoding: 'deflate' };
    case 'lying-gzip':
      return { body: raw, encoding: 'gzip' };
    case 'lying-br':
      return { body: raw, encoding: 'br' };
    case 'unknown':
      return { body: raw, encoding: 'zstd-x' };
    case 'truncated-gzip':
      return { body: gzipSync(raw).subarray(0, 12), encoding: 'gzip' };
    default:
      return { body: raw };
  }
};
const encoding = fc.constantFrom('none', 'none', 'none', 'none', 'gzip', 'br', 'deflate', 'lying-gzip', 'lying-br', 'unknown', 'truncated-gzip');
const contentType = (usual: string) => fc.constantFrom(usual, usual, usual, 'application/json; charset=utf-16', 'application/json; charset=latin1', 'text/plain', 'application/x-www-form-urlencoded');

/** Every hostile request, across SCIM, REST v4, /public/login, /login and the SAML ACS. */
export function hostileRequests(t: Omit<FuzzTargets, 'app'>): fc.Arbitrary<HostileRequest> {
  const scimAuth = { authorization: `Bearer ${t.scimToken}` };
  const apiAuth = { authorization: `Bearer ${t.apiToken}` };
  const userId = idSegment([t.memberId]);
  const groupId = idSegment([t.teamId]);

  const withBody = (kind: string, method: string, path: string, auth: Record<string, string>, type: string, text: fc.Arbitrary<string>) =>
    fc.tuple(text, encoding, contentType(type)).map(([body, how, ct]): HostileRequest => {
      const e = encoded(body, how);
      return { kind, method, path, headers: { ...auth, 'content-type': ct, ...(e.encoding ? { 'content-encoding': e.encoding } : {}) }, body: e.body };
    });
  const get = (kind: string, path: fc.Arbitrary<string>, auth: Record<string, string>) => path.map((p): HostileRequest => ({ kind, method: 'GET', path: p, headers: auth }));

  const scim = fc.oneof(
    withBody('scim POST /Users', 'POST', '/scim/v2/Users', scimAuth, 'application/scim+json', bodyText(fc.oneof(scimDocument(USER_ATTRS, SCIM_URN.user), validUser))),
    userId.chain((id) => withBody('scim PUT /Users/:id', 'PUT', `/scim/v2/Users/${id}`, scimAuth, 'application/scim+json', bodyText(fc.oneof(scimDocument(USER_ATTRS, SCIM_URN.user), validUser)))),
    userId.chain((id) => withBody('scim PATCH /Users/:id', 'PATCH', `/scim/v2/Users/${id}`, scimAuth, 'application/scim+json', bodyText(patchBody))),
    groupId.chain((id) => withBody('scim PATCH /Groups/:id', 'PATCH', `/scim/v2/Groups/${id}`, scimAuth, 'application/scim+json', bodyText(patchBody))),
    withBody('scim POST /Groups', 'POST', '/scim/v2/Groups', scimAuth, 'application/scim+json', bodyText(scimDocument(GROUP_ATTRS, SCIM_URN.group))),
    get('scim GET /Users?filter', fc.tuple(anyFilter, fc.constantFrom('Users', 'Groups')).map(([f, r]) => `/scim/v2/${r}?filter=${encodeURIComponent(f.replace(/[\ud800-\udfff]/g, '\ufffd'))}`), scimAuth),
    withBody('scim POST /.search', 'POST', '/scim/v2/Users/.search', scimAuth, 'application/scim+json', bodyText(anyFilter.map((f) => ({ schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: f })))),
    get('scim GET /Users/:id', fc.tuple(fc.constantFrom('Users', 'Groups'), userId).map(([r, id]) => `/scim/v2/${r}/${id}`), scimAuth),
    get('scim GET query', fc.tuple(fc.constantFrom('startIndex', 'count', 'sortBy', 'attributes', 'excludedAttributes', 'sortOrder'), hostileString).map(([k, v]) => `/scim/v2/Users?${k}=${encodeURIComponent(v.replace(/[\ud800-\udfff]/g, '\ufffd'))}`), scimAuth),
    withBody('scim POST /Bulk', 'POST', '/scim/v2/Bulk', scimAuth, 'application/scim+json',
      bodyText(fc.array(fc.record({ method: fc.constantFrom('POST', 'PUT', 'PATCH', 'DELETE', 'GET'), path: fc.oneof(fc.constantFrom('/Users', '/Groups'), userId.map((id) => `/Users/${id}`)), bulkId: hostileString, data: jsonish(3) }), { maxLength: 5 }).map((ops) => ({ schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations: ops })))),
  );

  const restBody = fc.dictionary(fc.constantFrom('name', 'description', 'external_id', 'member_ids', 'user_attributes', 'roles', 'active', 'time_zone', 'layers', 'overrides', 'starts_at', 'ends_at', 'email', 'idp_entity_id', 'group'), jsonish(3), { maxKeys: 5 });
  const dates = fc.constantFrom('+275760-09-13', '-271821-04-20T00:00:00Z', '2030-01-01T00:00:00Z', '2030-13-45', '', 'now');
  const schedule = fc.record({ name: hostileString, time_zone: fc.oneof(hostileString, fc.constant('UTC')), layers: fc.array(fc.record({ starts_at: fc.oneof(dates, hostileString), rotation_length: fc.oneof(fc.integer(), fc.double()), rotation_unit: hostileString, account_user_ids: fc.array(hostileString, { maxLength: 2 }) }), { maxLength: 2 }) });
  const rest = fc.oneof(
    fc.tuple(fc.constantFrom('account_users', 'users', 'teams', 'schedules', 'scim_tokens', 'role_mappings'), fc.constantFrom('POST', 'PUT', 'PATCH'), idSegment([t.teamId, t.memberId])).chain(([c, m, id]) =>
      withBody(`rest ${m} /${c}`, m, m === 'POST' ? `/api/v4/${c}` : `/api/v4/${c}/${id}`, apiAuth, 'application/json', bodyText(restBody)),
    ),
    withBody('rest POST /schedules', 'POST', '/api/v4/schedules', apiAuth, 'application/json', bodyText(schedule)),
    withBody('rest PUT /account/sso', 'PUT', '/api/v4/account/sso', apiAuth, 'application/json', bodyText(restBody)),
    get('rest GET /:collection/:id', fc.tuple(fc.constantFrom('account_users', 'users', 'teams', 'schedules', 'role_mappings'), idSegment([t.teamId]), fc.constantFrom('', '/on_call', '/api_tokens')).map(([c, id, s]) => `/api/v4/${c}/${id}${s}`), apiAuth),
    get('rest GET query', fc.tuple(fc.constantFrom('limit', 'offset', 'page', 'at'), hostileString).map(([k, v]) => `/api/v4/account_users?${k}=${encodeURIComponent(v.replace(/[\ud800-\udfff]/g, '\ufffd'))}`), apiAuth),
  );

  const signIn = fc.oneof(
    withBody('POST /public/login', 'POST', '/public/login', {}, 'application/json', bodyText(fc.record({ username: jsonish(1), password: jsonish(1), account_id: fc.option(hostileString, { nil: undefined }) }))),
    fc.tuple(hostileString, hostileString).map(([u, p]): HostileRequest => ({
      kind: 'POST /login form',
      method: 'POST',
      path: '/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://127.0.0.1' },
      body: Buffer.from(`username=${encodeURIComponent(u.replace(/[\ud800-\udfff]/g, '\ufffd'))}&password=${encodeURIComponent(p.replace(/[\ud800-\udfff]/g, '\ufffd'))}`),
    })),
    fc.tuple(fc.oneof(fc.constant(t.ssoAccountId), idSegment([t.accountId])), fc.oneof(hostileString, fc.integer({ min: 1, max: 20_000 }).map((n) => `${'<a>'.repeat(n)}${'</a>'.repeat(n)}`), fc.constant('<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><'))).map(([acc, xml]): HostileRequest => ({
      kind: 'POST SAML /acs',
      method: 'POST',
      path: `/sso/saml/${acc}/acs`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: Buffer.from(`SAMLResponse=${encodeURIComponent(Buffer.from(xml.replace(/[\ud800-\udfff]/g, '\ufffd')).toString('base64'))}`),
    })),
  );

  return fc.oneof({ weight: 5, arbitrary: scim }, { weight: 3, arbitrary: rest }, { weight: 2, arbitrary: signIn });
}

export interface Answer {
  status: number | 'timeout' | 'connection error';
}

/** Sends one request; a timeout or a dropped connection is reported as such, never thrown. */
export async function send(url: string, request: HostileRequest): Promise<Answer> {
  try {
    const res = await fetch(url + request.path, { method: request.method, headers: request.headers, body: request.body && new Uint8Array(request.body), signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    await res.arrayBuffer();
    return { status: res.status };
  } catch (err) {
    return { status: (err as Error).name === 'TimeoutError' ? 'timeout' : 'connection error' };
  }
}

export const isFailure = (answer: Answer): boolean => typeof answer.status !== 'number' || answer.status >= 500;

/** What a counterexample is, shown without megabytes of body. */
export function describeRequest(request: HostileRequest): string {
  const body = request.body ? ` body(${request.body.length} B)=${JSON.stringify(request.body.subarray(0, 300).toString('utf8'))}` : '';
  return `${request.method} ${request.path.slice(0, 300)} ${JSON.stringify({ ...request.headers, authorization: request.headers.authorization ? '[token]' : undefined })}${body}`;
}

/**
 * Runs `cases` hostile requests made from `seed` and tallies the answers by kind and status. The
 * first failing request (5xx, timeout, dropped connection) is shrunk by fast-check and returned.
 */
export async function runFuzz(targets: FuzzTargets, cases: number, seed: number): Promise<{ table: Map<string, Map<string, number>>; failure?: string }> {
  const table = new Map<string, Map<string, number>>();
  const tally = (kind: string, status: string) => {
    const row = table.get(kind) ?? new Map<string, number>();
    row.set(status, (row.get(status) ?? 0) + 1);
    table.set(kind, row);
  };
  const result = await fc.check(
    fc.asyncProperty(hostileRequests(targets), async (request) => {
      const answer = await send(targets.app.url, request);
      tally(request.kind, String(answer.status));
      return !isFailure(answer);
    }),
    { numRuns: cases, seed, endOnFailure: false, verbose: 0 },
  );
  if (!result.failed) return { table };
  const counterexample = result.counterexample?.[0] as HostileRequest | undefined;
  return { table, failure: counterexample ? describeRequest(counterexample) : String(result.errorInstance) };
}

/** The table as text: one row per kind of request, one column per status. */
export function formatTable(table: Map<string, Map<string, number>>): string {
  const statuses = [...new Set([...table.values()].flatMap((row) => [...row.keys()]))].sort();
  const kinds = [...table.keys()].sort();
  const width = Math.max(...kinds.map((k) => k.length), 'request'.length, 'total'.length);
  const line = (name: string, cells: (string | number)[]) => `${name.padEnd(width)}  ${cells.map((c) => String(c).padStart(7)).join(' ')}`;
  const totals = statuses.map((s) => kinds.reduce((sum, k) => sum + (table.get(k)!.get(s) ?? 0), 0));
  return [line('request', statuses), ...kinds.map((k) => line(k, statuses.map((s) => table.get(k)!.get(s) ?? 0))), line('total', totals)].join('\n');
}
