import { unstorableAt } from '../../http/decode.js';
import { type AttrPath, COMPARE_OPS, type CompareOp, type Filter, type FilterValue, type PatchPath } from './ast.js';

/**
 * Our own parser for the RFC 7644 filter grammar (section 3.4.2.2) and PATCH paths (3.5.2).
 * scimmy's parser throws on nested parentheses and escaped quotes and inverts `not (A or B)`
 * (DESIGN.md section 6), so filters never go through it.
 *
 *   FILTER    = attrExp / logExp / valuePath / "not" "(" FILTER ")" / "(" FILTER ")"
 *   logExp    = FILTER ("and" / "or") FILTER        ; "and" binds tighter than "or"
 *   attrExp   = attrPath "pr" / attrPath compareOp compValue
 *   valuePath = attrPath "[" valFilter "]"
 *             / attrPath "[" valFilter "]" ["." subAttr] (compareOp compValue / "pr")   ; Entra's form, see below
 *
 * Keywords are case-insensitive. Strings are JSON strings (escaped quotes and \uXXXX allowed).
 * A bare word where a value belongs that is not true/false/null or a number is taken as a
 * string, as some clients (Microsoft's test collection) send `meta.created gt 2015-10-10T...`.
 */

export class FilterSyntaxError extends Error {}

/**
 * The cost bound of a filter (issue 13): a filter past one of these is refused before any SQL
 * (400 invalidFilter naming the limit). Okta and Entra send one `eq`, at most two joined by `and`;
 * the bounds leave room for hand-written filters while a `co` over emails, the costliest clause,
 * stays well under a second at 100k members even at the clause limit. Depth also keeps the
 * recursive descent below far from the stack's end.
 */
export const FILTER_LIMITS = {
  /** Attribute expressions (`userName eq "x"`, `emails co "y"`), counting those inside `[...]`. */
  maxClauses: 10,
  /** Nesting of "(", "not (" and "[" inside one another. */
  maxDepth: 5,
  /** Characters of one compared value (an externalId is at most 1024). */
  maxValueLength: 1024,
  /** Characters of the whole filter, checked before it is read at all (room for every clause at its longest). */
  maxLength: 16_384,
} as const;

/** A filter refused for its size rather than its syntax; `limit` names which bound. */
export class FilterTooCostlyError extends FilterSyntaxError {
  constructor(
    readonly limit: keyof typeof FILTER_LIMITS,
    message: string,
  ) {
    super(message);
  }
}

type Token =
  | { kind: 'word'; text: string; at: number }
  | { kind: 'string'; text: string; at: number }
  | { kind: '(' | ')' | '[' | ']'; at: number }
  | { kind: 'dot-word'; text: string; at: number };

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i];
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '(' || ch === ')' || ch === '[' || ch === ']') {
      tokens.push({ kind: ch, at: i });
      i++;
    } else if (ch === '"') {
      const start = i;
      i++;
      let escaped = false;
      while (i < input.length && (escaped || input[i] !== '"')) {
        escaped = !escaped && input[i] === '\\';
        i++;
      }
      if (i >= input.length) throw new FilterSyntaxError(`unterminated string starting at position ${start + 1}`);
      i++;
      let text: string;
      try {
        text = JSON.parse(input.slice(start, i)) as string;
      } catch {
        throw new FilterSyntaxError(`invalid escape in the string starting at position ${start + 1}`);
      }
      if (text.length > FILTER_LIMITS.maxValueLength) {
        throw new FilterTooCostlyError('maxValueLength', `the value at position ${start + 1} is ${text.length} characters long; at most ${FILTER_LIMITS.maxValueLength} are accepted`);
      }
      // "\u0000" or a lone "\ud800" escape: PostgreSQL cannot compare with what it cannot store
      if (unstorableAt(text) !== -1) throw new FilterSyntaxError(`the value at position ${start + 1} contains a character that cannot be stored (NUL or a lone UTF-16 surrogate)`);
      tokens.push({ kind: 'string', text, at: start });
    } else {
      const start = i;
      while (i < input.length && !/[\s()[\]"]/.test(input[i])) i++;
      const text = input.slice(start, i);
      if (text.length > FILTER_LIMITS.maxValueLength) {
        throw new FilterTooCostlyError('maxValueLength', `the word at position ${start + 1} is ${text.length} characters long; at most ${FILTER_LIMITS.maxValueLength} are accepted`);
      }
      // `]` followed by `.value` in a PATCH path
      const previous = tokens.at(-1);
      tokens.push(text.startsWith('.') && previous?.kind === ']' ? { kind: 'dot-word', text: text.slice(1), at: start } : { kind: 'word', text, at: start });
    }
  }
  return tokens;
}

