import type { Knex } from 'knex';
import { recordAudit } from '../audit/audit-service.js';
import { type Channel, type Context, transact, type Trx } from '../context.js';
import { Conflict, Forbidden, Invalid, NotFound, Unauthenticated } from '../errors.js';
import { newId } from '../ids.js';
import type { AccountUsersService } from '../users/account-users-service.js';
import { setPasswordHash } from '../users/users-store.js';
import { JwtKeys } from './jwt.js';
import { clearFailedSignIns, countFailedSignIn, type LoginSubject, refuseWhenThrottled } from './login-throttle.js';
import { checkPassword, hashPassword, verifyPassword } from './passwords.js';
import { consumeSamlRequest, recordUsedAssertion } from './saml-requests-store.js';
import { generateSecret, hashSecret } from './secret-tokens.js';
import { deleteExpiredSessions, deleteSessionByHash, findSessionByHash, insertSession, touchSession } from './sessions-store.js';
import type { SecretBox } from './secret-box.js';
import { requireAccess, type SignInMethod, SsoRequired } from './sign-in-policy.js';
import {
  findCredentialsByLogin, findMemberByNameId, findPersonIdByLogin, findSignInMembership, findUserIdByEmail, listMembershipsOfUser,
  type SignInMembership, touchLastSignIn,
} from './sign-in-store.js';
import { findSsoSettings } from './sso-settings-store.js';

export const SESSION_LIFETIME_SECONDS = 12 * 3600;
const WRONG_CREDENTIALS = 'The user name or password is not correct';
// Verified against when the user is unknown, so that an unknown name costs as long as a wrong password.
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

/** How a request proved who it is: the credential and the sign-in behind it. */
export interface SignedIn {
  ctx: Context;
  credential: 'session' | 'jwt' | 'api_token';
  /** How the member signed in; API tokens are not a sign-in. */
  method: SignInMethod | 'api_token';
  sessionId?: string;
  expiresAt?: Date;
}

/** A user with several memberships must say which account they sign in to. */
export class AccountChoiceRequired extends Invalid {
  constructor(readonly accounts: { id: string; name: string }[]) {
    super('account_id', `account_id is required: you are a member of several accounts (${accounts.map((a) => `${a.id} ${JSON.stringify(a.name)}`).join(', ')})`);
  }
}

/** A SAML response that was checked and refused, with the reason recorded in the audit trail. */
export class SamlSignInRefused extends Forbidden {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export interface PasswordSignIn {
  login: unknown;
  password: unknown;
  accountId?: string;
  clientAddress?: string;
  requestId?: string;
  channel: Channel;
}

/** What the SAML adapter vouches for once the response's signature, issuer, audience, recipient and times are checked. */
export interface VerifiedAssertion {
  assertionId: string;
  nameId: string;
  inResponseTo: string | null;
  /** Until when the assertion could be presented again (its replay record is kept that long). */
  validUntil: Date;
  email?: string;
  name?: string;
  givenName?: string;
  familyName?: string;
}

export type IssuedCredential = { kind: 'jwt'; token: string; expiresIn: number } | { kind: 'session'; secret: string; expiresAt: Date };

export class SignInService {
  readonly jwt: JwtKeys;

  constructor(
    private readonly db: Knex,
    private readonly accountUsers: AccountUsersService,
    secrets?: SecretBox,
  ) {
    this.jwt = new JwtKeys(db, secrets);
  }

