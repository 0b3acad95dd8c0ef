import { coerceValue } from '../canonical.js';
import { ScimError } from '../errors.js';
import { showPath } from '../filter/ast.js';
import { matchesEntry, pinnedValues } from '../filter/evaluate.js';
import { type AttrDef, canonicalUrn, findAttr, type ResourceCatalogue } from '../schemas.js';
import type { PatchOperation } from './normalise.js';

/**
 * Applies normalised PATCH operations (normalise.ts) to a resource document in memory, following
 * RFC 7644 section 3.5.2 with what the IdPs need on top:
 * - a value path that matches nothing creates the entry its `eq` conditions name, for add and
 *   replace alike (Entra: `emails[type eq "work"].value`, `phoneNumbers[type eq "mobile"].value`);
 * - "" or null as the value of add/replace clears the attribute (Entra clears manager with "");
 * - a remove that matches nothing succeeds; remove of a multi-valued attribute with a value list
 *   removes just those entries.
 * Answers the top-level attributes changed (extension URNs for extension attributes), so the
 * caller sends the domain those alone: a PATCH never clears what it did not name.
 */

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isEmpty = (v: unknown): boolean => v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);

function sameEntry(a: unknown, b: unknown): boolean {
  const va = isObject(a) ? a.value : a;
  const vb = isObject(b) ? b.value : b;
  return va !== undefined && vb !== undefined && String(va).toLowerCase() === String(vb).toLowerCase();
}

interface Target {
  container: Json;
  def: AttrDef;
  /** The top-level key that changes (attribute name or extension URN). */
  touched: string;
  label: string;
}

function resolve(doc: Json, op: PatchOperation, catalogue: ResourceCatalogue, id: unknown): Target | 'ignore' {
  const { path } = op.path;
  let defs = catalogue.core;
  let container = doc;
  let touched: string | undefined;
  if (path.uri && !/:core:2\.0:(User|Group)$/i.test(path.uri)) {
    const urn = canonicalUrn(catalogue, path.uri);
    if (!urn) throw new ScimError(400, 'invalidPath', `${op.pathText}: ${path.uri} is not a schema of this resource`);
    defs = catalogue.extensions[urn];
    // a copy: the document's extension object may be the member's own (see applyPatch)
    doc[urn] = isObject(doc[urn]) ? { ...(doc[urn] as Json) } : {};
    container = doc[urn] as Json;
    touched = urn;
  }
  const def = findAttr(defs, path.attr);
  if (!def) throw new ScimError(400, 'invalidPath', `${op.pathText}: ${showPath(path)} is not an attribute of this resource`);
  if (def.readOnly) {
    // Okta's rename sends {"id", "displayName"} in a pathless replace: the same id changes nothing.
    if (def.name === 'id' && op.op !== 'remove' && op.value === id) return 'ignore';
    if (def.name === 'meta' || def.name === 'groups') return 'ignore';
    throw new ScimError(400, 'mutability', `${op.pathText}: ${def.name} cannot be changed`);
  }
  return { container, def, touched: touched ?? def.name, label: op.pathText };
}

function withoutKey(obj: Json, key: string): Json {
  return Object.fromEntries(Object.entries(obj).filter(([k]) => k !== key));
}

function setOrClear(obj: Json, key: string, value: unknown): void {
  if (isEmpty(value)) delete obj[key];
  else obj[key] = value;
}

/**
 * Changes `doc` itself and nothing it refers to: an attribute that changes is given a new value
 * (a new object or list), so a document built over a member's own objects (its enterprise
 * extension, kept addresses) leaves the member as it was, with no copy of the member first.
 */
