import { randomBytes } from 'node:crypto';

// 32 symbols, so that each random byte maps without bias (byte & 31).
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz023456789';

export type IdPrefix = 'acc' | 'usr' | 'au' | 'eml' | 'phn' | 'tem' | 'tok' | 'aud' | 'skd' | 'lyr' | 'ovr' | 'stok' | 'ses' | 'rmp' | 'jwk' | 'msg' | 'prf' | 'dom';

/** An opaque public id: a prefix saying what it names and 20 random characters (100 bits). */
export function newId(prefix: IdPrefix): string {
  const bytes = randomBytes(20);
  let out = '';
  for (const byte of bytes) out += ALPHABET[byte & 31];
  return `${prefix}_${out}`;
}
