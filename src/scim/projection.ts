/**
 * attributes / excludedAttributes (RFC 7644 section 3.4.2.5) on a resource we built. Paths are
 * matched without case: "userName", "name.givenName", "emails" (a filter after it, as in
 * `emails[type eq "work"]`, selects the attribute), an extension URN alone or followed by
 * ":attribute". id and schemas are always returned; password never is (we never put it in).
 */

type Json = Record<string, unknown>;

interface Selector {
  top: string;
  sub?: string;
}

function selectorOf(path: string, doc: Json): Selector | undefined {
  const text = path.trim().replace(/\[.*\]$/, '').replace(/\[.*\]\./, '.');
  if (text === '') return undefined;
  const lower = text.toLowerCase();
  if (lower.startsWith('urn:')) {
    const ext = Object.keys(doc).find((k) => k.toLowerCase().startsWith('urn:') && (lower === k.toLowerCase() || lower.startsWith(`${k.toLowerCase()}:`)));
    if (!ext) return undefined;
    const rest = text.slice(ext.length + 1);
    return { top: ext, sub: rest === '' ? undefined : rest.split('.')[0] };
  }
  const [top, sub] = text.split('.');
  const key = Object.keys(doc).find((k) => k.toLowerCase() === top.toLowerCase());
  return key ? { top: key, sub } : undefined;
}

function pick(value: unknown, sub: string): unknown {
  const lower = sub.toLowerCase();
  const one = (v: unknown) => {
    if (typeof v !== 'object' || v === null) return undefined;
    const key = Object.keys(v).find((k) => k.toLowerCase() === lower);
    return key === undefined ? undefined : { [key]: (v as Json)[key] };
  };
  if (Array.isArray(value)) return value.map(one).filter((v) => v !== undefined);
  return one(value);
}

function merge(into: Json, key: string, part: unknown): void {
  if (part === undefined) return;
  const current = into[key];
  if (Array.isArray(part) && Array.isArray(current)) into[key] = part.map((p, i) => ({ ...(current[i] as Json), ...(p as Json) }));
  else if (typeof part === 'object' && part !== null && !Array.isArray(part) && typeof current === 'object' && current !== null) into[key] = { ...(current as Json), ...(part as Json) };
  else into[key] = part;
}

export function splitList(value: unknown): string[] | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const items = Array.isArray(value) ? value.map(String) : String(value).split(/,(?![^[]*\])/);
  const cleaned = items.map((s) => s.trim()).filter(Boolean);
  return cleaned.length ? cleaned : undefined;
}

export function project(doc: Json, attributes: string[] | undefined, excluded: string[] | undefined): Json {
  if (attributes?.length) {
    const out: Json = { schemas: doc.schemas, id: doc.id };
    for (const path of attributes) {
      const sel = selectorOf(path, doc);
      if (!sel || doc[sel.top] === undefined) continue;
      if (sel.sub) merge(out, sel.top, pick(doc[sel.top], sel.sub));
      else out[sel.top] = doc[sel.top];
    }
    return out;
  }
  if (excluded?.length) {
    const out: Json = { ...doc };
    for (const path of excluded) {
      const sel = selectorOf(path, doc);
      if (!sel || sel.top === 'id' || sel.top === 'schemas') continue;
      if (!sel.sub) {
        delete out[sel.top];
      } else if (typeof out[sel.top] === 'object' && out[sel.top] !== null && !Array.isArray(out[sel.top])) {
        const copy = { ...(out[sel.top] as Json) };
        const key = Object.keys(copy).find((k) => k.toLowerCase() === sel.sub!.toLowerCase());
        if (key) delete copy[key];
        out[sel.top] = copy;
      }
    }
    return out;
  }
  return doc;
}

/** Whether the projection keeps an attribute at all (to skip loading a group's members). */
export function keepsAttribute(name: string, attributes: string[] | undefined, excluded: string[] | undefined): boolean {
  const lower = name.toLowerCase();
  const top = (p: string) => p.trim().toLowerCase().split(/[.[]/)[0];
  if (attributes?.length) return attributes.some((a) => top(a) === lower);
  if (excluded?.length) return !excluded.some((a) => a.trim().toLowerCase() === lower);
  return true;
}
