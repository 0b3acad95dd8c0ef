import { isIP } from 'node:net';
import path from 'node:path';
import { parseSecretKeys, SecretKeyError } from './domain/auth/secret-box.js';

/** Everything Rollcall reads from its environment, validated once at start. */
export interface Config {
  host: string;
  port: number;
  publicUrl: string;
  /** PostgreSQL connection string; when absent the embedded database in dataDir is used. */
  databaseUrl: string | undefined;
  /**
   * Where the one connection that LISTENs for changes made by other instances connects (SCIM
   * token revocations): databaseUrl unless given. A pooler in transaction mode cannot carry a
   * LISTEN, so behind one this names PostgreSQL itself.
   */
  listenUrl: string | undefined;
  dataDir: string;
  logLevel: 'error' | 'warn' | 'info' | 'debug';
  /** Largest accepted request body, in bytes. */
  bodyLimitBytes: number;
  /** How long SIGTERM waits for in-flight requests before closing them, in milliseconds. */
  shutdownGraceMs: number;
  /** DATABASE_STATEMENT_TIMEOUT_MS: a request's SQL statement running longer is cancelled (503 + Retry-After); 0 turns it off. PostgreSQL only. */
  statementTimeoutMs: number;
  /** HTTP_REQUEST_TIMEOUT_MS: a client has this long to send a whole request (headers and body), or its socket is closed. */
  requestTimeoutMs: number;
  /** HTTP_HEADERS_TIMEOUT_MS: ... and this long to send the headers (slow-header clients). */
  headersTimeoutMs: number;
  /** DNS_RESOLVER: the DNS servers that check domain verification records; undefined = the system's. */
  dnsResolver: string[] | undefined;
  /** SMTP_URL: where email is sent (smtp:// or smtps://, credentials in it). Unset: email stays queued in the outbox. */
  smtpUrl: string | undefined;
  /** MAIL_FROM: the From of every email; `Rollcall <no-reply@host of PUBLIC_URL>` unless given. */
  mailFrom: string;
  /** OUTBOX_INTERVAL_MS: how often the delivery worker looks for due email when nothing nudges it. */
  outboxIntervalMs: number;
  /**
   * ROLLCALL_SECRET_KEYS: the keys (32 bytes each) that encrypt secrets at rest (JWT signing keys);
   * the first encrypts, all decrypt. Unset: `serve` keeps a generated one in DATA_DIR on the
   * embedded database and refuses to start on PostgreSQL (secret-keys.ts).
   */
  secretKeys: Buffer[] | undefined;
  /** DATABASE_WAIT_MS: at start, how long to keep trying a database that does not answer before giving up. */
  databaseWaitMs: number;
  /** RATE_LIMIT_SCIM and RATE_LIMIT_API: requests per minute per SCIM token and per member on /api/v4; 0 = none. */
  rateLimits: { scimPerMinute: number; apiPerMinute: number };
  /** PROVISIONING_LOG_RETENTION_DAYS: how long the provisioning log keeps a SCIM request (1 to 3650 days, default 30). */
  provisioningLogRetentionDays: number;
  /**
   * TRUST_PROXY: which proxies' X-Forwarded-For / X-Forwarded-Proto Express believes, so that
   * req.ip (the sign-in limits' address) is the person's and not the load balancer's: a number of
   * hops, or addresses and subnets (and loopback, linklocal, uniquelocal). Default loopback.
   */
  trustProxy: number | string[];
  /** METRICS_TOKEN: the bearer token /metrics requires; unset, /metrics answers only on this machine. */
  metricsToken: string | undefined;
}

export class ConfigError extends Error {
  constructor(variable: string, value: string, expected: string) {
    super(`${variable}=${JSON.stringify(value)} is not valid: expected ${expected}`);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(name, raw, `a whole number from ${min} to ${max}`);
  }
  return value;
}

/** SMTP_URL: smtp:// (STARTTLS when offered) or smtps:// (TLS from the start), with optional user:pass. Never shown in errors. */
function smtpUrl(raw: string | undefined): string | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const expected = 'an smtp:// or smtps:// URL, e.g. smtps://user:password@mail.example.com:465';
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ConfigError('SMTP_URL', '(hidden)', expected);
  }
  if ((url.protocol !== 'smtp:' && url.protocol !== 'smtps:') || url.hostname === '') throw new ConfigError('SMTP_URL', '(hidden)', expected);
  return raw.trim();
}