  /**
   * Password sign-in. An unknown name and a wrong password get the same answer; failures are
   * counted per person and address and per address, and refused past the limit
   * (login-throttle.ts). A right password that is not honoured answers exactly as a wrong one
   * (the same status, message and work: a failure counted, a refusal audited with its real
   * reason), so that it is not confirmed to whoever tries it: a password set by another account
   * than the one signed in to (migration 016), and a non-admin's password on an SSO-only account.
   */
  async signInWithPassword(input: PasswordSignIn, issue: 'jwt' | 'session'): Promise<{ membership: SignInMembership; credential: IssuedCredential }> {
    if (typeof input.login !== 'string' || input.login.trim() === '') throw new Invalid('username', 'username is required');
    if (typeof input.password !== 'string' || input.password === '') throw new Invalid('password', 'password is required');
    const login = input.login.trim();
    const password = input.password;
    const address = input.clientAddress;
    const { credentials, subject } = await transact(this.db, async (trx) => {
      const found = await findCredentialsByLogin(trx, login);
      const who: LoginSubject = found ? { userId: found.user_id } : { login };
      await refuseWhenThrottled(trx, who, address);
      return { credentials: found, subject: who };
    });

    const matches = await verifyPassword(password, credentials?.password_hash ?? DUMMY_HASH);
    // A password set by an account's admin or IdP opens that account only.
    const scope = credentials?.password_set_by_account_id ?? undefined;
    if (!credentials || !credentials.password_hash || !matches) {
      await transact(this.db, async (trx) => {
        await countFailedSignIn(trx, subject, address);
        if (credentials) {
          const target = await this.chosenMembership(trx, credentials.user_id, input.accountId, false, scope);
          if (target) await this.auditRefusal(trx, target, input, 'password', 'wrong_password');
        }
      });
      throw new Unauthenticated(WRONG_CREDENTIALS);
    }

    const outcome = await transact(this.db, async (trx) => {
      const asWrongPassword = async (target: SignInMembership | undefined, reason: string) => {
        await countFailedSignIn(trx, subject, address);
        if (target) await this.auditRefusal(trx, target, input, 'password', reason);
        return { refused: new Unauthenticated(WRONG_CREDENTIALS) };
      };
      const membership = await this.chosenMembership(trx, credentials.user_id, input.accountId, true, scope);
      if (!membership && scope) {
        return asWrongPassword(await this.chosenMembership(trx, credentials.user_id, input.accountId, false), 'password_set_by_another_account');
      }
      if (!membership) return { refused: new Forbidden(`You are not a member of account ${JSON.stringify(input.accountId)}`) };
      try {
        requireAccess(membership, 'password');
      } catch (err) {
        if (err instanceof SsoRequired) return asWrongPassword(membership, 'sso_required');
        // The refusal is audited and committed; only then is it thrown.
        await this.auditRefusal(trx, membership, input, 'password', 'deactivated');
        return { refused: err };
      }
      await clearFailedSignIns(trx, subject, address);
      const signedInAt = await touchLastSignIn(trx, membership.user_id);
      const ctx = this.memberContext(membership, input.channel, input.requestId, 'password');
      const session = issue === 'session' ? await this.openSession(trx, membership, 'password', input.clientAddress) : undefined;
      await recordAudit(trx, ctx, { action: 'sign_in', targetType: 'account_user', targetId: membership.account_user_id, changes: { method: 'password', credential: issue } });
      return { membership, session, signedInAt };
    });
    if ('refused' in outcome) throw outcome.refused;
    const { membership, session, signedInAt } = outcome;
    // The JWT is signed after the commit: its key may have to be read or created (never inside another transaction).
    const credential: IssuedCredential = session ?? {
      kind: 'jwt',
      // issuedAtMs on the database's clock: this transaction saw the membership active, so it began
      // after any deactivation it outlived, whatever this process's clock says
      ...(await this.jwt.issue({ accountUserId: membership.account_user_id, accountId: membership.account_id, method: 'password', issuedAtMs: signedInAt.getTime() })),
    };
    return { membership, credential };
  }

  /**
   * Completes a SAML sign-in for an assertion the adapter has verified. The request it answers is
   * consumed and the assertion id recorded first, in their own transaction, so that neither can
   * be used twice whatever happens next; then the NameID must name an active member of THIS
   * account (or, with JIT, becomes one with no roles).
   */
  async signInWithSaml(accountId: string, assertion: VerifiedAssertion, meta: { clientAddress?: string; requestId?: string }): Promise<{ membership: SignInMembership; credential: IssuedCredential }> {
    const systemCtx: Context = { accountId, actor: { type: 'system' }, channel: 'sso', requestId: meta.requestId };
    const refuse = async (reason: string, message: string, membership?: SignInMembership): Promise<never> => {
      await transact(this.db, (trx) =>
        recordAudit(trx, membership ? this.memberContext(membership, 'sso', meta.requestId) : systemCtx, {
          action: 'sign_in.refused',
          targetType: membership ? 'account_user' : 'account',
          targetId: membership?.account_user_id ?? accountId,
          changes: { method: 'saml', reason, name_id: assertion.nameId },
        }),
      );
      throw new SamlSignInRefused(reason, message);
    };

    const settings = await transact(this.db, (trx) => findSsoSettings(trx, accountId));
    if (!settings) throw new NotFound('account', accountId);
    const fresh = await transact(this.db, async (trx) => {
      if (assertion.inResponseTo) {
        if (!(await consumeSamlRequest(trx, accountId, assertion.inResponseTo))) return 'unknown_request' as const;
      } else if (!settings.sso_allow_idp_initiated) {
        return 'idp_initiated' as const;
      }
      return (await recordUsedAssertion(trx, accountId, assertion.assertionId, assertion.validUntil)) ? ('ok' as const) : ('replayed' as const);
    });
    if (fresh === 'unknown_request') await refuse('unknown_request', 'This sign-in response does not answer a sign-in this service started, or it was already used. Start again.');
    if (fresh === 'idp_initiated') await refuse('idp_initiated_not_allowed', 'This account accepts only sign-ins started here: open the sign-in page and choose SSO.');
    if (fresh === 'replayed') await refuse('replayed', 'This sign-in response was already used. Start again.');

    let membership = await transact(this.db, (trx) => findMemberByNameId(trx, accountId, assertion.nameId));
    if (!membership && settings.sso_jit) membership = await this.createJustInTime(accountId, assertion, systemCtx);
    if (!membership) {
      return refuse('not_a_member', `${assertion.nameId} is not a member of ${settings.name}. Ask an admin of ${settings.name} to add you.`);
    }
    if (!membership.active) {
      return refuse('deactivated', `Your membership of ${settings.name} is deactivated. Ask an admin of ${settings.name} to reactivate it.`, membership);
    }
    const member = membership;
    return transact(this.db, async (trx) => {
      await touchLastSignIn(trx, member.user_id);
      const credential = await this.openSession(trx, member, 'saml', meta.clientAddress);
      await recordAudit(trx, this.memberContext(member, 'sso', meta.requestId, 'saml'), {
        action: 'sign_in',
        targetType: 'account_user',
        targetId: member.account_user_id,
        changes: { method: 'saml', credential: 'session', initiated_by: assertion.inResponseTo ? 'sp' : 'idp' },
      });
      return { membership: member, credential };
    });
  }

