import type { Knex } from 'knex';
import { auditWith, eventRow, recordAudit } from '../audit/audit-service.js';
import { accountEnforcesSso, lockAccount } from '../accounts/accounts-store.js';
import { requireOwnerStandingKept } from '../accounts/owner-rules.js';
import type { Queryable } from '../../db/database.js';
import { atomically, type Context, parseRole, type Role, ROLES, requireAccountManager, transact, type Trx } from '../context.js';
import { Conflict, Invalid, NotFound, requireVersion, show } from '../errors.js';
import { checkExternalId } from '../input-limits.js';
import { newId } from '../ids.js';
import { releaseEndedPlaces, schedulesNamingMember } from '../schedules/schedules-store.js';
import { directRolesAfter } from '../roles/direct-roles.js';
import { existingTeamIds, setTeamsOfMember } from '../teams/teams-store.js';
import {
  deleteMembership, effectiveRolesOf, findMembership, findMembershipOfUser, findSourcedMembership, insertMembership, listMemberships, lockMembership, lockWholeMembership, type MemberSearch, searchMemberships, type SourcedMembership,
  type AuditedMembershipUpdate, type CompanionWrites, type MembershipRecord, type MembershipUpdate, type Page, type UpdateCompanion, updateMembership,
} from './account-users-store.js';
import { canEditProfile, hasProfileChanges, type NewPerson, planNewPerson, planProfileUpdate, type ProfileChanges, type ProfileUpdate, requireProfileEditor, storedPerson } from './profile.js';
import { findUsers, newUserWrites, type UserRecord } from './users-store.js';
import { alreadyMemberConflict, type InvitedPerson, joiningRule } from '../invitations/joining-rule.js';
import { invitationMessageWrites } from '../invitations/invitation-messages.js';
import { deliverQueuedSoon } from '../notifications/outbox.js';

/** Use cases on account users (memberships): the person, their place in the account, their teams. */

export interface MembershipChanges {
  /** The whole set of DIRECT roles. */
  roles?: Role[];
  /**
   * The roles an identity provider sends back (SCIM `roles`, which shows effective roles): roles the
   * member holds only through a group are dropped, never made direct; the rest become the direct
   * roles. Every IdP path uses this instead of `roles` (see roles/direct-roles.ts).
   */
  roles_from_idp?: Role[];
  /** Roles to grant (true) or take (false); the others stay as they are. Unknown names are refused. */
  role_flags?: Record<string, boolean>;
  active?: boolean;
  external_id?: string | null;
  enterprise?: Record<string, unknown>;
  team_ids?: string[];
}

export interface CreateAccountUser {
  user: ProfileChanges;
  membership?: MembershipChanges;
}

export interface UpdateAccountUser {
  user?: ProfileChanges;
  membership?: MembershipChanges;
  /** The version the caller last saw (If-Match); a different current version is a Conflict. */
  expectedVersion?: number;
  /**
   * What to do with profile changes the caller may not make (rule 2): the REST API rejects them;
   * an IdP that does not manage the person has them ignored, as it cannot stop sending them.
   */
  foreignProfile?: 'reject' | 'ignore';
}

/** What the audit trail says of a password sent for a member of an SSO-only account who may not use one. */
const PASSWORD_NOT_KEPT = 'not kept: the account enforces SSO and only its admins use a password';

/** The longest text the people search takes (a name, user name or email is at most 254). */
const MAX_SEARCH_LENGTH = 254;

/** Attempts for a create that loses a race on a unique email or user name (the retry then links or refuses). */
const CREATE_ATTEMPTS = 3;

/** An update as planned against the member as read (AccountUsersService.planUpdate). */
interface UpdatePlan {
  /** The person's changes, when the caller may make them. */
  profile?: ProfileUpdate;
  /** The teams to set, when given. */
  teamIds?: readonly string[];
  update: MembershipUpdate;
  /** What changes, for the audit event; nothing changes when empty (until the teams are set). */
  audit: Record<string, unknown>;
}

/** A create writes once (one statement, no transaction needed) unless it also sets the new member's teams. */
export function createIsOneWrite(input: CreateAccountUser): boolean {
  return !input.membership?.team_ids?.length;
}

/**
 * Thrown by createIn before it writes anything, when the create turns out to write with more than
 * one statement (a person the account manages, added again, takes the profile sent): it is run
 * again in a transaction (runCreate).
 */
class CreateNeedsTransaction extends Error {}

