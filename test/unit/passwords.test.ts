import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../../src/domain/auth/passwords.js';

describe('password hashing', () => {
  it('hashes and verifies many at once, each right (the hashes queue for their slots)', async () => {
    const passwords = Array.from({ length: 6 }, (_, i) => `correct horse ${i} battery`);
    const hashes = await Promise.all(passwords.map((p) => hashPassword(p)));
    const checks = await Promise.all(passwords.map((p, i) => Promise.all([verifyPassword(p, hashes[i]), verifyPassword(`${p}!`, hashes[i])])));
    expect(checks).toEqual(passwords.map(() => [true, false]));
  });
});
