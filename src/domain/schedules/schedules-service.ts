import type { Knex } from 'knex';
import { recordAudit } from '../audit/audit-service.js';
import { type Context, requireAccountManager, transact, type Trx } from '../context.js';
import { Invalid, NotFound, show } from '../errors.js';
import { newId } from '../ids.js';
import { existingTeamIds } from '../teams/teams-store.js';
import { lockMembershipsShared, type Page } from '../users/account-users-store.js';
import { checkTimeZone } from '../users/profile-rules.js';
import { onCallAt, type Shift } from './on-call.js';
import {
  checkRange, checkRotationLength, checkRotationUnit, checkScheduleName, checkTime, localTime,
  MAX_LAYER_MEMBERS, MAX_LAYERS, MAX_OVERRIDES,
} from './schedule-rules.js';
import {
  countOverrides, deleteOverride, deleteSchedule, findSchedule, insertOverrides, insertSchedule, type LayerInsert, listSchedules, lockSchedule,
  type OverrideInsert, replaceLayers, replaceOverrides, type ScheduledPerson, type ScheduleRecord, schedulesNamingMember, type ScheduleUpdate, updateSchedule,
} from './schedules-store.js';

/** Use cases on schedules: their rotation layers, their overrides, and who is on call. */

export interface LayerInput {
  /** An existing layer of this schedule keeps its id; without one the layer is new. */
  id?: string;
  name?: string | null;
  starts_at?: string;
  ends_at?: string | null;
  rotation_length?: number;
  rotation_unit?: string;
  /** Members in turn order. */
  account_user_ids?: string[];
}

export interface OverrideInput {
  id?: string;
  account_user_id?: string;
  starts_at?: string;
  ends_at?: string;
}

export interface ScheduleInput {
  name?: string;
  time_zone?: string;
  team_id?: string | null;
  /** The whole list of layers, bottom first (replaces it). */
  layers?: LayerInput[];
  /** The whole list of overrides (replaces it). */
  overrides?: OverrideInput[];
}

export interface OnCallAnswer {
  schedule: ScheduleRecord;
  at: Date;
  /** `at` on the schedule's clock, with its offset. */
  localTime: string;
  shift: (Shift & { person: ScheduledPerson | undefined }) | null;
}

/** A member named at a place in the input, for an error message that points at it. */
interface MemberRef {
  id: string;
  field: string;
}

export class SchedulesService {
  constructor(private readonly db: Knex) {}

  async create(ctx: Context, input: ScheduleInput): Promise<ScheduleRecord> {
    requireAccountManager(ctx, 'create schedules');
    const name = checkScheduleName(input.name);
    if (input.time_zone === undefined) throw new Invalid('time_zone', 'time_zone is required (an IANA time zone such as America/New_York)');
    const timeZone = checkTimeZone(input.time_zone);
    return transact(this.db, async (trx) => {
      const id = newId('skd');
      const teamId = await this.checkTeam(trx, ctx, input.team_id ?? null);
      const layers = input.layers ? this.readLayers(input.layers, timeZone, new Set()) : undefined;
      const overrides = input.overrides ? this.readOverrides(input.overrides, timeZone, new Set()) : undefined;
      await this.lockMembers(trx, ctx, [...(layers?.refs ?? []), ...(overrides?.refs ?? [])]);
      await insertSchedule(trx, { id, account_id: ctx.accountId, name, time_zone: timeZone, team_id: teamId });
      if (layers) await replaceLayers(trx, id, layers.rows);
      if (overrides) await replaceOverrides(trx, id, overrides.rows);
      await recordAudit(trx, ctx, {
        action: 'schedule.create',
        targetType: 'schedule',
        targetId: id,
        changes: { name, time_zone: timeZone, team_id: teamId, ...(layers && { layers: layerSummary(layers.rows) }), ...(overrides && { overrides: overrides.rows }) },
      });
      return (await findSchedule(trx, ctx.accountId, id))!;
    });
  }

