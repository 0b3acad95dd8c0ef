import type { Knex } from 'knex';
import type { Queryable } from '../../db/database.js';
import { atomically, type Context, requireAccountManager, transact, type Trx } from '../context.js';
import { NotFound } from '../errors.js';
import type { ListResult } from '../query.js';
import type { TeamChange, TeamFields, TeamsService } from '../teams/teams-service.js';
import { findTeam, type TeamRecord } from '../teams/teams-store.js';
import { type AccountUsersService, type CreateAccountUser, runCreate, sendingInvitation, type UpdateAccountUser } from '../users/account-users-service.js';
import type { MemberQuery, TeamQuery } from './directory-filter.js';
import { PageContinuations } from './page-continuations.js';
import { type DirectoryMember, findDirectoryMember, findDirectoryMembers, idpAttributesUpsert, idpAttributesWrittenWith, lockDirectoryMember, memberNames, searchMemberDocuments, searchTeams } from './directory-store.js';
import { type MemberRendering, storeDocuments } from './member-documents-store.js';

/**
 * The account's directory as an identity provider sees it (the SCIM adapter's use cases): members
 * with the teams they are in and what the IdP sent that is kept as sent; teams with their members.
 * Creating and changing members goes through AccountUsersService (rules 1, 2 and 6 hold here too);
 * team membership changes are applied one operation at a time in SQL, never by reading the whole
 * team and writing it back, so concurrent changes to one team all land.
 */

export type { DirectoryMember } from './directory-store.js';
export type { MemberRendering } from './member-documents-store.js';

export interface DirectoryTeam {
  team: TeamRecord;
  /** Empty when the members were not asked for. */
  members: { id: string; name: string }[];
}

export type { TeamChange } from '../teams/teams-service.js';

/** A change to a member through the directory: the use case's changes, and the IdP's attributes kept as sent (replacing them) when given. */
export interface MemberUpdate {
  changes: UpdateAccountUser;
  idp?: Record<string, unknown>;
}