/**
 * Runs a create (`work` calls createIn) as one statement when it can, in a transaction when it
 * must (createIsOneWrite, or CreateNeedsTransaction), and again when it lost a race
 * (retryLostCreateRace).
 */
export async function runCreate<T>(db: Knex, input: CreateAccountUser, work: (q: Queryable) => Promise<T>): Promise<T> {
  return retryLostCreateRace(async () => {
    try {
      return await atomically(db, createIsOneWrite(input), work);
    } catch (err) {
      if (!(err instanceof CreateNeedsTransaction)) throw err;
      return transact(db, work);
    }
  });
}

/**
 * Runs a create again when it lost a race on a unique email or user name to a
 * concurrent request: the next attempt sees the winner, and links that person or refuses (rule 1).
 */
export async function retryLostCreateRace<T>(attempt: () => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      const lostRace = err instanceof Conflict && (err.field === 'email' || err.field === 'user_name');
      if (!lostRace || n >= CREATE_ATTEMPTS) throw err;
    }
  }
}

export class AccountUsersService {
  constructor(
    private readonly db: Knex,
    /** PUBLIC_URL: where the links of invitation emails point. */
    private readonly publicUrl: string,
  ) {}

  async create(ctx: Context, input: CreateAccountUser): Promise<MembershipRecord> {
    requireAccountManager(ctx, 'add people to the account');
    return sendingInvitation(await runCreate(this.db, input, (q) => this.createIn(q, ctx, input)));
  }

  /**
   * The create use case, in a caller's transaction, or on the database itself when
   * createIsOneWrite(input): a new person, their emails and phones, the membership, its audit event
   * and the caller's `companions` are written by one statement; teams, when given, by more. Rule 1
   * (invitations/joining-rule.ts): a userName or email that already belongs to a person never makes
   * a second user; the person is linked when the account may, and invited otherwise.
   */
  async createIn(q: Queryable, ctx: Context, input: CreateAccountUser, companions: (accountUserId: string) => CompanionWrites = () => []): Promise<MembershipRecord> {
    const teamIds = input.membership?.team_ids ?? [];
    if (teamIds.length && !q.isTransaction) throw new Error('createIn: a create that sets teams writes more than once and needs a transaction');
    const emails = (input.user.emails?.items ?? []).map((e) => e.email).filter((e): e is string => typeof e === 'string');
    const userName = input.user.user_name ?? emails[0];
    const join = await joiningRule(q, ctx, userName, emails);
    if (join.kind === 'already-member') throw alreadyMemberConflict(join.member, userName, emails);
    const membership = input.membership ?? {};
    const roles = applyRoleFlags(membership.roles ?? membership.roles_from_idp ?? [], membership.role_flags);
    // An account that enforces SSO lets only its admins use a password (rule 5): one sent for anyone
    // else (Okta's Sync Password) is neither hashed nor kept, and the audit event says so.
    const passwordNotKept = join.accountSsoEnforced && input.user.password !== undefined && !roles.includes('admin');
    const profile: ProfileChanges = passwordNotKept ? { ...input.user, password: undefined } : input.user;
    // the new person (or the invitation's copy), written with the membership; a linked person is read back with it
    let person: NewPerson | undefined;
    // a person made for an invitation at a domain another account verified: managed by no account
    let unclaimed: NewPerson | undefined;
    let invited: InvitedPerson | undefined;
    if (join.kind === 'new') {
      person = await planNewPerson(ctx, profile);
    } else if (join.kind !== 'link') {
      // Rule 1: a person this account may not link is invited; the account sees only what it sent.
      person = await planNewPerson(ctx, profile, { invitation: true });
      if (join.kind === 'invite') {
        invited = join.person;
      } else {
        const made = await planNewPerson(ctx, { ...profile, password: undefined });
        unclaimed = { ...made, row: { ...made.row, managed_by_account_id: null } };
        invited = { id: made.row.id, address: made.emails.find((e) => e.primary)!.email };
      }
    }
    const userId = join.kind === 'link' ? join.person.id : person!.row.id;
    if (join.kind === 'link' && join.person.managed_by_account_id === ctx.accountId && hasProfileChanges(profile)) {
      // a person this account manages, added again (deleted, then provisioned anew): what it sends
      // now is their profile, as for a new person, not what it sent the first time
      if (!q.isTransaction) throw new CreateNeedsTransaction();
      const [stored] = await findUsers(q, [userId]);
      const update = await planProfileUpdate(stored, profile, ctx);
      if (update.writes) await update.apply(q);
    }
    const id = newId('au');
    const active = membership.active ?? true;
    const row = await insertMembership(
      q,
      { id, account_id: ctx.accountId, user_id: userId, roles, active, external_id: checkExternalId(membership.external_id) ?? null, enterprise: membership.enterprise ?? {}, ...(invited ? { invited_user_id: invited.id } : {}) },
      [
        ...(unclaimed ? newUserWrites(q, unclaimed.row, unclaimed.emails, unclaimed.phones) : []),
        ...(person ? newUserWrites(q, person.row, person.emails, person.phones) : []),
        auditWith(q, ctx, { action: invited ? 'account_user.invite' : person ? 'account_user.create' : 'account_user.link', targetType: 'account_user', targetId: id, changes: { user_id: userId, roles, active, ...(invited ? { invited: true } : {}), ...(passwordNotKept ? { password: PASSWORD_NOT_KEPT } : {}) } }),
        ...(invited ? invitationMessageWrites(q, this.publicUrl, { id: ctx.accountId, name: join.accountName }, id, invited) : []),
        ...companions(id),
      ],
    );
    if (teamIds.length) await this.setTeams(q, ctx, id, teamIds);
    // a new membership is in no team (nor granted a role by one) unless asked
    if (person && !teamIds.length) return { ...row, team_ids: [], granted_roles: [], user: storedPerson(person, row.created_at) };
    return (await findMembership(q, ctx.accountId, id))!;
  }

