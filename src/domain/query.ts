/**
 * A domain-neutral description of which rows a list wants, in the domain's own field names.
 * Adapters (the SCIM filter) build one; a store compiles it to SQL (condition-store.ts), so the
 * database does the filtering, sorting and paging and no adapter writes SQL.
 */

export const CONDITION_OPS = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'] as const;
export type ConditionOp = (typeof CONDITION_OPS)[number];

export type ConditionValue = string | number | boolean | null;

export type Condition<F extends string = string> =
  | { kind: 'compare'; field: F; op: ConditionOp; value: ConditionValue }
  | { kind: 'present'; field: F }
  | { kind: 'and' | 'or'; conditions: Condition<F>[] }
  | { kind: 'not'; condition: Condition<F> }
  /**
   * Some one row of a collection (a member's emails, a team's members) meets `where`; the
   * fields inside name that collection's fields. No `where`: the collection is not empty.
   */
  | { kind: 'some'; collection: string; where?: Condition<F> };

export interface ListQuery<F extends string = string, S extends string = string> {
  where?: Condition<F>;
  sort?: { field: S; descending: boolean };
  /** 0 answers the total alone. */
  limit: number;
  offset: number;
}

export interface ListResult<T> {
  rows: T[];
  total: number;
}
