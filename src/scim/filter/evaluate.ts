import type { Filter, FilterValue } from './ast.js';

/**
 * Evaluates a value filter against one entry of a multi-valued attribute already in memory
 * (`emails[type eq "work"]` in a PATCH path: the entry is one email). Strings compare without
 * case, as the sub-attributes PATCH paths name (value, type, display) are not caseExact.
 * Lists are never filtered this way: that is the database's job (to-condition.ts).
 */

function field(entry: Record<string, unknown>, name: string): unknown {
  const lower = name.toLowerCase();
  const key = Object.keys(entry).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : entry[key];
}

function norm(v: unknown): unknown {
  return typeof v === 'string' ? v.toLowerCase() : v;
}

function compare(actual: unknown, op: string, expected: FilterValue): boolean {
  if (expected === null) return op === 'eq' ? actual === undefined || actual === null : op === 'ne' ? actual !== undefined && actual !== null : false;
  if (actual === undefined || actual === null) return op === 'ne';
  let a = norm(actual);
  let e = norm(expected);
  if (typeof a === 'boolean' && typeof e === 'string' && /^(true|false)$/.test(e)) e = e === 'true';
  if (typeof e === 'boolean' && typeof a === 'string' && /^(true|false)$/.test(a)) a = a === 'true';
  switch (op) {
    case 'eq':
      return a === e;
    case 'ne':
      return a !== e;
    case 'co':
      return String(a).includes(String(e));
    case 'sw':
      return String(a).startsWith(String(e));
    case 'ew':
      return String(a).endsWith(String(e));
    case 'gt':
      return (a as string) > (e as string);
    case 'ge':
      return (a as string) >= (e as string);
    case 'lt':
      return (a as string) < (e as string);
    case 'le':
      return (a as string) <= (e as string);
    default:
      return false;
  }
}

export function matchesEntry(filter: Filter, entry: unknown): boolean {
  const obj: Record<string, unknown> = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>) : { value: entry };
  switch (filter.type) {
    case 'and':
      return matchesEntry(filter.left, obj) && matchesEntry(filter.right, obj);
    case 'or':
      return matchesEntry(filter.left, obj) || matchesEntry(filter.right, obj);
    case 'not':
      return !matchesEntry(filter.filter, obj);
    case 'present': {
      const v = field(obj, filter.path.attr);
      return v !== undefined && v !== null && v !== '';
    }
    case 'compare':
      return compare(field(obj, filter.path.attr), filter.op, filter.value);
    case 'valuePath':
      return false;
  }
}

/** The sub-attribute values an `eq`-only filter pins (`type eq "work" and primary eq true`), to create the entry it names; undefined when the filter says more than that. */
export function pinnedValues(filter: Filter): Record<string, FilterValue> | undefined {
  if (filter.type === 'compare' && filter.op === 'eq' && !filter.path.sub && !filter.path.uri) return { [filter.path.attr]: filter.value };
  if (filter.type === 'and') {
    const left = pinnedValues(filter.left);
    const right = pinnedValues(filter.right);
    return left && right ? { ...left, ...right } : undefined;
  }
  return undefined;
}
