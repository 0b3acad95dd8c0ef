import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { logger } from '../../log.js';
import { listAuditEventsOfRequest, type AuditEventListRow } from '../audit/audit-store.js';
import { type Context, requireAccountManager } from '../context.js';
import { NotFound } from '../errors.js';
import { isDatabaseUnavailable } from '../../db/errors.js';
import { Unavailable } from '../errors.js';
import type { Page } from '../users/account-users-store.js';
import {
  countProvisioningRequestsSince,
  deleteProvisioningRequestsBefore,
  findProvisioningRequest,
  insertProvisioningRequests,
  lastProvisioningRequest,
  listProvisioningRequests,
  type ProvisioningFilterRows,
  type ProvisioningRequestInsert,
  type ProvisioningRequestRow,
} from './provisioning-store.js';
import { storedBodyText, storedResponseText, truncatedNote } from './redaction.js';

/**
 * The provisioning log (issue 15): every SCIM request an account's IdP made once it was
 * authenticated, as the admin console and GET /api/v4/provisioning_requests show it.
 *
 * Recording costs the request one array push (record): entries are buffered in memory and written
 * in batches, one statement per batch (every FLUSH_INTERVAL_MS, or at once past BATCH_SIZE
 * entries), off the request's path. Redaction and encoding happen when a batch is written, not
 * while the request is answered. What a crash loses: the entries not yet written, at most the
 * last FLUSH_INTERVAL_MS of requests (stop() writes them on a clean shutdown). A batch that cannot
 * be written is logged (counts, never bodies) and dropped: the log never fails a SCIM request.
 */

/** One recorded request, as readers see it. */
export interface ProvisioningRequest {
  id: string;
  at: Date;
  method: string;
  /** The path with its query (it holds the IdP's filter), e.g. /scim/v2/Users?filter=userName eq "x". */
  path: string;
  status: number;
  durationMs: number;
  userAgent: string | null;
  requestId: string | null;
  scimTokenId: string | null;
  resourceType: 'User' | 'Group' | null;
  /** The SCIM id the request named or created (for Users the account_user id, au_...). */
  resourceId: string | null;
  /** The SCIM error's detail of a failed request. */
  errorDetail: string | null;
  /** The body sent, with secrets removed (redaction.ts); {"truncated":true,"characters":N} when too long. */
  requestBody: unknown;
  /** The body answered, likewise. */
  responseBody: unknown;
}

/** The audit events written while serving the request: what it changed. */
export type ProvisioningRequestWithChanges = ProvisioningRequest & { changes: AuditEventListRow[] };

export type ProvisioningLogFilter = ProvisioningFilterRows;

export interface ProvisioningLogSummary {
  last?: { at: Date; method: string; path: string; status: number };
  requestsLast24h: number;
  failuresLast24h: number;
}

/** What the SCIM adapter hands over when a request ends; cheap to make (no copying, no encoding). */
export interface CapturedRequest {
  accountId: string;
  scimTokenId: string | null;
  startedAt: Date;
  method: string;
  /** As requested, with the query. */
  path: string;
  /** Relative to the SCIM base (/Users/au_x): what names the resource. */
  resourcePath: string;
  status: number;
  durationMs: number;
  userAgent: string | undefined;
  requestId: string | undefined;
  /** The parsed body, by reference: encoded (and redacted) when the batch is written. */
  requestBody: unknown;
  /** Content-Length, when sent: a body past MAX_BODY_CHARS is not kept even until the batch. */
  requestBytes: number | undefined;
  /** The text the server wrote. */
  responseText: string | undefined;
  errorDetail: string | undefined;
}

export interface ProvisioningLogOptions {
  /** How long an entry waits at most before its batch is written. */
  flushIntervalMs?: number;
  /** A batch this large is written at once. */
  batchSize?: number;
  /** Entries kept while the database does not take them; past this, new ones are dropped (and counted in the log). */
  maxBuffered?: number;
}

const FLUSH_INTERVAL_MS = 200;
const BATCH_SIZE = 200;
const MAX_BUFFERED = 5_000;
/** Bodies longer than this (JSON characters) are stored as {"truncated":true,"characters":N}. */
export const MAX_BODY_CHARS = 16 * 1024;
const MAX_PATH_CHARS = 2048;
const MAX_USER_AGENT_CHARS = 512;
const MAX_DETAIL_CHARS = 2048;
const MAX_RESOURCE_ID_CHARS = 128;
const ID_ALPHABET = 'abcdefghjkmnpqrstuvwxyz023456789';
const REQUEST_ID_SHAPE = /^prq_[a-hj-km-np-z02-9]{20}$/;
const CREATED_ID = /"id":"((?:au|tem)_[a-hj-km-np-z02-9]{20})"/;

