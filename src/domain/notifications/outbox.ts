import type { Knex } from 'knex';
import nodemailer, { type Mail } from 'nodemailer';
import type { ChangeFeed } from '../../db/change-feed.js';
import type { Queryable } from '../../db/database.js';
import { logger } from '../../log.js';
import { Invalid } from '../errors.js';
import { newId } from '../ids.js';
import {
  claimDueOutboxMessage,
  countQueuedOutboxMessages,
  deleteSentOutboxMessages,
  markOutboxMessageFailed,
  markOutboxMessageSent,
  listOutboxMessages,
  type OutboxMessageRow,
  type OutboxMessageSummary,
  outboxMessageInsert,
  requeueGivenUpOutboxMessages,
} from './outbox-store.js';

/**
 * The notification outbox: email is written to outbox_messages by the change that causes it (in
 * the same statement or transaction, so nothing is half-written) and sent afterwards by a delivery
 * worker, OutboxDelivery, that runs in every server process. Several instances share one database:
 * each message is claimed by one worker at a time (outbox-store.ts claimDueOutboxMessage).
 *
 * Bodies hold one-time links, so they are cleared once a message is sent, and no log line ever holds
 * a body, a link or a full address (the message id, its kind, the recipient's domain, the outcome).
 * Delivery is at least once: a worker that dies between the SMTP server's acceptance and marking
 * the message sent leaves it to be sent again when its claim's lease runs out (each message keeps
 * one Message-ID header, so a receiving system can tell).
 */

export interface OutboxMessage {
  /** One address; the message goes to nobody else. */
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** What it is for, e.g. 'invitation': shown in logs and `rollcall outbox list`. */
  kind: string;
  /** The account it is sent for, if any (kept for the operator; the message outlives an account's deletion). */
  accountId?: string;
  /** The message's id, when the caller needs to know it (e.g. for its audit event); a new msg_ id otherwise. */
  id?: string;
}

