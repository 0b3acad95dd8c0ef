import type { Knex } from 'knex';

/**
 * Bulk inserts for benchmark seeding: many rows per statement, in chunks, inside one transaction
 * per chunk. Only the benchmark uses this store; the app writes through its domain services.
 */
const CHUNK = 2_000;

export async function insertInChunks(knex: Knex, table: string, rows: readonly Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    await knex(table).insert(rows.slice(i, i + CHUNK));
  }
}

export async function analyze(knex: Knex): Promise<void> {
  await knex.raw('analyze');
}