export function applyPatch(doc: Json, ops: readonly PatchOperation[], catalogue: ResourceCatalogue): Set<string> {
  const touched = new Set<string>();
  for (const op of ops) {
    const target = resolve(doc, op, catalogue, doc.id);
    if (target === 'ignore') continue;
    const { container, def, label } = target;
    const sub = op.path.path.sub ?? op.path.subAfterFilter;
    const subDef = sub ? findAttr(def.sub ?? [], sub) : undefined;
    if (sub && !subDef) throw new ScimError(400, 'invalidPath', `${label}: ${sub} is not a sub-attribute of ${def.name}`);
    touched.add(target.touched);

    if (op.path.filter) {
      if (!def.multi || def.type !== 'complex') throw new ScimError(400, 'invalidPath', `${label}: only a multi-valued attribute takes a value filter`);
      const list = Array.isArray(container[def.name]) ? (container[def.name] as Json[]) : [];
      const matched = list.filter((e) => matchesEntry(op.path.filter!, e));
      if (op.op === 'remove') {
        container[def.name] = subDef && subDef.name !== 'value'
          ? list.map((e) => (matched.includes(e) ? withoutKey(e, subDef.name) : e))
          : list.filter((e) => !matched.includes(e));
        continue;
      }
      const value = subDef ? coerceValue(subDef, op.value, label) : op.value;
      if (subDef && isEmpty(value)) {
        // clearing `emails[type eq "work"].value` removes that email
        container[def.name] = subDef.name === 'value' ? list.filter((e) => !matched.includes(e)) : list.map((e) => (matched.includes(e) ? withoutKey(e, subDef.name) : e));
        continue;
      }
      const patchEntry = (entry: Json): Json => (subDef ? { ...entry, [subDef.name]: value } : { ...entry, ...(coerceValue({ ...def, multi: false }, value, label) as Json) });
      if (matched.length) {
        container[def.name] = list.map((e) => (matched.includes(e) ? patchEntry(e) : e));
      } else {
        const pinned = pinnedValues(op.path.filter);
        if (!pinned) throw new ScimError(400, 'noTarget', `${label}: no ${def.name} entry matches the filter`);
        container[def.name] = [...list, patchEntry(coerceValue({ ...def, multi: false }, pinned, label) as Json)];
      }
      continue;
    }

    if (subDef) {
      // name.givenName, manager.value; on a multi-valued attribute without a filter: every entry
      if (op.op === 'remove' || isEmpty(op.value)) {
        if (def.multi && Array.isArray(container[def.name])) container[def.name] = (container[def.name] as Json[]).map((e) => withoutKey(e, subDef.name));
        else if (isObject(container[def.name])) container[def.name] = withoutKey(container[def.name] as Json, subDef.name);
        continue;
      }
      const value = coerceValue(subDef, op.value, label);
      if (def.multi) container[def.name] = (Array.isArray(container[def.name]) ? (container[def.name] as Json[]) : []).map((e) => ({ ...e, [subDef.name]: value }));
      else container[def.name] = { ...(isObject(container[def.name]) ? (container[def.name] as Json) : {}), [subDef.name]: value };
      continue;
    }

    if (op.op === 'remove') {
      if (def.multi && op.hasValue && !isEmpty(op.value)) {
        const gone = Array.isArray(op.value) ? op.value : [op.value];
        container[def.name] = (Array.isArray(container[def.name]) ? (container[def.name] as unknown[]) : []).filter((e) => !gone.some((g) => sameEntry(e, g)));
      } else {
        delete container[def.name];
      }
      continue;
    }
    if (isEmpty(op.value)) {
      // "" or null clears (Entra clears a manager with ""); add of an empty list changes nothing
      if (op.op === 'replace' || !def.multi) delete container[def.name];
      continue;
    }
    const value = coerceValue(def, op.value, label);
    if (def.multi) {
      const incoming = (value ?? []) as unknown[];
      if (op.op === 'replace') {
        setOrClear(container, def.name, incoming);
      } else {
        const current = Array.isArray(container[def.name]) ? (container[def.name] as unknown[]) : [];
        const merged = [...current];
        for (const item of incoming) {
          const at = merged.findIndex((e) => sameEntry(e, item));
          if (at >= 0) merged[at] = isObject(merged[at]) && isObject(item) ? { ...(merged[at] as Json), ...item } : item;
          else merged.push(item);
        }
        container[def.name] = merged;
      }
      if (def.sub?.some((s) => s.name === 'primary')) {
        // at most one primary: the last one marked wins
        const list = (container[def.name] ?? []) as Json[];
        const last = list.map((e) => e.primary === true).lastIndexOf(true);
        container[def.name] = list.map((e, i) => (e.primary === true && i !== last ? { ...e, primary: false } : e));
      }
    } else if (def.type === 'complex' && isObject(value)) {
      const merged: Json = { ...(isObject(container[def.name]) ? (container[def.name] as Json) : {}) };
      for (const [k, v] of Object.entries(value)) setOrClear(merged, k, v);
      container[def.name] = merged;
    } else {
      setOrClear(container, def.name, value);
    }
  }
  return touched;
}
