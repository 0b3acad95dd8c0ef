import { createHash } from 'node:crypto';
import type { Knex } from 'knex';

/**
 * Names a statement after its shape, so that pg prepares it once per connection and PostgreSQL
 * parses and plans it once instead of on every request (planning a member query with its
 * correlated subqueries costs more than running it for one member: bench/, BENCHMARKS.md).
 *
 * The shape must determine the SQL text (pg refuses one name for two texts): the caller builds it
 * from everything that varies the text, never from values, which are bindings. Bounded: shapes
 * past the first few hundred (filters vary) go unnamed. knex-pglite ignores the name.
 */
const PREPARED_SHAPES_MAX = 300;
const preparedShapes = new Set<string>();

export function reusePlan<T extends Knex.QueryBuilder>(builder: T, shape: string): T {
  const name = `rc_${createHash('sha1').update(shape).digest('base64url').slice(0, 24)}`;
  if (preparedShapes.has(name) || preparedShapes.size < PREPARED_SHAPES_MAX) {
    preparedShapes.add(name);
    builder.options({ name });
  }
  return builder;
}
