import { randomBytes } from 'node:crypto';
import knexFactory, { type Knex } from 'knex';
import { type Database, openDatabase } from '../../src/db/database.js';
import { migrateLatest } from '../../src/db/migrate.js';

/**
 * A fresh, migrated database for one test file: embedded PGlite in memory by default, or a new
 * PostgreSQL database (dropped afterwards) when TEST_DATABASE_URL is set.
 */
export async function openTestDatabase(): Promise<Database> {
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    const database = await openDatabase({ inMemory: true });
    await migrateLatest(database.knex);
    return database;
  }
  const scratch = await createScratchPostgres(adminUrl);
  const database = await openDatabase({ databaseUrl: scratch.url, poolMax: 20 });
  await migrateLatest(database.knex);
  return {
    ...database,
    close: async () => {
      await database.close();
      await scratch.drop();
    },
  };
}

/** A new, empty PostgreSQL database next to the one `adminUrl` names; drop() removes it. The benchmarks use it too. */
export async function createScratchPostgres(adminUrl: string, prefix = 'rollcall_test'): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: adminUrl, pool: { min: 0, max: 1 } });
  try {
    await admin.raw(`create database ${name}`);
  } finally {
    await admin.destroy();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: async () => {
      const dropper = knexFactory({ client: 'pg', connection: adminUrl, pool: { min: 0, max: 1 } });
      try {
        await dropper.raw(`drop database if exists ${name} with (force)`);
      } finally {
        await dropper.destroy();
      }
    },
  };
}

export const onPostgres = (): boolean => !!process.env.TEST_DATABASE_URL;

/**
 * Waits until at least `count` statements on this PostgreSQL database wait for a lock (a request
 * lined up behind a transaction the test holds open); fails after ~10 s.
 */
export async function waitForLockWaiters(knex: Knex, count = 1): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const rows = (await knex.raw(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)).rows as { n: number }[];
    if (rows[0].n >= count) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`never saw ${count} statement(s) wait for a lock`);
}
