import type { Request, RequestHandler, Response } from 'express';
import { collectDefaultMetrics, Counter, Gauge, type Histogram, Registry } from 'prom-client';
import type { Database } from '../db/database.js';
import { SsoRequired, MembershipDeactivated } from '../domain/auth/sign-in-policy.js';
import { AccountChoiceRequired, SamlSignInRefused } from '../domain/auth/sign-in-service.js';
import { DomainError } from '../domain/errors.js';
import { unavailableOf } from '../domain/faults.js';

/**
 * Prometheus metrics of one app (GET /metrics, metrics-endpoint.ts). Each app has its own Registry:
 * createApp runs many times in one test process, and prom-client's global registry refuses a
 * metric registered twice. Counting is done where the request is known, in the adapters; the
 * database pool is read when scraped, so it costs nothing per request.
 *
 * Labels are bounded sets only: route PATTERNS (never a path: ids would make a series per user),
 * operation kinds, outcome classes. Never a user, an account or an address.
 */
export interface AppMetrics {
  readonly registry: Registry;
  /** A sign-in (password, SAML) ended: 'success' or the class of its failure. */
  signIn(method: 'password' | 'saml', outcome: string): void;
  /** A request to /api/v4 showed (or failed to show) a credential. */
  apiAuthentication(credential: ApiCredential, outcome: string): void;
  /** Process metrics (CPU, memory, event loop, GC) from the first scrape on: see createMetrics. */
  startProcessMetrics(): void;
}

export type ApiCredential = 'api_token' | 'jwt' | 'session' | 'none';

/** For a service whose lookups take 1-20 ms: fine below 50 ms, coarse up to a request timeout. */
export const LATENCY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** What tarn's pool (knex's `client.pool`) tells of itself, on PostgreSQL and on PGlite alike. */
interface PoolCounts {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  numPendingCreates(): number;
  /** The pool's configured most connections (tarn keeps it as `max`). */
  max?: number;
}

function poolOf(database: Database): PoolCounts | undefined {
  const pool = (database.knex.client as { pool?: Partial<PoolCounts> }).pool;
  return pool && typeof pool.numUsed === 'function' ? (pool as PoolCounts) : undefined;
}

interface Instruments {
  requests: Tally<'method' | 'route' | 'status'>;
  duration: TalliedHistogram<'method' | 'route' | 'status_class'>;
  scimOperations: Tally<'resource' | 'operation' | 'outcome'>;
}

type Key = string | number | object;

/**
 * Entries under three keys, without building a key string: a string made anew on every request is
 * hashed anew by every Map lookup, while these keys are the same string instances (route labels,
 * methods, constants), numbers or objects each time, whose hashes V8 keeps.
 */
class Keyed3<V> {
  private readonly root = new Map<Key, Map<Key, Map<Key, V>>>();

  constructor(private readonly make: (a: Key, b: Key, c: Key) => V) {}

  get(a: Key, b: Key, c: Key): V {
    let first = this.root.get(a);
    if (!first) this.root.set(a, (first = new Map()));
    let second = first.get(b);
    if (!second) first.set(b, (second = new Map()));
    let entry = second.get(c);
    if (entry === undefined) second.set(c, (entry = this.make(a, b, c)));
    return entry;
  }

  clear(): void {
    this.root.clear();
  }

  *values(): Generator<V> {
    for (const first of this.root.values()) for (const second of first.values()) yield* second.values();
  }
}

/**
 * Counts kept in plain objects, handed to prom-client when scraped: prom-client's inc hashes and
 * checks its labels on every call, several times the cost of the rest of this accounting, on a path
 * that is benchmarked (SCIM writes).
 */
class Tally<L extends string> {
  private readonly counts: Keyed3<{ labels: Record<L, string | number>; value: number }>;

  constructor(labelsOf: (a: Key, b: Key, c: Key) => Record<L, string | number>) {
    this.counts = new Keyed3((a, b, c) => ({ labels: labelsOf(a, b, c), value: 0 }));
  }

  add(a: Key, b: Key, c: Key): void {
    this.counts.get(a, b, c).value++;
  }

  /** As a counter's collect(): the counter shows the tally (reset first: inc adds). */
  copyInto(counter: Counter<L>): void {
    counter.reset();
    for (const { labels, value } of this.counts.values()) counter.inc(labels, value);
  }
}

type Sample = { metricName: string; labels: Record<string, string | number>; value: number };

