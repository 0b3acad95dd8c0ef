/**
 * What the provisioning log removes from a SCIM body before it is stored: secrets never reach the
 * table, so nothing that reads it (the console, a backup, a support dump) can show one.
 *
 * - the value of any key that names a secret, at any depth: password (Okta's POST and its password
 *   push, PATCH {"op":"replace","value":{"password":"..."}}), token, secret, credential, API key,
 *   authorization: this covers a User body, a PATCH value that is an object and /Bulk operations'
 *   data alike, as they are all JSON objects with such keys;
 * - the value of a PATCH operation whose path names one ({"op":"replace","path":"password","value":"..."},
 *   also inside a /Bulk operation's data);
 * each replaced by "[removed]".
 */

export const REMOVED = '[removed]';

/** Keys whose values are secrets. */
const SECRET_KEY = /pass(?:word|wd|phrase)|^pwd$|secret|token|credential|api[_-]?key|authorization/i;

/**
 * What any text holding such a key or path contains: a body whose JSON text does not match needs no
 * walk (the common case, an IdP's PATCH of active or a profile), so the log costs one test there.
 * Wider than SECRET_KEY on purpose; JSON text shows every key as written (JSON.stringify escapes
 * only quotes, backslashes and control characters).
 */
const MAY_HOLD_SECRET = /pass(?:word|wd|phrase)|pwd|secret|token|credential|api[_-]?key|authorization/i;

/** Deeper than any body the SCIM decoder admits (decode.ts MAX_JSON_DEPTH); past it, nothing is kept. */
const MAX_DEPTH = 64;

export function mayHoldSecret(jsonText: string): boolean {
  return MAY_HOLD_SECRET.test(jsonText);
}

function isPatchOperation(value: Record<string, unknown>): boolean {
  return typeof value.op === 'string' && 'value' in value;
}

/** A copy of `value` with secrets replaced by "[removed]"; the original is not changed. */
export function redactBody(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_DEPTH) return REMOVED;
  if (Array.isArray(value)) return value.map((item) => redactBody(item, depth + 1));
  const object = value as Record<string, unknown>;
  const secretPath = isPatchOperation(object) && typeof object.path === 'string' && SECRET_KEY.test(object.path);
  // no prototype: a body's own "__proto__" key is copied as a key, never set as the copy's prototype
  const out = Object.create(null) as Record<string, unknown>;
  for (const [key, item] of Object.entries(object)) {
    if (SECRET_KEY.test(key) || (secretPath && key === 'value')) out[key] = REMOVED;
    else out[key] = redactBody(item, depth + 1);
  }
  return out;
}

/**
 * A body as the log stores it: JSON text with secrets removed, or a note of its size when the text
 * is longer than `maxChars` (a page of users, a large /Bulk: the log keeps what a person reads, not
 * the directory again). undefined stays undefined (no body).
 */
export function storedBodyText(value: unknown, maxChars: number): string | undefined {
  if (value === undefined) return undefined;
  let text = JSON.stringify(value);
  if (text === undefined) return undefined;
  if (mayHoldSecret(text)) text = JSON.stringify(redactBody(value));
  return text.length > maxChars ? truncatedNote(text.length) : text;
}

/** A response as the log stores it, from the text the server wrote. */
export function storedResponseText(text: string | undefined, maxChars: number): string | undefined {
  if (text === undefined || text === '') return undefined;
  if (text.length > maxChars) return truncatedNote(text.length);
  if (!mayHoldSecret(text)) return text;
  try {
    return JSON.stringify(redactBody(JSON.parse(text)));
  } catch {
    return undefined; // not JSON (the server writes JSON only): nothing to show
  }
}

/** What is stored in place of a body too long to keep. */
export function truncatedNote(chars: number): string {
  return JSON.stringify({ truncated: true, characters: chars });
}
