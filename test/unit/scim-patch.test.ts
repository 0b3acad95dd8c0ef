import { describe, expect, it } from 'vitest';
import { ScimError } from '../../src/scim/errors.js';
import { applyPatch } from '../../src/scim/patch/apply-user.js';
import { toTeamChanges } from '../../src/scim/patch/group-patch.js';
import { normalisePatch } from '../../src/scim/patch/normalise.js';
import { GROUP_CATALOGUE, USER_CATALOGUE } from '../../src/scim/schemas.js';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const patch = (...Operations: unknown[]) => ({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations });
const user = () => ({
  id: 'au_1',
  userName: 'ada@example.com',
  active: true,
  name: { givenName: 'Ada', familyName: 'Lovelace' },
  emails: [{ value: 'ada@example.com', type: 'work', primary: true }],
  [ENTERPRISE]: { department: 'Math', manager: { value: 'au_9' } },
});
const apply = (doc: Record<string, unknown>, body: unknown) => applyPatch(doc, normalisePatch(body, USER_CATALOGUE), USER_CATALOGUE);

describe('PATCH normalisation (Okta, Entra, aadOptscim062020)', () => {
  it('takes ops in any case and "True"/"False" strings as booleans (Entra default)', () => {
    const doc = user();
    const touched = apply(doc, patch({ op: 'Replace', path: 'active', value: 'False' }));
    expect(doc.active).toBe(false);
    expect([...touched]).toEqual(['active']);
  });

  it('splits a pathless replace into one operation per key (Okta deactivate, Entra attribute-path keys)', () => {
    const doc = user();
    const touched = apply(doc, patch({ op: 'replace', value: { active: false, 'name.givenName': 'Augusta', [`${ENTERPRISE}:employeeNumber`]: '42' } }));
    expect(doc).toMatchObject({ active: false, name: { givenName: 'Augusta', familyName: 'Lovelace' }, [ENTERPRISE]: { employeeNumber: '42', department: 'Math' } });
    expect([...touched].sort()).toEqual(['active', 'name', ENTERPRISE].sort());
  });

  it('creates the entry a value path names when nothing matches (emails[type eq "work"].value, phoneNumbers[type eq "mobile"].value)', () => {
    const doc = user();
    apply(doc, patch({ op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 415 555 0100' }, { op: 'Replace', path: 'emails[type eq "work"].value', value: 'ada@new.example.com' }));
    expect(doc.emails).toEqual([{ value: 'ada@new.example.com', type: 'work', primary: true }]);
    expect((doc as Record<string, unknown>).phoneNumbers).toEqual([{ type: 'mobile', value: '+1 415 555 0100' }]);
  });

  it('takes a manager as a bare id and clears it with "" (Entra)', () => {
    const doc = user();
    apply(doc, patch({ op: 'Add', path: `${ENTERPRISE}:manager`, value: 'au_7' }));
    expect(doc[ENTERPRISE]).toEqual({ department: 'Math', manager: { value: 'au_7' } });
    apply(doc, patch({ op: 'Replace', path: `${ENTERPRISE}:manager`, value: '' }));
    expect(doc[ENTERPRISE]).toEqual({ department: 'Math' });
  });

  it('clears an attribute replaced with null, and a remove that matches nothing succeeds', () => {
    const doc = user();
    apply(doc, patch({ op: 'replace', path: 'name.givenName', value: null }, { op: 'remove', path: 'emails[type eq "home"]' }));
    expect(doc.name).toEqual({ familyName: 'Lovelace' });
    expect(doc.emails).toHaveLength(1);
  });

  it('ignores the same id in a pathless replace and refuses to change it (mutability)', () => {
    const doc = user();
    apply(doc, patch({ op: 'replace', value: { id: 'au_1', active: false } }));
    expect(doc.active).toBe(false);
    expect(() => apply(doc, patch({ op: 'replace', value: { id: 'au_2' } }))).toThrow(expect.objectContaining({ status: 400, scimType: 'mutability' }));
  });

  it('refuses unknown attributes (invalidPath), unknown ops and empty messages (invalidSyntax), and remove without a path (noTarget)', () => {
    const cases: [unknown, string][] = [
      [patch({ op: 'replace', path: 'shoeSize', value: 1 }), 'invalidPath'],
      [patch({ op: 'merge', path: 'active', value: true }), 'invalidSyntax'],
      [{ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [] }, 'invalidSyntax'],
      [patch({ op: 'remove' }), 'noTarget'],
      [patch({ op: 'replace', path: 'emails[type eq', value: 'x' }), 'invalidPath'],
    ];
    for (const [body, scimType] of cases) {
      try {
        apply(user(), body);
        expect.unreachable(JSON.stringify(body));
      } catch (err) {
        expect(err).toBeInstanceOf(ScimError);
        expect((err as ScimError).scimType, JSON.stringify(body)).toBe(scimType);
      }
    }
  });

  it('changes the document and nothing it refers to (the member it was built from is read under its lock, not copied)', () => {
    const enterprise = { department: 'Math', manager: { value: 'au_9', displayName: 'Charles' } };
    const addresses = [{ type: 'work', locality: 'London', primary: true }];
    const emails = [{ value: 'ada@example.com', type: 'work', primary: true }];
    const doc: Record<string, unknown> = { ...user(), emails, addresses, [ENTERPRISE]: enterprise };
    const snapshot = structuredClone({ enterprise, addresses, emails });
    apply(
      doc,
      patch(
        { op: 'replace', path: `${ENTERPRISE}:department`, value: 'Engines' },
        { op: 'remove', path: `${ENTERPRISE}:manager.displayName` },
        { op: 'replace', path: 'addresses[type eq "work"].locality', value: 'Paris' },
        { op: 'add', path: 'emails', value: [{ value: 'ada@home.example.com', type: 'home', primary: true }] },
        { op: 'remove', path: 'emails[type eq "work"].primary' },
      ),
    );
    expect(doc[ENTERPRISE]).toEqual({ department: 'Engines', manager: { value: 'au_9' } });
    expect(doc.addresses).toEqual([{ type: 'work', locality: 'Paris', primary: true }]);
    expect(doc.emails).toEqual([{ value: 'ada@example.com', type: 'work' }, { value: 'ada@home.example.com', type: 'home', primary: true }]);
    expect({ enterprise, addresses, emails }).toEqual(snapshot);
  });
});

describe('Group PATCH as team changes', () => {
  const changes = (body: unknown) => toTeamChanges(normalisePatch(body, GROUP_CATALOGUE), 'tem_1');

  it('reads Okta: rename with id, remove by value filter, add a value list', () => {
    expect(changes(patch({ op: 'replace', value: { id: 'tem_1', displayName: 'Ops' } }))).toEqual([{ kind: 'rename', name: 'Ops' }]);
    expect(changes(patch({ op: 'remove', path: 'members[value eq "au_1"]' }))).toEqual([{ kind: 'remove_members', ids: ['au_1'] }]);
    expect(changes(patch({ op: 'add', path: 'members', value: [{ value: 'au_2', display: 'B' }, { value: 'au_3' }] }))).toEqual([{ kind: 'add_members', ids: ['au_2', 'au_3'] }]);
  });

  it('reads Entra: capitalised ops, remove of only the listed members, remove of all without a value', () => {
    expect(changes(patch({ op: 'Remove', path: 'members', value: [{ $ref: null, value: 'au_1' }] }))).toEqual([{ kind: 'remove_members', ids: ['au_1'] }]);
    expect(changes(patch({ op: 'Add', path: 'members', value: [{ value: 'au_4' }] }))).toEqual([{ kind: 'add_members', ids: ['au_4'] }]);
    expect(changes(patch({ op: 'remove', path: 'members' }))).toEqual([{ kind: 'remove_all_members' }]);
    expect(changes(patch({ op: 'Replace', path: 'externalId', value: 'x-1' }))).toEqual([{ kind: 'set_external_id', value: 'x-1' }]);
  });
});
