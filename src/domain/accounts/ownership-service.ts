import type { Knex } from 'knex';
import { recordAudit } from '../audit/audit-service.js';
import { type Context, transact } from '../context.js';
import { Forbidden, Invalid, NotFound, show } from '../errors.js';
import { bumpMembershipVersion, lockMembership } from '../users/account-users-store.js';
import { type AccountRow, findAccount, findMemberIdByEmail, lockAccount, setAccountOwner } from './accounts-store.js';

/**
 * Handing the account to another admin. The owner cannot be deleted (rule 4); this is how an
 * owner who is leaving makes way. Only the owner (or the operator at the command line) may do it.
 */
export class OwnershipService {
  constructor(private readonly db: Knex) {}

  async transfer(ctx: Context, toAccountUserId: string): Promise<AccountRow> {
    return transact(this.db, async (trx) => {
      // The account row first, then the membership: the same order as a membership delete, so the
      // two queue rather than deadlock, and a delete never sees a half-made owner.
      const account = await lockAccount(trx, ctx.accountId);
      if (!account) throw new NotFound('account', ctx.accountId);
      const fromOwner = account.owner_account_user_id;
      const isOwner = ctx.actor.type === 'account_user' && ctx.actor.accountUserId === fromOwner;
      if (!isOwner && ctx.actor.type !== 'system') throw new Forbidden('Only the owner of the account may transfer its ownership');
      const field = 'account_user_id';
      if (typeof toAccountUserId !== 'string' || toAccountUserId === '') throw new Invalid(field, `${field} is required: the admin who is to own the account`);
      const target = await lockMembership(trx, ctx.accountId, toAccountUserId);
      if (!target) throw new Invalid(field, `${field}: account user ${show(toAccountUserId)} is not a member of this account`);
      if (target.id === fromOwner) throw new Invalid(field, `${field}: account user ${show(toAccountUserId)} already owns the account`);
      if (!target.active) throw new Invalid(field, `${field}: account user ${show(toAccountUserId)} is deactivated; only an active admin can own the account`);
      if (!target.roles.includes('admin')) throw new Invalid(field, `${field}: account user ${show(toAccountUserId)} is not an admin; grant the admin role first`);
      await setAccountOwner(trx, ctx.accountId, target.id);
      // A write that read the new owner before this (without a lock) must not deactivate or demote
      // them once this commits: the new version sends it back to read them again.
      await bumpMembershipVersion(trx, ctx.accountId, target.id);
      await recordAudit(trx, ctx, { action: 'account.transfer_ownership', targetType: 'account', targetId: ctx.accountId, changes: { owner_account_user_id: { from: fromOwner, to: target.id } } });
      return (await findAccount(trx, ctx.accountId))!;
    });
  }

  /**
   * For the operator (CLI): hands the account to the member named by their account user id or by
   * an email of theirs, with the same checks as the owner's own transfer (an active admin).
   */
  async transferAsOperator(accountId: string, to: string): Promise<{ account: AccountRow; from: string | null }> {
    const ctx: Context = { accountId, actor: { type: 'system' }, channel: 'cli' };
    const { target, from } = await transact(this.db, async (trx) => {
      const account = await findAccount(trx, accountId);
      if (!account) throw new NotFound('account', accountId);
      if (!to.includes('@')) return { target: to, from: account.owner_account_user_id };
      const found = await findMemberIdByEmail(trx, accountId, to);
      if (!found) throw new Invalid('to', `no member of account ${accountId} has the email ${show(to)}`);
      return { target: found, from: account.owner_account_user_id };
    });
    return { account: await this.transfer(ctx, target), from };
  }
}
