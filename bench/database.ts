import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import { type Database, openDatabase } from '../src/db/database.js';
import { migrateLatest } from '../src/db/migrate.js';
import { createScratchPostgres } from '../test/support/test-database.js';

/**
 * Where a benchmark's data lives: a scratch PostgreSQL database (or DATABASE_URL as given), or a
 * temporary embedded data directory. The server child process gets `env`; dispose() removes what
 * the benchmark created, and nothing else.
 */
export interface BenchDatabase {
  kind: 'postgres' | 'embedded';
  /** Environment for the server: DATABASE_URL or DATA_DIR. */
  env: Record<string, string>;
  /** Where it is, for the report (never a password). */
  describe: string;
  /** Opens the database in this process (migrated), for seeding. Close it before serving embedded. */
  open(): Promise<Database>;
  /** Process ids of the PostgreSQL backends serving this database (none for the embedded one, which runs inside the server). */
  backendPids(): Promise<number[]>;
  dispose(): Promise<void>;
}

const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/test';

export async function benchDatabase(kind: 'postgres' | 'embedded', log: (line: string) => void): Promise<BenchDatabase> {
  if (kind === 'embedded') {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rollcall-bench-'));
    return {
      kind,
      env: { DATA_DIR: dataDir },
      describe: `embedded PGlite in ${dataDir}`,
      open: async () => {
        const database = await openDatabase({ dataDir });
        await migrateLatest(database.knex);
        return database;
      },
      backendPids: async () => [],
      dispose: async () => fs.rmSync(dataDir, { recursive: true, force: true }),
    };
  }

  const given = process.env.DATABASE_URL;
  if (given) {
    const url = new URL(given);
    return {
      kind,
      env: { DATABASE_URL: given },
      describe: `PostgreSQL ${url.hostname}:${url.port || 5432}${url.pathname} (DATABASE_URL, kept)`,
      open: () => openMigrated(given),
      backendPids: () => backendPidsOf(given),
      dispose: async () => {},
    };
  }

  const scratch = await createScratchPostgres(DEFAULT_ADMIN_URL, 'rollcall_bench');
  log(`scratch database ${scratch.name} created`);
  return {
    kind,
    env: { DATABASE_URL: scratch.url },
    describe: `PostgreSQL 127.0.0.1:5432/${scratch.name} (scratch, dropped after)`,
    open: () => openMigrated(scratch.url),
    backendPids: () => backendPidsOf(scratch.url),
    dispose: async () => {
      await scratch.drop();
      log(`scratch database ${scratch.name} dropped`);
    },
  };
}

async function backendPidsOf(databaseUrl: string): Promise<number[]> {
  const probe = knexFactory({ client: 'pg', connection: databaseUrl, pool: { min: 0, max: 1 } });
  try {
    const result = (await probe.raw('select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()')) as { rows: { pid: number }[] };
    return result.rows.map((r) => Number(r.pid));
  } finally {
    await probe.destroy();
  }
}

async function openMigrated(databaseUrl: string): Promise<Database> {
  const database = await openDatabase({ databaseUrl, poolMax: 4 });
  await migrateLatest(database.knex);
  return database;
}

/** The server's PostgreSQL version, for the report. */
export async function serverVersion(database: Database): Promise<string> {
  const rows = (await database.knex.raw('select version() as v')) as { rows: { v: string }[] };
  return rows.rows[0].v.split(' on ')[0];
}
