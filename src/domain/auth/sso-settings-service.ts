import { X509Certificate } from 'node:crypto';
import type { Knex } from 'knex';
import { recordAudit } from '../audit/audit-service.js';
import { type Context, requireAccountManager, transact } from '../context.js';
import { Invalid, NotFound, show } from '../errors.js';
import { findSamlRequest, insertSamlRequest } from './saml-requests-store.js';
import { findSsoSettings, hasBreakGlassAdmin, lockSsoSettings, type SsoSettingsRow, updateSsoSettings } from './sso-settings-store.js';

/** An account's SAML identity provider and its SSO policy. */
export interface SsoSettings {
  accountId: string;
  accountName: string;
  idpEntityId: string | null;
  idpSsoUrl: string | null;
  /** PEM certificates whose keys may sign responses: more than one while the IdP rotates its key. */
  idpCertificates: string[];
  enforced: boolean;
  allowIdpInitiated: boolean;
  jit: boolean;
  updatedAt: Date | null;
}

/** A change: fields left out keep their value. */
export interface SsoSettingsInput {
  idpEntityId?: string;
  idpSsoUrl?: string;
  idpCertificates?: string[];
  enforced?: boolean;
  allowIdpInitiated?: boolean;
  jit?: boolean;
}

export const MAX_CERTIFICATES = 5;
/** How long an AuthnRequest may wait for its answer. */
export const SAML_REQUEST_LIFETIME_SECONDS = 10 * 60;

export function isComplete(s: SsoSettings): boolean {
  return !!s.idpEntityId && !!s.idpSsoUrl && s.idpCertificates.length > 0;
}

function fromRow(row: SsoSettingsRow): SsoSettings {
  return {
    accountId: row.id,
    accountName: row.name,
    idpEntityId: row.sso_idp_entity_id,
    idpSsoUrl: row.sso_idp_sso_url,
    idpCertificates: row.sso_idp_certificates ?? [],
    enforced: row.sso_enforced,
    allowIdpInitiated: row.sso_allow_idp_initiated,
    jit: row.sso_jit,
    updatedAt: row.sso_updated_at,
  };
}

/** A certificate as PEM, from PEM or bare base64 (as IdP metadata and admin consoles show it). */
export function normaliseCertificate(value: string, field: string): X509Certificate {
  const body = value.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) throw new Invalid(field, `${field} is not a PEM or base64 X.509 certificate`);
  try {
    return new X509Certificate(Buffer.from(body, 'base64'));
  } catch {
    throw new Invalid(field, `${field} is not a valid X.509 certificate`);
  }
}

function checkEntityId(value: string): string {
  const trimmed = value.trim();
  if (trimmed === '' || trimmed.length > 1024) throw new Invalid('idp_entity_id', `idp_entity_id must be 1 to 1024 characters, not ${show(value)}`);
  return trimmed;
}

/** https, or http on this machine only (a test IdP). */
function checkSsoUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new Invalid('idp_sso_url', `idp_sso_url must be an absolute URL, not ${show(value)}`);
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new Invalid('idp_sso_url', `idp_sso_url must be an https:// URL, not ${show(value)}`);
  }
  return url.toString();
}

export class SsoSettingsService {
  constructor(private readonly db: Knex) {}

  async get(ctx: Context): Promise<SsoSettings> {
    requireAccountManager(ctx, 'read the SSO settings');
    return this.forAccount(ctx.accountId);
  }

  /** The settings the SAML endpoints act on; they are public, as the account id in their URL is. */
  async forAccount(accountId: string): Promise<SsoSettings> {
    const row = await transact(this.db, (trx) => findSsoSettings(trx, accountId));
    if (!row) throw new NotFound('account', accountId);
    return fromRow(row);
  }

