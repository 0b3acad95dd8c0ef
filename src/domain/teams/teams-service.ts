import type { Knex } from 'knex';
import { recordAudit } from '../audit/audit-service.js';
import { type Context, requireAccountManager, transact, type Trx } from '../context.js';
import { Invalid, NotFound, show } from '../errors.js';
import { newId } from '../ids.js';
import { existingMembershipIds, type Page } from '../users/account-users-store.js';
import { addTeamMembers, deleteTeam, findTeam, insertTeam, listTeams, lockTeam, removeTeamMembers, type TeamRecord, teamMemberIds, updateTeam } from './teams-store.js';

export interface TeamInput {
  name?: string;
  description?: string | null;
  external_id?: string | null;
  /** The whole member list (replaces it). */
  member_ids?: string[];
}

function checkTeamName(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new Invalid('name', 'name is required');
  const name = value.trim();
  if (name.length > 200) throw new Invalid('name', `name ${show(name)} is longer than 200 characters`);
  return name;
}

export class TeamsService {
  constructor(private readonly db: Knex) {}

  async create(ctx: Context, input: TeamInput): Promise<TeamRecord> {
    requireAccountManager(ctx, 'create teams');
    return transact(this.db, async (trx) => {
      const id = newId('tem');
      const name = checkTeamName(input.name);
      await insertTeam(trx, { id, account_id: ctx.accountId, name, description: input.description ?? null, external_id: input.external_id ?? null });
      const members = await this.checkMembers(trx, ctx, input.member_ids ?? []);
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

  async update(ctx: Context, id: string, input: TeamInput): Promise<TeamRecord> {
    requireAccountManager(ctx, 'change teams');
    return transact(this.db, async (trx) => {
      const team = await lockTeam(trx, ctx.accountId, id);
      if (!team) throw new NotFound('team', id);
      const changes: Record<string, unknown> = {};
      const update: Parameters<typeof updateTeam>[3] = {};
      if (input.name !== undefined && input.name !== team.name) update.name = changes.name = checkTeamName(input.name);
      if (input.description !== undefined && input.description !== team.description) update.description = changes.description = input.description;
      if (input.external_id !== undefined && input.external_id !== team.external_id) update.external_id = changes.external_id = input.external_id;
      if (input.member_ids !== undefined) {
        const wanted = await this.checkMembers(trx, ctx, input.member_ids);
        const current = await teamMemberIds(trx, id);
        const added = await addTeamMembers(trx, id, wanted.filter((m) => !current.includes(m)));
        const removed = await removeTeamMembers(trx, id, current.filter((m) => !wanted.includes(m)));
        if (added.length || removed.length) changes.members = { added, removed };
      }
      if (Object.keys(changes).length) {
        await updateTeam(trx, ctx.accountId, id, update);
        await recordAudit(trx, ctx, { action: 'team.update', targetType: 'team', targetId: id, changes });
      }
      return (await findTeam(trx, ctx.accountId, id))!;
    });
  }

  async delete(ctx: Context, id: string): Promise<void> {
    requireAccountManager(ctx, 'delete teams');
    await transact(this.db, async (trx) => {
      if (!(await deleteTeam(trx, ctx.accountId, id))) throw new NotFound('team', id);
      await recordAudit(trx, ctx, { action: 'team.delete', targetType: 'team', targetId: id });
    });
  }

  /** Only members of this account can be put in its teams. */
  private async checkMembers(trx: Trx, ctx: Context, ids: readonly string[]): Promise<string[]> {
    const unique = [...new Set(ids)];
    const known = await existingMembershipIds(trx, ctx.accountId, unique);
    const missing = unique.find((m) => !known.has(m));
    if (missing) throw new Invalid('member_ids', `member_ids: account user ${show(missing)} is not a member of this account`);
    return unique;
  }
}
