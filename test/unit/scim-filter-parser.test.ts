import { describe, expect, it } from 'vitest';
import { FilterSyntaxError, parseFilter, parsePatchPath } from '../../src/scim/filter/parser.js';
import { userCondition } from '../../src/scim/filter/to-condition.js';
import { ScimError } from '../../src/scim/errors.js';

describe('SCIM filter parser', () => {
  it('parses a comparison with any-case keywords and attribute paths', () => {
    expect(parseFilter('userName EQ "bjensen"')).toEqual({ type: 'compare', path: { attr: 'userName' }, op: 'eq', value: 'bjensen' });
    expect(parseFilter('name.familyName co "O\'Malley"')).toEqual({ type: 'compare', path: { attr: 'name', sub: 'familyName' }, op: 'co', value: "O'Malley" });
    expect(parseFilter('title pr')).toEqual({ type: 'present', path: { attr: 'title' } });
    expect(parseFilter('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "x"')).toEqual({
      type: 'compare', path: { uri: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', attr: 'manager', sub: 'value' }, op: 'eq', value: 'x',
    });
  });

  it('reads escaped quotes and unicode escapes inside strings', () => {
    expect(parseFilter('displayName eq "say \\"hi\\" \\u00e9"')).toMatchObject({ value: 'say "hi" é' });
  });

  it('reads true, false, null and numbers, and takes a bare word as a string', () => {
    expect(parseFilter('active eq true')).toMatchObject({ value: true });
    expect(parseFilter('active eq False')).toMatchObject({ value: false });
    expect(parseFilter('externalId eq null')).toMatchObject({ value: null });
    expect(parseFilter('x gt 42')).toMatchObject({ value: 42 });
    expect(parseFilter('meta.created gt 2015-10-10T14:38:21.8617979-07:00')).toMatchObject({ value: '2015-10-10T14:38:21.8617979-07:00' });
  });

  it('binds and tighter than or, and keeps nested parentheses', () => {
    const f = parseFilter('a eq "1" or b eq "2" and c eq "3"');
    expect(f).toMatchObject({ type: 'or', left: { path: { attr: 'a' } }, right: { type: 'and' } });
    const nested = parseFilter('((a eq "1" or b eq "2") and (c eq "3" or (d eq "4")))');
    expect(nested).toMatchObject({ type: 'and', left: { type: 'or' }, right: { type: 'or', right: { path: { attr: 'd' } } } });
  });

  it('keeps not (A or B) as the negation of the whole disjunction', () => {
    expect(parseFilter('not (a eq "1" or b eq "2")')).toEqual({
      type: 'not',
      filter: { type: 'or', left: { type: 'compare', path: { attr: 'a' }, op: 'eq', value: '1' }, right: { type: 'compare', path: { attr: 'b' }, op: 'eq', value: '2' } },
    });
  });

  it('parses value paths with complex inner filters', () => {
    expect(parseFilter('emails[type eq "work" and value co "@example.com"] or userName sw "j"')).toMatchObject({
      type: 'or',
      left: { type: 'valuePath', path: { attr: 'emails' }, filter: { type: 'and' } },
    });
  });

  it("reads Entra's filter on a work email, a comparison after the value filter, as one entry matching both", () => {
    const workEmail = {
      type: 'valuePath',
      path: { attr: 'emails' },
      filter: { type: 'and', left: { type: 'compare', path: { attr: 'type' }, op: 'eq', value: 'work' }, right: { type: 'compare', path: { attr: 'value' }, op: 'eq', value: 'ann@acme.example' } },
    };
    expect(parseFilter('emails[type eq "work"].value eq "ann@acme.example"')).toEqual(workEmail);
    // as Microsoft's guide writes it: without the sub-attribute, the entry's value
    expect(parseFilter('emails[type eq "work"] eq "ann@acme.example"')).toEqual(workEmail);
    expect(parseFilter('emails[type eq "work"].value pr and active eq true')).toMatchObject({ type: 'and', left: { type: 'valuePath', filter: { right: { type: 'present', path: { attr: 'value' } } } } });
    for (const bad of ['emails[type eq "work"].value', 'emails[type eq "work"].value zz "x"', 'emails[type eq "work"].value eq']) {
      expect(() => parseFilter(bad), bad).toThrow(FilterSyntaxError);
    }
  });

  it('rejects broken filters with a message saying where', () => {
    for (const bad of ['userName eq', 'userName zz "x"', '(userName eq "x"', 'userName eq "x" extra', 'userName eq "unterminated', '', 'emails[type eq "work"']) {
      expect(() => parseFilter(bad), bad).toThrow(FilterSyntaxError);
    }
  });

  it('parses PATCH paths with a value filter and a sub-attribute after it', () => {
    expect(parsePatchPath('emails[type eq "work"].value')).toMatchObject({ path: { attr: 'emails' }, filter: { type: 'compare' }, subAfterFilter: 'value' });
    expect(parsePatchPath('members[value eq "au_1"]')).toMatchObject({ path: { attr: 'members' }, filter: { value: 'au_1' } });
    expect(parsePatchPath('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber')).toEqual({ path: { uri: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', attr: 'employeeNumber' } });
  });
});

describe('SCIM filter -> domain condition', () => {
  it('maps attribute names without regard to case onto domain fields', () => {
    expect(userCondition('UserName eq "A" and name.FamilyName co "b"')).toEqual({
      kind: 'and',
      conditions: [{ kind: 'compare', field: 'user_name', op: 'eq', value: 'A' }, { kind: 'compare', field: 'family_name', op: 'co', value: 'b' }],
    });
  });

  it('turns a value path into one condition on one entry of the collection', () => {
    expect(userCondition('emails[type eq "work" and value ew "@x.com"]')).toEqual({
      kind: 'some',
      collection: 'email',
      where: { kind: 'and', conditions: [{ kind: 'compare', field: 'email.type', op: 'eq', value: 'work' }, { kind: 'compare', field: 'email.value', op: 'ew', value: '@x.com' }] },
    });
    expect(userCondition('emails co "x"')).toEqual({ kind: 'compare', field: 'email.value', op: 'co', value: 'x' });
  });

  it('answers 400 invalidFilter for an attribute it cannot filter on, and for bad syntax', () => {
    for (const bad of ['nickName eq "x"', 'urn:example:foo:bar eq "x"', 'userName eq']) {
      try {
        userCondition(bad);
        expect.unreachable(bad);
      } catch (err) {
        expect(err).toBeInstanceOf(ScimError);
        expect((err as ScimError).status).toBe(400);
        expect((err as ScimError).scimType).toBe('invalidFilter');
      }
    }
  });
});
