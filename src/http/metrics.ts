import type { Request, RequestHandler, Response } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
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

/** What passport-free code can call: tarn's pool (knex's `client.pool`), on PostgreSQL and on PGlite alike. */
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
  requests: Counter<'method' | 'route' | 'status'>;
  duration: Histogram<'method' | 'route' | 'status_class'>;
  scimOperations: Counter<'resource' | 'operation' | 'outcome'>;
}

const METRICS = Symbol('rollcall metrics');
type WithInstruments = AppMetrics & { [METRICS]: Instruments };

export function createMetrics(database: Database): AppMetrics {
  const registry = new Registry();
  const requests = new Counter({
    name: 'rollcall_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern (unmatched: no route) and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'rollcall_http_request_duration_seconds',
    help: 'Time from the request reaching the app to the last byte of its answer, by method, route pattern and status class',
    labelNames: ['method', 'route', 'status_class'] as const,
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [registry],
  });
  const scimOperations = new Counter({
    name: 'rollcall_scim_operations_total',
    help: 'Authenticated SCIM operations, by resource (Users, Groups, all for a root search, Bulk), kind and outcome (success, client_error, server_error)',
    labelNames: ['resource', 'operation', 'outcome'] as const,
    registers: [registry],
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
  const pattern = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof pattern !== 'string' || /[*{(?]/.test(pattern)) return req.baseUrl ? `${normalisedPrefix(req.baseUrl)}/*` : 'unmatched';
  const url = req.originalUrl;
  const query = url.indexOf('?');
  const segments = (query === -1 ? url : url.slice(0, query)).replace(/\/+$/, '').split('/');
  const own = pattern === '/' ? 0 : pattern.split('/').length - 1;
  const prefix = normalisedPrefix(segments.slice(0, Math.max(segments.length - own, 0)).join('/'));
  if (pattern === '/') return prefix || '/';
  return prefix + pattern;
}

function normalisedPrefix(prefix: string): string {
  return prefix.toLowerCase().replace(/\/{2,}/g, '/').replace(/\/$/, '');
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
    instruments.requests.inc({ method, route, status });
    instruments.duration.observe({ method, route, status_class: STATUS_CLASSES[Math.floor(status / 100) - 1] ?? 'other' }, seconds);
  });
  next();
};

/** GET/POST /Users -> list/create, GET/PUT/PATCH/DELETE /Users/:id -> get/replace/patch/delete, searches -> list. */
function scimOperationOf(method: string, pattern: string): { resource: string; operation: string } | undefined {
  if (pattern === '/Bulk') return { resource: 'Bulk', operation: 'bulk' };
  if (pattern === '/.search') return { resource: 'all', operation: 'list' };
  const match = /^\/(Users|Groups)(\/:id|\/\.search)?$/.exec(pattern);
  if (!match) return undefined; // discovery documents, /Me
  const [, resource, rest] = match;
  if (rest === '/.search') return { resource, operation: 'list' };
  const operation = rest
    ? ({ GET: 'get', PUT: 'replace', PATCH: 'patch', DELETE: 'delete' } as Record<string, string>)[method]
    : ({ GET: 'list', POST: 'create' } as Record<string, string>)[method];
  return { resource, operation: operation ?? 'unsupported' };
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
    instruments.scimOperations.inc({ ...kind, outcome: status >= 500 ? 'server_error' : status >= 400 ? 'client_error' : 'success' });
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