/** prq_ and 20 random characters, the shape of every public id (ids.ts; its prefix list is shared, so kept here). */
export function newProvisioningRequestId(): string {
  let out = 'prq_';
  for (const byte of randomBytes(20)) out += ID_ALPHABET[byte & 31];
  return out;
}

const clip = (value: string | undefined, max: number): string | null => (value === undefined ? null : value.length > max ? value.slice(0, max) : value);

/** /Users, /Users/au_x, /Groups/tem_x/ -> the resource type and the id named ("x/.search" names none). */
function resourceOf(captured: CapturedRequest): { type: 'User' | 'Group' | null; id: string | null } {
  const match = /^\/(Users|Groups)(?:\/([^/]+))?\/?$/i.exec(captured.resourcePath) ?? /^\/(Users|Groups)\/\.search\/?$/i.exec(captured.resourcePath);
  if (!match) return { type: null, id: null };
  const type = match[1].toLowerCase() === 'users' ? 'User' : 'Group';
  let id: string | null = match[2] === undefined || match[2] === '.search' ? null : match[2];
  // a create names its resource in the answer: the first id of our shape in a User or Group
  // document is its own (members, groups and the manager are "value"s), found without parsing it
  if (id === null && captured.method === 'POST' && captured.status === 201 && captured.responseText) {
    id = CREATED_ID.exec(captured.responseText)?.[1] ?? null;
  }
  return { type, id: clip(id ?? undefined, MAX_RESOURCE_ID_CHARS) };
}

function rowOf(captured: CapturedRequest): ProvisioningRequestInsert {
  const resource = resourceOf(captured);
  return {
    id: newProvisioningRequestId(),
    account_id: captured.accountId,
    created_at: captured.startedAt.toISOString(),
    method: captured.method,
    path: clip(captured.path, MAX_PATH_CHARS)!,
    status: captured.status,
    duration_ms: Math.round(captured.durationMs * 100) / 100,
    user_agent: clip(captured.userAgent, MAX_USER_AGENT_CHARS),
    request_id: captured.requestId ?? null,
    scim_token_id: captured.scimTokenId,
    resource_type: resource.type,
    resource_id: resource.id,
    error_detail: clip(captured.errorDetail, MAX_DETAIL_CHARS),
    request_body: storedBodyText(captured.requestBody, MAX_BODY_CHARS) ?? null,
    // A successful write answers the resource as it now is: what it changed is its audit events,
    // and the person's page shows the rest. Not keeping that answer (~1 KB of JSON per write to
    // encode, parse and store) keeps the log within 10% on the cheapest write, PATCH (BENCHMARKS.md).
    // Reads keep theirs (what a lookup found), failures theirs (the IdP's error).
    response_body: isSuccessfulWrite(captured) ? null : (storedResponseText(captured.responseText, MAX_BODY_CHARS) ?? null),
  };
}

function requestOf(row: ProvisioningRequestRow): ProvisioningRequest {
  return {
    id: row.id,
    at: new Date(row.created_at),
    method: row.method,
    path: row.path,
    status: row.status,
    durationMs: Number(row.duration_ms),
    userAgent: row.user_agent,
    requestId: row.request_id,
    scimTokenId: row.scim_token_id,
    resourceType: row.resource_type,
    resourceId: row.resource_id,
    errorDetail: row.error_detail,
    requestBody: row.request_body ?? null,
    responseBody: row.response_body ?? null,
  };
}

/** Reads run as they are (one statement each, or two consistent enough for a console); a database that cannot be reached becomes Unavailable. */
async function reading<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (isDatabaseUnavailable(err)) throw new Unavailable();
    throw err;
  }
}

function isSuccessfulWrite(captured: CapturedRequest): boolean {
  return captured.status < 300 && captured.method !== 'GET';
}

export class ProvisioningLogService {
  private buffer: CapturedRequest[] = [];
  private timer: NodeJS.Timeout | undefined;
  private timerDueNow = false;
  private writing: Promise<void> = Promise.resolve();
  private dropped = 0;
  private readonly flushIntervalMs: number;
  private readonly batchSize: number;
  private readonly maxBuffered: number;

  constructor(
    private readonly db: Knex,
    options: ProvisioningLogOptions = {},
  ) {
    this.flushIntervalMs = options.flushIntervalMs ?? FLUSH_INTERVAL_MS;
    this.batchSize = options.batchSize ?? BATCH_SIZE;
    this.maxBuffered = options.maxBuffered ?? MAX_BUFFERED;
  }

