import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { SecretBox } from '../../src/domain/auth/secret-box.js';
import { GENERATED_KEY_FILE, secretBoxFor } from '../../src/secret-keys.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rollcall-keys-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

describe('ROLLCALL_SECRET_KEYS', () => {
  it('takes comma-separated base64 keys of 32 bytes, and refuses others without showing them', () => {
    const [a, b] = [randomBytes(32).toString('base64'), randomBytes(32).toString('base64')];
    expect(loadConfig({ ROLLCALL_SECRET_KEYS: `${a}, ${b}` }).secretKeys).toHaveLength(2);
    expect(loadConfig({}).secretKeys).toBeUndefined();
    const short = randomBytes(16).toString('base64');
    expect(() => loadConfig({ ROLLCALL_SECRET_KEYS: short })).toThrow(ConfigError);
    expect(() => loadConfig({ ROLLCALL_SECRET_KEYS: short })).toThrow(/32/);
    expect(() => loadConfig({ ROLLCALL_SECRET_KEYS: short })).not.toThrow(short);
  });

  it('rotates: the first key seals, every key opens; a sealed value opens only in its own context', () => {
    const [oldKey, newKey] = [randomBytes(32), randomBytes(32)];
    const sealedWithOld = new SecretBox([oldKey]).seal(Buffer.from('signing key'), 'jwk_1');
    const rotated = new SecretBox([newKey, oldKey]);
    expect(rotated.open(sealedWithOld, 'jwk_1')?.toString()).toBe('signing key');
    const sealedWithNew = rotated.seal(Buffer.from('next key'), 'jwk_2');
    expect(new SecretBox([newKey]).open(sealedWithNew, 'jwk_2')?.toString()).toBe('next key');
    expect(new SecretBox([oldKey]).open(sealedWithNew, 'jwk_2')).toBeUndefined();
    expect(rotated.open(sealedWithNew, 'jwk_1')).toBeUndefined();
    expect(sealedWithNew).not.toContain(Buffer.from('next key').toString('base64url'));
  });

  it('is required on PostgreSQL: serve refuses with one line that says what to do', () => {
    const start = () => secretBoxFor({ databaseUrl: 'postgres://app@db/rollcall', dataDir: tempDir(), secretKeys: undefined });
    expect(start).toThrow(ConfigError);
    expect(start).toThrow(/ROLLCALL_SECRET_KEYS is required with DATABASE_URL.*openssl rand -base64 32/);
    try {
      start();
    } catch (err) {
      expect((err as Error).message).not.toContain('\n');
    }
  });

  it('on the embedded database, unset, is made once and kept in DATA_DIR, readable by the owner only', () => {
    const dataDir = tempDir();
    const first = secretBoxFor({ databaseUrl: undefined, dataDir, secretKeys: undefined });
    const file = path.join(dataDir, GENERATED_KEY_FILE);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const sealed = first.seal(Buffer.from('kept'), 'ctx');
    const second = secretBoxFor({ databaseUrl: undefined, dataDir, secretKeys: undefined });
    expect(second.open(sealed, 'ctx')?.toString()).toBe('kept');
  });
});