  /** Records a SAML response the adapter refused (bad signature, wrong audience, expired, ...). */
  async recordSamlRefusal(accountId: string, reason: string, requestId?: string): Promise<void> {
    const ctx: Context = { accountId, actor: { type: 'system' }, channel: 'sso', requestId };
    await transact(this.db, async (trx) => {
      if (!(await findSsoSettings(trx, accountId))) return; // no such account: nothing to audit into
      await recordAudit(trx, ctx, { action: 'sign_in.refused', targetType: 'account', targetId: accountId, changes: { method: 'saml', reason } });
    });
  }

  /** The member behind a session cookie, checked against the current membership and policy. */
  async authenticateSession(secret: string, channel: Channel, requestId?: string): Promise<SignedIn> {
    const found = await transact(this.db, async (trx) => {
      const session = await findSessionByHash(trx, hashSecret(secret));
      if (!session) return undefined;
      await touchSession(trx, session.id);
      return { session, membership: await findSignInMembership(trx, session.account_user_id) };
    });
    // A deactivation deletes the member's sessions (migration 016); one older than it is refused all the same.
    if (!found?.membership || issuedBefore(found.membership, new Date(found.session.created_at).getTime())) throw new Unauthenticated('Your session has ended: sign in again');
    requireAccess(found.membership, found.session.method);
    return { ctx: this.memberContext(found.membership, channel, requestId, found.session.method), credential: 'session', method: found.session.method, sessionId: found.session.id, expiresAt: new Date(found.session.expires_at) };
  }

  async authenticateJwt(token: string, requestId?: string): Promise<SignedIn> {
    const claims = await this.jwt.verify(token);
    const membership = await transact(this.db, (trx) => findSignInMembership(trx, claims.accountUserId));
    if (!membership || membership.account_id !== claims.accountId) throw new Unauthenticated('The token names no membership');
    // Deactivation is final for the tokens issued before it, reactivation or not (migration 016).
    if (issuedBefore(membership, claims.issuedAtMs ?? 0)) throw new Unauthenticated('The token was issued before this membership was deactivated: sign in again');
    requireAccess(membership, claims.method);
    return { ctx: this.memberContext(membership, 'api', requestId, claims.method), credential: 'jwt', method: claims.method };
  }

  /** Ends the session (logout); a session that is already gone is not an error. */
  async signOut(secret: string, requestId?: string): Promise<void> {
    await transact(this.db, async (trx) => {
      const session = await deleteSessionByHash(trx, hashSecret(secret));
      if (!session) return;
      const membership = await findSignInMembership(trx, session.account_user_id);
      const ctx: Context = membership ? this.memberContext(membership, 'web', requestId) : { accountId: session.account_id, actor: { type: 'system' }, channel: 'web', requestId };
      await recordAudit(trx, ctx, { action: 'sign_out', targetType: 'account_user', targetId: session.account_user_id, changes: { session_id: session.id } });
    });
  }

  /** For the operator (CLI): sets the password of the person with this email. */
  async setPasswordByEmail(email: string, password: string): Promise<{ userId: string }> {
    const hash = await hashPassword(checkPassword(password));
    return transact(this.db, async (trx) => {
      const userId = await findUserIdByEmail(trx, email);
      if (!userId) throw new NotFound('user with email', email);
      await setPasswordHash(trx, userId, hash);
      for (const m of await listMembershipsOfUser(trx, userId)) {
        await recordAudit(trx, { accountId: m.account_id, actor: { type: 'system' }, channel: 'cli' }, { action: 'user.set_password', targetType: 'user', targetId: userId, changes: { password: 'changed' } });
      }
      return { userId };
    });
  }

