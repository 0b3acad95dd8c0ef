import { describe, expect, it } from 'vitest';
import { planContacts } from '../../src/domain/users/contact-plan.js';

let n = 0;
const newId = () => `new_${++n}`;
const email = (value: string) => ({ key: value.toLowerCase(), fields: { email: value } });
const existing = [
  { id: 'e1', key: 'a@x.com', primary: true, type: 'work' },
  { id: 'e2', key: 'b@x.com', primary: false, type: 'home' },
];

describe('planContacts', () => {
  it('merge: adds, keeps and destroys by id, moving primary to the entry marked last', () => {
    const plan = planContacts('email', existing, { mode: 'merge', items: [{ value: email('C@x.com'), primary: true }, { id: 'e2', destroy: true }] }, { minimum: 1, newId });
    expect(plan.deletes).toEqual(['e2']);
    expect(plan.inserts).toEqual([expect.objectContaining({ email: 'C@x.com', primary: true })]);
    expect(plan.updates).toEqual([{ id: 'e1', changes: expect.objectContaining({ primary: false }) }]);
    expect(plan.primaryChanges).toBe(true);
  });

  it('replace: keeps the id of a value already there (any case), drops the rest', () => {
    const plan = planContacts('email', existing, { mode: 'replace', items: [{ value: email('B@X.com'), type: 'work' }] }, { minimum: 1, newId });
    expect(plan.deletes).toEqual(['e1']);
    expect(plan.inserts).toEqual([]);
    expect(plan.updates).toEqual([{ id: 'e2', changes: { email: 'B@X.com', primary: true, type: 'work' } }]);
  });

  it('replace with the same list changes nothing', () => {
    const plan = planContacts('email', existing, { mode: 'replace', items: [{ id: 'e1' }, { id: 'e2' }] }, { minimum: 1, newId });
    expect(plan).toEqual({ deletes: [], updates: [], inserts: [], primaryChanges: false });
  });

  it('promotes the first remaining entry when the primary is destroyed', () => {
    const plan = planContacts('email', existing, { mode: 'merge', items: [{ id: 'e1', destroy: true }] }, { minimum: 1, newId });
    expect(plan.updates).toEqual([{ id: 'e2', changes: expect.objectContaining({ primary: true }) }]);
  });

  it.each([
    [{ mode: 'merge' as const, items: [{ id: 'e1', destroy: true }, { id: 'e2', destroy: true }] }, 'a user needs at least one email'],
    [{ mode: 'replace' as const, items: [{ value: email('d@x.com') }, { value: email('D@x.com') }] }, 'emails[1]: email "d@x.com" is listed twice'],
    [{ mode: 'merge' as const, items: [{ destroy: true }] }, 'emails[0]: _destroy needs the id of the email to remove'],
    [{ mode: 'merge' as const, items: [{ id: 'e9' }] }, 'email e9 was not found'],
  ])('refuses %j', (change, message) => {
    expect(() => planContacts('email', existing, change, { minimum: 1, newId })).toThrow(message);
  });

  it('allows no phones at all', () => {
    const plan = planContacts('phone', [{ id: 'p1', key: '+14155550123', primary: true, type: null }], { mode: 'replace', items: [] }, { minimum: 0, newId });
    expect(plan.deletes).toEqual(['p1']);
  });
});