  async get(ctx: Context, id: string): Promise<ScheduleRecord> {
    const found = await transact(this.db, (trx) => findSchedule(trx, ctx.accountId, id));
    if (!found) throw new NotFound('schedule', id);
    return found;
  }

  async list(ctx: Context, page: Page): Promise<{ rows: ScheduleRecord[]; total: number }> {
    return transact(this.db, (trx) => listSchedules(trx, ctx.accountId, page));
  }

  /** The schedules on which the member has a current or future place (a layer slot or an override that has not ended). */
  async namingMember(ctx: Context, accountUserId: string): Promise<{ id: string; name: string }[]> {
    return transact(this.db, (trx) => schedulesNamingMember(trx, ctx.accountId, accountUserId));
  }

  async update(ctx: Context, id: string, input: ScheduleInput): Promise<ScheduleRecord> {
    requireAccountManager(ctx, 'change schedules');
    return transact(this.db, async (trx) => {
      const locked = await lockSchedule(trx, ctx.accountId, id);
      if (!locked) throw new NotFound('schedule', id);
      const current = (await findSchedule(trx, ctx.accountId, id))!;
      const changes: Record<string, unknown> = {};
      const update: ScheduleUpdate = {};
      if (input.name !== undefined) {
        const name = checkScheduleName(input.name);
        if (name !== locked.name) update.name = changes.name = name;
      }
      const timeZone = input.time_zone === undefined ? locked.time_zone : checkTimeZone(input.time_zone);
      if (timeZone !== locked.time_zone) update.time_zone = changes.time_zone = timeZone;
      if (input.team_id !== undefined) {
        const teamId = await this.checkTeam(trx, ctx, input.team_id);
        if (teamId !== locked.team_id) update.team_id = changes.team_id = teamId;
      }
      const layers = input.layers ? this.readLayers(input.layers, timeZone, new Set(current.layers.map((l) => l.id))) : undefined;
      const overrides = input.overrides ? this.readOverrides(input.overrides, timeZone, new Set(current.overrides.map((o) => o.id))) : undefined;
      await this.lockMembers(trx, ctx, [...(layers?.refs ?? []), ...(overrides?.refs ?? [])]);
      if (layers) {
        await replaceLayers(trx, id, layers.rows);
        const before = layerSummary(current.layers);
        const after = layerSummary(layers.rows);
        if (JSON.stringify(before) !== JSON.stringify(after)) changes.layers = { before, after };
      }
      if (overrides) {
        await replaceOverrides(trx, id, overrides.rows);
        const before = current.overrides.map(({ id: oid, account_user_id, starts_at, ends_at }) => ({ id: oid, account_user_id, starts_at, ends_at }));
        if (JSON.stringify(before) !== JSON.stringify(overrides.rows)) changes.overrides = { before, after: overrides.rows };
      }
      if (Object.keys(changes).length) {
        await updateSchedule(trx, ctx.accountId, id, update);
        await recordAudit(trx, ctx, { action: 'schedule.update', targetType: 'schedule', targetId: id, changes });
      }
      return (await findSchedule(trx, ctx.accountId, id))!;
    });
  }

  async delete(ctx: Context, id: string): Promise<void> {
    requireAccountManager(ctx, 'delete schedules');
    await transact(this.db, async (trx) => {
      const schedule = await lockSchedule(trx, ctx.accountId, id);
      if (!schedule || !(await deleteSchedule(trx, ctx.accountId, id))) throw new NotFound('schedule', id);
      await recordAudit(trx, ctx, { action: 'schedule.delete', targetType: 'schedule', targetId: id, changes: { name: schedule.name } });
    });
  }

