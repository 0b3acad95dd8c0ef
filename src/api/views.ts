import type { AuditEventRow } from '../domain/audit/audit-store.js';
import type { ApiTokenRow } from '../domain/auth/api-tokens-store.js';
import type { AccountRow } from '../domain/accounts/accounts-store.js';
import { ROLES } from '../domain/context.js';
import type { OnCallAnswer } from '../domain/schedules/schedules-service.js';
import type { ScheduleRecord } from '../domain/schedules/schedules-store.js';
import type { TeamRecord } from '../domain/teams/teams-store.js';
import { effectiveRolesOf, type MembershipRecord } from '../domain/users/account-users-store.js';
import type { UserRecord } from '../domain/users/users-store.js';

/** How the REST API shows domain records: PagerTree v4 shapes, ISO timestamps. */

const iso = (value: Date | string | null | undefined): string | null => (value ? new Date(value).toISOString() : null);

export function userView(user: UserRecord, accountUserId?: string) {
  return {
    id: user.id,
    object: 'user',
    ...(accountUserId ? { account_user_id: accountUserId } : {}),
    name: user.name,
    given_name: user.given_name,
    family_name: user.family_name,
    user_name: user.user_name,
    time_zone: user.time_zone,
    preferred_language: user.preferred_language,
    notify_push: user.notify_push,
    notify_email: user.notify_email,
    notify_sms: user.notify_sms,
    notify_voice: user.notify_voice,
    // an invitation's copy: what this account sent, until the person accepts
    invited: user.is_invitation,
    // a person provisioned without a mailbox: nothing to notify by email
    no_email_to_notify: user.emails.length === 0,
    emails: user.emails.map((e) => ({ id: e.id, email: e.email, type: e.type, primary: e.primary, blocked: e.blocked, verified: e.verified_at !== null })),
    phones: user.phones.map((p) => ({ id: p.id, phone: p.number, value: p.value, country: p.country, type: p.type, primary: p.primary, blocked: p.blocked, verified: p.verified_at !== null })),
    last_sign_in_at: iso(user.last_sign_in_at),
    created_at: iso(user.created_at),
    updated_at: iso(user.updated_at),
  };
}

export function accountUserView(m: MembershipRecord) {
  return {
    id: m.id,
    object: 'account_user',
    account_id: m.account_id,
    user_id: m.user_id,
    // Effective roles (direct and granted by groups); role_sources says where each came from.
    roles: Object.fromEntries(ROLES.map((r) => [r, effectiveRolesOf(m).includes(r)])),
    role_sources: roleSourcesView(m),
    active: m.active,
    invited: m.user.is_invitation,
    external_id: m.external_id,
    member_team_ids: m.team_ids,
    version: m.version,
    user: userView(m.user),
    created_at: iso(m.created_at),
    updated_at: iso(m.updated_at),
  };
}

/** One entry per role and source: {role, source: "direct"} or {role, source: "group", team_id, group}. */
export function roleSourcesView(m: MembershipRecord) {
  return [
    ...m.roles.map((role) => ({ role, source: 'direct' as const })),
    ...m.granted_roles.map((g) => ({ role: g.role, source: 'group' as const, team_id: g.team_id, group: g.team_name })),
  ].sort((a, b) => a.role.localeCompare(b.role) || (a.source === 'direct' ? -1 : b.source === 'direct' ? 1 : 0));
}

export function teamView(t: TeamRecord) {
  return {
    id: t.id,
    object: 'team',
    name: t.name,
    description: t.description,
    external_id: t.external_id,
    member_ids: t.member_ids,
    version: t.version,
    created_at: iso(t.created_at),
    updated_at: iso(t.updated_at),
  };
}

/** actor.name: the member's name or the SCIM token's (null for the operator, or an actor since deleted). */
export function auditEventView(e: AuditEventRow & { actor_name?: string | null }) {
  return {
    id: e.id,
    object: 'audit_event',
    actor: { type: e.actor_type, id: e.actor_id, name: e.actor_name ?? null },
    channel: e.channel,
    action: e.action,
    target: { type: e.target_type, id: e.target_id },
    changes: e.changes,
    request_id: e.request_id,
    created_at: iso(e.created_at),
  };
}

export function apiTokenView(t: ApiTokenRow) {
  return { id: t.id, object: 'api_token', account_user_id: t.account_user_id, name: t.name, created_at: iso(t.created_at), last_used_at: iso(t.last_used_at) };
}

export function accountView(a: AccountRow) {
  return { id: a.id, object: 'account', name: a.name, owner_account_user_id: a.owner_account_user_id, created_at: iso(a.created_at), updated_at: iso(a.updated_at) };
}

/** A member as a schedule names them; an inactive (deactivated) member stays, flagged. */
function scheduledPersonView(s: ScheduleRecord, accountUserId: string | null) {
  const person = accountUserId ? s.people[accountUserId] : undefined;
  return { account_user_id: accountUserId, name: person?.name ?? null, active: person?.active ?? false };
}

export function scheduleView(s: ScheduleRecord) {
  return {
    id: s.id,
    object: 'schedule',
    name: s.name,
    time_zone: s.time_zone,
    team_id: s.team_id,
    layers: s.layers.map((l) => ({
      id: l.id,
      object: 'schedule_layer',
      position: l.position,
      name: l.name,
      starts_at: iso(l.starts_at),
      ends_at: iso(l.ends_at),
      rotation_length: l.rotation_length,
      rotation_unit: l.rotation_unit,
      members: l.members.map((m) => scheduledPersonView(s, m)),
    })),
    overrides: s.overrides.map((o) => ({ id: o.id, object: 'schedule_override', ...scheduledPersonView(s, o.account_user_id), starts_at: iso(o.starts_at), ends_at: iso(o.ends_at) })),
    inactive_account_user_ids: Object.entries(s.people).filter(([, p]) => !p.active).map(([id]) => id).sort(),
    version: s.version,
    created_at: iso(s.created_at),
    updated_at: iso(s.updated_at),
  };
}

export function onCallView(a: OnCallAnswer) {
  return {
    object: 'on_call',
    schedule_id: a.schedule.id,
    time_zone: a.schedule.time_zone,
    at: iso(a.at),
    local_time: a.localTime,
    on_call: a.shift && {
      ...scheduledPersonView(a.schedule, a.shift.accountUserId),
      source: a.shift.source,
      starts_at: iso(a.shift.startsAt),
      ends_at: iso(a.shift.endsAt),
    },
  };
}
