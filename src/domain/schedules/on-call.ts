import { DateTime, type DurationLikeObject } from 'luxon';

/**
 * Who is on call: a pure function of a schedule's time zone, layers and overrides. No database,
 * no clock. Rotations are counted in the schedule's time zone with luxon, so a daily rotation that
 * hands off at 09:00 keeps handing off at 09:00 local time across daylight-saving changes (that day
 * is 23 or 25 hours long); an hourly rotation counts real hours.
 */

export const ROTATION_UNITS = ['hour', 'day', 'week'] as const;
export type RotationUnit = (typeof ROTATION_UNITS)[number];

export interface RotationLayer {
  id: string;
  /** 0 is the bottom layer; where several layers have someone, the highest wins. */
  position: number;
  startsAt: Date;
  /** Open end: the rotation goes on. */
  endsAt: Date | null;
  rotationLength: number;
  rotationUnit: RotationUnit;
  /** Account user ids in turn order; null is a vacant slot (nobody on call from this layer for that turn). */
  members: readonly (string | null)[];
}

export interface Override {
  id: string;
  accountUserId: string;
  startsAt: Date;
  endsAt: Date;
}

export interface Shift {
  accountUserId: string;
  source: { type: 'layer' | 'override'; id: string };
  /** The turn (layer) or the override that puts this member on call, as instants. */
  startsAt: Date;
  endsAt: Date | null;
}

const UNIT_KEY: Record<RotationUnit, keyof DurationLikeObject> = { hour: 'hours', day: 'days', week: 'weeks' };

/** The start of turn `k` of a layer: `k` rotation lengths after its start, in local calendar terms. */
function handoff(start: DateTime, layer: RotationLayer, k: number): DateTime {
  return start.plus({ [UNIT_KEY[layer.rotationUnit]]: k * layer.rotationLength });
}

/** The turn of the layer that covers `at`, or null when the layer has not started or has ended. */
export function turnAt(timeZone: string, layer: RotationLayer, at: Date): { index: number; member: string | null; startsAt: Date; endsAt: Date | null } | null {
  if (at < layer.startsAt || (layer.endsAt && at >= layer.endsAt) || layer.members.length === 0) return null;
  const start = DateTime.fromJSDate(layer.startsAt, { zone: timeZone });
  const when = DateTime.fromJSDate(at, { zone: timeZone });
  // luxon's diff in days or weeks is calendar-aware in the zone; the loops below settle any rounding.
  let k = Math.floor(when.diff(start, UNIT_KEY[layer.rotationUnit]).as(UNIT_KEY[layer.rotationUnit]) / layer.rotationLength);
  while (k > 0 && handoff(start, layer, k) > when) k--;
  while (handoff(start, layer, k + 1) <= when) k++;
  const next = handoff(start, layer, k + 1).toJSDate();
  return {
    index: k,
    member: layer.members[k % layer.members.length],
    startsAt: handoff(start, layer, k).toJSDate(),
    endsAt: layer.endsAt && layer.endsAt < next ? layer.endsAt : next,
  };
}

/**
 * Who is on call at `at`: an override covering that instant wins (the one that started last, then
 * the one listed last); otherwise the highest layer whose turn has a member; otherwise nobody.
 */
export function onCallAt(timeZone: string, layers: readonly RotationLayer[], overrides: readonly Override[], at: Date): Shift | null {
  let override: Override | undefined;
  for (const o of overrides) {
    if (o.startsAt <= at && at < o.endsAt && (!override || o.startsAt >= override.startsAt)) override = o;
  }
  if (override) {
    return { accountUserId: override.accountUserId, source: { type: 'override', id: override.id }, startsAt: override.startsAt, endsAt: override.endsAt };
  }
  const topDown = [...layers].sort((a, b) => b.position - a.position);
  for (const layer of topDown) {
    const turn = turnAt(timeZone, layer, at);
    if (turn?.member) return { accountUserId: turn.member, source: { type: 'layer', id: layer.id }, startsAt: turn.startsAt, endsAt: turn.endsAt };
  }
  return null;
}
