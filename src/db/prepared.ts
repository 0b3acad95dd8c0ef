import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Knex } from 'knex';

/**
 * Every data statement runs as a named (prepared) statement: pg parses it once per connection, and
 * PostgreSQL parses, analyses and plans it once per session instead of on every request. Planning a
 * member query with its correlated subqueries cost more than running it for one member, and even a
 * one-row UPDATE spends most of its PostgreSQL time in parse/analyse (bench/, BENCHMARKS.md).
 *
 * The name is a digest of the SQL text, so one name always means one text (pg refuses one name for
 * two texts) and the values, which are bindings, never vary it. Not named: transaction control and
 * DDL (nothing to gain), text holding `;` (a prepared statement is a single command: migrations send
 * several at once), statements with very many bindings (bulk inserts, long IN lists: each length is
 * its own text), and new texts once PREPARED_TEXTS_MAX are known (filters vary; each prepared
 * statement holds memory in every PostgreSQL session that ran it).
 *
 * PGlite (knex-pglite) is a different client and runs statements unnamed.
 */

const PREPARED_TEXTS_MAX = 500;
const PREPARED_BINDINGS_MAX = 64;
const PREPARABLE = /^\s*(select|insert|update|delete|with)\b/i;

const namesByText = new Map<string, string>();

/** The statement name for this SQL text, or undefined when it should run unnamed. */
export function statementName(sql: string, bindingCount: number): string | undefined {
  const known = namesByText.get(sql);
  if (known) return known;
  if (namesByText.size >= PREPARED_TEXTS_MAX || bindingCount > PREPARED_BINDINGS_MAX || sql.includes(';') || !PREPARABLE.test(sql)) return undefined;
  const name = `rc_${createHash('sha1').update(sql).digest('base64url').slice(0, 24)}`;
  namesByText.set(sql, name);
  return name;
}

interface CompiledQuery {
  sql: string;
  bindings?: readonly unknown[];
  options?: Record<string, unknown>;
}

interface PgClientInternals {
  _query(connection: unknown, obj: CompiledQuery): Promise<unknown>;
}

// knex exports its PostgreSQL client only by path; its type is knex's generic Client
const require = createRequire(import.meta.url);
const KnexPgClient = require('knex/lib/dialects/postgres/index.js') as typeof Knex.Client;
const runQuery = (KnexPgClient.prototype as unknown as PgClientInternals)._query;

/** knex's pg client, with every preparable statement named after its text. Use as `client` in the knex config. */
export class PreparingPgClient extends KnexPgClient implements PgClientInternals {
  _query(connection: unknown, obj: CompiledQuery): Promise<unknown> {
    if (obj.sql && !obj.options?.name) {
      const name = statementName(obj.sql, obj.bindings?.length ?? 0);
      if (name) obj.options = { ...obj.options, name };
    }
    return runQuery.call(this, connection, obj);
  }
}

