import { createHash, randomBytes } from 'node:crypto';

/**
 * Bearer secrets (API tokens, SCIM tokens, email proofs): 32 random bytes behind a prefix that says
 * what the secret is for. Only the SHA-256 hash is stored; the secret is shown once.
 */
export function generateSecret(prefix: 'rc_api' | 'rc_scim' | 'rc_ses' | 'rc_prf'): { secret: string; hash: string } {
  const secret = `${prefix}_${randomBytes(32).toString('base64url')}`;
  return { secret, hash: hashSecret(secret) };
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}
