import { Forbidden, Unauthenticated } from '../errors.js';
import type { SignInMembership } from './sign-in-store.js';

/**
 * Who may reach an account, and how (rules 3 and 5). Pure: the caller has read the membership
 * with its current roles, status and the account's SSO setting on this very request.
 */

export type SignInMethod = 'password' | 'saml';

export class SsoRequired extends Forbidden {
  constructor(
    readonly accountId: string,
    accountName: string,
  ) {
    super(`The account ${JSON.stringify(accountName)} requires single sign-on: sign in through your company's identity provider (SSO), not with a password`);
  }
}

export class MembershipDeactivated extends Unauthenticated {
  constructor(accountName: string) {
    super(`Your membership of ${JSON.stringify(accountName)} is deactivated`);
  }
}

/** Inactive members get nothing; an SSO-only account needs a SAML sign-in, except for its admins. */
export function requireAccess(membership: SignInMembership, method: SignInMethod): void {
  if (!membership.active) throw new MembershipDeactivated(membership.account_name);
  if (membership.sso_enforced && method !== 'saml' && !membership.roles.includes('admin')) {
    throw new SsoRequired(membership.account_id, membership.account_name);
  }
}
