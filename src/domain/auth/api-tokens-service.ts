import type { Knex } from 'knex';
import { recordAudit } from '../audit/audit-service.js';
import { type Context, canManageAccount, transact } from '../context.js';
import { Forbidden, NotFound, Unauthenticated } from '../errors.js';
import { newId } from '../ids.js';
import { findMembershipAccountId, lockMembership } from '../users/account-users-store.js';
import { findAccount } from '../accounts/accounts-store.js';
import { type ApiTokenRow, findApiTokenAccountId, findTokenHolder, insertApiToken, listAccountApiTokens, listApiTokens, revokeApiToken, touchApiToken } from './api-tokens-store.js';
import { generateSecret, hashSecret } from './secret-tokens.js';

export class ApiTokensService {
  constructor(private readonly db: Knex) {}

  /**
   * Answers the token once; only its hash is kept. A token acts as its member, so only that member
   * mints it (an admin who could mint one for another member, the owner included, could act as
   * them, and the audit trail would name them); the operator may, at the command line
   * (createAsOperator, audited as the operator).
   */
  async create(ctx: Context, accountUserId: string, name?: string): Promise<{ id: string; token: string }> {
    const self = ctx.actor.type === 'account_user' && ctx.actor.accountUserId === accountUserId;
    return transact(this.db, async (trx) => {
      // another account's member is not found (404) before anything is refused (403)
      if (!(await lockMembership(trx, ctx.accountId, accountUserId))) throw new NotFound('account_user', accountUserId);
      if (!self && ctx.actor.type !== 'system') {
        throw new Forbidden('An API token can be created only by the member it acts as: they sign in and create it themselves (the operator can, with `rollcall api-token create`)');
      }
      const id = newId('tok');
      const { secret, hash } = generateSecret('rc_api');
      await insertApiToken(trx, { id, account_id: ctx.accountId, account_user_id: accountUserId, name: name ?? null, token_hash: hash });
      await recordAudit(trx, ctx, { action: 'api_token.create', targetType: 'api_token', targetId: id, changes: { account_user_id: accountUserId } });
      return { id, token: secret };
    });
  }

  /** For the operator (CLI): a token for any membership, found by its id alone. */
  async createAsOperator(accountUserId: string, name?: string): Promise<{ id: string; token: string; accountId: string }> {
    const accountId = await transact(this.db, (trx) => findMembershipAccountId(trx, accountUserId));
    if (!accountId) throw new NotFound('account_user', accountUserId);
    const created = await this.create({ accountId, actor: { type: 'system' }, channel: 'cli' }, accountUserId, name);
    return { ...created, accountId };
  }

  async list(ctx: Context, accountUserId: string): Promise<ApiTokenRow[]> {
    this.requireSelfOrAdmin(ctx, accountUserId);
    return transact(this.db, (trx) => listApiTokens(trx, ctx.accountId, accountUserId));
  }

  /** For the operator (CLI): the account's working tokens, or one member's. */
  async listAsOperator(accountId: string, accountUserId?: string): Promise<ApiTokenRow[]> {
    return transact(this.db, async (trx) => {
      if (!(await findAccount(trx, accountId))) throw new NotFound('account', accountId);
      if (accountUserId !== undefined && (await findMembershipAccountId(trx, accountUserId)) !== accountId) throw new NotFound('account_user', accountUserId);
      return listAccountApiTokens(trx, accountId, accountUserId);
    });
  }

  /** For the operator (CLI): revokes a token found by its id alone, audited as the operator. */
  async revokeAsOperator(tokenId: string): Promise<{ accountId: string }> {
    const accountId = await transact(this.db, (trx) => findApiTokenAccountId(trx, tokenId));
    if (!accountId) throw new NotFound('api_token', tokenId);
    await this.revoke({ accountId, actor: { type: 'system' }, channel: 'cli' }, tokenId);
    return { accountId };
  }

  async revoke(ctx: Context, tokenId: string): Promise<void> {
    await transact(this.db, async (trx) => {
      const row = await revokeApiToken(trx, ctx.accountId, tokenId);
      if (!row) throw new NotFound('api_token', tokenId);
      this.requireSelfOrAdmin(ctx, row.account_user_id); // throws: the update is rolled back
      await recordAudit(trx, ctx, { action: 'api_token.revoke', targetType: 'api_token', targetId: tokenId });
    });
  }

  /**
   * The context a bearer token acts in. A revoked token, or one whose membership is deactivated
   * (rule 3), does not authenticate.
   */
  async authenticate(token: string, requestId?: string): Promise<Context> {
    const holder = await transact(this.db, async (trx) => {
      const found = await findTokenHolder(trx, hashSecret(token));
      if (found?.active) await touchApiToken(trx, found.token_id);
      return found;
    });
    if (!holder) throw new Unauthenticated('The API token is not valid');
    if (!holder.active) throw new Unauthenticated('This membership is deactivated: its API tokens no longer work');
    return {
      accountId: holder.account_id,
      actor: { type: 'account_user', accountUserId: holder.account_user_id, userId: holder.user_id, roles: holder.roles, method: 'api_token' },
      channel: 'api',
      requestId,
    };
  }

  private requireSelfOrAdmin(ctx: Context, accountUserId: string): void {
    const self = ctx.actor.type === 'account_user' && ctx.actor.accountUserId === accountUserId;
    if (!self && !canManageAccount(ctx)) throw new Forbidden("Only an admin may manage another member's API tokens");
  }
}
