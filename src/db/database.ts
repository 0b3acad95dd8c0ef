import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import pg from 'pg';
import { logger } from '../log.js';
import { type ChangeFeed, PostgresChangeFeed, SingleProcessChangeFeed } from './change-feed.js';
import { acquireDataDirLock, type DataDirLock } from './data-dir-lock.js';
import { PreparingPgClient } from './prepared.js';

// bigint (count(*), sequences) comes back from pg as a string but from PGlite as a number:
// make pg give numbers too, so no caller can tell the two backends apart.
pg.types.setTypeParser(20, (value: string) => Number(value));

export type Db = Knex;
export type Queryable = Knex | Knex.Transaction;

export interface Database {
  knex: Knex;
  kind: 'postgres' | 'pglite';
  /** Where the data lives, for log lines: a host/database or a directory. Never a password. */
  describe: string;
  /** Changes committed by any process on this database, for in-process caches (change-feed.ts). */
  changes: ChangeFeed;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** postgres:// URL. When absent, the embedded database is used. */
  databaseUrl?: string;
  /** Where the change feed's LISTEN connection goes (config.ts listenUrl); databaseUrl unless given. */
  listenUrl?: string;
  /** Directory of the embedded database. Ignored with databaseUrl. */
  dataDir?: string;
  /** Embedded database in memory (tests). */
  inMemory?: boolean;
  /** Connection pool size for PostgreSQL. */
  poolMax?: number;
  /**
   * DATABASE_STATEMENT_TIMEOUT_MS when serving: PostgreSQL cancels any statement running longer
   * (57014, which every adapter answers 503 + Retry-After), so no request holds a connection for
   * long. 0 or absent: none (migrations and the CLI). PGlite runs in this process and has no timer
   * to cancel with: it ignores the setting.
   */
  statementTimeoutMs?: number;
}

export function describeUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  return `postgres://${url.hostname}:${url.port || 5432}${url.pathname}`;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.databaseUrl) {
    const knex = knexFactory({
      // statements run prepared, named after their text (prepared.ts)
      client: PreparingPgClient,
      // statement_timeout is sent as a startup parameter: set on every connection, no extra round trip
      connection: { connectionString: options.databaseUrl, statement_timeout: options.statementTimeoutMs || false },
      pool: { min: 0, max: options.poolMax ?? 10 },
      acquireConnectionTimeout: 5_000,
      // knex prints to the console by default; keep its messages in our JSON log lines
      log: {
        // the first line: knex hands over errors with their stack, which a log line does not need
        warn: (message: unknown) => logger.warn('knex', { detail: String(message).split('\n')[0] }),
        error: (message: unknown) => logger.warn('knex', { detail: String(message).split('\n')[0] }),
        deprecate: (message: unknown) => logger.debug('knex', { detail: String(message) }),
        debug: (message: unknown) => logger.debug('knex', { detail: String(message) }),
      },
    });
    const changes = new PostgresChangeFeed(options.listenUrl ?? options.databaseUrl);
    return {
      knex,
      kind: 'postgres',
      describe: describeUrl(options.databaseUrl),
      changes,
      close: async () => {
        await changes.close();
        await knex.destroy();
      },
    };
  }

  let lock: DataDirLock | undefined;
  let connection: { filename?: string } = {};
  let describe = 'embedded (in memory)';
  if (!options.inMemory) {
    const dataDir = path.resolve(options.dataDir ?? './data');
    fs.mkdirSync(dataDir, { recursive: true });
    // PGlite has no lock across processes: two processes on one directory would lose writes.
    lock = acquireDataDirLock(dataDir);
    connection = { filename: path.join(dataDir, 'pgdata') };
    describe = `embedded (${dataDir})`;
  }
  try {
    // knex-pglite keeps exactly one connection: a query on `knex` issued inside a transaction
    // callback waits for that connection forever. Stores therefore always take the transaction.
    const knex = knexFactory({ client: ClientPgLite, dialect: 'postgres', connection: connection as Knex.StaticConnectionConfig });
    await knex.raw('select 1');
    return {
      knex,
      kind: 'pglite',
      describe,
      changes: new SingleProcessChangeFeed(),
      close: async () => {
        await knex.destroy();
        lock?.release();
      },
    };
  } catch (err) {
    lock?.release();
    throw err;
  }
}

/** True when the database answers a trivial query within `timeoutMs`. */
export async function pingDatabase(knex: Knex, timeoutMs = 2_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      knex.raw('select 1').then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