  async get(ctx: Context, id: string): Promise<MembershipRecord> {
    const found = await transact(this.db, (trx) => findMembership(trx, ctx.accountId, id));
    if (!found) throw new NotFound('account_user', id);
    return found;
  }

  async list(ctx: Context, page: Page): Promise<{ rows: MembershipRecord[]; total: number }> {
    return transact(this.db, (trx) => listMemberships(trx, ctx.accountId, page));
  }

  /**
   * The account's people whose name, user name or an email contains `search.text` (all when
   * empty) and whose membership came from `search.source` (any when unset), by name, each with
   * its source (the IdP over SCIM, SSO sign-in, or made here). For admins: the source is read
   * from the audit trail.
   */
  async search(ctx: Context, search: MemberSearch, page: Page): Promise<{ rows: SourcedMembership[]; total: number }> {
    requireAccountManager(ctx, 'search the people of the account');
    const text = search.text?.trim() || undefined;
    if (text && text.length > MAX_SEARCH_LENGTH) throw new Invalid('q', `q: search for at most ${MAX_SEARCH_LENGTH} characters, not ${text.length}`);
    return transact(this.db, (trx) => searchMemberships(trx, ctx.accountId, { text, source: search.source }, page));
  }

  /** One member with their source (see search); for admins. */
  async getWithSource(ctx: Context, id: string): Promise<SourcedMembership> {
    requireAccountManager(ctx, "read where a member's membership came from");
    const found = await transact(this.db, (trx) => findSourcedMembership(trx, ctx.accountId, id));
    if (!found) throw new NotFound('account_user', id);
    return found;
  }

  async update(ctx: Context, id: string, changes: UpdateAccountUser): Promise<MembershipRecord> {
    return transact(this.db, (trx) => this.updateIn(trx, ctx, id, changes));
  }

  /** The update use case inside a caller's transaction. */
  async updateIn(trx: Trx, ctx: Context, id: string, changes: UpdateAccountUser): Promise<MembershipRecord> {
    const locked = await lockWholeMembership(trx, ctx.accountId, id);
    if (!locked) throw new NotFound('account_user', id);
    return (await this.updateLockedIn(trx, ctx, locked, changes)) ?? (await findMembership(trx, ctx.accountId, id))!;
  }

