import { type CacheProvider, type SamlConfig, ValidateInResponseTo } from '@node-saml/passport-saml';
import type { SsoSettings } from '../domain/auth/sso-settings-service.js';
import { SAML_REQUEST_LIFETIME_SECONDS } from '../domain/auth/sso-settings-service.js';
import type { Services } from '../domain/services.js';

/** Small: IdP and SP clocks are NTP-synchronised; Okta and Entra ID issue assertions valid for minutes. */
export const CLOCK_SKEW_MS = 60_000;

/** The service provider's names for one account, the same on every instance (built from PUBLIC_URL). */
export interface SpEndpoints {
  entityId: string;
  acsUrl: string;
  loginUrl: string;
  metadataUrl: string;
}

export function spEndpoints(publicUrl: string, accountId: string): SpEndpoints {
  const base = `${publicUrl}/sso/saml/${encodeURIComponent(accountId)}`;
  return { entityId: `${base}/metadata`, metadataUrl: `${base}/metadata`, acsUrl: `${base}/acs`, loginUrl: `${base}/login` };
}

/**
 * The InResponseTo store passport-saml consults, kept in the database per account so that the
 * instance that receives the answer need not be the one that sent the request. Consuming the id
 * is done by the sign-in service, atomically with the assertion's replay record, so removeAsync
 * does nothing here.
 */
export function requestIdStore(services: Services, accountId: string): CacheProvider {
  return {
    async saveAsync(key, value) {
      await services.sso.rememberRequest(accountId, key);
      return { value, createdAt: Date.now() };
    },
    async getAsync(key) {
      const issuedAt = await services.sso.pendingRequest(accountId, key);
      return issuedAt ? issuedAt.toISOString() : null;
    },
    async removeAsync(key) {
      return key;
    },
  };
}

/** `requests`: where request ids are kept and looked up; the console's test sign-in keeps its own (saml-test.ts). */
export function samlOptions(services: Services, settings: SsoSettings, sp: SpEndpoints, requests: CacheProvider = requestIdStore(services, settings.accountId)): SamlConfig {
  return {
    issuer: sp.entityId,
    audience: sp.entityId,
    callbackUrl: sp.acsUrl,
    entryPoint: settings.idpSsoUrl ?? undefined,
    idpCert: settings.idpCertificates,
    idpIssuer: settings.idpEntityId ?? undefined,
    identifierFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    // The assertion must carry its own signature (Okta and Entra ID sign it by default); a signed
    // Response around it is accepted but not required.
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: false,
    acceptedClockSkewMs: CLOCK_SKEW_MS,
    validateInResponseTo: settings.allowIdpInitiated ? ValidateInResponseTo.ifPresent : ValidateInResponseTo.always,
    requestIdExpirationPeriodMs: SAML_REQUEST_LIFETIME_SECONDS * 1000,
    cacheProvider: requests,
    // Asking for a particular AuthnContext makes IdPs refuse MFA and passwordless sign-ins.
    disableRequestedAuthnContext: true,
    signatureAlgorithm: 'sha256',
  };
}
