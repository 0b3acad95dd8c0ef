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

/**
 * VACUUM ANALYZE, not ANALYZE alone: a table in service has its visibility map kept set by
 * autovacuum, so its index-only scans (counts, the skip of an offset) read no heap pages. Freshly
 * bulk-inserted rows are not all-visible until vacuumed, and a benchmark run right after seeding
 * would measure heap fetches a running service does not do.
 */
export async function analyze(knex: Knex): Promise<void> {
  await knex.raw('vacuum analyze');
}
