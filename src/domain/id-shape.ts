import type { IdPrefix } from './ids.js';

// newId's shape: a prefix, "_", 20 characters of its alphabet (no i, l, o, 1).
const ID_SHAPE = /^([a-z]{2,4})_[a-hj-km-np-z02-9]{20}$/;

/**
 * True when `value` has the shape newId gives `prefix`: anything else names nothing, so adapters
 * answer 404 without a query (and a NUL or a 10 KB "id" never reaches the database).
 */
export function isIdOf(value: string, prefix: IdPrefix): boolean {
  return ID_SHAPE.exec(value)?.[1] === prefix;
}