  /**
   * The membership a password sign-in is for: the account asked for, else the only active one.
   * `onlyAccountId`: the password opens that account alone (set by its admin or IdP).
   */
  private async chosenMembership(trx: Trx, userId: string, accountId: string | undefined, strict: boolean, onlyAccountId?: string): Promise<SignInMembership | undefined> {
    const all = await listMembershipsOfUser(trx, userId);
    const memberships = onlyAccountId === undefined ? all : all.filter((m) => m.account_id === onlyAccountId);
    if (accountId !== undefined) return memberships.find((m) => m.account_id === accountId);
    const active = memberships.filter((m) => m.active);
    if (active.length === 1) return active[0];
    if (active.length === 0) return memberships.length === 1 ? memberships[0] : undefined;
    if (strict) throw new AccountChoiceRequired(active.map((m) => ({ id: m.account_id, name: m.account_name })));
    return undefined;
  }

  /**
   * JIT makes brand-new people only. A NameID or email that is an existing person's (who is not a
   * member here, or findMemberByNameId would have found them) is refused as not a member: an
   * account's IdP vouches for the people it manages, not for anyone whose address it can type.
   */
  private async createJustInTime(accountId: string, assertion: VerifiedAssertion, ctx: Context): Promise<SignInMembership | undefined> {
    const email = assertion.nameId.includes('@') ? assertion.nameId : assertion.email;
    if (!email) return undefined;
    const name = assertion.name ?? ([assertion.givenName, assertion.familyName].filter(Boolean).join(' ') || email.split('@')[0]);
    const input = {
      user: { name, given_name: assertion.givenName, family_name: assertion.familyName, emails: { mode: 'replace' as const, items: [{ email, primary: true }] } },
      membership: { roles: [] },
    };
    try {
      return await transact(this.db, async (trx) => {
        for (const login of new Set([assertion.nameId, email, ...(assertion.email ? [assertion.email] : [])])) {
          if (await findPersonIdByLogin(trx, login)) return undefined;
        }
        const created = await this.accountUsers.createIn(trx, ctx, input);
        // A person made meanwhile by another request was linked or invited instead of made: undone.
        const madeNow = new Date(created.user.created_at).getTime() === new Date(created.created_at).getTime() && created.user.managed_by_account_id === accountId;
        if (!madeNow) throw new JitFoundSomeone();
        return findSignInMembership(trx, created.id);
      });
    } catch (err) {
      // refused below as not a member: someone's already (found meanwhile, or a unique address
      // taken meanwhile), or the IdP's values break a profile rule
      if (err instanceof JitFoundSomeone || err instanceof Conflict || err instanceof Invalid) return undefined;
      throw err;
    }
  }

  private async openSession(trx: Trx, membership: SignInMembership, method: SignInMethod, clientAddress?: string): Promise<IssuedCredential> {
    await deleteExpiredSessions(trx);
    const { secret, hash } = generateSecret('rc_ses');
    const expiresAt = await insertSession(trx, {
      id: newId('ses'),
      token_hash: hash,
      account_id: membership.account_id,
      account_user_id: membership.account_user_id,
      method,
      client_address: clientAddress ?? null,
      lifetimeSeconds: SESSION_LIFETIME_SECONDS,
    });
    return { kind: 'session', secret, expiresAt };
  }

  /**
   * A refused password: whoever typed it is not known to be the member, so the event's actor is
   * the system (the member is its target).
   */
  private async auditRefusal(trx: Trx, membership: SignInMembership, input: PasswordSignIn, method: SignInMethod, reason: string): Promise<void> {
    await recordAudit(trx, { accountId: membership.account_id, actor: { type: 'system' }, channel: input.channel, requestId: input.requestId }, {
      action: 'sign_in.refused',
      targetType: 'account_user',
      targetId: membership.account_user_id,
      changes: { method, reason },
    });
  }

  private memberContext(m: SignInMembership, channel: Channel, requestId?: string, method?: SignInMethod): Context {
    return { accountId: m.account_id, actor: { type: 'account_user', accountUserId: m.account_user_id, userId: m.user_id, roles: m.roles, method }, channel, requestId };
  }
}

/** JIT found a person made meanwhile: its transaction is rolled back. */
class JitFoundSomeone extends Error {}

/** Whether a credential made at `issuedAtMs` predates the membership's last deactivation. */
function issuedBefore(m: SignInMembership, issuedAtMs: number): boolean {
  return m.credentials_not_before !== null && issuedAtMs < new Date(m.credentials_not_before).getTime();
}