/**
 * A histogram tallied like Tally (prom-client's observe costs more than the rest of the request
 * accounting together), written in the Prometheus histogram format by the registry when scraped:
 * NAME_bucket{le} (cumulative), NAME_sum, NAME_count per label set. Registered as a metric object:
 * the registry asks only its name and get().
 */
class TalliedHistogram<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series: Keyed3<{ labels: Record<L, string | number>; buckets: number[]; sum: number; count: number }>;

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
    labelsOf: (a: Key, b: Key, c: Key) => Record<L, string | number>,
    registry: Registry,
  ) {
    this.series = new Keyed3((a, b, c) => ({ labels: labelsOf(a, b, c), buckets: new Array<number>(bounds.length).fill(0), sum: 0, count: 0 }));
    registry.registerMetric(this as unknown as Histogram<L>);
  }

  observe(a: Key, b: Key, c: Key, value: number): void {
    const series = this.series.get(a, b, c);
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]) i++; // le: the first bound the value does not pass
    if (i < bounds.length) series.buckets[i]++;
    series.sum += value;
    series.count++;
  }

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Sample[] }> {
    const values: Sample[] = [];
    for (const { labels, buckets, sum, count } of this.series.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += buckets[i];
        values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: this.bounds[i] }, value: cumulative });
      }
      values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: count });
      values.push({ metricName: `${this.name}_sum`, labels, value: sum });
      values.push({ metricName: `${this.name}_count`, labels, value: count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.series.clear();
  }
}

const METRICS = Symbol('rollcall metrics');
type WithInstruments = AppMetrics & { [METRICS]: Instruments };

export function createMetrics(database: Database): AppMetrics {
  const registry = new Registry();
  const requests = new Tally<'method' | 'route' | 'status'>((route, method, status) => ({ method: String(method), route: String(route), status: String(status) }));
  new Counter({
    name: 'rollcall_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern (unmatched: no route) and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
    collect() {
      requests.copyInto(this);
    },
  });
  const duration = new TalliedHistogram<'method' | 'route' | 'status_class'>(
    'rollcall_http_request_duration_seconds',
    'Time from the request reaching the app to the last byte of its answer, by method, route pattern and status class',
    LATENCY_BUCKETS_SECONDS,
    (route, method, statusClass) => ({ method: String(method), route: String(route), status_class: String(statusClass) }),
    registry,
  );
  const scimOperations = new Tally<'resource' | 'operation' | 'outcome'>((kind, outcome) => ({ ...(kind as ScimOperation), outcome: String(outcome) }));
  new Counter({
    name: 'rollcall_scim_operations_total',
    help: 'Authenticated SCIM operations, by resource (Users, Groups, all for a root search, Bulk), kind and outcome (success, client_error, server_error)',
    labelNames: ['resource', 'operation', 'outcome'] as const,
    registers: [registry],
    collect() {
      scimOperations.copyInto(this);
    },
  });
  const signIns = new Counter({
    name: 'rollcall_sign_ins_total',
    help: 'Sign-ins by method (password, saml) and outcome (success, or the class of the failure)',
    labelNames: ['method', 'outcome'] as const,
    registers: [registry],
  });
  const apiAuthentications = new Counter({
    name: 'rollcall_api_authentications_total',
    help: 'Credentials shown to /api/v4, by kind (api_token, jwt, session, none) and outcome (success, or the class of the failure)',
    labelNames: ['credential', 'outcome'] as const,
    registers: [registry],
  });

  // Read when scraped. PGlite runs one connection (its pool's max is 1): used 1 means a statement or
  // transaction holds it, and pending acquires are the requests queued behind it.
  const pool = (name: string, help: string, read: (p: PoolCounts) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['database'] as const,
      registers: [registry],
      collect() {
        const p = poolOf(database);
        this.set({ database: database.kind }, p ? read(p) : 0);
      },
    });
  pool('rollcall_db_pool_connections_used', 'Database connections lent to a query or transaction now', (p) => p.numUsed());
  pool('rollcall_db_pool_connections_free', 'Open database connections idle in the pool now', (p) => p.numFree());
  pool('rollcall_db_pool_pending_acquires', 'Queries and transactions waiting for a database connection now', (p) => p.numPendingAcquires());
  pool('rollcall_db_pool_pending_creates', 'Database connections being opened now', (p) => p.numPendingCreates());
  pool('rollcall_db_pool_connections_max', 'Most database connections the pool opens (1 on the embedded database)', (p) => p.max ?? 0);

  let processMetrics = false;
  const metrics: WithInstruments = {
    registry,
    signIn: (method, outcome) => signIns.inc({ method, outcome }),
    apiAuthentication: (credential, outcome) => apiAuthentications.inc({ credential, outcome }),
    // Started at the first scrape, not with the app: prom-client's GC observer and event-loop
    // monitor cannot be stopped, and a test process makes dozens of apps nobody scrapes. CPU and
    // memory are read whole at each scrape; only the GC and event-loop histograms begin late.
    startProcessMetrics() {
      if (processMetrics) return;
      processMetrics = true;
      collectDefaultMetrics({ register: registry });
    },
    [METRICS]: { requests, duration, scimOperations },
  };
  return metrics;
}

