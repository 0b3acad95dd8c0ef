import type { Knex } from 'knex';
import { type Context, transact } from '../context.js';
import { NotFound } from '../errors.js';
import { type AccountUsersService } from './account-users-service.js';
import { findMembershipOfUser, type MembershipRecord, type Page } from './account-users-store.js';
import type { ProfileChanges } from './profile.js';

/**
 * Use cases on people as seen from one account: the users who are members of it. Creating a user
 * here creates a membership without roles; removing one is done on the membership.
 */
export class UsersService {
  constructor(
    private readonly db: Knex,
    private readonly accountUsers: AccountUsersService,
  ) {}

  async create(ctx: Context, profile: ProfileChanges): Promise<MembershipRecord> {
    return this.accountUsers.create(ctx, { user: profile });
  }

  /** The membership through which this account sees the user; NotFound for a stranger. */
  async membershipOf(ctx: Context, userId: string): Promise<MembershipRecord> {
    const found = await transact(this.db, (trx) => findMembershipOfUser(trx, ctx.accountId, userId));
    if (!found) throw new NotFound('user', userId);
    return found;
  }

  async update(ctx: Context, userId: string, profile: ProfileChanges): Promise<MembershipRecord> {
    const membership = await this.membershipOf(ctx, userId);
    return this.accountUsers.update(ctx, membership.id, { user: profile });
  }

  async list(ctx: Context, page: Page): Promise<{ rows: MembershipRecord[]; total: number }> {
    return this.accountUsers.list(ctx, page);
  }
}
