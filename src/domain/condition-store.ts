import { Invalid, show } from './errors.js';
import type { Condition, ConditionValue } from './query.js';

/**
 * Compiles a Condition (query.ts) into a parameterised SQL predicate for the stores. Only the
 * stores call it; the field names a condition may use, and the SQL behind each, are theirs.
 * Text compares ignore case unless the field is caseExact (lower(col) = lower(value), which the
 * lower(...) indexes serve); co/sw/ew become LIKE with the pattern characters escaped.
 */

export interface FieldSpec {
  /** The SQL expression, over the store's table aliases. */
  sql: string;
  type: 'text' | 'boolean' | 'timestamp' | 'number';
  caseExact?: boolean;
  /** The collection the field belongs to: compiled inside an EXISTS over that collection. */
  collection?: string;
}

export interface ConditionSchema {
  /** The field named in error messages ("filter"). */
  what: string;
  fields: Record<string, FieldSpec>;
  /** collection -> the SELECT that finds its rows for the current row, e.g. `select 1 from user_emails e where e.user_id = u.id`. */
  collections: Record<string, string>;
}

export interface CompiledCondition {
  sql: string;
  bindings: (string | number | boolean | Date)[];
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export function compileCondition(condition: Condition, schema: ConditionSchema): CompiledCondition {
  const bindings: CompiledCondition['bindings'] = [];
  const invalid = (message: string): never => {
    throw new Invalid(schema.what, message);
  };

  const fieldOf = (name: string, inside: string | undefined): FieldSpec => {
    const spec = schema.fields[name];
    if (!spec) invalid(`${schema.what}: ${show(name)} cannot be filtered on`);
    if (inside !== undefined && spec!.collection !== inside) invalid(`${schema.what}: ${show(name)} is not a field of ${inside}`);
    return spec!;
  };

  const typed = (spec: FieldSpec, name: string, value: ConditionValue): string | number | boolean | Date => {
    switch (spec.type) {
      case 'boolean':
        if (typeof value === 'boolean') return value;
        if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
        return invalid(`${schema.what}: ${name} is true or false, not ${show(value)}`);
      case 'timestamp': {
        const date = typeof value === 'string' ? new Date(value) : undefined;
        if (!date || Number.isNaN(date.getTime())) invalid(`${schema.what}: ${name} needs a date and time such as "2024-01-31T12:00:00Z", not ${show(value)}`);
        return date!;
      }
      case 'number':
        if (typeof value !== 'number') invalid(`${schema.what}: ${name} is a number, not ${show(value)}`);
        return value as number;
      case 'text':
        if (typeof value === 'boolean' || typeof value === 'number') return String(value);
        return value as string;
    }
  };

  const compare = (c: Extract<Condition, { kind: 'compare' }>, spec: FieldSpec): string => {
    if (c.value === null) {
      if (c.op === 'eq') return `${spec.sql} is null`;
      if (c.op === 'ne') return `${spec.sql} is not null`;
      invalid(`${schema.what}: ${c.op} needs a value other than null`);
    }
    if ((spec.type === 'boolean' && c.op !== 'eq' && c.op !== 'ne') || (spec.type !== 'text' && ['co', 'sw', 'ew'].includes(c.op))) {
      invalid(`${schema.what}: ${c.op} does not apply to ${c.field}`);
    }
    const value = typed(spec, c.field, c.value);
    const folded = spec.type === 'text' && !spec.caseExact;
    const column = folded ? `lower(${spec.sql})` : spec.sql;
    const text = folded ? String(value).toLowerCase() : value;
    switch (c.op) {
      case 'eq':
        bindings.push(text);
        return `${column} = ?`;
      case 'ne':
        bindings.push(text);
        return `(${spec.sql} is null or ${column} <> ?)`;
      case 'co':
      case 'sw':
      case 'ew': {
        const escaped = escapeLike(String(text));
        bindings.push(c.op === 'co' ? `%${escaped}%` : c.op === 'sw' ? `${escaped}%` : `%${escaped}`);
        return `${column} like ? escape '\\'`;
      }
      default:
        bindings.push(text);
        return `${column} ${{ gt: '>', ge: '>=', lt: '<', le: '<=' }[c.op]} ?`;
    }
  };

  const exists = (collection: string, predicate: string | undefined): string => {
    const select = schema.collections[collection];
    if (!select) invalid(`${schema.what}: ${show(collection)} cannot be filtered on`);
    return `exists (${select}${predicate ? ` and (${predicate})` : ''})`;
  };

  const walk = (c: Condition, inside: string | undefined): string => {
    switch (c.kind) {
      case 'and':
      case 'or':
        if (c.conditions.length === 0) return c.kind === 'and' ? 'true' : 'false';
        return `(${c.conditions.map((x) => walk(x, inside)).join(` ${c.kind} `)})`;
      case 'not':
        return `not (${walk(c.condition, inside)})`;
      case 'some':
        if (inside !== undefined) invalid(`${schema.what}: a value filter cannot be nested in another`);
        return exists(c.collection, c.where ? walk(c.where, c.collection) : undefined);
      case 'present':
      case 'compare': {
        const spec = fieldOf(c.field, inside);
        const predicate = c.kind === 'present' ? (spec.type === 'text' ? `(${spec.sql} is not null and ${spec.sql} <> '')` : `${spec.sql} is not null`) : compare(c, spec);
        return spec.collection && inside === undefined ? exists(spec.collection, predicate) : predicate;
      }
    }
  };

  return { sql: walk(condition, undefined), bindings };
}

/** ORDER BY for a sort field: case-folded for text, missing values last, then the stable tie-breakers. */
export function orderBySql(spec: FieldSpec | undefined, descending: boolean, tieBreakers: string[]): string {
  const keys: string[] = [];
  if (spec) {
    if (spec.collection) throw new Invalid('sortBy', 'sortBy: a multi-valued attribute cannot be sorted on');
    keys.push(`${spec.type === 'text' && !spec.caseExact ? `lower(${spec.sql})` : spec.sql} ${descending ? 'desc' : 'asc'} nulls last`);
  }
  return [...keys, ...tieBreakers.map((t) => `${t} ${descending && !spec ? 'desc' : 'asc'}`)].join(', ');
}