  /** Keeps a request for the next batch. Called when a SCIM response has been sent; never throws, never waits. */
  record(captured: CapturedRequest): void {
    if (this.buffer.length >= this.maxBuffered) {
      this.dropped++;
      return;
    }
    // what will be stored as a note of its size is not held meanwhile (a /Bulk of 1 MiB, a page of users)
    if (captured.requestBytes !== undefined && captured.requestBytes > MAX_BODY_CHARS) captured.requestBody = { truncated: true, bytes: captured.requestBytes };
    if (captured.responseText !== undefined && captured.responseText.length > MAX_BODY_CHARS) captured.responseText = truncatedNote(captured.responseText.length);
    this.buffer.push(captured);
    if (this.buffer.length >= this.batchSize) this.schedule(0);
    else if (!this.timer) this.schedule(this.flushIntervalMs);
  }

  private schedule(delayMs: number): void {
    // a batch is already due (at once, or at its interval when asked for later): nothing to change
    if (this.timer && (delayMs > 0 || this.timerDueNow)) return;
    clearTimeout(this.timer);
    this.timerDueNow = delayMs === 0;
    // unref'd: a pending batch never holds the process up (stop() writes it on shutdown)
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delayMs).unref();
  }

  /** Writes every buffered entry; resolves once they are written (or dropped after a failure, logged). Tests wait on it. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    // one batch at a time, in order: a flush asked for while one runs writes after it
    this.writing = this.writing.then(() => this.writeBuffered());
    return this.writing;
  }

  /** Writes what is buffered, for shutdown (main.ts, after the server has drained). */
  stop(): Promise<void> {
    return this.flush();
  }

  private async writeBuffered(): Promise<void> {
    while (this.buffer.length > 0) {
      const batch = this.buffer.splice(0, this.batchSize);
      try {
        await insertProvisioningRequests(this.db, batch.map(rowOf));
      } catch (err) {
        // never the bodies: they are personal data, and the error of a failed insert may quote them
        logger.warn('provisioning log: a batch could not be written and is dropped', {
          entries: batch.length,
          error: err instanceof Error ? err.message.slice(0, 200) : String(err).slice(0, 200),
          code: (err as { code?: string }).code,
        });
      }
    }
    if (this.dropped > 0) {
      logger.warn('provisioning log: entries dropped while the buffer was full', { entries: this.dropped });
      this.dropped = 0;
    }
  }

  async list(ctx: Context, filter: ProvisioningLogFilter, page: Page): Promise<{ rows: ProvisioningRequest[]; total: number }> {
    requireAccountManager(ctx, 'read the provisioning log');
    const { rows, total } = await reading(() => listProvisioningRequests(this.db, ctx.accountId, filter, page));
    return { rows: rows.map(requestOf), total };
  }

  async get(ctx: Context, id: string): Promise<ProvisioningRequestWithChanges> {
    requireAccountManager(ctx, 'read the provisioning log');
    // an id not of our shape names nothing: no query (a NUL or a 10 KB "id" never reaches the database)
    if (!REQUEST_ID_SHAPE.test(id)) throw new NotFound('Provisioning request', JSON.stringify(id.length > 60 ? `${id.slice(0, 57)}...` : id));
    const row = await reading(() => findProvisioningRequest(this.db, ctx.accountId, id));
    if (!row) throw new NotFound('Provisioning request', id);
    const request = requestOf(row);
    // X-Request-Id may come from the IdP and repeat: only the SCIM events of this request's time count
    const changes = request.requestId
      ? await reading(() => listAuditEventsOfRequest(this.db, ctx.accountId, request.requestId!, { channel: 'scim', from: request.at, durationMs: request.durationMs }))
      : [];
    return { ...request, changes };
  }

  async summary(ctx: Context): Promise<ProvisioningLogSummary> {
    requireAccountManager(ctx, 'read the provisioning log');
    const since = new Date(Date.now() - 24 * 3600_000);
    const [last, counts] = await reading(() => Promise.all([lastProvisioningRequest(this.db, ctx.accountId), countProvisioningRequestsSince(this.db, ctx.accountId, since)]));
    return {
      ...(last && { last: { at: new Date(last.created_at), method: last.method, path: last.path, status: last.status } }),
      requestsLast24h: counts.requests,
      failuresLast24h: counts.failures,
    };
  }

  /**
   * Retention: deletes entries older than `days`, any account's, in batches of `batchSize` until
   * none is left; answers how many. The server runs it periodically (retention.ts).
   */
  async deleteExpired(days: number, batchSize = 1000, now = new Date()): Promise<number> {
    const before = new Date(now.getTime() - days * 24 * 3600_000);
    let deleted = 0;
    for (;;) {
      const n = await deleteProvisioningRequestsBefore(this.db, before, batchSize);
      deleted += n;
      if (n < batchSize) return deleted;
    }
  }
}
