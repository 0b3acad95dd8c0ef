import type { Condition, ListQuery } from '../query.js';

/**
 * The fields a list of members or teams can be filtered and sorted on, in the domain's names.
 * An adapter maps its own attribute names onto these (scim/filter/to-condition.ts); the stores
 * (directory-store.ts) compile them to SQL.
 */

export const ENTERPRISE_KEYS = ['employeeNumber', 'costCenter', 'organization', 'division', 'department'] as const;

export const MEMBER_FIELDS = [
  'id', 'external_id', 'user_name', 'display_name', 'given_name', 'family_name', 'active', 'time_zone', 'preferred_language',
  'created_at', 'updated_at',
  ...ENTERPRISE_KEYS.map((k) => `enterprise.${k}` as const), 'enterprise.manager',
  'email.value', 'email.type', 'email.primary',
  'phone.value', 'phone.type', 'phone.primary',
  'team.id',
] as const;
export type MemberField = (typeof MEMBER_FIELDS)[number];

export const MEMBER_SORT_FIELDS = ['id', 'external_id', 'user_name', 'display_name', 'given_name', 'family_name', 'active', 'created_at', 'updated_at', 'primary_email'] as const;
export type MemberSortField = (typeof MEMBER_SORT_FIELDS)[number];

export type MemberCondition = Condition<MemberField>;
export type MemberQuery = ListQuery<MemberField, MemberSortField>;

export const TEAM_FIELDS = ['id', 'external_id', 'name', 'created_at', 'updated_at', 'member.id'] as const;
export type TeamField = (typeof TEAM_FIELDS)[number];
export const TEAM_SORT_FIELDS = ['id', 'external_id', 'name', 'created_at', 'updated_at'] as const;
export type TeamSortField = (typeof TEAM_SORT_FIELDS)[number];

export type TeamCondition = Condition<TeamField>;
export type TeamQuery = ListQuery<TeamField, TeamSortField>;
