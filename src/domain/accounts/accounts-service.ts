import type { Knex } from 'knex';
import { recordAudit } from '../audit/audit-service.js';
import { type Context, transact } from '../context.js';
import { NotFound } from '../errors.js';
import { newId } from '../ids.js';
import type { AccountUsersService } from '../users/account-users-service.js';
import { checkName, splitFullName } from '../users/profile-rules.js';
import { type AccountRow, type AccountSummary, countAccounts, findAccount, insertAccount, listAccountSummaries, setAccountOwner } from './accounts-store.js';

export interface CreateAccountInput {
  name: string;
  ownerEmail: string;
  /** The owner's full name; without it, their given and family names, or the email's local part. */
  ownerName?: string;
  ownerGivenName?: string;
  ownerFamilyName?: string;
}

/**
 * The owner's names as an IdP will show them (SCIM name.givenName / familyName): as given, and
 * split from the full name only when neither is (the last word the family name, the rest given).
 */
export function ownerNames(input: Pick<CreateAccountInput, 'ownerEmail' | 'ownerName' | 'ownerGivenName' | 'ownerFamilyName'>): { name: string; given_name?: string; family_name?: string } {
  const given = input.ownerGivenName?.trim() || undefined;
  const family = input.ownerFamilyName?.trim() || undefined;
  const full = input.ownerName?.trim() || [given, family].filter(Boolean).join(' ') || input.ownerEmail.split('@')[0];
  if (given || family) return { name: full, given_name: given, family_name: family };
  return { name: full, ...splitFullName(full) };
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
        user: { ...ownerNames(input), emails: { mode: 'replace', items: [{ email: input.ownerEmail, primary: true }] } },
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

  /** Every account with its owner and number of members. Operator only (the CLI): no account sees another. */
  async listAsOperator(): Promise<AccountSummary[]> {
    return transact(this.db, (trx) => listAccountSummaries(trx));
  }
}