  /**
   * The update use case on a membership the caller has locked (FOR UPDATE) and read whole in this
   * transaction: lockWholeMembership, or a lock that reads more (the directory's). `alsoChanged`
   * is what the caller changes beside it (the directory's kept IdP attributes): it counts as a
   * change, in the same audit event and version; `companions` are the caller's writes of it, run by
   * the membership's UPDATE (so they are written only when that runs, which `alsoChanged` ensures).
   * Answers the member as it now is, or undefined when that is not known without reading it again
   * (its emails, phones or teams were written).
   */
  async updateLockedIn(trx: Trx, ctx: Context, locked: MembershipRecord, changes: UpdateAccountUser, alsoChanged: Record<string, unknown> = {}, companions: readonly UpdateCompanion[] = []): Promise<MembershipRecord | undefined> {
    const plan = await this.planUpdate(ctx, locked, changes, alsoChanged, trx);
    let user: UserRecord | undefined = locked.user;
    if (plan.profile?.writes) user = await plan.profile.apply(trx);
    let teamsChanged = false;
    if (plan.teamIds !== undefined) {
      const teams = await this.setTeams(trx, ctx, locked.id, plan.teamIds);
      teamsChanged = teams.added.length > 0 || teams.removed.length > 0;
      if (teamsChanged) plan.audit.teams = teams;
    }
    if (!Object.keys(plan.audit).length) return locked;
    const row = await updateMembership(trx, ctx.accountId, locked.id, this.auditedUpdate(ctx, locked, plan), companions);
    // team ids and the roles teams grant are the membership's read model: read again when they moved
    return user && !teamsChanged ? { ...locked, ...row!, user } : undefined;
  }

  /**
   * The update use case on a membership read without a lock, when it writes the membership, the
   * person's row, and emails or phones only added or removed (none changed in place), and no teams:
   * written by one statement, without a transaction, that checks the membership's version is still
   * the one read (optimistic concurrency; BENCHMARKS.md, "Writes"). Answers the member as it now
   * is; 'changed' when another write came first (nothing written: read it again and retry), or
   * 'needs-transaction' when the change writes more (nothing written: run it under the lock,
   * updateLockedIn). The rules are updateLockedIn's, from the same plan.
   */
  async updateReadIn(q: Queryable, ctx: Context, read: MembershipRecord, changes: UpdateAccountUser, alsoChanged: Record<string, unknown> = {}, companions: readonly UpdateCompanion[] = []): Promise<MembershipRecord | 'changed' | 'needs-transaction'> {
    const plan = await this.planUpdate(ctx, read, changes, alsoChanged, q);
    const person = plan.profile?.writes ? plan.profile.inMembershipStatement(q) : undefined;
    if ((plan.profile?.writes && !person) || plan.teamIds !== undefined) return 'needs-transaction';
    if (!Object.keys(plan.audit).length) return read;
    const row = await updateMembership(q, ctx.accountId, read.id, { ...this.auditedUpdate(ctx, read, plan), expectedVersion: read.version }, person ? [...person.companions, ...companions] : companions);
    if (!row) return 'changed';
    return { ...read, ...row, user: person ? person.after(row.updated_at) : read.user };
  }

  /** What an update changes, decided against the member as read, with every rule checked; nothing written. */
  private async planUpdate(ctx: Context, member: MembershipRecord, changes: UpdateAccountUser, alsoChanged: Record<string, unknown>, q: Queryable): Promise<UpdatePlan> {
    requireVersion('account_user', member.id, member.version, changes.expectedVersion);
    const membership = changes.membership ?? {};
    const membershipChanged = Object.values(membership).some((v) => v !== undefined);
    if (membershipChanged) requireAccountManager(ctx, "change a member's roles, status or teams");

    const audit: Record<string, unknown> = {};
    let profile: ProfileUpdate | undefined;
    if (hasProfileChanges(changes.user)) {
      if (changes.foreignProfile === 'ignore' && !canEditProfile(ctx, member.user)) {
        // rule 2: another account's IdP manages only the membership
      } else {
        requireProfileEditor(ctx, member.user);
        let user = changes.user!;
        // An account that enforces SSO lets only its admins use a password (rule 5): one its IdP or
        // an admin sends for anyone else is neither hashed nor kept, and the event says so. Read
        // only when a password is sent.
        if (user.password !== undefined && !(ctx.actor.type === 'account_user' && ctx.actor.userId === member.user.id) && !effectiveRolesOf(member).includes('admin') && (await accountEnforcesSso(q, ctx.accountId))) {
          user = { ...user, password: undefined };
          audit.password = PASSWORD_NOT_KEPT;
        }
        profile = await planProfileUpdate(member.user, user, ctx);
        Object.assign(audit, profile.diff);
      }
    }
    const update: MembershipUpdate = {};
    if (membership.roles !== undefined || membership.roles_from_idp !== undefined || membership.role_flags !== undefined) {
      // Roles granted by groups are never copied onto the membership (roles/direct-roles.ts).
      const roles = directRolesAfter(member.roles, member.granted_roles, membership);
      if (roles.join() !== [...member.roles].sort().join()) update.roles = audit.roles = roles;
    }
    if (membership.active !== undefined && membership.active !== member.active) update.active = audit.active = membership.active;
    if (membership.external_id !== undefined && membership.external_id !== member.external_id) update.external_id = audit.external_id = checkExternalId(membership.external_id);
    if (membership.enterprise !== undefined && JSON.stringify(membership.enterprise) !== JSON.stringify(member.enterprise)) {
      update.enterprise = membership.enterprise;
      audit.enterprise = 'changed';
    }
    // the owner's admin role and active flag change only through a transfer (owner-rules.ts)
    await requireOwnerStandingKept(q, ctx.accountId, member, update);
    Object.assign(audit, alsoChanged);
    return { profile, teamIds: membership.team_ids, update, audit };
  }