  async configure(ctx: Context, input: SsoSettingsInput): Promise<SsoSettings> {
    requireAccountManager(ctx, 'change the SSO settings');
    const certificates = input.idpCertificates?.map((c, i) => normaliseCertificate(c, `idp_certificates[${i}]`));
    if (certificates && certificates.length === 0) throw new Invalid('idp_certificates', 'idp_certificates needs at least one certificate');
    if (certificates && certificates.length > MAX_CERTIFICATES) throw new Invalid('idp_certificates', `idp_certificates takes at most ${MAX_CERTIFICATES} certificates`);
    const entityId = input.idpEntityId === undefined ? undefined : checkEntityId(input.idpEntityId);
    const ssoUrl = input.idpSsoUrl === undefined ? undefined : checkSsoUrl(input.idpSsoUrl);
    return transact(this.db, async (trx) => {
      const row = await lockSsoSettings(trx, ctx.accountId);
      if (!row) throw new NotFound('account', ctx.accountId);
      const before = fromRow(row);
      const after: SsoSettings = {
        ...before,
        idpEntityId: entityId ?? before.idpEntityId,
        idpSsoUrl: ssoUrl ?? before.idpSsoUrl,
        idpCertificates: certificates ? [...new Set(certificates.map((c) => c.toString()))] : before.idpCertificates,
        enforced: input.enforced ?? before.enforced,
        allowIdpInitiated: input.allowIdpInitiated ?? before.allowIdpInitiated,
        jit: input.jit ?? before.jit,
      };
      if (after.enforced && !isComplete(after)) {
        throw new Invalid('enforced', 'SSO cannot be enforced before idp_entity_id, idp_sso_url and idp_certificates are set');
      }
      // Break-glass: with SSO enforced only admins may use a password; if none can, an IdP outage
      // or a wrong certificate locks everyone out. Checked when enforcement is turned on (an admin
      // who later loses their password or role is not stopped here).
      if (after.enforced && !before.enforced && !(await hasBreakGlassAdmin(trx, ctx.accountId))) {
        throw new Invalid(
          'enforced',
          'SSO cannot be enforced while no active admin of this account can sign in without the identity provider: give at least one active admin a password first (they sign in with it at /login if the IdP fails)',
        );
      }
      await updateSsoSettings(trx, ctx.accountId, {
        sso_idp_entity_id: after.idpEntityId,
        sso_idp_sso_url: after.idpSsoUrl,
        sso_idp_certificates: after.idpCertificates,
        sso_enforced: after.enforced,
        sso_allow_idp_initiated: after.allowIdpInitiated,
        sso_jit: after.jit,
      });
      await recordAudit(trx, ctx, { action: 'sso.configure', targetType: 'account', targetId: ctx.accountId, changes: describeChanges(before, after) });
      return fromRow((await findSsoSettings(trx, ctx.accountId))!);
    });
  }

  /** Turns SSO off for the account and forgets its IdP. */
  async remove(ctx: Context): Promise<SsoSettings> {
    requireAccountManager(ctx, 'change the SSO settings');
    return transact(this.db, async (trx) => {
      const row = await lockSsoSettings(trx, ctx.accountId);
      if (!row) throw new NotFound('account', ctx.accountId);
      await updateSsoSettings(trx, ctx.accountId, {
        sso_idp_entity_id: null, sso_idp_sso_url: null, sso_idp_certificates: [], sso_enforced: false, sso_allow_idp_initiated: false, sso_jit: false,
      });
      await recordAudit(trx, ctx, { action: 'sso.remove', targetType: 'account', targetId: ctx.accountId, changes: { idp_entity_id: row.sso_idp_entity_id } });
      return fromRow((await findSsoSettings(trx, ctx.accountId))!);
    });
  }

  /** For the operator (CLI). */
  async configureAsOperator(accountId: string, input: SsoSettingsInput): Promise<SsoSettings> {
    return this.configure({ accountId, actor: { type: 'system' }, channel: 'cli' }, input);
  }

  /** Remembers an AuthnRequest id so that any instance can check the InResponseTo of its answer. */
  async rememberRequest(accountId: string, requestId: string): Promise<void> {
    await transact(this.db, (trx) => insertSamlRequest(trx, accountId, requestId, SAML_REQUEST_LIFETIME_SECONDS));
  }

  /** When this account issued the request, if it is still waiting for its answer. */
  async pendingRequest(accountId: string, requestId: string): Promise<Date | undefined> {
    return transact(this.db, (trx) => findSamlRequest(trx, accountId, requestId));
  }
}

/** Fingerprints rather than certificates, in the audit trail. */
export function certificateFingerprints(pems: readonly string[]): string[] {
  return pems.map((pem) => new X509Certificate(pem).fingerprint256);
}

function describeChanges(before: SsoSettings, after: SsoSettings): Record<string, unknown> {
  const changes: Record<string, unknown> = {};
  if (before.idpEntityId !== after.idpEntityId) changes.idp_entity_id = after.idpEntityId;
  if (before.idpSsoUrl !== after.idpSsoUrl) changes.idp_sso_url = after.idpSsoUrl;
  if (before.idpCertificates.join() !== after.idpCertificates.join()) changes.idp_certificates = certificateFingerprints(after.idpCertificates);
  if (before.enforced !== after.enforced) changes.enforced = after.enforced;
  if (before.allowIdpInitiated !== after.allowIdpInitiated) changes.allow_idp_initiated = after.allowIdpInitiated;
  if (before.jit !== after.jit) changes.jit = after.jit;
  return changes;
}
