import { DateTime } from 'luxon';
import { Invalid, show } from '../errors.js';
import { checkYear } from '../input-limits.js';
import { ROTATION_UNITS, type RotationUnit } from './on-call.js';

/** The rules every schedule value obeys, whichever adapter it came through. */

export const MAX_LAYERS = 20;
export const MAX_LAYER_MEMBERS = 100;
export const MAX_OVERRIDES = 1000;
export const MAX_ROTATION_LENGTH = 1000;

export function checkScheduleName(value: unknown, field = 'name'): string {
  if (typeof value !== 'string' || value.trim() === '') throw new Invalid(field, `${field} is required`);
  const name = value.trim();
  if (name.length > 200) throw new Invalid(field, `${field} ${show(name)} is longer than 200 characters`);
  return name;
}

/**
 * An ISO 8601 time. With an offset or Z it is that instant; without one it is a wall-clock time
 * in the schedule's time zone ("2024-03-09T09:00" is 09:00 there, whatever the offset that day).
 */
export function checkTime(value: unknown, timeZone: string, field: string): Date {
  if (typeof value !== 'string' || value.trim() === '') throw new Invalid(field, `${field} is required (an ISO 8601 time such as 2024-03-09T09:00:00Z)`);
  const parsed = DateTime.fromISO(value.trim(), { zone: timeZone });
  if (!parsed.isValid) {
    throw new Invalid(field, `${field} ${show(value)} is not an ISO 8601 time (e.g. 2024-03-09T09:00:00-05:00, or 2024-03-09T09:00 in the schedule's time zone)`);
  }
  return checkYear(parsed.toJSDate(), field);
}

export function checkRotationLength(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_ROTATION_LENGTH) {
    throw new Invalid(field, `${field} must be a whole number from 1 to ${MAX_ROTATION_LENGTH}, not ${show(value ?? null)}`);
  }
  return value;
}

export function checkRotationUnit(value: unknown, field: string): RotationUnit {
  const unit = typeof value === 'string' ? value.trim().toLowerCase().replace(/s$/, '') : undefined;
  if (!unit || !(ROTATION_UNITS as readonly string[]).includes(unit)) {
    throw new Invalid(field, `${field} must be one of ${ROTATION_UNITS.join(', ')}, not ${show(value ?? null)}`);
  }
  return unit as RotationUnit;
}

/** An end, when there is one, comes after the start. */
export function checkRange(startsAt: Date, endsAt: Date | null, field: string): void {
  if (endsAt && endsAt <= startsAt) {
    throw new Invalid(field, `${field} ${show(endsAt.toISOString())} must be after the start ${show(startsAt.toISOString())}`);
  }
}

/** The local time of an instant in a zone, with its offset: what a person on that schedule sees on the clock. */
export function localTime(at: Date, timeZone: string): string {
  return DateTime.fromJSDate(at, { zone: timeZone }).toISO() ?? at.toISOString();
}
