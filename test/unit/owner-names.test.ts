import { describe, expect, it } from 'vitest';
import { ownerNames } from '../../src/domain/accounts/accounts-service.js';

/** Issue 14: an owner made by `rollcall account create` has the given and family names an IdP's tests look for. */
describe('ownerNames', () => {
  it('takes the given and family names as given', () => {
    expect(ownerNames({ ownerEmail: 'a@x.test', ownerGivenName: 'Ada', ownerFamilyName: 'Lovelace' })).toEqual({ name: 'Ada Lovelace', given_name: 'Ada', family_name: 'Lovelace' });
    expect(ownerNames({ ownerEmail: 'a@x.test', ownerName: 'Countess of Lovelace', ownerGivenName: 'Ada' })).toEqual({ name: 'Countess of Lovelace', given_name: 'Ada', family_name: undefined });
  });
  it('splits the full name only when neither is given', () => {
    expect(ownerNames({ ownerEmail: 'a@x.test', ownerName: 'Ada King Lovelace' })).toEqual({ name: 'Ada King Lovelace', given_name: 'Ada King', family_name: 'Lovelace' });
    expect(ownerNames({ ownerEmail: 'a@x.test', ownerName: 'Cher' })).toEqual({ name: 'Cher' });
    expect(ownerNames({ ownerEmail: 'ada@x.test' })).toEqual({ name: 'ada' });
  });
});
