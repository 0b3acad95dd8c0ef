/** The parsed form of an RFC 7644 filter (section 3.4.2.2) or PATCH path (section 3.5.2). */

export const COMPARE_OPS = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'] as const;
export type CompareOp = (typeof COMPARE_OPS)[number];

export type FilterValue = string | number | boolean | null;

/** An attribute path as written: `urn:...:User:manager.value` is { uri, attr: 'manager', sub: 'value' }. */
export interface AttrPath {
  /** The schema URN prefix, when the path named one. */
  uri?: string;
  attr: string;
  sub?: string;
}

export type Filter =
  | { type: 'compare'; path: AttrPath; op: CompareOp; value: FilterValue }
  | { type: 'present'; path: AttrPath }
  | { type: 'and' | 'or'; left: Filter; right: Filter }
  | { type: 'not'; filter: Filter }
  /** `emails[type eq "work" and value co "@x"]`: every condition holds for one and the same entry. */
  | { type: 'valuePath'; path: AttrPath; filter: Filter };

/** A PATCH path: an attribute, optionally narrowed by a value filter and then a sub-attribute. */
export interface PatchPath {
  path: AttrPath;
  /** `emails[type eq "work"]` */
  filter?: Filter;
  /** `emails[type eq "work"].value` */
  subAfterFilter?: string;
}

/** Prints a path back as SCIM writes it (for error messages). */
export function showPath(path: AttrPath): string {
  return `${path.uri ? `${path.uri}:` : ''}${path.attr}${path.sub ? `.${path.sub}` : ''}`;
}
