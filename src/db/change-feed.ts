import pg from 'pg';
import { logger } from '../log.js';

/**
 * Changes committed by any process on the database, as PostgreSQL notifications (LISTEN/NOTIFY):
 * how an in-process cache on one instance hears that another instance (or the CLI) changed what it
 * holds. A notification is sent by `select pg_notify(channel, payload)` inside the writing
 * transaction, so it is delivered when, and only if, that transaction commits.
 *
 * Delivery can stop (the listening connection drops). `live` says whether it is running now, and
 * `onGap` tells every listener that notifications may have been missed: a cache must then forget
 * what it holds and not trust itself again until `live` is back.
 */
export interface ChangeFeed {
  listen(channel: string, listener: ChangeListener): void;
  /** True while notifications are being received. */
  readonly live: boolean;
  close(): Promise<void>;
}

export interface ChangeListener {
  onChange(payload: string): void;
  onGap(): void;
}

/** Channel names are SQL identifiers here: lower-case letters and underscores only. */
const CHANNEL = /^[a-z_]+$/;

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;

/**
 * The feed for PostgreSQL: one connection of its own (outside the pool: a LISTEN belongs to a
 * session), opened on the first `listen`, reopened with backoff when it drops.
 */
export class PostgresChangeFeed implements ChangeFeed {
  private readonly listeners = new Map<string, ChangeListener[]>();
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = RECONNECT_MIN_MS;
  private closed = false;
  private connected = false;

  constructor(private readonly databaseUrl: string) {}

  get live(): boolean {
    return this.connected;
  }

  listen(channel: string, listener: ChangeListener): void {
    if (!CHANNEL.test(channel)) throw new Error(`change feed channel ${JSON.stringify(channel)} must be lower-case letters and underscores`);
    const known = this.listeners.get(channel);
    if (known) known.push(listener);
    else this.listeners.set(channel, [listener]);
    if (this.connected && this.client && !known) {
      // a new channel on a running connection: until its LISTEN is in, it is not live for it
      const client = this.client;
      client.query(`listen ${channel}`).catch((err: unknown) => this.lost(client, err));
    }
    this.connect();
  }

  private connect(): void {
    if (this.closed || this.connecting || this.client) return;
    const client = new pg.Client({ connectionString: this.databaseUrl });
    client.on('notification', (message) => {
      for (const listener of this.listeners.get(message.channel) ?? []) listener.onChange(message.payload ?? '');
    });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, undefined));
    this.client = client;
    this.connecting = (async () => {
      try {
        await client.connect();
        for (const channel of this.listeners.keys()) await client.query(`listen ${channel}`);
        if (this.client !== client) return;
        this.connected = true;
        this.retryMs = RECONNECT_MIN_MS;
      } catch (err) {
        this.lost(client, err);
      } finally {
        this.connecting = undefined;
      }
    })();
  }

  /** `client` dropped: tell every listener, and reconnect (unless it was already replaced or closed). */
  private lost(client: pg.Client, err: unknown): void {
    if (this.client !== client) return;
    const wasLive = this.connected;
    this.client = undefined;
    this.connected = false;
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    for (const listeners of this.listeners.values()) for (const listener of listeners) listener.onGap();
    if (this.closed) return;
    if (wasLive) logger.warn('change feed connection lost; caches are bypassed until it is back', { error: err instanceof Error ? err.message : String(err ?? 'ended') });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.connect();
    }, this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, RECONNECT_MAX_MS);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.connecting;
    const client = this.client;
    this.client = undefined;
    this.connected = false;
    if (client) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
    }
  }
}

/**
 * The feed for the embedded database: one process holds the data directory (data-dir-lock.ts), so
 * no other process can change anything behind this one's back; whoever writes here tells its own
 * caches directly. Always live; nothing arrives.
 */
export class SingleProcessChangeFeed implements ChangeFeed {
  readonly live = true;
  listen(): void {}
  async close(): Promise<void> {}
}
