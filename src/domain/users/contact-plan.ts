import { Invalid, NotFound, show } from '../errors.js';
import { checkContactCount } from '../input-limits.js';

/**
 * Plans a change to a user's list of emails or phones as the rows to delete, update and insert,
 * so that the final list is checked (no duplicates, at least `minimum`, exactly one primary)
 * before a single row is written. Pure: no SQL here.
 */

export interface ExistingContact<F = unknown> {
  id: string;
  /** What makes two entries the same: the lower-cased email, the E.164 number. */
  key: string;
  primary: boolean;
  type: string | null;
  /**
   * Its stored values (the email as written; the number, the value as sent, the country): an entry
   * sent again with the same values is left as it is. Unknown: every entry sent is rewritten.
   */
  fields?: F;
}

export interface IncomingContact<F> {
  id?: string;
  destroy?: boolean;
  primary?: boolean;
  type?: string | null;
  /** The parsed value; absent when only the flags of an existing entry change. */
  value?: { key: string; fields: F };
}

/**
 * merge: nested-attributes semantics (entries with an id are updated or destroyed, others added,
 *        the rest kept). replace: the list becomes exactly the incoming entries (a SCIM PUT);
 *        entries whose value is already there keep their id.
 */
export type ContactChange<F> = { mode: 'merge' | 'replace'; items: IncomingContact<F>[] };

export interface ContactPlan<F> {
  deletes: string[];
  updates: { id: string; changes: Partial<F> & { primary?: boolean; type?: string | null } }[];
  inserts: ({ id: string; primary: boolean; type: string | null } & F)[];
  /** True when a primary flag moves: the store clears the old one before writing. */
  primaryChanges: boolean;
}

interface Entry<F> {
  id: string;
  key: string;
  primary: boolean;
  type: string | null;
  fields?: F;
  isNew: boolean;
  changed: boolean;
  explicitPrimary: boolean;
}

/** True when every incoming value equals the stored one. */
function sameFields<F>(stored: F | undefined, incoming: F): boolean {
  if (stored === undefined) return false;
  return Object.entries(incoming as Record<string, unknown>).every(([k, v]) => (stored as Record<string, unknown>)[k] === v);
}

export function planContacts<F>(
  what: 'email' | 'phone',
  existing: readonly ExistingContact<F>[],
  change: ContactChange<F>,
  options: { minimum: number; newId: () => string },
): ContactPlan<F> {
  const plural = `${what}s`;
  const entries = new Map<string, Entry<F>>(existing.map((e) => [e.id, { ...e, isNew: false, changed: false, explicitPrimary: false }]));
  const byKey = (key: string) => [...entries.values()].find((e) => e.key === key);
  const deletes: string[] = [];
  const touched = new Set<string>();

  change.items.forEach((item, index) => {
    const field = `${plural}[${index}]`;
    let entry: Entry<F> | undefined;
    if (item.id !== undefined) {
      entry = entries.get(item.id);
      if (!entry) throw new NotFound(what, item.id);
      if (item.destroy) {
        entries.delete(item.id);
        deletes.push(item.id);
        return;
      }
    } else if (item.destroy) {
      throw new Invalid(`${field}.id`, `${field}: _destroy needs the id of the ${what} to remove`);
    } else {
      if (!item.value) throw new Invalid(field, `${field}: a new ${what} needs a value`);
      entry = byKey(item.value.key);
      if (entry && touched.has(entry.id)) throw new Invalid(field, `${field}: ${what} ${show(item.value.key)} is listed twice`);
      if (!entry) {
        entry = { id: options.newId(), key: item.value.key, primary: false, type: null, fields: item.value.fields, isNew: true, changed: false, explicitPrimary: false };
        entries.set(entry.id, entry);
      }
    }
    touched.add(entry.id);
    if (item.value && item.value.key !== entry.key) {
      const clash = byKey(item.value.key);
      if (clash && clash.id !== entry.id) throw new Invalid(field, `${field}: ${what} ${show(item.value.key)} is listed twice`);
      entry.key = item.value.key;
      entry.fields = item.value.fields;
      entry.changed = true;
    } else if (item.value && !entry.isNew && !sameFields(entry.fields, item.value.fields)) {
      // same key, a different spelling (phone value as sent, email case)
      entry.fields = item.value.fields;
      entry.changed = true;
    }
    if (item.type !== undefined && item.type !== entry.type) {
      entry.type = item.type;
      entry.changed = true;
    }
    if (item.primary !== undefined) {
      // a write only if it ends up differing from what is stored (settled below)
      entry.primary = item.primary;
      entry.explicitPrimary = item.primary;
    }
  });

  if (change.mode === 'replace') {
    for (const entry of [...entries.values()]) {
      if (!touched.has(entry.id)) {
        entries.delete(entry.id);
        if (!entry.isNew) deletes.push(entry.id);
      }
    }
  }

  const final = [...entries.values()];
  checkContactCount(what, final.length);
  if (final.length < options.minimum) {
    throw new Invalid(plural, options.minimum === 1 ? `a user needs at least one ${what}` : `a user needs at least ${options.minimum} ${plural}`);
  }
  // Exactly one primary: the last one marked primary in this change wins, else the one that was,
  // else the first.
  const marked = final.filter((e) => e.explicitPrimary);
  const winner = marked.at(-1) ?? final.find((e) => e.primary) ?? final[0];
  let primaryChanges = false;
  for (const entry of final) {
    const shouldBe = entry === winner;
    const was = existing.find((e) => e.id === entry.id)?.primary ?? false;
    if (entry.primary !== shouldBe) entry.primary = shouldBe;
    if (!entry.isNew && was !== shouldBe) {
      entry.changed = true;
      primaryChanges = true;
    }
  }

  const updates: ContactPlan<F>['updates'] = [];
  const inserts: ContactPlan<F>['inserts'] = [];
  for (const entry of final) {
    if (entry.isNew) {
      inserts.push({ id: entry.id, primary: entry.primary, type: entry.type, ...(entry.fields as F) });
    } else if (entry.changed) {
      updates.push({ id: entry.id, changes: { ...(entry.fields ?? {}), primary: entry.primary, type: entry.type } as Partial<F> & { primary: boolean; type: string | null } });
    }
  }
  return { deletes, updates, inserts, primaryChanges };
}