/** Tries of a change without a lock before it runs under the lock (updateMember). */
const UNLOCKED_ATTEMPTS = 3;

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

  /**
   * A page of members as `rendering` renders them: their stored documents (member-documents-store.ts),
   * and for those with none current, the members read whole, rendered and stored. In steady state
   * one statement (the page with its documents, and the total when the page does not tell it); no
   * transaction to open: a document rendered here is stored under the stamp the page read, which a
   * change since then no longer matches.
   */
  async searchMemberDocuments(ctx: Context, query: MemberQuery, rendering: MemberRendering): Promise<ListResult<string>> {
    const found = await searchMemberDocuments(this.db, ctx.accountId, query, rendering.format, this.continuations);
    const missing = found.rows.filter((r) => r.body === null);
    if (missing.length === 0) return { rows: found.rows.map((r) => r.body!), total: found.total };
    const members = new Map((await findDirectoryMembers(this.db, ctx.accountId, missing.map((r) => r.id))).map((m) => [m.membership.id, m]));
    const rendered: { id: string; stamp: string; body: string }[] = [];
    for (const row of missing) {
      const member = members.get(row.id);
      if (member) rendered.push({ id: row.id, stamp: row.stamp, body: rendering.render(member) });
    }
    await storeDocuments(this.db, rendering.format, rendered);
    const bodies = new Map(rendered.map((r) => [r.id, r.body]));
    // a member deleted since the page was read is left out of it
    const rows = found.rows.flatMap((r) => r.body ?? bodies.get(r.id) ?? []);
    return { rows, total: found.total };
  }

  async getMember(ctx: Context, id: string): Promise<DirectoryMember> {
    return this.memberIn(this.db, ctx, id);
  }

  /**
   * Rule 1 (link an existing person) and the retry on a lost race are AccountUsersService's; the
   * IdP's extra attributes are written by the membership's INSERT (one statement, without a
   * transaction, unless teams are set too).
   */
  async createMember(ctx: Context, input: CreateAccountUser, idp: Record<string, unknown> = {}): Promise<DirectoryMember> {
    requireAccountManager(ctx, 'add people to the account');
    const created = await runCreate(this.db, input, async (q) => {
      const created = await this.accountUsers.createIn(q, ctx, input, (id) => (Object.keys(idp).length ? [idpAttributesUpsert(q, id, idp)] : []));
      // a new membership is in the teams it was given, if any: their names are read with it
      if (created.team_ids.length) return this.memberIn(q, ctx, created.id);
      return { membership: created, idp, teams: [] };
    });
    sendingInvitation(created.membership);
    return created;
  }

  /**
   * Applies `update` to the member: the changes, or a function of the member as read, which reads
   * it without changing it (a SCIM PATCH applies its operations to a document built from what it
   * reads here). `idp` replaces the kept attributes when given; a change of those alone still bumps
   * the version and is audited, and with other changes it is named in the same audit event.
   *
   * First without a lock or transaction: the member read, the change written by one statement that
   * checks the version read (AccountUsersService.updateReadIn), the member read again and the
   * update applied again when another write came first. A change one statement cannot make (an
   * email or phone changed in place, teams) runs as a locked update does: the member locked and
   * read whole (one statement), the update applied to it, the writes, COMMIT; the member is read
   * again only when the update cannot tell what it became. Either way no concurrent change comes
   * between the read the update is applied to and its write.
   */
  async updateMember(ctx: Context, id: string, update: MemberUpdate | ((current: DirectoryMember) => MemberUpdate)): Promise<DirectoryMember> {
    for (let attempt = 1; attempt <= UNLOCKED_ATTEMPTS; attempt++) {
      const written = await atomically(this.db, true, async (q) => {
        const current = await this.memberIn(q, ctx, id);
        const { changes, idp, kept } = this.changesTo(q, ctx, current, update);
        const result = await this.accountUsers.updateReadIn(q, ctx, current.membership, changes, kept.alsoChanged, kept.companions);
        return typeof result === 'string' ? result : { membership: result, idp, teams: current.teams };
      });
      if (written === 'needs-transaction') break;
      if (written !== 'changed') return written;
    }
    return transact(this.db, async (trx) => {
      const current = await lockDirectoryMember(trx, ctx.accountId, id);
      if (!current) throw new NotFound('account_user', id);
      const { changes, idp, kept } = this.changesTo(trx, ctx, current, update);
      const membership = await this.accountUsers.updateLockedIn(trx, ctx, current.membership, changes, kept.alsoChanged, kept.companions);
      if (!membership) return this.memberIn(trx, ctx, id);
      return { membership, idp, teams: current.teams };
    });
  }

  /**
   * `update` applied to the member as read: the changes, the kept attributes as they will be, and,
   * when those change (only by an account manager), what the membership's UPDATE is told of it
   * (a change named in its audit event, and their write as its companion, which it causes).
   */
  private changesTo(q: Queryable, ctx: Context, current: DirectoryMember, update: MemberUpdate | ((current: DirectoryMember) => MemberUpdate)) {
    // the function reads the member and must not change it (the update compares with it): no copy
    // is made for it (a structuredClone of the member was ~1.5% of a PATCH's server CPU)
    const { changes, idp } = typeof update === 'function' ? update(current) : update;
    // jsonb keeps keys in its own order: compare as values, or every write would rewrite them
    if (idp === undefined || canonicalJson(current.idp) === canonicalJson(idp)) return { changes, idp: current.idp, kept: { alsoChanged: {}, companions: [] } };
    requireAccountManager(ctx, "change a member's attributes");
    return { changes, idp, kept: { alsoChanged: { idp_attributes: 'changed' }, companions: [idpAttributesWrittenWith(q, idp)] } };
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

  /** Team changes are TeamsService's (one rule for every path); this answers the team as SCIM shows it (read again only to list its members). */
  async changeTeam(ctx: Context, id: string, changes: readonly TeamChange[], expectedVersion?: number, withMembers = true): Promise<DirectoryTeam> {
    return transact(this.db, async (trx) => {
      const team = await this.teams.changeIn(trx, ctx, id, changes, { expectedVersion, fields: SCIM_TEAM_FIELDS });
      if (!withMembers) return { team: { ...team, member_ids: [] }, members: [] };
      return this.teamIn(trx, ctx, id, withMembers);
    });
  }

  /** A team change whose answer is only the team's version (a SCIM 204 with its ETag): TeamsService.changeForVersion. */
  async changeTeamVersion(ctx: Context, id: string, changes: readonly TeamChange[], expectedVersion?: number): Promise<number> {
    return this.teams.changeForVersion(ctx, id, changes, { expectedVersion, fields: SCIM_TEAM_FIELDS });
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
