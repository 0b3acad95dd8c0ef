import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { errors as joseErrors, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';
import { transact } from '../context.js';
import { Unauthenticated } from '../errors.js';
import { newId } from '../ids.js';
import { deleteSigningKeysOlderThan, insertSigningKey, listSigningKeys } from './jwt-keys-store.js';
import type { SecretBox } from './secret-box.js';

/**
 * Short-lived JWTs (HS256) for API clients that signed in with a password. The keys live in the
 * database, so a token issued by one app instance is honoured by every other; each process keeps
 * only a cache of them. A key signs for ROTATE_AFTER_SECONDS and is kept until no token it signed
 * can still be valid. Keys are stored sealed by the SecretBox (ROLLCALL_SECRET_KEYS): a copy of the
 * database alone signs nothing.
 */

export const JWT_LIFETIME_SECONDS = 15 * 60;
const ROTATE_AFTER_SECONDS = 7 * 24 * 3600;
const CACHE_SECONDS = 5 * 60;
const ISSUER = 'rollcall';
const AUDIENCE = 'rollcall:api';

export interface JwtClaims {
  accountUserId: string;
  accountId: string;
  /** How the holder signed in; only passwords issue JWTs today. */
  method: 'password';
  /**
   * When the sign-in behind the token happened, in milliseconds on the database's clock (iat is in
   * whole seconds, on this process's): compared with a deactivation (credentials_not_before).
   */
  issuedAtMs?: number;
}

/** A signing key as used: its id (the JWT kid), the key itself, when it was made. */
interface SigningKey {
  id: string;
  key: Buffer;
  created_at: Date;
}

export class SecretKeysMissing extends Error {
  constructor() {
    super('JWT signing needs ROLLCALL_SECRET_KEYS (the keys that encrypt secrets at rest): none is configured');
  }
}

export class JwtKeys {
  private cache: { keys: SigningKey[]; loadedAt: number } | undefined;

  constructor(
    private readonly db: Knex,
    private readonly box: SecretBox | undefined,
  ) {}

  async issue(claims: JwtClaims): Promise<{ token: string; expiresIn: number }> {
    const key = await this.currentKey();
    const now = Date.now();
    const token = await new SignJWT({ acc: claims.accountId, amr: [claims.method === 'password' ? 'pwd' : claims.method], iat_ms: claims.issuedAtMs ?? now })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: key.id })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(claims.accountUserId)
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(Math.floor(now / 1000) + JWT_LIFETIME_SECONDS)
      .sign(key.key);
    return { token, expiresIn: JWT_LIFETIME_SECONDS };
  }

  /** The claims of a valid, unexpired token signed by one of our keys; Unauthenticated otherwise. */
  async verify(token: string): Promise<JwtClaims> {
    const getKey: JWTVerifyGetKey = async (header) => {
      const key = (await this.keyById(header.kid ?? '')) ?? (await this.keyById(header.kid ?? '', true));
      if (!key) throw new Unauthenticated('The token was not signed by this service');
      return key.key;
    };
    try {
      const { payload } = await jwtVerify(token, getKey, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'], clockTolerance: 5 });
      const amr = Array.isArray(payload.amr) ? payload.amr : [];
      if (typeof payload.sub !== 'string' || typeof payload.acc !== 'string' || !amr.includes('pwd')) {
        throw new Unauthenticated('The token is not a Rollcall sign-in token');
      }
      const issuedAtMs = typeof payload.iat_ms === 'number' ? payload.iat_ms : typeof payload.iat === 'number' ? payload.iat * 1000 : undefined;
      return { accountUserId: payload.sub, accountId: payload.acc, method: 'password', issuedAtMs };
    } catch (err) {
      if (err instanceof Unauthenticated) throw err;
      if (err instanceof joseErrors.JWTExpired) throw new Unauthenticated('The token has expired: sign in again at /public/login');
      if (err instanceof joseErrors.JOSEError) throw new Unauthenticated('The token is not valid');
      throw err;
    }
  }

  private sealer(): SecretBox {
    if (!this.box) throw new SecretKeysMissing();
    return this.box;
  }

  /** The stored keys this process can open (a key sealed with a key no longer configured is skipped). */
  private async keys(reload = false): Promise<SigningKey[]> {
    if (!reload && this.cache && Date.now() - this.cache.loadedAt < CACHE_SECONDS * 1000) return this.cache.keys;
    const box = this.sealer();
    const rows = await transact(this.db, (trx) => listSigningKeys(trx));
    const keys: SigningKey[] = [];
    for (const row of rows) {
      const key = box.open(row.secret, row.id);
      if (key) keys.push({ id: row.id, key, created_at: row.created_at });
    }
    this.cache = { keys, loadedAt: Date.now() };
    return keys;
  }

  private async keyById(kid: string, reload = false): Promise<SigningKey | undefined> {
    return (await this.keys(reload)).find((k) => k.id === kid);
  }

  /** The newest key, or a new one when there is none or it is due for rotation. */
  private async currentKey(): Promise<SigningKey> {
    const fresh = (keys: SigningKey[]) => keys.find((k) => Date.now() - new Date(k.created_at).getTime() < ROTATE_AFTER_SECONDS * 1000);
    const cached = fresh(await this.keys());
    if (cached) return cached;
    const stored = fresh(await this.keys(true));
    if (stored) return stored;
    await transact(this.db, async (trx) => {
      const id = newId('jwk');
      await insertSigningKey(trx, { id, secret: this.sealer().seal(randomBytes(32), id) });
      await deleteSigningKeysOlderThan(trx, ROTATE_AFTER_SECONDS + JWT_LIFETIME_SECONDS + 60);
    });
    return fresh(await this.keys(true))!;
  }
}