  /** Adds one override to a schedule; the others stay. */
  async addOverride(ctx: Context, scheduleId: string, input: OverrideInput): Promise<ScheduleRecord> {
    requireAccountManager(ctx, 'change schedules');
    return transact(this.db, async (trx) => {
      const schedule = await lockSchedule(trx, ctx.accountId, scheduleId);
      if (!schedule) throw new NotFound('schedule', scheduleId);
      if ((await countOverrides(trx, scheduleId)) >= MAX_OVERRIDES) {
        throw new Invalid('overrides', `a schedule holds at most ${MAX_OVERRIDES} overrides: remove some that have ended first`);
      }
      const { rows, refs } = this.readOverrides([{ ...input, id: undefined }], schedule.time_zone, new Set(), '');
      await this.lockMembers(trx, ctx, refs);
      await insertOverrides(trx, scheduleId, rows);
      await updateSchedule(trx, ctx.accountId, scheduleId, {});
      await recordAudit(trx, ctx, { action: 'schedule.override.create', targetType: 'schedule', targetId: scheduleId, changes: { override: rows[0] } });
      return (await findSchedule(trx, ctx.accountId, scheduleId))!;
    });
  }

  async removeOverride(ctx: Context, scheduleId: string, overrideId: string): Promise<ScheduleRecord> {
    requireAccountManager(ctx, 'change schedules');
    return transact(this.db, async (trx) => {
      if (!(await lockSchedule(trx, ctx.accountId, scheduleId))) throw new NotFound('schedule', scheduleId);
      const removed = await deleteOverride(trx, scheduleId, overrideId);
      if (!removed) throw new NotFound('override', overrideId);
      await updateSchedule(trx, ctx.accountId, scheduleId, {});
      const { id, account_user_id, starts_at, ends_at } = removed;
      await recordAudit(trx, ctx, { action: 'schedule.override.delete', targetType: 'schedule', targetId: scheduleId, changes: { override: { id, account_user_id, starts_at, ends_at } } });
      return (await findSchedule(trx, ctx.accountId, scheduleId))!;
    });
  }

  /** Who is on call at `at` (an ISO time; without an offset, on the schedule's clock), or now. */
  async onCall(ctx: Context, id: string, at?: string): Promise<OnCallAnswer> {
    const schedule = await this.get(ctx, id);
    const when = at === undefined ? new Date() : checkTime(at, schedule.time_zone, 'at');
    const layers = schedule.layers.map((l) => ({
      id: l.id, position: l.position, startsAt: new Date(l.starts_at), endsAt: l.ends_at && new Date(l.ends_at),
      rotationLength: l.rotation_length, rotationUnit: l.rotation_unit, members: l.members,
    }));
    const overrides = schedule.overrides.map((o) => ({ id: o.id, accountUserId: o.account_user_id, startsAt: new Date(o.starts_at), endsAt: new Date(o.ends_at) }));
    const shift = onCallAt(schedule.time_zone, layers, overrides, when);
    return { schedule, at: when, localTime: localTime(when, schedule.time_zone), shift: shift && { ...shift, person: schedule.people[shift.accountUserId] } };
  }

  private async checkTeam(trx: Trx, ctx: Context, teamId: string | null): Promise<string | null> {
    if (teamId === null) return null;
    if (!(await existingTeamIds(trx, ctx.accountId, [teamId])).has(teamId)) throw new Invalid('team_id', `team_id: team ${show(teamId)} does not exist in this account`);
    return teamId;
  }

  /**
   * Only members of this account go on its schedules. Their rows are share-locked until the
   * transaction ends, so a concurrent delete of one of them either waits for this assignment (and
   * then finds them scheduled) or has already removed them (and this finds them missing).
   */
  private async lockMembers(trx: Trx, ctx: Context, refs: readonly MemberRef[]): Promise<void> {
    const ids = [...new Set(refs.map((r) => r.id))];
    const found = new Set((await lockMembershipsShared(trx, ctx.accountId, ids)).map((m) => m.id));
    const missing = refs.find((r) => !found.has(r.id));
    if (missing) throw new Invalid(missing.field, `${missing.field}: account user ${show(missing.id)} is not a member of this account`);
  }

