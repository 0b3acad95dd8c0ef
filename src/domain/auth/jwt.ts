import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { errors as joseErrors, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';
import { transact } from '../context.js';
import { Unauthenticated } from '../errors.js';
import { newId } from '../ids.js';
import { deleteSigningKeysOlderThan, insertSigningKey, listSigningKeys, type SigningKeyRow } from './jwt-keys-store.js';

/**
 * Short-lived JWTs (HS256) for API clients that signed in with a password. The keys live in the
 * database, so a token issued by one app instance is honoured by every other; each process keeps
 * only a cache of them. A key signs for ROTATE_AFTER_SECONDS and is kept until no token it signed
 * can still be valid.
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
}

export class JwtKeys {
  private cache: { keys: SigningKeyRow[]; loadedAt: number } | undefined;

  constructor(private readonly db: Knex) {}

  async issue(claims: JwtClaims): Promise<{ token: string; expiresIn: number }> {
    const key = await this.currentKey();
    const token = await new SignJWT({ acc: claims.accountId, amr: [claims.method === 'password' ? 'pwd' : claims.method] })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: key.id })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(claims.accountUserId)
      .setIssuedAt()
      .setExpirationTime(`${JWT_LIFETIME_SECONDS}s`)
      .sign(Buffer.from(key.secret, 'base64url'));
    return { token, expiresIn: JWT_LIFETIME_SECONDS };
  }

  /** The claims of a valid, unexpired token signed by one of our keys; Unauthenticated otherwise. */
  async verify(token: string): Promise<JwtClaims> {
    const getKey: JWTVerifyGetKey = async (header) => {
      const key = (await this.keyById(header.kid ?? '')) ?? (await this.keyById(header.kid ?? '', true));
      if (!key) throw new Unauthenticated('The token was not signed by this service');
      return Buffer.from(key.secret, 'base64url');
    };
    try {
      const { payload } = await jwtVerify(token, getKey, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'], clockTolerance: 5 });
      const amr = Array.isArray(payload.amr) ? payload.amr : [];
      if (typeof payload.sub !== 'string' || typeof payload.acc !== 'string' || !amr.includes('pwd')) {
        throw new Unauthenticated('The token is not a Rollcall sign-in token');
      }
      return { accountUserId: payload.sub, accountId: payload.acc, method: 'password' };
    } catch (err) {
      if (err instanceof Unauthenticated) throw err;
      if (err instanceof joseErrors.JWTExpired) throw new Unauthenticated('The token has expired: sign in again at /public/login');
      if (err instanceof joseErrors.JOSEError) throw new Unauthenticated('The token is not valid');
      throw err;
    }
  }

  private async keys(reload = false): Promise<SigningKeyRow[]> {
    if (!reload && this.cache && Date.now() - this.cache.loadedAt < CACHE_SECONDS * 1000) return this.cache.keys;
    const keys = await transact(this.db, (trx) => listSigningKeys(trx));
    this.cache = { keys, loadedAt: Date.now() };
    return keys;
  }

  private async keyById(kid: string, reload = false): Promise<SigningKeyRow | undefined> {
    return (await this.keys(reload)).find((k) => k.id === kid);
  }

  /** The newest key, or a new one when there is none or it is due for rotation. */
  private async currentKey(): Promise<SigningKeyRow> {
    const fresh = (keys: SigningKeyRow[]) => keys.find((k) => Date.now() - new Date(k.created_at).getTime() < ROTATE_AFTER_SECONDS * 1000);
    const cached = fresh(await this.keys());
    if (cached) return cached;
    const stored = fresh(await this.keys(true));
    if (stored) return stored;
    await transact(this.db, async (trx) => {
      await insertSigningKey(trx, { id: newId('jwk'), secret: randomBytes(32).toString('base64url') });
      await deleteSigningKeysOlderThan(trx, ROTATE_AFTER_SECONDS + JWT_LIFETIME_SECONDS + 60);
    });
    return fresh(await this.keys(true))!;
  }
}
