import { type AttrDef, canonicalUrn, findAttr, type ResourceCatalogue } from './schemas.js';
import { show } from '../domain/errors.js';
import { ScimError } from './errors.js';

/**
 * Puts a resource the client sent into our spelling: attribute names matched without case
 * ("Primary", "Department", "Manager": {"Value"} are what Microsoft sends), unknown attributes
 * dropped (RFC 7644 3.3: the service provider ignores what it does not support), booleans sent as
 * "True"/"False" made booleans, a manager sent as a bare id made {value}, a single complex value
 * where a list belongs made a list. A value of the wrong kind (a number or boolean where a string
 * belongs, too) is 400 invalidValue naming it.
 */

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function coerceValue(def: AttrDef, value: unknown, label: string): unknown {
  if (value === null || value === undefined) return null;
  if (def.multi) {
    const items = Array.isArray(value) ? value : [value];
    return items.filter((i) => i !== null && i !== undefined).map((item, i) => coerceSingle(def, item, `${label}[${i}]`));
  }
  return coerceSingle(def, value, label);
}

function coerceSingle(def: AttrDef, value: unknown, label: string): unknown {
  switch (def.type) {
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) return value.trim().toLowerCase() === 'true';
      throw new ScimError(400, 'invalidValue', `${label} must be true or false, not ${JSON.stringify(value)}`);
    case 'complex': {
      if (typeof value === 'string' && def.sub?.some((s) => s.name === 'value')) return { value };
      if (!isObject(value)) throw new ScimError(400, 'invalidValue', `${label} must be an object, not ${JSON.stringify(value)}`);
      const out: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(value)) {
        const sub = findAttr(def.sub ?? [], key);
        if (sub) out[sub.name] = coerceValue(sub, v, `${label}.${sub.name}`);
      }
      return out;
    }
    default:
      // RFC 7643 says string: a number or boolean is refused, not written as its text (issue 13:
      // {"userName": 123} was taken as "123")
      if (typeof value === 'string') return value;
      throw new ScimError(400, 'invalidValue', `${label} must be a string, not ${show(value)}`);
  }
}

/** The resource in our spelling; `schemas` is kept as sent. */
export function canonicalise(body: unknown, catalogue: ResourceCatalogue): Record<string, unknown> {
  if (!isObject(body)) throw new ScimError(400, 'invalidSyntax', 'The request body must be a JSON object');
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (key.toLowerCase() === 'schemas') {
      out.schemas = value;
      continue;
    }
    if (/^urn:/i.test(key)) {
      const urn = canonicalUrn(catalogue, key);
      if (!urn || value === null) continue;
      if (!isObject(value)) throw new ScimError(400, 'invalidValue', `${key} must be an object`);
      const ext: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        const def = findAttr(catalogue.extensions[urn], k);
        if (def) ext[def.name] = coerceValue(def, v, def.name);
      }
      out[urn] = ext;
      continue;
    }
    const def = findAttr(catalogue.core, key);
    if (def) out[def.name] = coerceValue(def, value, def.name);
  }
  return out;
}