const ATTR_NAME = /^\$?[A-Za-z][\w$-]*$/;

/** `urn:...:User:manager.value`, `name.givenName`, `userName`. */
export function parseAttrPath(text: string): AttrPath {
  let uri: string | undefined;
  let rest = text;
  if (/^urn:/i.test(text)) {
    const lastColon = text.lastIndexOf(':');
    uri = text.slice(0, lastColon);
    rest = text.slice(lastColon + 1);
  }
  const parts = rest.split('.');
  if (parts.length > 2 || parts.some((p) => !ATTR_NAME.test(p))) throw new FilterSyntaxError(`${JSON.stringify(text)} is not an attribute path`);
  return { ...(uri ? { uri } : {}), attr: parts[0], ...(parts[1] ? { sub: parts[1] } : {}) };
}

function bareValue(text: string): FilterValue {
  const lower = text.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  if (lower === 'null') return null;
  if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(text)) return Number(text);
  return text;
}

class Parser {
  private pos = 0;
  private depth = 0;
  private clauses = 0;
  constructor(private readonly tokens: Token[]) {}

  /** Entering "(", "not (" or "[": refused past maxDepth, before descending further. */
  private enter(): void {
    if (++this.depth > FILTER_LIMITS.maxDepth) {
      throw new FilterTooCostlyError('maxDepth', `the filter nests more than ${FILTER_LIMITS.maxDepth} levels of parentheses or brackets`);
    }
  }

  private clause(): void {
    if (++this.clauses > FILTER_LIMITS.maxClauses) {
      throw new FilterTooCostlyError('maxClauses', `the filter has more than ${FILTER_LIMITS.maxClauses} comparisons`);
    }
  }

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  private keyword(): string | undefined {
    const t = this.peek();
    return t?.kind === 'word' ? t.text.toLowerCase() : undefined;
  }

  fail(message: string): never {
    const t = this.peek();
    throw new FilterSyntaxError(t ? `${message} at position ${t.at + 1}` : `${message} at the end of the filter`);
  }

  private expect(kind: Token['kind']): void {
    if (this.peek()?.kind !== kind) this.fail(`expected "${kind}"`);
    this.pos++;
  }

  atEnd(): boolean {
    return this.pos >= this.tokens.length;
  }

  parseFilter(): Filter {
    let left = this.parseAnd();
    while (this.keyword() === 'or') {
      this.pos++;
      left = { type: 'or', left, right: this.parseAnd() };
    }
    return left;
  }

  private parseAnd(): Filter {
    let left = this.parseUnary();
    while (this.keyword() === 'and') {
      this.pos++;
      left = { type: 'and', left, right: this.parseUnary() };
    }
    return left;
  }