/** MAIL_FROM: `name <address>` or an address; one line (it becomes a header). */
function mailFrom(raw: string | undefined, publicUrl: string): string {
  if (raw === undefined || raw.trim() === '') return `Rollcall <no-reply@${new URL(publicUrl).hostname}>`;
  const value = raw.trim();
  if (!/^(?:[^<>\r\n]*<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/.test(value)) {
    throw new ConfigError('MAIL_FROM', value, 'an address, or a name and an address: Rollcall <no-reply@example.com>');
  }
  return value;
}

/** DNS_RESOLVER: "127.0.0.1:5353", "[::1]:53", "10.0.0.2" (port 53), several comma-separated. */
function dnsResolver(raw: string | undefined): string[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  return raw.split(',').map((part) => {
    const server = part.trim();
    if (isIP(server) === 6) return `[${server}]:53`;
    const match = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(server) ?? /^([^:[\]]+)(?::(\d{1,5}))?$/.exec(server);
    const port = Number(match?.[2] ?? 53);
    if (!match || isIP(match[1]) === 0 || port < 1 || port > 65535) {
      throw new ConfigError('DNS_RESOLVER', raw, 'IP addresses with an optional port, comma-separated (127.0.0.1:5353, [::1]:53)');
    }
    return isIP(match[1]) === 6 ? `[${match[1]}]:${port}` : `${match[1]}:${port}`;
  });
}

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** TRUST_PROXY: "2" (hops), or "10.0.0.0/8,192.168.1.10,loopback"; unset: loopback, as before it existed. */
function trustProxy(raw: string | undefined): number | string[] {
  if (raw === undefined || raw.trim() === '') return ['loopback'];
  const value = raw.trim();
  const expected = 'a number of proxy hops from 0 to 32, or comma-separated addresses and subnets (10.0.0.0/8, fd00::/8, 192.0.2.7, loopback, linklocal, uniquelocal)';
  if (/^\d+$/.test(value)) {
    if (Number(value) > 32) throw new ConfigError('TRUST_PROXY', raw, expected);
    return Number(value);
  }
  return value.split(',').map((part) => {
    const entry = part.trim().toLowerCase();
    if (PROXY_NAMES.includes(entry)) return entry;
    const [address, bits, extra] = entry.split('/');
    const family = isIP(address);
    const maxBits = family === 6 ? 128 : 32;
    if (family === 0 || extra !== undefined || (bits !== undefined && (!/^\d{1,3}$/.test(bits) || Number(bits) > maxBits))) {
      throw new ConfigError('TRUST_PROXY', raw, expected);
    }
    return entry;
  });
}

/** METRICS_TOKEN: long enough not to be guessed, one word (it travels in a header). Never shown in errors. */
function metricsToken(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (raw.length < 16 || raw.length > 512 || !/^[\x21-\x7e]+$/.test(raw)) {
    throw new ConfigError('METRICS_TOKEN', '(hidden)', 'from 16 to 512 printable characters without spaces (openssl rand -hex 32 makes one)');
  }
  return raw;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const host = env.HOST || '127.0.0.1';
  const port = integer(env, 'PORT', 3000, 0, 65535);
  const rawPublicUrl = env.PUBLIC_URL || `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let publicUrl: string;
  try {
    const url = new URL(rawPublicUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('protocol');
    publicUrl = url.toString().replace(/\/$/, '');
  } catch {
    throw new ConfigError('PUBLIC_URL', rawPublicUrl, 'an http:// or https:// URL');
  }
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL', '(hidden)', 'a postgres:// or postgresql:// URL');
  }
  const listenUrl = env.DATABASE_LISTEN_URL || undefined;
  if (listenUrl && !databaseUrl) throw new ConfigError('DATABASE_LISTEN_URL', '(hidden)', 'unset when DATABASE_URL is unset (the embedded database needs no LISTEN)');
  if (listenUrl && !/^postgres(ql)?:\/\//.test(listenUrl)) {
    throw new ConfigError('DATABASE_LISTEN_URL', '(hidden)', 'a postgres:// or postgresql:// URL');
  }
  const logLevel = (env.LOG_LEVEL || 'info') as Config['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError('LOG_LEVEL', logLevel, LOG_LEVELS.join(', '));
  let secretKeys: Buffer[] | undefined;
  try {
    secretKeys = env.ROLLCALL_SECRET_KEYS ? parseSecretKeys(env.ROLLCALL_SECRET_KEYS) : undefined;
  } catch (err) {
    if (!(err instanceof SecretKeyError)) throw err;
    throw new ConfigError('ROLLCALL_SECRET_KEYS', '(hidden)', `comma-separated base64 keys of 32 bytes: ${err.message}`);
  }
  return {
    host,
    port,
    publicUrl,
    databaseUrl,
    listenUrl: listenUrl ?? databaseUrl,
    dataDir: path.resolve(env.DATA_DIR || './data'),
    logLevel,
    bodyLimitBytes: 1024 * 1024,
    shutdownGraceMs: integer(env, 'SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    statementTimeoutMs: integer(env, 'DATABASE_STATEMENT_TIMEOUT_MS', 5_000, 0, 600_000),
    requestTimeoutMs: integer(env, 'HTTP_REQUEST_TIMEOUT_MS', 30_000, 1_000, 600_000),
    // never past the request timeout: Node measures both from the request's first byte
    headersTimeoutMs: Math.min(integer(env, 'HTTP_HEADERS_TIMEOUT_MS', 10_000, 1_000, 600_000), integer(env, 'HTTP_REQUEST_TIMEOUT_MS', 30_000, 1_000, 600_000)),
    dnsResolver: dnsResolver(env.DNS_RESOLVER),
    smtpUrl: smtpUrl(env.SMTP_URL),
    mailFrom: mailFrom(env.MAIL_FROM, publicUrl),
    outboxIntervalMs: integer(env, 'OUTBOX_INTERVAL_MS', 15_000, 100, 3_600_000),
    secretKeys,
    databaseWaitMs: integer(env, 'DATABASE_WAIT_MS', 30_000, 0, 3_600_000),
    rateLimits: { scimPerMinute: integer(env, 'RATE_LIMIT_SCIM', 6_000, 0, 10_000_000), apiPerMinute: integer(env, 'RATE_LIMIT_API', 1_200, 0, 10_000_000) },
    provisioningLogRetentionDays: integer(env, 'PROVISIONING_LOG_RETENTION_DAYS', 30, 1, 3650),
    trustProxy: trustProxy(env.TRUST_PROXY),
    metricsToken: metricsToken(env.METRICS_TOKEN),
  };
}
