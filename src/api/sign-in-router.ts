import { Router } from 'express';
import type { SsoSettings } from '../domain/auth/sso-settings-service.js';
import { certificateFingerprints } from '../domain/auth/sso-settings-service.js';
import { Unauthenticated } from '../domain/errors.js';
import type { Services } from '../domain/services.js';
import { parseIdpMetadata } from '../sso/idp-metadata.js';
import { spEndpoints } from '../sso/saml-options.js';
import { contextOf, signedInOf } from './authenticate.js';
import { object, optBoolean, optString, optStringArray } from './params.js';
import { accountUserView, accountView } from './views.js';

function ssoView(s: SsoSettings, publicUrl: string) {
  const sp = spEndpoints(publicUrl, s.accountId);
  return {
    object: 'sso_settings',
    account_id: s.accountId,
    idp_entity_id: s.idpEntityId,
    idp_sso_url: s.idpSsoUrl,
    idp_certificates: s.idpCertificates.map((pem, i) => ({ pem, sha256_fingerprint: certificateFingerprints([pem])[0], index: i })),
    enforced: s.enforced,
    allow_idp_initiated: s.allowIdpInitiated,
    jit: s.jit,
    service_provider: { entity_id: sp.entityId, acs_url: sp.acsUrl, metadata_url: sp.metadataUrl, login_url: sp.loginUrl, name_id_format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress' },
    updated_at: s.updatedAt ? new Date(s.updatedAt).toISOString() : null,
  };
}

/** /api/v4/me (who is calling, in which account, signed in how) and /api/v4/account/sso (admins). */
export function signInRouter(services: Services, options: { publicUrl: string }): Router {
  const router = Router();

  router.get('/me', async (_req, res) => {
    const ctx = contextOf(res);
    if (ctx.actor.type !== 'account_user') throw new Unauthenticated('/me answers for a member: sign in as one');
    const signedIn = signedInOf(res);
    const [member, account] = await Promise.all([services.accountUsers.get(ctx, ctx.actor.accountUserId), services.accounts.get(ctx)]);
    res.json({
      object: 'me',
      account_user: accountUserView(member),
      account: accountView(account),
      sign_in: { credential: signedIn.credential, method: signedIn.method, session_expires_at: signedIn.expiresAt?.toISOString() ?? null },
    });
  });

  router.get('/account/sso', async (_req, res) => {
    res.json(ssoView(await services.sso.get(contextOf(res)), options.publicUrl));
  });

  const configure = async (req: import('express').Request, res: import('express').Response) => {
    const body = object(req.body, 'body');
    const metadataXml = optString(body, 'idp_metadata_xml');
    const fromMetadata = metadataXml === undefined ? {} : parseIdpMetadata(metadataXml);
    const settings = await services.sso.configure(contextOf(res), {
      ...fromMetadata,
      ...definedOnly({
        idpEntityId: optString(body, 'idp_entity_id'),
        idpSsoUrl: optString(body, 'idp_sso_url'),
        idpCertificates: optStringArray(body, 'idp_certificates'),
      }),
      enforced: optBoolean(body, 'enforced'),
      allowIdpInitiated: optBoolean(body, 'allow_idp_initiated'),
      jit: optBoolean(body, 'jit'),
    });
    res.json(ssoView(settings, options.publicUrl));
  };
  router.put('/account/sso', configure);
  router.patch('/account/sso', configure);

  router.delete('/account/sso', async (_req, res) => {
    res.json(ssoView(await services.sso.remove(contextOf(res)), options.publicUrl));
  });

  return router;
}

function definedOnly<T extends Record<string, unknown>>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>;
}
