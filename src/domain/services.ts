import type { Knex } from 'knex';
import type { ChangeFeed } from '../db/change-feed.js';
import { AccountsService } from './accounts/accounts-service.js';
import { AccountOverviewService } from './accounts/account-overview.js';
import { SamlTestsService } from './auth/saml-tests-service.js';
import { OwnershipService } from './accounts/ownership-service.js';
import { AuditService } from './audit/audit-service.js';
import { DirectoryService } from './directory/directory-service.js';
import { DomainsService } from './domains/domains-service.js';
import { ApiTokensService } from './auth/api-tokens-service.js';
import type { SecretBox } from './auth/secret-box.js';
import { SignInService } from './auth/sign-in-service.js';
import { SsoSettingsService } from './auth/sso-settings-service.js';
import { ScimTokensService } from './auth/scim-tokens-service.js';
import { RoleMappingsService } from './roles/role-mappings-service.js';
import { SchedulesService } from './schedules/schedules-service.js';
import { TeamsService } from './teams/teams-service.js';
import { AccountUsersService } from './users/account-users-service.js';
import { UsersService } from './users/users-service.js';
import { InvitationsService } from './invitations/invitations-service.js';
import { ProvisioningLogService } from './provisioning/provisioning-log-service.js';
import { NO_RATE_LIMITS, type RateLimitRules, RateLimits } from './limits/rate-limits.js';

/**
 * The domain's use cases, wired once per process over one database. Every adapter takes these.
 * With the database's change feed, services may keep in-process caches that other instances'
 * commits invalidate (the SCIM token cache); without one (seeding, one-off commands), none is kept.
 */
export interface Services {
  accounts: AccountsService;
  accountUsers: AccountUsersService;
  users: UsersService;
  teams: TeamsService;
  /** The account's directory as an identity provider sees it (SCIM). */
  directory: DirectoryService;
  apiTokens: ApiTokensService;
  signIn: SignInService;
  sso: SsoSettingsService;
  scimTokens: ScimTokensService;
  roleMappings: RoleMappingsService;
  audit: AuditService;
  schedules: SchedulesService;
  ownership: OwnershipService;
  /** Verified email domains and SSO discovery. */
  domains: DomainsService;
  /** Invitations a person answers (rule 1). */
  invitations: InvitationsService;
  /** Request limits per SCIM token and per member. */
  rateLimits: RateLimits;
  /** The admin console's overview of the account (issue 15). */
  accountOverview: AccountOverviewService;
  /** The admin console's SSO test sign-ins: checked, recorded, never a session (issue 15). */
  samlTests: SamlTestsService;
  /** Every authenticated SCIM request, recorded in batches (issue 15); flush() writes what is buffered. */
  provisioningLog: ProvisioningLogService;
}

/** What some services take from configuration. */
export interface ServicesOptions {
  /** DNS servers for domain verification (DNS_RESOLVER); unset = the system's. */
  dnsResolver?: readonly string[];
  /** PUBLIC_URL, where links in emails point; http://127.0.0.1:3000 (the default) unless given. */
  publicUrl?: string;
  /** RATE_LIMIT_SCIM and RATE_LIMIT_API; none when unset (one-off commands, tests that do not test them). */
  rateLimits?: RateLimitRules;
}

export function createServices(db: Knex, changes?: ChangeFeed, secrets?: SecretBox, options: ServicesOptions = {}): Services {
  const publicUrl = options.publicUrl ?? 'http://127.0.0.1:3000';
  const accountUsers = new AccountUsersService(db, publicUrl);
  const teams = new TeamsService(db);
  return {
    accounts: new AccountsService(db, accountUsers),
    accountUsers,
    users: new UsersService(db, accountUsers),
    teams,
    directory: new DirectoryService(db, accountUsers, teams),
    apiTokens: new ApiTokensService(db),
    // without `secrets` (one-off commands) JWTs can be neither issued nor verified
    signIn: new SignInService(db, accountUsers, secrets),
    sso: new SsoSettingsService(db),
    scimTokens: new ScimTokensService(db, changes),
    roleMappings: new RoleMappingsService(db),
    audit: new AuditService(db),
    schedules: new SchedulesService(db),
    ownership: new OwnershipService(db),
    domains: new DomainsService(db, { dnsServers: options.dnsResolver }),
    invitations: new InvitationsService(db, publicUrl),
    rateLimits: new RateLimits(db, options.rateLimits ?? NO_RATE_LIMITS),
    accountOverview: new AccountOverviewService(db),
    samlTests: new SamlTestsService(db),
    provisioningLog: new ProvisioningLogService(db),
  };
}
