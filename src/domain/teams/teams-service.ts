import type { Knex } from 'knex';
import { auditWith, eventRow, recordAudit } from '../audit/audit-service.js';
import { atomically, type Context, requireAccountManager, transact, type Trx } from '../context.js';
import { Invalid, NotFound, requireVersion, show } from '../errors.js';
import { newId } from '../ids.js';
import { checkExternalId } from '../input-limits.js';
import { existingMembershipIds, type Page } from '../users/account-users-store.js';
import {
  addAccountMembersToTeam, addTeamMembers, changeTeamMembersAlone, deleteTeam, findTeam, insertTeam, listTeams, lockTeam, readTeamWith, removeAllTeamMembers, removeTeamMembers,
  type TeamRecord, type TeamRow, type TeamSummary, teamMemberIds, teamsOfMember, teamSummaries, updateTeam,
} from './teams-store.js';

export interface TeamInput {
  name?: string;
  description?: string | null;
  external_id?: string | null;
  /** The whole member list (replaces it). */
  member_ids?: string[];
}

/** How a protocol names a team's fields, for error messages. */
export interface TeamFields {
  name?: string;
  members?: string;
}

/** One change to a team. A list of them is applied in order, in one transaction (TeamsService.changeIn). */
export type TeamChange =
  | { kind: 'add_members'; ids: string[] }
  | { kind: 'remove_members'; ids: string[] }
  | { kind: 'remove_all_members' }
  | { kind: 'set_members'; ids: string[] }
  | { kind: 'rename'; name: string }
  | { kind: 'set_description'; value: string | null }
  | { kind: 'set_external_id'; value: string | null };

/** A team name: required, at most 200 characters. `field` is the name the caller's protocol gives it. */
export function checkTeamName(value: unknown, field = 'name'): string {
  if (typeof value !== 'string' || value.trim() === '') throw new Invalid(field, `${field} is required`);
  const name = value.trim();
  if (name.length > 200) throw new Invalid(field, `${field} ${show(name)} is longer than 200 characters`);
  return name;
}

export class TeamsService {
  constructor(private readonly db: Knex) {}

  /** `fields` names name and members as the caller's protocol does (REST: name, member_ids; SCIM: displayName, members). */
  async create(ctx: Context, input: TeamInput, fields: TeamFields = {}): Promise<TeamRecord> {
    requireAccountManager(ctx, 'create teams');
    return transact(this.db, async (trx) => {
      const id = newId('tem');
      const name = checkTeamName(input.name, fields.name);
      await insertTeam(trx, { id, account_id: ctx.accountId, name, description: input.description ?? null, external_id: checkExternalId(input.external_id) ?? null });
      const members = await this.checkMembers(trx, ctx, input.member_ids ?? [], fields.members);
      await addTeamMembers(trx, id, members);
      await recordAudit(trx, ctx, { action: 'team.create', targetType: 'team', targetId: id, changes: { name, member_ids: members } });
      return (await findTeam(trx, ctx.accountId, id))!;
    });
  }

  async get(ctx: Context, id: string): Promise<TeamRecord> {
    const team = await transact(this.db, (trx) => findTeam(trx, ctx.accountId, id));
    if (!team) throw new NotFound('team', id);
    return team;
  }

  async list(ctx: Context, page: Page): Promise<{ rows: TeamRecord[]; total: number }> {
    return transact(this.db, (trx) => listTeams(trx, ctx.accountId, page));
  }

  /** The teams the member `accountUserId` of the account is in, by name (none for a stranger's id). */
  async ofMember(ctx: Context, accountUserId: string): Promise<TeamSummary[]> {
    return transact(this.db, (trx) => teamsOfMember(trx, ctx.accountId, accountUserId));
  }

  /** The account's teams by name and size, without members: at most `limit`. */
  async summaries(ctx: Context, limit: number): Promise<TeamSummary[]> {
    return transact(this.db, (trx) => teamSummaries(trx, ctx.accountId, limit));
  }

  async update(ctx: Context, id: string, input: TeamInput): Promise<TeamRecord> {
    const changes: TeamChange[] = [];
    if (input.name !== undefined) changes.push({ kind: 'rename', name: input.name });
    if (input.description !== undefined) changes.push({ kind: 'set_description', value: input.description });
    if (input.external_id !== undefined) changes.push({ kind: 'set_external_id', value: input.external_id });
    if (input.member_ids !== undefined) changes.push({ kind: 'set_members', ids: input.member_ids });
    return transact(this.db, async (trx) => {
      await this.changeIn(trx, ctx, id, changes);
      return (await findTeam(trx, ctx.accountId, id))!;
    });
  }