  private readLayers(input: readonly LayerInput[], timeZone: string, existing: ReadonlySet<string>): { rows: LayerInsert[]; refs: MemberRef[] } {
    if (input.length > MAX_LAYERS) throw new Invalid('layers', `a schedule has at most ${MAX_LAYERS} layers, not ${input.length}`);
    const refs: MemberRef[] = [];
    const seen = new Set<string>();
    const rows = input.map((layer, position): LayerInsert => {
      const f = `layers[${position}]`;
      const id = this.keptId(layer.id, existing, seen, `${f}.id`, 'layer') ?? newId('lyr');
      const startsAt = checkTime(layer.starts_at, timeZone, `${f}.starts_at`);
      const endsAt = layer.ends_at == null ? null : checkTime(layer.ends_at, timeZone, `${f}.ends_at`);
      checkRange(startsAt, endsAt, `${f}.ends_at`);
      const members = layer.account_user_ids ?? [];
      if (members.length === 0 || members.length > MAX_LAYER_MEMBERS) {
        throw new Invalid(`${f}.account_user_ids`, `${f}.account_user_ids must list from 1 to ${MAX_LAYER_MEMBERS} members in turn order, not ${members.length}`);
      }
      members.forEach((m, i) => refs.push({ id: m, field: `${f}.account_user_ids[${i}]` }));
      return {
        id, position, starts_at: startsAt, ends_at: endsAt, members,
        name: layer.name?.trim() || null,
        rotation_length: checkRotationLength(layer.rotation_length, `${f}.rotation_length`),
        rotation_unit: checkRotationUnit(layer.rotation_unit, `${f}.rotation_unit`),
      };
    });
    return { rows, refs };
  }

  private readOverrides(input: readonly OverrideInput[], timeZone: string, existing: ReadonlySet<string>, list = 'overrides'): { rows: OverrideInsert[]; refs: MemberRef[] } {
    if (input.length > MAX_OVERRIDES) throw new Invalid('overrides', `a schedule has at most ${MAX_OVERRIDES} overrides, not ${input.length}`);
    const refs: MemberRef[] = [];
    const seen = new Set<string>();
    const rows = input.map((o, i): OverrideInsert => {
      const f = list ? `${list}[${i}].` : '';
      const id = this.keptId(o.id, existing, seen, `${f}id`, 'override') ?? newId('ovr');
      if (!o.account_user_id) throw new Invalid(`${f}account_user_id`, `${f}account_user_id is required`);
      refs.push({ id: o.account_user_id, field: `${f}account_user_id` });
      const startsAt = checkTime(o.starts_at, timeZone, `${f}starts_at`);
      const endsAt = checkTime(o.ends_at, timeZone, `${f}ends_at`);
      checkRange(startsAt, endsAt, `${f}ends_at`);
      return { id, account_user_id: o.account_user_id, starts_at: startsAt, ends_at: endsAt };
    });
    return { rows, refs };
  }

  /** An id given in a replacing list must name an existing item of this schedule, once. */
  private keptId(id: string | undefined, existing: ReadonlySet<string>, seen: Set<string>, field: string, what: string): string | undefined {
    if (id === undefined) return undefined;
    if (!existing.has(id) || seen.has(id)) throw new Invalid(field, `${field}: ${show(id)} is not ${seen.has(id) ? 'listed once' : `an existing ${what} of this schedule`} (leave id out for a new ${what})`);
    seen.add(id);
    return id;
  }
}

function layerSummary(layers: readonly LayerInsert[]) {
  return layers.map((l) => ({ id: l.id, starts_at: l.starts_at, ends_at: l.ends_at, rotation: `${l.rotation_length} ${l.rotation_unit}`, account_user_ids: l.members }));
}
