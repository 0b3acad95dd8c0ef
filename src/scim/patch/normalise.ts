import type { PatchPath } from '../filter/ast.js';
import { FilterSyntaxError, parsePatchPath } from '../filter/parser.js';
import { ScimError } from '../errors.js';
import { canonicalUrn, type ResourceCatalogue } from '../schemas.js';

/**
 * PatchOp messages as Okta and Entra ID really send them, reduced to one shape:
 * - op in any case ("Add", "Replace", "Remove": Entra's default);
 * - a pathless add/replace becomes one operation per key of its value, where a key may itself be
 *   an attribute path ("name.givenName", "urn:...:enterprise:2.0:User:employeeNumber": Entra with
 *   aadOptscim062020) or an extension URN whose object holds several attributes;
 * - paths parsed once (`emails[type eq "work"].value`), a bad one is 400 invalidPath.
 * Values are coerced against the attribute's definition when applied (apply-user.ts, group-patch.ts).
 *
 * scimmy's own PATCH cannot be used: it reads the whole resource, applies the operations in memory
 * and hands the result to the write handler, which then cannot tell a PATCH from a PUT, and it
 * rejects "True"/"False", a bare-string manager and Add on a value path that matches nothing.
 */

export type PatchOpName = 'add' | 'replace' | 'remove';

export interface PatchOperation {
  op: PatchOpName;
  /** Absent only for a pathless op whose value could not be split (never for remove). */
  path: PatchPath;
  /** The path as written, for messages. */
  pathText: string;
  value?: unknown;
  /** The value field was present in the message (null and "" mean "clear"). */
  hasValue: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parsePath(text: string): PatchPath {
  try {
    return parsePatchPath(text);
  } catch (err) {
    if (err instanceof FilterSyntaxError) throw new ScimError(400, 'invalidPath', `path ${JSON.stringify(text)} is not valid: ${err.message}`);
    throw err;
  }
}

function field(obj: Record<string, unknown>, name: string): unknown {
  const key = Object.keys(obj).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : obj[key];
}

export function normalisePatch(body: unknown, catalogue: ResourceCatalogue): PatchOperation[] {
  if (!isObject(body)) throw new ScimError(400, 'invalidSyntax', 'The request body must be a PatchOp message');
  const schemas = field(body, 'schemas');
  if (schemas !== undefined && (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === 'urn:ietf:params:scim:api:messages:2.0:patchop'))) {
    throw new ScimError(400, 'invalidSyntax', 'schemas must be ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]');
  }
  const operations = field(body, 'Operations');
  if (!Array.isArray(operations) || operations.length === 0) throw new ScimError(400, 'invalidSyntax', 'Operations must be a non-empty list of operations');

  const out: PatchOperation[] = [];
  operations.forEach((raw, index) => {
    if (!isObject(raw)) throw new ScimError(400, 'invalidSyntax', `Operations[${index}] must be an object`);
    const opText = field(raw, 'op');
    const op = typeof opText === 'string' ? opText.trim().toLowerCase() : '';
    if (op !== 'add' && op !== 'replace' && op !== 'remove') {
      throw new ScimError(400, 'invalidSyntax', `Operations[${index}].op ${JSON.stringify(opText)} is not add, replace or remove`);
    }
    const pathText = field(raw, 'path');
    const hasValue = Object.keys(raw).some((k) => k.toLowerCase() === 'value');
    const value = field(raw, 'value');
    if (pathText !== undefined && pathText !== null && typeof pathText !== 'string') throw new ScimError(400, 'invalidPath', `Operations[${index}].path must be a string`);

    if (typeof pathText === 'string' && pathText.trim() !== '') {
      if (op !== 'remove' && !hasValue) throw new ScimError(400, 'invalidSyntax', `Operations[${index}]: ${op} needs a value`);
      out.push({ op, path: parsePath(pathText.trim()), pathText: pathText.trim(), value, hasValue });
      return;
    }
    if (op === 'remove') throw new ScimError(400, 'noTarget', `Operations[${index}]: remove needs a path`);
    if (!isObject(value)) throw new ScimError(400, 'invalidSyntax', `Operations[${index}]: ${op} without a path needs an object value`);
    for (const [key, v] of Object.entries(value)) {
      if (key.toLowerCase() === 'schemas') continue;
      const urn = canonicalUrn(catalogue, key);
      if (urn) {
        if (!isObject(v)) throw new ScimError(400, 'invalidValue', `${key} must be an object`);
        for (const [sub, subValue] of Object.entries(v)) out.push({ op, path: parsePath(`${urn}:${sub}`), pathText: `${urn}:${sub}`, value: subValue, hasValue: true });
        continue;
      }
      out.push({ op, path: parsePath(key), pathText: key, value: v, hasValue: true });
    }
  });
  return out;
}
