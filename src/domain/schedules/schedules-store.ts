import type { Knex } from 'knex';
import type { Queryable } from '../../db/database.js';
import { isUniqueViolation, violatedConstraint } from '../../db/errors.js';
import { Conflict, show } from '../errors.js';
import type { Page } from '../users/account-users-store.js';
import type { RotationUnit } from './on-call.js';

/** The only place that runs SQL on schedules, schedule_layers, schedule_layer_members and schedule_overrides. */

export interface ScheduleRow {
  id: string;
  account_id: string;
  name: string;
  time_zone: string;
  team_id: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export interface LayerRow {
  id: string;
  schedule_id: string;
  position: number;
  name: string | null;
  starts_at: Date;
  ends_at: Date | null;
  rotation_length: number;
  rotation_unit: RotationUnit;
}

export interface LayerRecord extends LayerRow {
  /** Account user ids in turn order; null is a slot left vacant by a member deleted after the layer ended. */
  members: (string | null)[];
}

export interface OverrideRow {
  id: string;
  schedule_id: string;
  account_user_id: string;
  starts_at: Date;
  ends_at: Date;
  created_at: Date;
}

/** A member named by a schedule, as the schedule shows them. */
export interface ScheduledPerson {
  name: string;
  active: boolean;
}

export interface ScheduleRecord extends ScheduleRow {
  layers: LayerRecord[];
  overrides: OverrideRow[];
  /** Every member the layers and overrides name. */
  people: Record<string, ScheduledPerson>;
}

export type ScheduleInsert = Pick<ScheduleRow, 'id' | 'account_id' | 'name' | 'time_zone' | 'team_id'>;
export type ScheduleUpdate = Partial<Pick<ScheduleRow, 'name' | 'time_zone' | 'team_id'>>;
export type LayerInsert = Omit<LayerRecord, 'schedule_id'>;
export type OverrideInsert = Omit<OverrideRow, 'schedule_id' | 'created_at'>;

async function translateUnique<T>(name: string | undefined, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (isUniqueViolation(err) && violatedConstraint(err) === 'schedules_name_unique') {
      throw new Conflict(`a schedule named ${show(name ?? '')} already exists in this account`, 'name');
    }
    throw err;
  }
}

/** Layers, overrides and the people they name, for a page of schedules, in three queries. */
async function withChildren(q: Queryable, schedules: ScheduleRow[]): Promise<ScheduleRecord[]> {
  if (schedules.length === 0) return [];
  const ids = schedules.map((s) => s.id);
  // One after the other: a transaction is one connection, and pg refuses queries issued on top of each other.
  const layers = (await q('schedule_layers').whereIn('schedule_id', ids).orderBy([{ column: 'schedule_id' }, { column: 'position' }]).select('*')) as LayerRow[];
  const members = (await q('schedule_layer_members as m')
    .join('schedule_layers as l', 'l.id', 'm.layer_id')
    .whereIn('l.schedule_id', ids)
    .orderBy([{ column: 'm.layer_id' }, { column: 'm.position' }])
    .select('m.layer_id', 'm.account_user_id')) as { layer_id: string; account_user_id: string | null }[];
  const overrides = (await q('schedule_overrides').whereIn('schedule_id', ids).orderBy([{ column: 'starts_at' }, { column: 'created_at' }, { column: 'id' }]).select('*')) as OverrideRow[];
  const memberIds = new Set<string>();
  const membersOf = new Map<string, (string | null)[]>();
  for (const m of members) {
    if (!membersOf.has(m.layer_id)) membersOf.set(m.layer_id, []);
    membersOf.get(m.layer_id)!.push(m.account_user_id);
    if (m.account_user_id) memberIds.add(m.account_user_id);
  }
  for (const o of overrides) memberIds.add(o.account_user_id);
  const people = memberIds.size
    ? ((await q('account_users as au').join('users as u', 'u.id', 'au.user_id').whereIn('au.id', [...memberIds]).select('au.id', 'au.active', 'u.name')) as { id: string; active: boolean; name: string }[])
    : [];
  const peopleById = new Map(people.map((p) => [p.id, { name: p.name, active: p.active }]));
  return schedules.map((s) => {
    const ownLayers = layers.filter((l) => l.schedule_id === s.id).map((l) => ({ ...l, members: membersOf.get(l.id) ?? [] }));
    const ownOverrides = overrides.filter((o) => o.schedule_id === s.id);
    const named = new Set([...ownLayers.flatMap((l) => l.members), ...ownOverrides.map((o) => o.account_user_id)]);
    const own: Record<string, ScheduledPerson> = {};
    for (const id of named) if (id && peopleById.has(id)) own[id] = peopleById.get(id)!;
    return { ...s, layers: ownLayers, overrides: ownOverrides, people: own };
  });
}

export async function findSchedule(q: Queryable, accountId: string, id: string): Promise<ScheduleRecord | undefined> {
  const row = (await q('schedules').where({ account_id: accountId, id }).first()) as ScheduleRow | undefined;
  return row && (await withChildren(q, [row]))[0];
}

