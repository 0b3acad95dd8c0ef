import type { Knex } from 'knex';
import type { ChangeFeed } from '../../db/change-feed.js';
import { findAccount } from '../accounts/accounts-store.js';
import { recordAudit } from '../audit/audit-service.js';
import { type Context, requireAccountManager, transact } from '../context.js';
import { Forbidden, Invalid, NotFound, Unauthenticated, show } from '../errors.js';
import { newId } from '../ids.js';
import { findScimToken, findScimTokenAccountId, insertScimToken, listScimTokens, revokeScimToken, type ScimTokenRow, useScimToken } from './scim-tokens-store.js';
import { ScimTokenCache } from './scim-token-cache.js';
import { generateSecret, hashSecret } from './secret-tokens.js';

/**
 * SCIM bearer tokens: each belongs to an account and lets that account's identity provider
 * provision it. Only the SHA-256 hash is stored; the token is answered once, at creation.
 */
export class ScimTokensService {
  /** Valid tokens, when a change feed tells this process of revocations (scim-token-cache.ts). */
  private readonly cache: ScimTokenCache | undefined;

  constructor(
    private readonly db: Knex,
    changes?: ChangeFeed,
  ) {
    this.cache = changes && new ScimTokenCache(changes);
  }

  /**
   * Admins (and the operator) create tokens. Answers the token once. `expiry`: when it stops
   * working (tokenExpiry), never by default.
   */
  async create(ctx: Context, name?: string, expiry: { expiresAt?: unknown; expiresInDays?: unknown } = {}): Promise<{ id: string; token: string; row: ScimTokenRow }> {
    requireAccountManager(ctx, 'create SCIM tokens');
    if (ctx.actor.type === 'scim_token') throw new Forbidden('A SCIM token cannot create SCIM tokens');
    const checkedName = checkName(name);
    const expiresAt = tokenExpiry(expiry);
    return transact(this.db, async (trx) => {
      if (!(await findAccount(trx, ctx.accountId))) throw new NotFound('account', ctx.accountId);
      const id = newId('stok');
      const { secret, hash } = generateSecret('rc_scim');
      await insertScimToken(trx, { id, account_id: ctx.accountId, name: checkedName, token_hash: hash, expires_at: expiresAt });
      await recordAudit(trx, ctx, { action: 'scim_token.create', targetType: 'scim_token', targetId: id, changes: { name: checkedName, expires_at: expiresAt?.toISOString() ?? null } });
      return { id, token: secret, row: (await findScimToken(trx, ctx.accountId, id))! };
    });
  }

  /** For the operator (CLI): a token for an account named by its id. */
  async createAsOperator(accountId: string, name?: string): Promise<{ id: string; token: string }> {
    const { id, token } = await this.create({ accountId, actor: { type: 'system' }, channel: 'cli' }, name);
    return { id, token };
  }

  async list(ctx: Context): Promise<ScimTokenRow[]> {
    requireAccountManager(ctx, 'list SCIM tokens');
    return transact(this.db, (trx) => listScimTokens(trx, ctx.accountId));
  }

  /** For the operator (CLI): the working tokens of an account named by its id. */
  async listAsOperator(accountId: string): Promise<ScimTokenRow[]> {
    return transact(this.db, async (trx) => {
      if (!(await findAccount(trx, accountId))) throw new NotFound('account', accountId);
      return listScimTokens(trx, accountId);
    });
  }

  /** For the operator (CLI): revokes a token found by its id alone, audited as the operator. */
  async revokeAsOperator(id: string): Promise<{ accountId: string }> {
    const accountId = await transact(this.db, (trx) => findScimTokenAccountId(trx, id));
    if (!accountId) throw new NotFound('scim_token', id);
    await this.revoke({ accountId, actor: { type: 'system' }, channel: 'cli' }, id);
    return { accountId };
  }

  async revoke(ctx: Context, id: string): Promise<void> {
    requireAccountManager(ctx, 'revoke SCIM tokens');
    await transact(this.db, async (trx) => {
      if (!(await revokeScimToken(trx, ctx.accountId, id))) throw new NotFound('scim_token', id);
      await recordAudit(trx, ctx, { action: 'scim_token.revoke', targetType: 'scim_token', targetId: id });
    });
    // other instances hear it from the change feed (revokeScimToken notifies); this one needn't wait
    this.cache?.forget(id);
  }

  /**
   * The context an identity provider acts in: the token's account, through the SCIM channel.
   * A missing, unknown, revoked or expired token is Unauthenticated (the message never echoes the token).
   */
  async authenticate(token: string, requestId?: string): Promise<Context> {
    if (typeof token !== 'string' || token === '') throw new Unauthenticated('Send the SCIM token as "Authorization: Bearer <token>"');
    const hash = hashSecret(token);
    const found = this.cache ? await this.cache.through(hash, () => useScimToken(this.db, hash)) : await useScimToken(this.db, hash);
    if (!found) throw new Unauthenticated('The SCIM token is not valid');
    return { accountId: found.account_id, actor: { type: 'scim_token', tokenId: found.id }, channel: 'scim', requestId };
  }
}

function checkName(name: string | undefined): string | null {
  if (name === undefined || name.trim() === '') return null;
  if (name.length > 200) throw new Invalid('name', `name ${show(name)} is longer than 200 characters`);
  return name.trim();
}

/** The longest a token may be given to live: ten years, which is as good as never but still a date. */
export const MAX_TOKEN_DAYS = 3650;

/**
 * When a new token stops working: expiresAt (an ISO 8601 time in the future) or expiresInDays (a
 * whole number of days from now, 1 to MAX_TOKEN_DAYS), not both; neither (or null): never.
 */
export function tokenExpiry(input: { expiresAt?: unknown; expiresInDays?: unknown }, now = new Date()): Date | null {
  const { expiresAt, expiresInDays } = input;
  const given = (v: unknown) => v !== undefined && v !== null && v !== '';
  if (given(expiresAt) && given(expiresInDays)) throw new Invalid('expires_at', 'Send expires_at or expires_in_days, not both');
  if (given(expiresInDays)) {
    const days = typeof expiresInDays === 'string' && /^\d+$/.test(expiresInDays) ? Number(expiresInDays) : expiresInDays;
    if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > MAX_TOKEN_DAYS) {
      throw new Invalid('expires_in_days', `expires_in_days ${show(expiresInDays)} is not a whole number of days from 1 to ${MAX_TOKEN_DAYS}`);
    }
    return new Date(now.getTime() + days * 86_400_000);
  }
  if (given(expiresAt)) {
    const at = typeof expiresAt === 'string' && /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2}))?$/.test(expiresAt) ? new Date(expiresAt) : undefined;
    if (!at || Number.isNaN(at.getTime())) throw new Invalid('expires_at', `expires_at ${show(expiresAt)} is not an ISO 8601 date or time (2027-01-31 or 2027-01-31T12:00:00Z)`);
    if (at.getTime() <= now.getTime()) throw new Invalid('expires_at', `expires_at ${show(expiresAt)} is not in the future`);
    if (at.getTime() > now.getTime() + MAX_TOKEN_DAYS * 86_400_000) throw new Invalid('expires_at', `expires_at ${show(expiresAt)} is more than ${MAX_TOKEN_DAYS} days away`);
    return at;
  }
  return null;
}
