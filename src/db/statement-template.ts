import knexFactory, { type Knex } from 'knex';
import { logger } from '../log.js';
import type { Queryable } from './database.js';

/**
 * A query built with knex once, run many times with new values: knex compiles a builder to SQL on
 * every run (~35 µs for a member query with its subqueries, a tenth of a lookup's server CPU;
 * bench/, BENCHMARKS.md), though for the statements on an identity provider's hot path only the
 * values change.
 *
 *   const byId = statementTemplate((p) => memberQuery(p.knex, p('accountId')).where('au.id', p('id')));
 *   const rows = await byId.run(q, { accountId, id });
 *
 * `p(name)` stands for a value given at run time; anything else the builder binds (a literal, a
 * limit) is kept as compiled. The SQL is compiled once, with no connection (knex's PostgreSQL
 * dialect), and run as knex.raw on the connection or transaction given, so it runs prepared on
 * PostgreSQL like every other statement (prepared.ts).
 */

export type Placeholder = ((name: string) => string) & { knex: Knex };

export interface StatementTemplate<V extends Record<string, unknown>> {
  readonly sql: string;
  run(q: Queryable, values: V): Promise<Record<string, unknown>[]>;
}

// compiles only: knex needs no connection for toSQL()
const compiler = knexFactory({ client: 'pg' });

/** Marks a placeholder's binding: a string no caller would bind as a value. */
const MARK = '\u0000rollcall-placeholder:';

export function statementTemplate<V extends Record<string, unknown>>(build: (p: Placeholder) => Knex.QueryBuilder | Knex.Raw): StatementTemplate<V> {
  const p = Object.assign((name: string) => `${MARK}${name}`, { knex: compiler });
  const compiled = build(p).toSQL();
  const sql = compiled.sql;
  const bindings = compiled.bindings as readonly unknown[];
  // knex.raw reads every `?` as a binding (and `??` as an identifier): the compiled text must hold
  // exactly one `?` per binding, or values would land in the wrong places
  const marks = sql.match(/\?\??/g) ?? [];
  if (marks.length !== bindings.length || marks.some((m) => m !== '?')) {
    throw new Error(`statement template: the SQL holds ${marks.length} binding marks for ${bindings.length} bindings: ${sql.slice(0, 200)}`);
  }
  type Slot = { kind: 'value'; name: string } | { kind: 'literal'; value: unknown };
  const slots = bindings.map((b): Slot => (typeof b === 'string' && b.startsWith(MARK) ? { kind: 'value', name: b.slice(MARK.length) } : { kind: 'literal', value: b }));
  return {
    sql,
    async run(q, values) {
      const args = slots.map((slot) => {
        if (slot.kind === 'literal') return slot.value;
        if (!(slot.name in values)) throw new Error(`statement template: no value for ${slot.name}`);
        return values[slot.name];
      });
      const result = (await q.raw(sql, args as Knex.RawBinding[])) as { rows: Record<string, unknown>[] };
      return result.rows;
    },
  };
}

/**
 * Templates of queries whose text varies with a shape (a filter, an order), by a key the caller
 * builds from everything that varies the text. Bounded: past `max` shapes (or for a text a
 * template cannot hold), `get` answers undefined and the caller builds its query as usual.
 */
export class StatementTemplates {
  private readonly byShape = new Map<string, StatementTemplate<Record<string, unknown>>>();

  constructor(private readonly max: number) {}

  get(shape: string, build: (p: Placeholder) => Knex.QueryBuilder | Knex.Raw): StatementTemplate<Record<string, unknown>> | undefined {
    const known = this.byShape.get(shape);
    if (known || this.byShape.size >= this.max) return known;
    let template: StatementTemplate<Record<string, unknown>>;
    try {
      template = statementTemplate<Record<string, unknown>>(build);
    } catch (err) {
      // a text knex.raw cannot take back (a `?` that is not a binding): built per request instead
      logger.warn('statement template refused', { shape: shape.slice(0, 200), error: err instanceof Error ? err.message : String(err) });
      return undefined;
    }
    this.byShape.set(shape, template);
    return template;
  }
}