  /**
   * Applies the changes in order inside the caller's transaction: each member added or removed is
   * one row inserted or deleted, never the whole team read and written back. The team row is
   * share-locked when only members are added or removed (such changes to one team run side by
   * side), and locked for update otherwise (a rename, a whole member list, an If-Match: they run
   * alone). One audit event when anything changed; the version (the SCIM ETag) moves with member
   * changes too (migration 009). `expectedVersion` is the caller's If-Match, compared under the
   * lock. Answers the team row as it now is.
   */
  async changeIn(trx: Trx, ctx: Context, id: string, changes: readonly TeamChange[], options: { expectedVersion?: number; fields?: TeamFields } = {}): Promise<TeamRow> {
    requireAccountManager(ctx, 'change teams');
    // Adding and removing members is row by row, so changes to one team's members need not wait
    // for each other; anything that writes the team's row, or compares its version, waits for them.
    const membersOnly = options.expectedVersion === undefined && changes.every((c) => c.kind === 'add_members' || c.kind === 'remove_members' || c.kind === 'remove_all_members');
    const team = await lockTeam(trx, ctx.accountId, id, membersOnly ? 'share' : 'update');
    if (!team) throw new NotFound('team', id);
    requireVersion('team', id, team.version, options.expectedVersion);
    const update: Parameters<typeof updateTeam>[3] = {};
    const added = new Set<string>();
    const removed = new Set<string>();
    // an id added then removed (or the reverse) in one request nets out
    const note = (ids: string[], into: Set<string>, from: Set<string>) => ids.forEach((m) => (from.has(m) ? from.delete(m) : into.add(m)));
    for (const change of changes) {
      switch (change.kind) {
        case 'rename': {
          const name = checkTeamName(change.name, options.fields?.name);
          if (name !== team.name) update.name = team.name = name;
          break;
        }
        case 'set_description':
          if (change.value !== team.description) update.description = team.description = change.value;
          break;
        case 'set_external_id':
          if (change.value !== team.external_id) update.external_id = team.external_id = checkExternalId(change.value);
          break;
        case 'add_members': {
          // the check that they are members of the account and the insert are one statement
          const { added: newcomers, strangers } = await addAccountMembersToTeam(trx, ctx.accountId, id, [...new Set(change.ids)]);
          if (strangers.length) throw notMembers(strangers[0], options.fields?.members);
          note(newcomers, added, removed);
          break;
        }
        case 'remove_members':
          note(await removeTeamMembers(trx, id, [...new Set(change.ids)]), removed, added);
          break;
        case 'remove_all_members':
          note(await removeAllTeamMembers(trx, id), removed, added);
          break;
        case 'set_members': {
          const wanted = await this.checkMembers(trx, ctx, change.ids, options.fields?.members);
          const current = await teamMemberIds(trx, id);
          note(await removeTeamMembers(trx, id, current.filter((m) => !wanted.includes(m))), removed, added);
          note(await addTeamMembers(trx, id, wanted.filter((m) => !current.includes(m))), added, removed);
          break;
        }
      }
    }
    const audit: Record<string, unknown> = { ...update };
    if (added.size || removed.size) audit.members = { added: [...added], removed: [...removed] };
    if (!Object.keys(audit).length) return team;
    const event = auditWith(trx, ctx, { action: 'team.update', targetType: 'team', targetId: id, changes: audit });
    // member changes move the version without the row (migration 009): read it as they left it
    if (!Object.keys(update).length) return readTeamWith(trx, ctx.accountId, id, event);
    return updateTeam(trx, ctx.accountId, id, update, event);
  }

  /**
   * changeIn in a transaction of its own, for a caller that needs only the team's version after it
   * (a SCIM 204 with its ETag). One add or removal of members without If-Match, the commonest group
   * write an IdP sends, is written by one statement without a transaction instead (BENCHMARKS.md):
   * the same rules, audit event and lock mode as changeIn's for a member-only change.
   */
  async changeForVersion(ctx: Context, id: string, changes: readonly TeamChange[], options: { expectedVersion?: number; fields?: TeamFields } = {}): Promise<number> {
    const [only] = changes;
    if (options.expectedVersion !== undefined || changes.length !== 1 || (only.kind !== 'add_members' && only.kind !== 'remove_members')) {
      return transact(this.db, async (trx) => (await this.changeIn(trx, ctx, id, changes, options)).version);
    }
    requireAccountManager(ctx, 'change teams');
    const { changes: _none, ...audit } = eventRow(ctx, { action: 'team.update', targetType: 'team', targetId: id });
    const result = await atomically(this.db, true, (q) => changeTeamMembersAlone(q, ctx.accountId, id, only.kind === 'add_members' ? 'add' : 'remove', only.ids, audit));
    if (!result) throw new NotFound('team', id);
    if (result.strangers.length) throw notMembers(result.strangers[0], options.fields?.members);
    return result.version;
  }

  /** `expectedVersion` (If-Match) is compared under the team's lock, inside the delete. */
  async delete(ctx: Context, id: string, expectedVersion?: number): Promise<void> {
    requireAccountManager(ctx, 'delete teams');
    await transact(this.db, async (trx) => {
      if (expectedVersion !== undefined) {
        const team = await lockTeam(trx, ctx.accountId, id);
        if (!team) throw new NotFound('team', id);
        requireVersion('team', id, team.version, expectedVersion);
      }
      if (!(await deleteTeam(trx, ctx.accountId, id))) throw new NotFound('team', id);
      await recordAudit(trx, ctx, { action: 'team.delete', targetType: 'team', targetId: id });
    });
  }

  /** Only members of this account can be put in its teams. */
  private async checkMembers(trx: Trx, ctx: Context, ids: readonly string[], field?: string): Promise<string[]> {
    const unique = [...new Set(ids)];
    const known = await existingMembershipIds(trx, ctx.accountId, unique);
    const missing = unique.find((m) => !known.has(m));
    if (missing !== undefined) throw notMembers(missing, field);
    return unique;
  }
}

function notMembers(id: string, field = 'member_ids'): Invalid {
  return new Invalid(field, `${field}: account user ${show(id)} is not a member of this account`);
}
