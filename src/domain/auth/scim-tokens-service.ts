import type { Knex } from 'knex';
import type { ChangeFeed } from '../../db/change-feed.js';
import { findAccount } from '../accounts/accounts-store.js';
import { recordAudit } from '../audit/audit-service.js';
import { type Context, requireAccountManager, transact } from '../context.js';
import { Forbidden, Invalid, NotFound, Unauthenticated, show } from '../errors.js';
import { newId } from '../ids.js';
import { findScimToken, insertScimToken, listScimTokens, revokeScimToken, type ScimTokenRow, useScimToken } from './scim-tokens-store.js';
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

  /** Admins (and the operator) create tokens. Answers the token once. */
  async create(ctx: Context, name?: string): Promise<{ id: string; token: string; row: ScimTokenRow }> {
    requireAccountManager(ctx, 'create SCIM tokens');
    if (ctx.actor.type === 'scim_token') throw new Forbidden('A SCIM token cannot create SCIM tokens');
    const checkedName = checkName(name);
    return transact(this.db, async (trx) => {
      if (!(await findAccount(trx, ctx.accountId))) throw new NotFound('account', ctx.accountId);
      const id = newId('stok');
      const { secret, hash } = generateSecret('rc_scim');
      await insertScimToken(trx, { id, account_id: ctx.accountId, name: checkedName, token_hash: hash });
      await recordAudit(trx, ctx, { action: 'scim_token.create', targetType: 'scim_token', targetId: id, changes: { name: checkedName } });
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
   * A missing, unknown or revoked token is Unauthenticated (the message never echoes the token).
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
