import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
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
  const name = `rollcall_test_${randomBytes(6).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: adminUrl, pool: { min: 0, max: 1 } });
  await admin.raw(`create database ${name}`);
  await admin.destroy();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: url.toString(), poolMax: 20 });
  await migrateLatest(database.knex);
  return {
    ...database,
    close: async () => {
      await database.close();
      const dropper = knexFactory({ client: 'pg', connection: adminUrl, pool: { min: 0, max: 1 } });
      await dropper.raw(`drop database if exists ${name} with (force)`);
      await dropper.destroy();
    },
  };
}

export const onPostgres = (): boolean => !!process.env.TEST_DATABASE_URL;
