import type { Knex } from 'knex';
import { recordAudit } from '../audit/audit-service.js';
import { type Context, requireAccountManager, transact, type Trx } from '../context.js';
import { Conflict, NotFound } from '../errors.js';
import type { ListResult } from '../query.js';
import type { TeamChange, TeamFields, TeamsService } from '../teams/teams-service.js';
import { findTeam, type TeamRecord } from '../teams/teams-store.js';
import { type AccountUsersService, type CreateAccountUser, retryLostCreateRace, type UpdateAccountUser } from '../users/account-users-service.js';
import { touchMembership } from '../users/account-users-store.js';
import type { MemberQuery, TeamQuery } from './directory-filter.js';
import { PageContinuations } from './page-continuations.js';
import { type DirectoryMember, findDirectoryMember, lockMemberWithIdp, memberNames, saveIdpAttributes, searchMembers, searchTeams } from './directory-store.js';

/**
 * The account's directory as an identity provider sees it (the SCIM adapter's use cases): members
 * with the teams they are in and what the IdP sent that is kept as sent; teams with their members.
 * Creating and changing members goes through AccountUsersService (rules 1, 2 and 6 hold here too);
 * team membership changes are applied one operation at a time in SQL, never by reading the whole
 * team and writing it back, so concurrent changes to one team all land.
 */

export type { DirectoryMember } from './directory-store.js';

export interface DirectoryTeam {
  team: TeamRecord;
  /** Empty when the members were not asked for. */
  members: { id: string; name: string }[];
}

export type { TeamChange } from '../teams/teams-service.js';

/** SCIM's names for a team's fields, for error messages. */
const SCIM_TEAM_FIELDS: TeamFields = { name: 'displayName', members: 'members' };

/** JSON with object keys sorted at every depth: equal for equal values whatever the key order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

export class DirectoryService {
  /** Where recent pages of unfiltered member lists ended (keyset continuation of an import's walk). */
  private readonly continuations = new PageContinuations();

  constructor(
    private readonly db: Knex,
    private readonly accountUsers: AccountUsersService,
    private readonly teams: TeamsService,
  ) {}

  /** Reads are single statements (the page, then a count only when needed): no transaction to open. */
  async searchMembers(ctx: Context, query: MemberQuery): Promise<ListResult<DirectoryMember>> {
    return searchMembers(this.db, ctx.accountId, query, this.continuations);
  }

  async getMember(ctx: Context, id: string): Promise<DirectoryMember> {
    return this.memberIn(this.db, ctx, id);
  }

  /** Rule 1 (link an existing person) and the retry on a lost race are AccountUsersService's; the IdP's extra attributes are saved in the same transaction. */
  async createMember(ctx: Context, input: CreateAccountUser, idp: Record<string, unknown> = {}): Promise<DirectoryMember> {
    requireAccountManager(ctx, 'add people to the account');
    return retryLostCreateRace(() =>
      transact(this.db, async (trx) => {
        const created = await this.accountUsers.createIn(trx, ctx, input);
        if (Object.keys(idp).length) await saveIdpAttributes(trx, created.id, idp);
        return this.memberIn(trx, ctx, created.id);
      }),
    );
  }

  /** `idp` replaces the kept attributes when given. A change of those alone still bumps the version and is audited. */
  async updateMember(ctx: Context, id: string, changes: UpdateAccountUser, idp?: Record<string, unknown>): Promise<DirectoryMember> {
    return transact(this.db, async (trx) => {
      const before = await lockMemberWithIdp(trx, ctx.accountId, id);
      if (!before) throw new NotFound('account_user', id);
      const updated = await this.accountUsers.updateIn(trx, ctx, id, changes);
      if (idp !== undefined) {
        // jsonb keeps keys in its own order: compare as values, or every write would rewrite them
        if (canonicalJson(before.idp) !== canonicalJson(idp)) {
          requireAccountManager(ctx, "change a member's attributes");
          await saveIdpAttributes(trx, id, idp);
          if (updated.version === before.version) {
            await touchMembership(trx, ctx.accountId, id);
            await recordAudit(trx, ctx, { action: 'account_user.update', targetType: 'account_user', targetId: id, changes: { idp_attributes: 'changed' } });
          }
        }
      }
      return this.memberIn(trx, ctx, id);
    });
  }

  /** `expectedVersion` (If-Match) is compared under the membership's lock, inside the delete. */
  async deleteMember(ctx: Context, id: string, expectedVersion?: number): Promise<void> {
    await this.accountUsers.delete(ctx, id, expectedVersion);
  }


  async searchTeams(ctx: Context, query: TeamQuery, withMembers: boolean): Promise<ListResult<DirectoryTeam>> {
    return transact(this.db, async (trx) => {
      const found = await searchTeams(trx, ctx.accountId, query, withMembers);
      const names = await memberNames(trx, ctx.accountId, found.rows.flatMap((t) => t.member_ids));
      return { rows: found.rows.map((team) => ({ team, members: team.member_ids.map((m) => ({ id: m, name: names.get(m) ?? '' })) })), total: found.total };
    });
  }

  async getTeam(ctx: Context, id: string, withMembers = true): Promise<DirectoryTeam> {
    return transact(this.db, (trx) => this.teamIn(trx, ctx, id, withMembers));
  }

  /** Team changes are TeamsService's (one rule for every path); this answers the team as SCIM shows it. */
  async changeTeam(ctx: Context, id: string, changes: readonly TeamChange[], expectedVersion?: number, withMembers = true): Promise<DirectoryTeam> {
    return transact(this.db, async (trx) => {
      await this.teams.changeIn(trx, ctx, id, changes, { expectedVersion, fields: SCIM_TEAM_FIELDS });
      return this.teamIn(trx, ctx, id, withMembers);
    });
  }

  private async memberIn(q: Knex | Trx, ctx: Context, id: string): Promise<DirectoryMember> {
    const found = await findDirectoryMember(q, ctx.accountId, id);
    if (!found) throw new NotFound('account_user', id);
    return found;
  }

  private async teamIn(trx: Trx, ctx: Context, id: string, withMembers: boolean): Promise<DirectoryTeam> {
    const team = await findTeam(trx, ctx.accountId, id, withMembers);
    if (!team) throw new NotFound('team', id);
    if (!withMembers) return { team, members: [] };
    const names = await memberNames(trx, ctx.accountId, team.member_ids);
    return { team, members: team.member_ids.map((m) => ({ id: m, name: names.get(m) ?? '' })) };
  }
}