  private parseUnary(): Filter {
    const t = this.peek();
    if (!t) this.fail('expected an expression');
    if (t.kind === '(') {
      this.pos++;
      this.enter();
      const inner = this.parseFilter();
      this.expect(')');
      this.depth--;
      return inner;
    }
    if (t.kind === 'word' && t.text.toLowerCase() === 'not' && this.tokens[this.pos + 1]?.kind === '(') {
      this.pos += 2;
      this.enter();
      const inner = this.parseFilter();
      this.expect(')');
      this.depth--;
      return { type: 'not', filter: inner };
    }
    if (t.kind !== 'word') this.fail('expected an attribute');
    this.pos++;
    const path = parseAttrPath(t.text);
    if (this.peek()?.kind === '[') {
      this.pos++;
      if (path.sub) this.fail('a value filter cannot follow a sub-attribute');
      this.enter();
      const inner = this.parseFilter();
      this.expect(']');
      this.depth--;
      const after = this.peek();
      // Entra's matching on a work email: `emails[type eq "work"].value eq "x"` (and, as Microsoft's
      // guide writes it, `emails[type eq "work"] eq "x"`, on `value`). Outside RFC 7644's grammar,
      // read as the one entry matching both: emails[type eq "work" and value eq "x"].
      const sub = after?.kind === 'dot-word' && ATTR_NAME.test(after.text) ? after.text : undefined;
      if (sub) this.pos++;
      if (sub || this.isComparison()) {
        const comparison = this.comparison({ attr: sub ?? 'value' }, `${t.text}[...]${sub ? `.${sub}` : ''}`);
        return { type: 'valuePath', path, filter: { type: 'and', left: inner, right: comparison } };
      }
      return { type: 'valuePath', path, filter: inner };
    }
    return this.comparison(path, t.text);
  }

  /** Whether an operator comes next (pr or one of COMPARE_OPS). */
  private isComparison(): boolean {
    const op = this.keyword();
    return op === 'pr' || (op !== undefined && (COMPARE_OPS as readonly string[]).includes(op));
  }

  /** `pr`, or an operator and its value, about `path` (written as `shown`). */
  private comparison(path: AttrPath, shown: string): Filter {
    this.clause();
    const op = this.keyword();
    if (op === 'pr') {
      this.pos++;
      return { type: 'present', path };
    }
    if (!op || !(COMPARE_OPS as readonly string[]).includes(op)) this.fail(`expected an operator (${COMPARE_OPS.join(', ')}, pr) after ${JSON.stringify(shown)}`);
    this.pos++;
    const v = this.peek();
    if (!v || (v.kind !== 'string' && v.kind !== 'word')) this.fail(`expected a value after "${op}"`);
    this.pos++;
    const value = v.kind === 'string' ? v.text : bareValue(v.text);
    return { type: 'compare', path, op: op as CompareOp, value };
  }

  parsePatchPath(): PatchPath {
    const t = this.peek();
    if (t?.kind !== 'word') this.fail('expected an attribute path');
    this.pos++;
    const path = parseAttrPath(t.text);
    if (this.peek()?.kind !== '[') return { path };
    if (path.sub) this.fail('a value filter cannot follow a sub-attribute');
    this.pos++;
    this.enter();
    const filter = this.parseFilter();
    this.expect(']');
    const after = this.peek();
    if (after?.kind === 'dot-word') {
      this.pos++;
      if (!ATTR_NAME.test(after.text)) this.fail(`${JSON.stringify(after.text)} is not a sub-attribute`);
      return { path, filter, subAfterFilter: after.text };
    }
    return { path, filter };
  }
}

function checkLength(input: string): void {
  if (input.length > FILTER_LIMITS.maxLength) {
    throw new FilterTooCostlyError('maxLength', `the filter is ${input.length} characters long; at most ${FILTER_LIMITS.maxLength} are accepted`);
  }
}

export function parseFilter(input: string): Filter {
  checkLength(input);
  if (input.trim() === '') throw new FilterSyntaxError('the filter is empty');
  const parser = new Parser(tokenize(input));
  const filter = parser.parseFilter();
  if (!parser.atEnd()) parser.fail('unexpected text');
  return filter;
}

export function parsePatchPath(input: string): PatchPath {
  checkLength(input);
  if (input.trim() === '') throw new FilterSyntaxError('the path is empty');
  const parser = new Parser(tokenize(input));
  const path = parser.parsePatchPath();
  if (!parser.atEnd()) parser.fail('unexpected text');
  return path;
}