// one address: a local part and a domain, no spaces, commas, angle brackets or line breaks (a
// second recipient or a header injected through a caller's value)
const ONE_ADDRESS = /^[^\s@,;<>"()]+@[^\s@,;<>"()[\]]+\.[^\s@,;<>"()[\]]+$/;
const KIND = /^[a-z][a-z0-9_.-]{0,63}$/;

/**
 * The INSERT of one message, not yet run: await it, or pass it as a companion write of the
 * statement whose change causes the message (a data-modifying WITH), or run it in the change's
 * transaction. After the commit, call deliverQueuedSoon() so that this process sends it now rather
 * than at the worker's next interval (on PostgreSQL every instance also hears of it: the table's
 * trigger notifies `outbox_queued`).
 */
export function outboxInsert(q: Queryable, message: OutboxMessage): Knex.QueryBuilder {
  const to = message.to.trim();
  if (!ONE_ADDRESS.test(to)) throw new Invalid('to', `${JSON.stringify(message.to)} is not one email address`);
  if (!KIND.test(message.kind)) throw new Invalid('kind', `${JSON.stringify(message.kind)} is not a message kind (lower-case letters, digits, _ . -)`);
  const subject = message.subject.replace(/[\r\n]+/g, ' ').trim();
  if (subject === '') throw new Invalid('subject', 'a message needs a subject');
  return outboxMessageInsert(q, {
    id: message.id ?? newId('msg'),
    to_address: to,
    subject,
    text_body: message.text,
    html_body: message.html ?? null,
    kind: message.kind,
    account_id: message.accountId ?? null,
  });
}

/** A message as the operator sees it (`rollcall outbox list`): never its bodies. */
export interface OutboxEntry {
  id: string;
  kind: string;
  to: string;
  accountId: string | null;
  createdAt: Date;
  attempts: number;
  /** queued: not tried yet; retrying: failed, tried again at nextAttemptAt; given_up: no more attempts; sent. */
  status: 'queued' | 'retrying' | 'given_up' | 'sent';
  nextAttemptAt: Date | null;
  sentAt: Date | null;
  lastError: string | null;
}

function entryOf(row: OutboxMessageSummary): OutboxEntry {
  const status = row.sent_at ? 'sent' : row.next_attempt_at === null ? 'given_up' : row.attempts > 0 ? 'retrying' : 'queued';
  return {
    id: row.id,
    kind: row.kind,
    to: row.to_address,
    accountId: row.account_id,
    createdAt: row.created_at,
    attempts: row.attempts,
    status,
    nextAttemptAt: row.next_attempt_at,
    sentAt: row.sent_at,
    lastError: row.last_error,
  };
}

/** The newest messages (at most `limit`, 1-1000), without bodies; `unsent`: only those not sent. */
export async function listOutbox(q: Queryable, options: { limit?: number; unsent?: boolean } = {}): Promise<OutboxEntry[]> {
  const limit = options.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new Invalid('limit', `limit is from 1 to 1000, not ${limit}`);
  return (await listOutboxMessages(q, { limit, unsent: options.unsent })).map(entryOf);
}

/**
 * Makes the given-up messages (all, or those named) due again with a fresh count of attempts: for
 * the operator once the SMTP relay is fixed. Answers how many; call deliverQueuedSoon() after.
 */
export async function retryGivenUp(q: Queryable, ids?: readonly string[]): Promise<number> {
  return requeueGivenUpOutboxMessages(q, ids);
}

/** The workers running in this process, for deliverQueuedSoon. */
const runningWorkers = new Set<OutboxDelivery>();

/** Wakes every delivery worker running in this process: call it once a transaction that queued a message has committed. */
export function deliverQueuedSoon(): void {
  for (const worker of runningWorkers) worker.deliverSoon();
}

/** The channel the outbox_messages trigger notifies on every insert (migration 017). */
export const OUTBOX_QUEUED = 'outbox_queued';

export interface OutboxDeliveryOptions {
  db: Knex;
  /** The database's change feed: on PostgreSQL, messages queued by other instances wake this worker too. */
  changes?: ChangeFeed;
  /** smtp:// or smtps:// URL (credentials in it). Without one nothing is sent: messages stay queued. */
  smtpUrl: string | undefined;
  /** The From header, e.g. `Rollcall <no-reply@example.com>`. */
  mailFrom: string;
  /** How often the worker looks for due messages without being nudged. Default 15 s. */
  intervalMs?: number;
  /** Attempts before a message is given up. Default 8. */
  maxAttempts?: number;
  /** Delay before the first retry, doubled on each further one (with +-20% jitter). Default 30 s. */
  retryBaseMs?: number;
  /** Longest delay between two attempts. Default 1 hour. */
  retryMaxMs?: number;
  /** SMTP connection, greeting and socket timeout. Default 30 s. The claim's lease is 4 times as long. */
  smtpTimeoutMs?: number;
  /** How long the record of a sent message is kept (without its bodies). Default 30 days. */
  keepSentMs?: number;
}

/** How often a worker deletes the records of messages sent long ago. */
const HOUSEKEEPING_EVERY_MS = 3_600_000;

/** What one pass of the worker did. */
export interface DeliveryPass {
  sent: number;
  failed: number;
}

/**
 * The delivery worker. start() looks for due messages at once, then every intervalMs and whenever
 * nudged (deliverSoon, deliverQueuedSoon, or another instance's insert); stop() lets the message in
 * hand finish. Its timers are unref'd (they never hold the process up) and no SMTP or database error
 * escapes it: a failed attempt is recorded on the message and retried later.
 */
export class OutboxDelivery {
  private readonly transport: Mail | undefined;
  private readonly intervalMs: number;
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly leaseSeconds: number;
  private readonly messageIdDomain: string;
  private running = false;
  private stopped = false;
  private listening = false;
  private timer: NodeJS.Timeout | undefined;
  private passing: Promise<void> | undefined;
  private again = false;
  private lastHousekeeping = 0;

  constructor(private readonly options: OutboxDeliveryOptions) {
    const timeout = options.smtpTimeoutMs ?? 30_000;
    this.intervalMs = options.intervalMs ?? 15_000;
    this.maxAttempts = options.maxAttempts ?? 8;
    this.retryBaseMs = options.retryBaseMs ?? 30_000;
    this.retryMaxMs = options.retryMaxMs ?? 3_600_000;
    // longer than a whole send can take, so that a message is in one worker's hands at a time
    this.leaseSeconds = Math.ceil((4 * timeout) / 1000);
    this.messageIdDomain = /@([^>\s]+)>?\s*$/.exec(options.mailFrom)?.[1] ?? 'rollcall.invalid';
    this.transport = options.smtpUrl
      ? nodemailer.createTransport({ url: options.smtpUrl, connectionTimeout: timeout, greetingTimeout: timeout, socketTimeout: timeout })
      : undefined;
  }

  /** Whether messages are sent at all (an SMTP URL was configured). */
  get sending(): boolean {
    return this.transport !== undefined;
  }

  start(): void {
    if (this.running || this.stopped) return;
    if (!this.transport) {
      void this.warnNotSending();
      return;
    }
    this.running = true;
    runningWorkers.add(this);
    logger.info('outbox delivery started', { smtp: smtpEndpoint(this.options.smtpUrl!), interval_ms: this.intervalMs });
    if (this.options.changes && !this.listening) {
      this.listening = true;
      // a gap (the LISTEN connection dropped) may have hidden a nudge: look now
      this.options.changes.listen(OUTBOX_QUEUED, { onChange: () => this.deliverSoon(), onGap: () => this.deliverSoon() });
    }
    this.schedule(0);
  }

  /** Looks for due messages now (or as soon as the pass under way ends). */
  deliverSoon(): void {
    if (!this.running) return;
    if (this.passing) this.again = true;
    else this.schedule(0);
  }

  /**
   * Stops the worker: no new message is claimed, and the one being sent is waited for, up to
   * `waitMs` (a message whose send outlives the wait is sent again after its lease: at least once).
   */
  async stop(waitMs = 30_000): Promise<void> {
    this.running = false;
    this.stopped = true;
    runningWorkers.delete(this);
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.passing) {
      let bound: NodeJS.Timeout | undefined;
      await Promise.race([this.passing, new Promise<void>((resolve) => (bound = setTimeout(resolve, waitMs).unref()))]);
      clearTimeout(bound);
    }
    this.transport?.close();
  }

  /**
   * Sends every due message, one after the other, until none is due (or the worker is stopped).
   * The worker runs it on its own; tests and one-off commands may call it directly.
   */
  async deliverDue(): Promise<DeliveryPass> {
    const pass: DeliveryPass = { sent: 0, failed: 0 };
    if (!this.transport) return pass;
    // once stopped, nothing more is claimed (the message in hand is finished)
    while (!this.stopped) {
      const message = await claimDueOutboxMessage(this.options.db, this.leaseSeconds);
      if (!message) break;
      if (await this.deliver(this.transport, message)) pass.sent++;
      else pass.failed++;
    }
    return pass;
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.runPass(), delayMs).unref();
  }

  private runPass(): void {
    this.timer = undefined;
    if (!this.running || this.passing) return;
    this.again = false;
    this.passing = this.deliverDue()
      .then(() => this.housekeeping())
      .then(
        () => undefined,
        (err: unknown) => {
          // the database is unreachable or the like: nothing was lost, the next pass tries again
          logger.warn('outbox delivery pass failed', { error: err instanceof Error ? err.message : String(err) });
        },
      )
      .finally(() => {
        this.passing = undefined;
        if (this.running) this.schedule(this.again ? 0 : this.intervalMs);
      });
  }

  /** Sends one claimed message and records the outcome; answers whether it was sent. */
  private async deliver(transport: Mail, message: OutboxMessageRow): Promise<boolean> {
    const facts = { message_id: message.id, kind: message.kind, recipient_domain: domainOf(message.to_address), attempt: message.attempts };
    try {
      await transport.sendMail({
        from: this.options.mailFrom,
        to: message.to_address,
        subject: message.subject,
        text: message.text_body ?? '',
        ...(message.html_body !== null ? { html: message.html_body } : {}),
        // the same on every attempt, so a receiver can tell a message sent twice
        messageId: `<${message.id}@${this.messageIdDomain}>`,
      });
    } catch (err) {
      const failure = describeSmtpFailure(err);
      const giveUp = failure.permanent || message.attempts >= this.maxAttempts;
      const retryInSeconds = giveUp ? null : this.retryDelaySeconds(message.attempts);
      try {
        await markOutboxMessageFailed(this.options.db, message.id, message.attempts, failure.stored, retryInSeconds);
      } catch (markErr) {
        // not recorded: the message is claimed again when its lease runs out
        logger.warn('outbox message failure not recorded', { ...facts, error: markErr instanceof Error ? markErr.message : String(markErr) });
      }
      logger.warn(giveUp ? 'outbox message given up' : 'outbox message not sent; will retry', {
        ...facts,
        outcome: giveUp ? 'given_up' : 'retry',
        retry_in_s: retryInSeconds ?? undefined,
        error: failure.logged,
      });
      return false;
    }
    try {
      await markOutboxMessageSent(this.options.db, message.id);
    } catch (err) {
      // sent, but still marked as claimed: it is sent again when the lease runs out (at least once)
      logger.error('outbox message sent but not marked sent', { ...facts, error: err instanceof Error ? err.message : String(err) });
      return true;
    }
    logger.info('outbox message sent', { ...facts, outcome: 'sent' });
    return true;
  }

  /** At most hourly: the records of messages sent more than keepSentMs ago go (the outbox stays small). */
  private async housekeeping(): Promise<void> {
    if (Date.now() - this.lastHousekeeping < HOUSEKEEPING_EVERY_MS) return;
    this.lastHousekeeping = Date.now();
    const deleted = await deleteSentOutboxMessages(this.options.db, Math.ceil((this.options.keepSentMs ?? 30 * 24 * 3_600_000) / 1000));
    if (deleted) logger.info('outbox: records of old sent messages deleted', { deleted });
  }

  private retryDelaySeconds(attempts: number): number {
    const delay = Math.min(this.retryBaseMs * 2 ** Math.max(0, attempts - 1), this.retryMaxMs);
    return Math.max(0, (delay * (0.8 + Math.random() * 0.4)) / 1000);
  }

  private async warnNotSending(): Promise<void> {
    let queued: number | undefined;
    try {
      queued = await countQueuedOutboxMessages(this.options.db);
    } catch {
      // the count is only for the operator's information
    }
    logger.warn(
      'SMTP_URL is not set: email (invitations, email proofs) is kept in the outbox and not sent. ' +
        'Set SMTP_URL (smtp:// or smtps://) to send it; `rollcall outbox list` shows what waits.',
      { queued_messages: queued },
    );
  }
}

