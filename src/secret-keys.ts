import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { type Config, ConfigError } from './config.js';
import { parseSecretKeys, SECRET_KEY_BYTES, SecretBox } from './domain/auth/secret-box.js';
import { logger } from './log.js';

/** Where `serve` keeps the key it made for the embedded database when ROLLCALL_SECRET_KEYS is unset. */
export const GENERATED_KEY_FILE = 'secret-keys';

/**
 * The SecretBox for secrets at rest. ROLLCALL_SECRET_KEYS when set. Otherwise, on the embedded
 * database (development), a key generated once and kept beside the data in DATA_DIR (mode 0600):
 * the two are copied together, so this protects nothing against a copy of the directory, and a
 * warning says so. On PostgreSQL the database and the process's configuration are kept apart, and
 * a key kept beside the database would defeat the point: refused with one line that says what to do.
 */
export function secretBoxFor(config: Pick<Config, 'secretKeys' | 'databaseUrl' | 'dataDir'>): SecretBox {
  if (config.secretKeys) return new SecretBox(config.secretKeys);
  if (config.databaseUrl) {
    const refusal = new ConfigError('ROLLCALL_SECRET_KEYS', '', '');
    refusal.message = 'ROLLCALL_SECRET_KEYS is required with DATABASE_URL (it encrypts secrets at rest): set ROLLCALL_SECRET_KEYS="$(openssl rand -base64 32)" and keep it apart from the database (README, "Secrets at rest")';
    throw refusal;
  }
  const file = path.join(config.dataDir, GENERATED_KEY_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    fs.mkdirSync(config.dataDir, { recursive: true });
    text = randomBytes(SECRET_KEY_BYTES).toString('base64');
    // 'wx': another process that made the file first wins; its key is read back below
    try {
      fs.writeFileSync(file, `${text}\n`, { mode: 0o600, flag: 'wx' });
    } catch (writeErr) {
      if ((writeErr as NodeJS.ErrnoException).code !== 'EEXIST') throw writeErr;
      text = fs.readFileSync(file, 'utf8');
    }
  }
  logger.warn(`ROLLCALL_SECRET_KEYS is not set: secrets at rest are encrypted with the key kept in ${file}, beside the data. Set ROLLCALL_SECRET_KEYS in production.`);
  return new SecretBox(parseSecretKeys(text));
}