/** The app's metrics, for the adapters (createApp keeps them in app.locals); undefined for a router running without createApp. */
export function metricsOf(res: Response): AppMetrics | undefined {
  return res.app?.locals.metrics as AppMetrics | undefined;
}

function instrumentsOf(res: Response): Instruments | undefined {
  return (metricsOf(res) as WithInstruments | undefined)?.[METRICS];
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'];

/**
 * The route pattern that answered, with the path it was mounted at: /scim/v2/Users/:id. Read when
 * the response has finished, from req.route (the route that matched). The mount path comes from
 * the original URL minus the route's own segments, not from req.baseUrl: Express restores baseUrl
 * when an error leaves a nested router (/api/v4/account_users -> /api/v4) while req.route stays.
 * Mount paths have no parameters; they match without regard to case, so the prefix is lowercased
 * (/API/V4/... must not make a series of its own). No route: the router it reached, or 'unmatched'.
 */
export function routeLabel(req: Request): string {
  const route = req.route as { path?: unknown } | undefined;
  const pattern = route?.path;
  if (typeof pattern !== 'string') return req.baseUrl ? `${normalisedPrefix(req.baseUrl)}/*` : 'unmatched';
  const own = ownSegmentsOf(route!, pattern);
  if (own < 0) return req.baseUrl ? `${normalisedPrefix(req.baseUrl)}/*` : 'unmatched';
  const url = req.originalUrl;
  let end = url.indexOf('?');
  if (end === -1) end = url.length;
  while (end > 1 && url.charCodeAt(end - 1) === 47) end--; // a trailing slash the route matched
  for (let i = 0; i < own && end > 0; i++) end = url.lastIndexOf('/', end - 1);
  const prefix = normalisedPrefix(url.slice(0, Math.max(end, 0)));
  // the same string instance for the same route and mount: the tally's Map keeps its hash
  const cached = LABELS.get(route!);
  if (cached?.prefix === prefix) return cached.label;
  const label = pattern === '/' ? prefix || '/' : prefix + pattern;
  LABELS.set(route!, { prefix, label });
  return label;
}

const LABELS = new WeakMap<object, { prefix: string; label: string }>();

/** The number of path segments a route pattern matches (/Users/:id: 2), kept on the route; -1 when it is not fixed (a wildcard, an optional part). */
const OWN_SEGMENTS = new WeakMap<object, number>();
function ownSegmentsOf(route: object, pattern: string): number {
  let own = OWN_SEGMENTS.get(route);
  if (own === undefined) {
    own = /[*{(?]/.test(pattern) ? -1 : pattern === '/' ? 0 : pattern.split('/').length - 1;
    OWN_SEGMENTS.set(route, own);
  }
  return own;
}

function normalisedPrefix(prefix: string): string {
  // lowercase only when needed: the common case allocates nothing
  let out = /[A-Z]/.test(prefix) ? prefix.toLowerCase() : prefix;
  if (out.includes('//')) out = out.replace(/\/{2,}/g, '/');
  return out.endsWith('/') ? out.slice(0, -1) : out;
}

/** HTTP requests by route and status, and their latency. One listener per request, labels made once it has finished. */
export const recordRequests: RequestHandler = (req, res, next) => {
  const instruments = instrumentsOf(res);
  if (!instruments) return next();
  const started = process.hrtime.bigint();
  res.once('finish', () => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const method = METHODS.has(req.method) ? req.method : 'other';
    const route = routeLabel(req);
    const status = res.statusCode;
    instruments.requests.add(route, method, status);
    instruments.duration.observe(route, method, STATUS_CLASSES[Math.floor(status / 100) - 1] ?? 'other', seconds);
  });
  next();
};

type ScimOperation = { resource: string; operation: string };

/**
 * By route pattern, then method: GET/POST /Users -> list/create, GET/PUT/PATCH/DELETE /Users/:id ->
 * get/replace/patch/delete, searches -> list; any other method on a resource (405) 'unsupported'.
 * Constant objects: they are the tally's keys. Discovery documents and /Me are no operations.
 */
const SCIM_OPERATIONS = new Map<string, { byMethod: Map<string, ScimOperation>; other: ScimOperation }>();
function operations(pattern: string, resource: string, byMethod: Record<string, string>): void {
  const kinds = new Map(Object.entries(byMethod).map(([method, operation]): [string, ScimOperation] => [method, { resource, operation }]));
  SCIM_OPERATIONS.set(pattern, { byMethod: kinds, other: { resource, operation: 'unsupported' } });
}
operations('/Bulk', 'Bulk', { POST: 'bulk' });
operations('/.search', 'all', { POST: 'list' });
for (const resource of ['Users', 'Groups']) {
  operations(`/${resource}`, resource, { GET: 'list', HEAD: 'list', POST: 'create' });
  operations(`/${resource}/.search`, resource, { POST: 'list' });
  operations(`/${resource}/:id`, resource, { GET: 'get', HEAD: 'get', PUT: 'replace', PATCH: 'patch', DELETE: 'delete' });
}

function scimOperationOf(method: string, pattern: string): ScimOperation | undefined {
  const kinds = SCIM_OPERATIONS.get(pattern);
  return kinds && (kinds.byMethod.get(method) ?? kinds.other);
}

/**
 * SCIM operations by resource, kind and outcome; mounted in the SCIM router after authentication
 * (a request without a valid token is no operation: it shows in the HTTP requests as 401).
 * A Bulk request counts once, as 'bulk': its operations are inside its answer.
 */
export const countScimOperations: RequestHandler = (req, res, next) => {
  const instruments = instrumentsOf(res);
  if (!instruments) return next();
  res.once('finish', () => {
    const pattern = (req.route as { path?: unknown } | undefined)?.path;
    const kind = typeof pattern === 'string' ? scimOperationOf(req.method, pattern) : undefined;
    if (!kind) return;
    const status = res.statusCode;
    const outcome = status >= 500 ? 'server_error' : status >= 400 ? 'client_error' : 'success';
    instruments.scimOperations.add(kind, outcome, '');
  });
  next();
};

/**
 * The class of a failed sign-in or credential: what an operator watches (a wave of wrong passwords,
 * throttling, an IdP's certificate gone stale), never whose. A right password that is not honoured
 * (another account's, a non-admin's on an SSO-only account) answers as a wrong one: so it counts.
 */
export function signInOutcomeOf(err: unknown): string {
  if (err instanceof SamlSignInRefused) return err.reason;
  if (unavailableOf(err)) return 'unavailable';
  if (err instanceof MembershipDeactivated) return 'deactivated';
  if (err instanceof SsoRequired) return 'sso_required';
  if (err instanceof AccountChoiceRequired) return 'account_choice_required';
  if (!(err instanceof DomainError)) return 'error';
  switch (err.code) {
    case 'unauthenticated':
      return 'wrong_credentials';
    case 'rate_limited':
      return 'throttled';
    case 'invalid':
      return 'incomplete';
    case 'forbidden':
      return 'not_allowed';
    case 'not_found':
      return 'not_found';
    default:
      return 'error';
  }
}

/** Counts a sign-in as it ends, and answers (or throws) what it did. */
export async function countedSignIn<T>(res: Response, method: 'password' | 'saml', signIn: Promise<T>): Promise<T> {
  try {
    const result = await signIn;
    metricsOf(res)?.signIn(method, 'success');
    return result;
  } catch (err) {
    metricsOf(res)?.signIn(method, signInOutcomeOf(err));
    throw err;
  }
}

/** Counts a credential shown to the API as it is checked. */
export async function countedAuthentication<T>(res: Response, credential: ApiCredential, check: Promise<T>): Promise<T> {
  try {
    const result = await check;
    metricsOf(res)?.apiAuthentication(credential, 'success');
    return result;
  } catch (err) {
    metricsOf(res)?.apiAuthentication(credential, signInOutcomeOf(err));
    throw err;
  }
}
