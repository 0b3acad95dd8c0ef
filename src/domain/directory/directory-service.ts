import type { Knex } from 'knex';
import { recordAudit } from '../audit/audit-service.js';
import { type Context, requireAccountManager, transact, type Trx } from '../context.js';
import { Conflict, Invalid, NotFound, show } from '../errors.js';
import type { ListResult } from '../query.js';
import { addTeamMembers, lockTeam, removeTeamMembers, type TeamRecord, teamMemberIds, teamQuery, updateTeam } from '../teams/teams-store.js';
import type { AccountUsersService, CreateAccountUser, UpdateAccountUser } from '../users/account-users-service.js';
import { existingMembershipIds, touchMembership } from '../users/account-users-store.js';
import type { MemberQuery, TeamQuery } from './directory-filter.js';
import { type DirectoryMember, findDirectoryMember, lockMemberWithIdp, memberNames, removeAllTeamMembers, saveIdpAttributes, searchMembers, searchTeams } from './directory-store.js';

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

export type TeamChange =
  | { kind: 'add_members'; ids: string[] }
  | { kind: 'remove_members'; ids: string[] }
  | { kind: 'remove_all_members' }
  | { kind: 'set_members'; ids: string[] }
  | { kind: 'rename'; name: string }
  | { kind: 'set_external_id'; value: string | null };

/** Attempts for a create that loses a race on a unique email or user name (the retry then links or refuses). */
const CREATE_ATTEMPTS = 3;

/** JSON with object keys sorted at every depth: equal for equal values whatever the key order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

function checkTeamName(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new Invalid('displayName', 'displayName is required');
  const name = value.trim();
  if (name.length > 200) throw new Invalid('displayName', `displayName ${show(name)} is longer than 200 characters`);
  return name;
}

export class DirectoryService {
  constructor(
    private readonly db: Knex,
    private readonly accountUsers: AccountUsersService,
  ) {}

  /** Reads are single statements (the page, then a count only when needed): no transaction to open. */
  async searchMembers(ctx: Context, query: MemberQuery): Promise<ListResult<DirectoryMember>> {
    return searchMembers(this.db, ctx.accountId, query);
  }

  async getMember(ctx: Context, id: string): Promise<DirectoryMember> {
    return this.memberIn(this.db, ctx, id);
  }

  /** Rule 1 (link an existing person) and the retry on a lost race are AccountUsersService's; the IdP's extra attributes are saved in the same transaction. */
  async createMember(ctx: Context, input: CreateAccountUser, idp: Record<string, unknown> = {}): Promise<DirectoryMember> {
    requireAccountManager(ctx, 'add people to the account');
    for (let attempt = 1; ; attempt++) {
      try {
        return await transact(this.db, async (trx) => {
          const created = await this.accountUsers.createIn(trx, ctx, input);
          if (Object.keys(idp).length) await saveIdpAttributes(trx, created.id, idp);
          return this.memberIn(trx, ctx, created.id);
        });
      } catch (err) {
        const lostRace = err instanceof Conflict && (err.field === 'email' || err.field === 'user_name');
        if (!lostRace || attempt >= CREATE_ATTEMPTS) throw err;
      }
    }
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

  async deleteMember(ctx: Context, id: string, expectedVersion?: number): Promise<void> {
    if (expectedVersion !== undefined) {
      const current = await this.getMember(ctx, id);
      if (current.membership.version !== expectedVersion) {
        throw new Conflict(`account_user ${id} was changed by someone else (version ${current.membership.version}, not ${expectedVersion})`, 'version');
      }
    }
    await this.accountUsers.delete(ctx, id);
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

  /**
   * Applies the changes in order in one transaction: the team row is locked (concurrent changes to
   * one team queue), each member added or removed is one row inserted or deleted. Answers the team.
   */
  async changeTeam(ctx: Context, id: string, changes: readonly TeamChange[], expectedVersion?: number, withMembers = true): Promise<DirectoryTeam> {
    requireAccountManager(ctx, 'change teams');
    return transact(this.db, async (trx) => {
      const team = await lockTeam(trx, ctx.accountId, id);
      if (!team) throw new NotFound('team', id);
      if (expectedVersion !== undefined && expectedVersion !== team.version) {
        throw new Conflict(`team ${id} was changed by someone else (version ${team.version}, not ${expectedVersion})`, 'version');
      }
      const update: Parameters<typeof updateTeam>[3] = {};
      const added = new Set<string>();
      const removed = new Set<string>();
      const note = (ids: string[], into: Set<string>, from: Set<string>) => ids.forEach((m) => (from.has(m) ? from.delete(m) : into.add(m)));
      for (const change of changes) {
        switch (change.kind) {
          case 'rename': {
            const name = checkTeamName(change.name);
            if (name !== team.name) update.name = team.name = name;
            break;
          }
          case 'set_external_id':
            if (change.value !== team.external_id) update.external_id = team.external_id = change.value;
            break;
          case 'add_members':
            note(await addTeamMembers(trx, id, await this.checkMembers(trx, ctx, change.ids)), added, removed);
            break;
          case 'remove_members':
            note(await removeTeamMembers(trx, id, [...new Set(change.ids)]), removed, added);
            break;
          case 'remove_all_members':
            note(await removeAllTeamMembers(trx, id), removed, added);
            break;
          case 'set_members': {
            const wanted = await this.checkMembers(trx, ctx, change.ids);
            const current = await teamMemberIds(trx, id);
            note(await removeTeamMembers(trx, id, current.filter((m) => !wanted.includes(m))), removed, added);
            note(await addTeamMembers(trx, id, wanted.filter((m) => !current.includes(m))), added, removed);
            break;
          }
        }
      }
      const audit: Record<string, unknown> = { ...update };
      if (added.size || removed.size) audit.members = { added: [...added], removed: [...removed] };
      if (Object.keys(audit).length) {
        await updateTeam(trx, ctx.accountId, id, update); // bumps the version (the ETag) for member changes too
        await recordAudit(trx, ctx, { action: 'team.update', targetType: 'team', targetId: id, changes: audit });
      }
      return this.teamIn(trx, ctx, id, withMembers);
    });
  }

  private async checkMembers(trx: Trx, ctx: Context, ids: readonly string[]): Promise<string[]> {
    const unique = [...new Set(ids)];
    const known = await existingMembershipIds(trx, ctx.accountId, unique);
    const missing = unique.find((m) => !known.has(m));
    if (missing !== undefined) throw new Invalid('members', `members: ${show(missing)} is not a user of this account`);
    return unique;
  }

  private async memberIn(q: Knex | Trx, ctx: Context, id: string): Promise<DirectoryMember> {
    const found = await findDirectoryMember(q, ctx.accountId, id);
    if (!found) throw new NotFound('account_user', id);
    return found;
  }

  private async teamIn(trx: Trx, ctx: Context, id: string, withMembers: boolean): Promise<DirectoryTeam> {
    const team = (await teamQuery(trx, ctx.accountId, withMembers).where('t.id', id).first()) as TeamRecord | undefined;
    if (!team) throw new NotFound('team', id);
    if (!withMembers) return { team, members: [] };
    const names = await memberNames(trx, ctx.accountId, team.member_ids);
    return { team, members: team.member_ids.map((m) => ({ id: m, name: names.get(m) ?? '' })) };
  }
}