/** The relay as a log line may name it: scheme, host and port, never the credentials. */
function smtpEndpoint(smtpUrl: string): string {
  const url = new URL(smtpUrl);
  return `${url.protocol}//${url.host}`;
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

interface SmtpError {
  code?: string;
  responseCode?: number;
  command?: string;
  message?: string;
}

/**
 * What is kept of an SMTP failure: for the message's row (last_error, the operator's CLI) and for
 * the log (no address: the server's reply often repeats the recipient). A recipient refused with a
 * 5xx reply is permanent (the address does not exist); anything else (4xx, connection, timeout,
 * authentication: a relay the operator may fix) is retried.
 */
function describeSmtpFailure(err: unknown): { stored: string; logged: string; permanent: boolean } {
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as SmtpError;
  const label = [e.code, e.command, e.responseCode].filter((part) => part !== undefined).join(' ');
  const text = (e.message ?? 'unknown error').replace(/\s+/g, ' ').trim();
  const stored = `${label ? `${label}: ` : ''}${text}`.slice(0, 500);
  const logged = stored.replace(/[^\s<>@"']+@[^\s<>@"']+/g, '<address>').slice(0, 300);
  const permanent = e.command === 'RCPT TO' && typeof e.responseCode === 'number' && e.responseCode >= 500 && e.responseCode < 600;
  return { stored, logged, permanent };
}