export async function listSchedules(q: Queryable, accountId: string, page: Page): Promise<{ rows: ScheduleRecord[]; total: number }> {
  const rows = (await q('schedules').where({ account_id: accountId }).orderBy([{ column: 'created_at' }, { column: 'id' }]).limit(page.limit).offset(page.offset).select('*')) as ScheduleRow[];
  const [{ count }] = await q('schedules').where({ account_id: accountId }).count<{ count: number }[]>('* as count');
  return { rows: await withChildren(q, rows), total: Number(count) };
}

/** Locks the schedule row so that concurrent changes to one schedule queue rather than interleave. */
export async function lockSchedule(q: Queryable, accountId: string, id: string): Promise<ScheduleRow | undefined> {
  return (await q('schedules').where({ account_id: accountId, id }).forUpdate().first()) as ScheduleRow | undefined;
}

export async function insertSchedule(q: Queryable, row: ScheduleInsert): Promise<void> {
  await translateUnique(row.name, q('schedules').insert(row));
}

export async function updateSchedule(q: Queryable, accountId: string, id: string, changes: ScheduleUpdate): Promise<void> {
  await translateUnique(changes.name, q('schedules').where({ account_id: accountId, id }).update({ ...changes, version: q.raw('version + 1'), updated_at: q.fn.now() }));
}

export async function deleteSchedule(q: Queryable, accountId: string, id: string): Promise<boolean> {
  return (await q('schedules').where({ account_id: accountId, id }).del().returning('id')).length > 0;
}

/** Replaces all the layers of a schedule (and their member lists) with these. */
export async function replaceLayers(q: Queryable, scheduleId: string, layers: readonly LayerInsert[]): Promise<void> {
  await q('schedule_layers').where({ schedule_id: scheduleId }).del().returning('id');
  if (layers.length === 0) return;
  await q('schedule_layers').insert(layers.map(({ members: _members, ...layer }) => ({ ...layer, schedule_id: scheduleId })));
  const slots = layers.flatMap((l) => l.members.map((account_user_id, position) => ({ layer_id: l.id, position, account_user_id })));
  if (slots.length) await q('schedule_layer_members').insert(slots);
}

/** Replaces all the overrides of a schedule with these. */
export async function replaceOverrides(q: Queryable, scheduleId: string, overrides: readonly OverrideInsert[]): Promise<void> {
  await q('schedule_overrides').where({ schedule_id: scheduleId }).del().returning('id');
  if (overrides.length) await insertOverrides(q, scheduleId, overrides);
}

export async function insertOverrides(q: Queryable, scheduleId: string, overrides: readonly OverrideInsert[]): Promise<void> {
  await q('schedule_overrides').insert(overrides.map((o) => ({ ...o, schedule_id: scheduleId })));
}

export async function deleteOverride(q: Queryable, scheduleId: string, id: string): Promise<OverrideRow | undefined> {
  return ((await q('schedule_overrides').where({ schedule_id: scheduleId, id }).del().returning('*')) as OverrideRow[])[0];
}

export async function countOverrides(q: Queryable, scheduleId: string): Promise<number> {
  const [{ count }] = await q('schedule_overrides').where({ schedule_id: scheduleId }).count<{ count: number }[]>('* as count');
  return Number(count);
}

/**
 * The schedules on which a member has a current or future place: a slot in a layer that has not
 * ended, or an override that has not ended (now() is the transaction's start). The rule is the
 * database function member_schedules_not_ended (migration 011), so that a statement can read it
 * after it has taken the member's row.
 */
export async function schedulesNamingMember(q: Queryable, accountId: string, accountUserId: string): Promise<{ id: string; name: string }[]> {
  const [row] = (await q.select(q.raw('member_schedules_not_ended(?, ?) as schedules', [accountId, accountUserId]))) as { schedules: { id: string; name: string }[] | null }[];
  return row.schedules ?? [];
}

/**
 * schedulesNamingMember as one jsonb value ({id, name} in the same order, or null when there are
 * none), for a statement that records it (the audit event of a deactivation). Volatile: read with
 * a snapshot of its own, taken when the statement calls it. `accountId` and `accountUserId` may be
 * statement-template placeholders.
 */
export function memberSchedulesNotEnded(q: Queryable, accountId: string, accountUserId: string): Knex.Raw {
  return q.raw('member_schedules_not_ended(?, ?)', [accountId, accountUserId]);
}

/**
 * Takes a member off what has ended: their slots in ended layers become vacant (the past rotation
 * keeps its order) and their ended overrides go. Answers how many of each.
 */
export async function releaseEndedPlaces(q: Queryable, accountUserId: string): Promise<{ vacated_slots: number; removed_overrides: number }> {
  const vacated = await q('schedule_layer_members as m')
    .where('m.account_user_id', accountUserId)
    .whereExists((e) => e.select(q.raw('1')).from('schedule_layers as l').whereRaw('l.id = m.layer_id').where('l.ends_at', '<=', q.fn.now()))
    .update({ account_user_id: null })
    .returning('m.layer_id');
  const removed = await q('schedule_overrides').where({ account_user_id: accountUserId }).where('ends_at', '<=', q.fn.now()).del().returning('id');
  return { vacated_slots: vacated.length, removed_overrides: removed.length };
}
