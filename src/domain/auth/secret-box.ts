import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Secrets at rest (JWT signing keys): AES-256-GCM with keys from configuration
 * (ROLLCALL_SECRET_KEYS), so that a copy of the database alone decrypts nothing. The first key
 * encrypts; every key decrypts, so a rotation prepends a new key and drops the old one once
 * nothing it encrypted is kept (JWT signing keys rotate weekly and are deleted a little later).
 *
 * Stored form: `v1.<key id>.<iv>.<ciphertext>.<tag>` (base64url), where the key id is the first
 * 8 bytes of the key's SHA-256 (says which key to use, and tells nothing of it). `context` is
 * bound in as additional data: a ciphertext moved to another row (another `context`) does not
 * decrypt.
 */

export const SECRET_KEY_BYTES = 32;

export class SecretKeyError extends Error {}

function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest().subarray(0, 8).toString('base64url');
}

/** Keys as ROLLCALL_SECRET_KEYS gives them: comma-separated base64 (or base64url), 32 bytes each. */
export function parseSecretKeys(value: string): Buffer[] {
  const keys = value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part, i) => {
      if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(part)) throw new SecretKeyError(`key ${i + 1} is not base64`);
      const key = Buffer.from(part, 'base64');
      if (key.length !== SECRET_KEY_BYTES) throw new SecretKeyError(`key ${i + 1} is ${key.length} bytes, not ${SECRET_KEY_BYTES} (make one with: openssl rand -base64 32)`);
      return key;
    });
  if (keys.length === 0) throw new SecretKeyError('no key given (make one with: openssl rand -base64 32)');
  return keys;
}

export class SecretBox {
  private readonly keys: { id: string; key: Buffer }[];

  constructor(keys: readonly Buffer[]) {
    if (keys.length === 0) throw new SecretKeyError('a SecretBox needs at least one key');
    for (const key of keys) if (key.length !== SECRET_KEY_BYTES) throw new SecretKeyError(`a key is ${key.length} bytes, not ${SECRET_KEY_BYTES}`);
    this.keys = keys.map((key) => ({ id: keyId(key), key: Buffer.from(key) }));
  }

  seal(plaintext: Buffer, context: string): string {
    const { id, key } = this.keys[0];
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return ['v1', id, iv.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  /** The plaintext, or undefined when no configured key opens it (another key, another context, altered, not sealed). */
  open(sealed: string, context: string): Buffer | undefined {
    const parts = sealed.split('.');
    if (parts.length !== 5 || parts[0] !== 'v1') return undefined;
    const [, id, iv, ciphertext, tag] = parts;
    const key = this.keys.find((k) => k.id === id);
    if (!key) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]);
    } catch {
      return undefined;
    }
  }
}
