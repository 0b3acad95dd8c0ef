import type { Knex } from 'knex';
import { recordAudit } from '../audit/audit-service.js';
import { type Context, transact } from '../context.js';
import { NotFound } from '../errors.js';
import { newId } from '../ids.js';
import type { AccountUsersService } from '../users/account-users-service.js';
import { checkName } from '../users/profile-rules.js';
import { type AccountRow, countAccounts, findAccount, insertAccount, setAccountOwner } from './accounts-store.js';

export interface CreateAccountInput {
  name: string;
  ownerEmail: string;
  ownerName?: string;
}

export class AccountsService {
  constructor(
    private readonly db: Knex,
    private readonly accountUsers: AccountUsersService,
  ) {}

  /**
   * Creates an account and its owner, an admin. An owner email that already belongs to a person
   * makes that person the owner (rule 1). Operator only (the CLI).
   */
  async create(input: CreateAccountInput, requestId?: string): Promise<{ account: AccountRow; ownerAccountUserId: string; ownerUserId: string }> {
    const name = checkName(input.name);
    const accountId = newId('acc');
    const ctx: Context = { accountId, actor: { type: 'system' }, channel: 'cli', requestId };
    return transact(this.db, async (trx) => {
      await insertAccount(trx, { id: accountId, name });
      const owner = await this.accountUsers.createIn(trx, ctx, {
        user: { name: input.ownerName ?? input.ownerEmail.split('@')[0], emails: { mode: 'replace', items: [{ email: input.ownerEmail, primary: true }] } },
        membership: { roles: ['admin'] },
      });
      await setAccountOwner(trx, accountId, owner.id);
      await recordAudit(trx, ctx, { action: 'account.create', targetType: 'account', targetId: accountId, changes: { name, owner_account_user_id: owner.id } });
      return { account: (await findAccount(trx, accountId))!, ownerAccountUserId: owner.id, ownerUserId: owner.user_id };
    });
  }

  async get(ctx: Context): Promise<AccountRow> {
    const account = await transact(this.db, (trx) => findAccount(trx, ctx.accountId));
    if (!account) throw new NotFound('account', ctx.accountId);
    return account;
  }

  async count(): Promise<number> {
    return transact(this.db, (trx) => countAccounts(trx));
  }
}
