import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { isIdOf } from '../../src/domain/id-shape.js';
import { newId } from '../../src/domain/ids.js';
import { decodedPath, inputProblem, MAX_JSON_DEPTH, unstorableAt } from '../../src/http/decode.js';
import { FILTER_LIMITS, FilterTooCostlyError, parseFilter } from '../../src/scim/filter/parser.js';
import { elementDepth, refuseSamlResponse } from '../../src/sso/response-limits.js';

describe('strings PostgreSQL cannot store', () => {
  it('finds NUL and lone surrogates, not well-formed pairs', () => {
    expect(unstorableAt('plain')).toBe(-1);
    expect(unstorableAt('emoji 😀 ok')).toBe(-1);
    expect(unstorableAt('a\u0000')).toBe(1);
    expect(unstorableAt('\udfff')).toBe(0);
    expect(unstorableAt('x\ud83d')).toBe(1);
    expect(unstorableAt('\ud83d\u0041')).toBe(0);
  });

  it('names the field a problem is in, keys included', () => {
    expect(inputProblem({ name: { givenName: 'ok', familyName: 'a\u0000' } })).toEqual({ kind: 'unstorable', field: 'name.familyName' });
    expect(inputProblem({ emails: [{ value: 'x' }, { value: '\ud800' }] })).toEqual({ kind: 'unstorable', field: 'emails[1].value' });
    expect(inputProblem({ 'bad\u0000key': 1 })?.kind).toBe('unstorable');
    expect(inputProblem('\u0000')).toEqual({ kind: 'unstorable', field: 'body' });
    expect(inputProblem({ a: [1, true, null, 'fine'] })).toBeUndefined();
  });

  it('refuses nesting past the limit without recursion, at any depth', () => {
    const nested = (n: number) => JSON.parse(`${'['.repeat(n)}${']'.repeat(n)}`) as unknown;
    expect(inputProblem(nested(MAX_JSON_DEPTH))).toBeUndefined();
    expect(inputProblem(nested(MAX_JSON_DEPTH + 1))?.kind).toBe('too_deep');
    expect(inputProblem(nested(500_000))?.kind).toBe('too_deep');
  });

  it('decodes paths segment by segment; undecodable ones are undefined', () => {
    expect(decodedPath('/Users/au_x%20y')).toEqual(['', 'Users', 'au_x y']);
    expect(decodedPath('/Users/%ff%fe')).toBeUndefined();
    expect(decodedPath('/Users/%')).toBeUndefined();
  });
});

describe('id shapes', () => {
  it('accepts what newId makes for that prefix only', () => {
    const id = newId('au');
    expect(isIdOf(id, 'au')).toBe(true);
    expect(isIdOf(id, 'tem')).toBe(false);
    expect(isIdOf(`${id}x`, 'au')).toBe(false);
    expect(isIdOf('au_\u0000aaaaaaaaaaaaaaaaaaa', 'au')).toBe(false);
    expect(isIdOf('au_iiiiiiiiiiiiiiiiiiii', 'au')).toBe(false); // i is not in the alphabet
  });
});

describe('filter cost bound', () => {
  const limitOf = (filter: string) => {
    try {
      parseFilter(filter);
      return undefined;
    } catch (err) {
      return err instanceof FilterTooCostlyError ? err.limit : 'syntax';
    }
  };

  it('accepts the filters identity providers send and the bounds themselves', () => {
    expect(limitOf('userName eq "a@example.com"')).toBeUndefined();
    expect(limitOf('externalId eq "x" and userName eq "y"')).toBeUndefined();
    expect(limitOf(Array.from({ length: FILTER_LIMITS.maxClauses }, () => 'title pr').join(' or '))).toBeUndefined();
    expect(limitOf(`${'('.repeat(FILTER_LIMITS.maxDepth)}title pr${')'.repeat(FILTER_LIMITS.maxDepth)}`)).toBeUndefined();
  });

  it('names the limit a filter passes', () => {
    expect(limitOf(Array.from({ length: FILTER_LIMITS.maxClauses + 1 }, () => 'title pr').join(' or '))).toBe('maxClauses');
    expect(limitOf('emails[value co "a" or value co "b" or value co "c" or value co "d" or value co "e" or value co "f" or value co "g" or value co "h" or value co "i" or value co "j" or value co "k"]')).toBe('maxClauses');
    expect(limitOf(`${'('.repeat(FILTER_LIMITS.maxDepth + 1)}title pr${')'.repeat(FILTER_LIMITS.maxDepth + 1)}`)).toBe('maxDepth');
    expect(limitOf(`${'not ('.repeat(2000)}title pr${')'.repeat(2000)}`)).toBe('maxDepth');
    expect(limitOf(`userName eq "${'a'.repeat(FILTER_LIMITS.maxValueLength + 1)}"`)).toBe('maxValueLength');
    expect(limitOf(`userName eq ${'a'.repeat(FILTER_LIMITS.maxValueLength + 1)}`)).toBe('maxValueLength');
    expect(limitOf(`userName eq "${'a'.repeat(FILTER_LIMITS.maxLength)}"`)).toBe('maxLength');
  });

  it('refuses escapes of characters PostgreSQL cannot store', () => {
    expect(limitOf('userName eq "a\\u0000"')).toBe('syntax');
    expect(limitOf('userName eq "\\ud800"')).toBe('syntax');
    expect(limitOf('userName eq "\\ud83d\\ude00"')).toBeUndefined();
  });
});

describe('SAMLResponse limits', () => {
  const b64 = (xml: string) => Buffer.from(xml).toString('base64');

  it('counts element depth past comments, declarations and self-closing tags', () => {
    expect(elementDepth('<?xml version="1.0"?><!-- <a><a><a> --><a><b/><c><d>x</d></c></a>', 100)).toBe(3);
  });

  it('refuses by size and depth, lets an ordinary document through', () => {
    expect(refuseSamlResponse(b64('<Response><Assertion><Subject>x</Subject></Assertion></Response>'))).toBeUndefined();
    expect(refuseSamlResponse(b64(`${'<a>'.repeat(33)}${'</a>'.repeat(33)}`))?.reason).toBe('response_too_deep');
    expect(refuseSamlResponse(b64(`<a>${'x'.repeat(300 * 1024)}</a>`))?.reason).toBe('response_too_large');
    expect(refuseSamlResponse('not base64 <xml>')?.reason).toBe('response_not_base64');
  });
});

describe('configuration of the timeouts', () => {
  it('has defaults and reads the environment', () => {
    const defaults = loadConfig({});
    expect([defaults.statementTimeoutMs, defaults.requestTimeoutMs, defaults.headersTimeoutMs]).toEqual([5_000, 30_000, 10_000]);
    const set = loadConfig({ DATABASE_STATEMENT_TIMEOUT_MS: '0', HTTP_REQUEST_TIMEOUT_MS: '5000', HTTP_HEADERS_TIMEOUT_MS: '20000' });
    expect([set.statementTimeoutMs, set.requestTimeoutMs, set.headersTimeoutMs]).toEqual([0, 5_000, 5_000]);
    expect(() => loadConfig({ DATABASE_STATEMENT_TIMEOUT_MS: '-1' })).toThrow(/DATABASE_STATEMENT_TIMEOUT_MS/);
  });
});
