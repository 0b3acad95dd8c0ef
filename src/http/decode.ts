/**
 * What every adapter refuses before a request reaches the domain, said once (issue 13). Each
 * adapter has its own decode step (scim/decode.ts, api/decode.ts, web/decode.ts) that calls these
 * and answers in its own error shape.
 *
 * - PostgreSQL cannot store NUL (U+0000) in text or jsonb, nor a lone UTF-16 surrogate (JSON's
 *   "\ud800" has no UTF-8 form): such a string would be a 500 from the database. They are found
 *   here, with the field they are in.
 * - JSON nested deeper than MAX_JSON_DEPTH: JSON.parse itself copes, but every recursive walk after
 *   it (canonicalising, /Bulk's bulkId substitution, jsonb serialisation) would overflow the stack.
 *   The walk here is iterative, so it cannot overflow whatever the depth.
 */

/** Deepest nesting of objects and arrays accepted in a JSON body. A SCIM User is 4 deep; a /Bulk request 6. */
export const MAX_JSON_DEPTH = 32;

/** The position of the first NUL or lone surrogate in `text`, or -1 when PostgreSQL can store all of it. */
export function unstorableAt(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) return i;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++; // a well-formed pair
        continue;
      }
      return i;
    }
    if (c >= 0xdc00 && c <= 0xdfff) return i;
  }
  return -1;
}

export const isStorable = (text: string): boolean => unstorableAt(text) === -1;

export type InputProblem =
  | { kind: 'unstorable'; field: string }
  | { kind: 'too_deep'; field: string };

/** "emails[0].value" style names; a key that is not a plain name is quoted. */
function childName(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  const shown = /^[\w$:.-]+$/.test(key) ? key : JSON.stringify(key.slice(0, 40));
  return parent ? `${parent}.${shown}` : shown;
}

/**
 * The first problem in a parsed JSON value (or a query object), walked without recursion: a string
 * value or key that cannot be stored, or nesting deeper than `maxDepth`. `root` names the whole
 * value in messages ('' for a body, whose fields are named by themselves).
 */
export function inputProblem(value: unknown, root = '', maxDepth = MAX_JSON_DEPTH): InputProblem | undefined {
  const stack: { value: unknown; field: string; depth: number }[] = [{ value, field: root, depth: 0 }];
  while (stack.length) {
    const { value: v, field, depth } = stack.pop()!;
    if (typeof v === 'string') {
      if (!isStorable(v)) return { kind: 'unstorable', field: field || 'body' };
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= maxDepth) return { kind: 'too_deep', field: field || 'body' };
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], field: childName(field, i), depth: depth + 1 });
      continue;
    }
    const entries = Object.entries(v as Record<string, unknown>);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i];
      const name = childName(field, key);
      if (!isStorable(key)) return { kind: 'unstorable', field: name };
      stack.push({ value: child, field: name, depth: depth + 1 });
    }
  }
  return undefined;
}

/** The message every adapter gives for a problem, so they read the same. */
export function problemMessage(problem: InputProblem): string {
  return problem.kind === 'unstorable'
    ? `${problem.field} contains a character that cannot be stored (NUL or a lone UTF-16 surrogate)`
    : `${problem.field} is nested deeper than ${MAX_JSON_DEPTH} levels`;
}

/**
 * The path as the client sent it, each segment percent-decoded; undefined when a segment cannot be
 * decoded (`%ff%fe`, a lone `%`). Express 5 would throw a URIError for it as a route parameter.
 */
export function decodedPath(rawPath: string): string[] | undefined {
  const out: string[] = [];
  for (const segment of rawPath.split('/')) {
    try {
      out.push(decodeURIComponent(segment));
    } catch {
      return undefined;
    }
  }
  return out;
}

/**
 * Errors of body-parser and Express's router that carry a 4xx status of their own (a body that is
 * not JSON, an unknown Content-Encoding, gzip that does not inflate, a parameter that cannot be
 * percent-decoded): their status and a message for the client, or undefined for any other error.
 */
export function clientErrorOf(err: unknown): { status: number; message: string; type?: string } | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { status?: unknown; statusCode?: unknown; type?: unknown; expose?: unknown; message?: unknown };
  const type = typeof e.type === 'string' ? e.type : undefined;
  if (type === 'entity.too.large') return { status: 413, message: 'The request body is too large', type };
  if (type === 'entity.parse.failed') return { status: 400, message: 'The request body is not valid JSON', type };
  if (type === 'encoding.unsupported') return { status: 415, message: 'Unsupported Content-Encoding (use identity, gzip, deflate or br)', type };
  if (type === 'charset.unsupported') return { status: 415, message: 'Unsupported request body charset (use utf-8)', type };
  if (type === 'request.aborted' || type === 'request.size.invalid') return { status: 400, message: 'The request body was not received whole', type };
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : undefined;
  if (status === undefined || status < 400 || status > 499) return undefined;
  // zlib's errors (Z_DATA_ERROR, "incorrect header check") reach here as body-parser's 400
  if (err instanceof URIError || /decode param/i.test(String(e.message))) return { status: 400, message: 'The request path cannot be percent-decoded as UTF-8', type };
  if (status === 400 && !type) return { status: 400, message: 'The request body cannot be decoded (a Content-Encoding that does not match the body?)', type };
  return { status, message: e.expose === true && typeof e.message === 'string' ? e.message : 'The request could not be read', type };
}