  private auditedUpdate(ctx: Context, member: MembershipRecord, plan: UpdatePlan): AuditedMembershipUpdate {
    return {
      changes: plan.update,
      audit: eventRow(ctx, { action: 'account_user.update', targetType: 'account_user', targetId: member.id, changes: plan.audit }),
      // Deactivation is never refused (rule 3); the member keeps their shifts, and the event says
      // so (still_scheduled_on): read once the UPDATE has the member's row, after any assignment of
      // the member in progress (it share-locks the row first) has committed.
      recordStillScheduled: plan.update.active === false,
    };
  }

  /**
   * Removes the membership (the person stays for their other accounts; their team memberships and
   * API tokens go). Refused for the owner, and while the member has a place on a schedule that has
   * not ended (rule 4): every adapter's delete comes here.
   */
  async delete(ctx: Context, id: string, expectedVersion?: number): Promise<void> {
    requireAccountManager(ctx, 'remove people from the account');
    await transact(this.db, async (trx) => {
      const account = await lockAccount(trx, ctx.accountId);
      const locked = await lockMembership(trx, ctx.accountId, id);
      if (!account || !locked) throw new NotFound('account_user', id);
      requireVersion('account_user', id, locked.version, expectedVersion);
      if (account.owner_account_user_id === id) {
        throw new Conflict('This member owns the account and cannot be deleted: transfer ownership to another admin first');
      }
      // The row lock above queues this behind any assignment of the member in progress (they
      // share-lock it), so what this reads is what the schedules hold.
      const scheduled = await schedulesNamingMember(trx, ctx.accountId, id);
      if (scheduled.length) {
        const names = scheduled.map((s) => show(s.name)).join(', ');
        const one = scheduled.length === 1;
        throw new Conflict(`This member is on the ${one ? 'schedule' : 'schedules'} ${names} and cannot be deleted: take them off ${one ? 'that schedule' : 'those schedules'} first (rotation layers and overrides that have not ended), or deactivate them instead`);
      }
      const released = await releaseEndedPlaces(trx, id);
      await deleteMembership(trx, ctx.accountId, id);
      await recordAudit(trx, ctx, { action: 'account_user.delete', targetType: 'account_user', targetId: id, changes: { user_id: locked.user_id, ...(released.vacated_slots || released.removed_overrides ? { ended_schedule_places: released } : {}) } });
    });
  }

  private async setTeams(q: Queryable, ctx: Context, accountUserId: string, teamIds: readonly string[]) {
    const unique = [...new Set(teamIds)];
    const known = await existingTeamIds(q, ctx.accountId, unique);
    const missing = unique.find((t) => !known.has(t));
    if (missing) throw new Invalid('member_team_ids', `member_team_ids: team ${show(missing)} does not exist in this account`);
    return setTeamsOfMember(q, accountUserId, unique);
  }
}

/** An invitation made (and committed) has an email to send now: the outbox worker is told. */
export function sendingInvitation<T extends { user: Pick<UserRecord, 'is_invitation'> }>(created: T): T {
  if (created.user.is_invitation) deliverQueuedSoon();
  return created;
}

/** Roles are a set: sorted, without repeats; flags grant (true) or take (false) one role each. */
export function applyRoleFlags(roles: readonly Role[], flags: Record<string, boolean> | undefined): Role[] {
  const set = new Set(roles);
  for (const [name, granted] of Object.entries(flags ?? {})) {
    const role = parseRole(name);
    if (!role) throw new Invalid(`roles.${name}`, `roles: ${show(name)} is not a role (use ${ROLES.join(', ')})`);
    if (granted) set.add(role);
    else set.delete(role);
  }
  return [...set].sort();
}
