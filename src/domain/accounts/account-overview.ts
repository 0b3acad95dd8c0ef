import { X509Certificate } from 'node:crypto';
import type { Knex } from 'knex';
import { type Context, requireAccountManager, transact } from '../context.js';
import { NotFound } from '../errors.js';
import { findSsoSettings } from '../auth/sso-settings-store.js';
import { readAccountOverview } from './account-overview-store.js';

/** A certificate expiring within this many days needs attention. */
export const CERTIFICATE_WARNING_DAYS = 30;

export interface CertificateSummary {
  subject: string;
  notAfter: Date;
  fingerprint: string;
  /** Whole days until it expires; negative once expired. */
  daysLeft: number;
}

/** The last SCIM request and the failures of the last day (the provisioning log's summary), when the log is kept. */
export interface ScimActivity {
  last?: { at: Date; method: string; path: string; status: number };
  requestsLast24h: number;
  failuresLast24h: number;
}

export type AttentionItem =
  | { kind: 'certificate_expired' | 'certificate_expiring'; certificate: CertificateSummary }
  | { kind: 'scim_failures'; failures: number }
  | { kind: 'members_not_from_idp'; count: number }
  | { kind: 'invited'; count: number };

export interface AccountOverview {
  account: { id: string; name: string; createdAt: Date };
  owner?: { accountUserId: string; name: string | null; email: string | null };
  sso: { configured: boolean; enforced: boolean; allowIdpInitiated: boolean; jit: boolean; idpEntityId: string | null; certificates: CertificateSummary[] };
  scim: { connected: boolean; tokens: number; lastUsedAt: Date | null; activity?: ScimActivity };
  people: { active: number; deactivated: number; invited: number; notFromIdp: number; teams: number };
  attention: AttentionItem[];
}

/** What the console shows of a certificate (never the PEM): subject, expiry, fingerprint. */
export function certificateSummary(pem: string, now = Date.now()): CertificateSummary {
  const cert = new X509Certificate(pem);
  const notAfter = new Date(cert.validTo);
  return { subject: cert.subject.replace(/\n/g, ', '), notAfter, fingerprint: cert.fingerprint256, daysLeft: Math.floor((notAfter.getTime() - now) / 86_400_000) };
}

/**
 * The admin console's overview (issue 15): the account, its owner, SSO and SCIM state, counts,
 * and what needs an admin's attention. For admins only.
 */
export class AccountOverviewService {
  constructor(private readonly db: Knex) {}

  /** `activity`: the provisioning log's summary, when the caller has one (else SCIM shows the tokens' last use). */
  async get(ctx: Context, activity?: ScimActivity): Promise<AccountOverview> {
    requireAccountManager(ctx, "read the account's overview");
    const [row, sso] = await transact(this.db, (trx) => Promise.all([readAccountOverview(trx, ctx.accountId), findSsoSettings(trx, ctx.accountId)]));
    if (!row || !sso) throw new NotFound('account', ctx.accountId);
    const now = Date.now();
    const certificates = (sso.sso_idp_certificates ?? []).map((pem) => certificateSummary(pem, now));
    const configured = !!sso.sso_idp_entity_id && !!sso.sso_idp_sso_url && certificates.length > 0;
    const attention: AttentionItem[] = [];
    for (const certificate of certificates) {
      if (certificate.notAfter.getTime() <= now) attention.push({ kind: 'certificate_expired', certificate });
      else if (certificate.daysLeft < CERTIFICATE_WARNING_DAYS) attention.push({ kind: 'certificate_expiring', certificate });
    }
    if (activity && activity.failuresLast24h > 0) attention.push({ kind: 'scim_failures', failures: activity.failuresLast24h });
    const connected = row.scim_tokens > 0;
    // Only worth saying when an IdP provisions the account: otherwise every member is made here.
    if (connected && row.not_from_idp > 0) attention.push({ kind: 'members_not_from_idp', count: row.not_from_idp });
    if (row.invited > 0) attention.push({ kind: 'invited', count: row.invited });
    return {
      account: { id: row.id, name: row.name, createdAt: new Date(row.created_at) },
      owner: row.owner_account_user_id ? { accountUserId: row.owner_account_user_id, name: row.owner_name, email: row.owner_email } : undefined,
      sso: { configured, enforced: sso.sso_enforced, allowIdpInitiated: sso.sso_allow_idp_initiated, jit: sso.sso_jit, idpEntityId: sso.sso_idp_entity_id, certificates },
      scim: { connected, tokens: row.scim_tokens, lastUsedAt: row.scim_last_used_at ? new Date(row.scim_last_used_at) : null, activity },
      people: { active: row.active_members, deactivated: row.deactivated_members, invited: row.invited, notFromIdp: row.not_from_idp, teams: row.teams },
      attention,
    };
  }
}
