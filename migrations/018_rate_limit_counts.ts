import type { Knex } from 'knex';

/**
 * Per-token request counts for the rate limits (issue 13), kept in the database so that several
 * instances behind one database share one budget: one row per key (e.g. "scim:stok_...") and fixed
 * window. Each instance adds what it counted since its last sync and reads the total back, in one
 * statement, a few times a second (domain/limits/rate-limiter.ts): no database work per request.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('rate_limit_counts', (t) => {
    t.text('key').notNullable();
    t.timestamp('window_start', { useTz: true }).notNullable();
    t.integer('count').notNullable();
    t.primary(['key', 'window_start']);
    t.index(['window_start']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('rate_limit_counts');
}

/** What down() loses, said by `rollcall migrate --rollback` before it runs: no data (this minute's request counts). */
export const dropsData = false;
