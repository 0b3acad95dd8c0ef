/**
 * Reading request bodies and queries: only permitted parameters are taken, each of the type it
 * must be. A wrong type is a BadRequest naming the field; rules on values are the domain's.
 */
export class BadRequest extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'BadRequest';
  }
}

export type Params = Record<string, unknown>;

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

export function object(value: unknown, field: string): Params {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BadRequest(field, `${field} must be an object, not ${typeName(value)}`);
  }
  return value as Params;
}

export function optObject(params: Params, key: string, field = key): Params | undefined {
  return params[key] === undefined ? undefined : object(params[key], field);
}

export function optString(params: Params, key: string, field = key): string | undefined {
  const value = params[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new BadRequest(field, `${field} must be a string, not ${typeName(value)}`);
  return value;
}

/** A string that may be cleared with null. */
export function optNullableString(params: Params, key: string, field = key): string | null | undefined {
  return params[key] === null ? null : optString(params, key, field);
}

export function optBoolean(params: Params, key: string, field = key): boolean | undefined {
  const value = params[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new BadRequest(field, `${field} must be true or false, not ${typeName(value)}`);
  return value;
}

export function optArray(params: Params, key: string, field = key): unknown[] | undefined {
  const value = params[key];
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw new BadRequest(field, `${field} must be an array, not ${typeName(value)}`);
  return value;
}

export function optStringArray(params: Params, key: string, field = key): string[] | undefined {
  return optArray(params, key, field)?.map((item, i) => {
    if (typeof item !== 'string') throw new BadRequest(`${field}[${i}]`, `${field}[${i}] must be a string, not ${typeName(item)}`);
    return item;
  });
}

/** Rails-style nested attributes: an array of objects, or an object keyed by index. */
export function optNestedList(params: Params, key: string, field = key): Params[] | undefined {
  const value = params[key];
  if (value === undefined) return undefined;
  const items = Array.isArray(value) ? value : typeof value === 'object' && value !== null ? Object.values(value) : undefined;
  if (!items) throw new BadRequest(field, `${field} must be an array of objects, not ${typeName(value)}`);
  return items.map((item, i) => object(item, `${field}[${i}]`));
}

/** Rails accepts _destroy as true, 1, "1" or "true". */
export function destroyFlag(params: Params, field: string): boolean {
  const value = params._destroy;
  if (value === undefined || value === false || value === 0 || value === '0' || value === 'false') return false;
  if (value === true || value === 1 || value === '1' || value === 'true') return true;
  throw new BadRequest(`${field}._destroy`, `${field}._destroy must be true or false`);
}

/** A whole number from a query string. */
export function queryInteger(query: Params, key: string, min: number, max: number): number | undefined {
  const raw = query[key];
  if (raw === undefined || raw === '') return undefined;
  const value = typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new BadRequest(key, `${key} must be a whole number from ${min} to ${max}, not ${JSON.stringify(raw)}`);
  }
  return value;
}
