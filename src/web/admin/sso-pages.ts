import { Router } from 'express';
import { certificateSummary } from '../../domain/accounts/account-overview.js';
import type { SamlTestOutcome } from '../../domain/auth/saml-tests-service.js';
import { isComplete, normaliseCertificate, type SsoSettings } from '../../domain/auth/sso-settings-service.js';
import { Invalid } from '../../domain/errors.js';
import type { Services } from '../../domain/services.js';
import { parseIdpMetadata } from '../../sso/idp-metadata.js';
import { spEndpoints } from '../../sso/saml-options.js';
import { startSamlTest } from '../../sso/saml-test.js';
import { spMetadataXml } from '../../sso/sp-metadata.js';
import { html, type Html } from '../html.js';
import type { AdminConfig } from './admin-router.js';
import { type AdminSession, adminOf } from './admin-session.js';
import { copyField, when } from './components.js';
import { csrfField } from './csrf.js';
import { adminPage } from './layout.js';

/**
 * /admin/sso: the account's SAML single sign-on. What the IdP needs from us (entity ID, ACS URL,
 * metadata), the IdP's settings (metadata or fields), the policy (SSO-only, IdP-initiated, JIT),
 * the IdP's certificates (two during a rotation), and a test sign-in that signs nobody in.
 */

const field = (body: unknown, name: string): string | undefined => {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
};
const checked = (body: unknown, name: string): boolean => field(body, name) === 'on';

function checkbox(name: string, label: string, on: boolean, hint: string): Html {
  return html`<div class="checkbox"><input type="checkbox" id="${name}" name="${name}"${on ? html` checked` : ''} aria-describedby="${name}-hint"><div><label for="${name}">${label}</label><p class="hint" id="${name}-hint">${hint}</p></div></div>`;
}

function certificatesSection(settings: SsoSettings, session: AdminSession): Html {
  const certs = settings.idpCertificates.map((pem) => ({ pem, ...certificateSummary(pem) }));
  return html`<section aria-labelledby="certificates-heading" id="certificates">
<h2 id="certificates-heading">IdP signing certificates</h2>
<p>A sign-in is accepted when one of these signed it. To rotate the IdP's key: add its new certificate, switch the IdP to it, run a test sign-in, then remove the old one.</p>
${certs.length
  ? html`<table id="certificate-list"><caption>Certificates trusted for ${settings.idpEntityId ?? 'the identity provider'}</caption>
<thead><tr><th scope="col">Subject</th><th scope="col">Expires</th><th scope="col">SHA-256 fingerprint</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>${certs.map(
      (c) => html`<tr><th scope="row">${c.subject}</th><td>${when(c.notAfter)}${c.daysLeft < 0 ? html` <span class="bad">expired</span>` : c.daysLeft < 30 ? html` <span class="bad">${c.daysLeft} days left</span>` : ''}</td><td><code>${c.fingerprint}</code></td>
<td>${certs.length > 1
        ? html`<form method="post" action="/admin/sso/certificates/remove">${csrfField(session.csrfToken)}<input type="hidden" name="fingerprint" value="${c.fingerprint}"><button type="submit" class="secondary">Remove<span class="visually-hidden"> ${c.subject}, expiring ${c.notAfter.toISOString().slice(0, 10)}</span></button></form>`
        : html`<span class="muted">The only one: add another before removing it</span>`}</td></tr>`,
    )}</tbody></table>`
  : html`<p>None yet: upload the IdP's metadata or fill in its settings above.</p>`}
<form method="post" action="/admin/sso/certificates" id="add-certificate">${csrfField(session.csrfToken)}
<label for="new_certificate">Add a certificate (PEM or base64)</label>
<textarea id="new_certificate" name="certificate" required></textarea>
<button type="submit">Add certificate</button>
</form>
</section>`;
}

function ssoPage(session: AdminSession, settings: SsoSettings, publicUrl: string, messages: { notice?: string; error?: string } = {}): string {
  const sp = spEndpoints(publicUrl, session.accountId);
  const complete = isComplete(settings);
  return adminPage(
    { title: 'Single sign-on', section: 'sso', session, ...messages },
    html`<p id="sso-state">${complete
      ? html`SAML single sign-on is <strong>set up</strong> with <strong>${settings.idpEntityId}</strong>${settings.enforced ? html` and <strong>enforced</strong>` : ''}.`
      : html`SAML single sign-on is <strong>not set up</strong>: members sign in with a password.`}</p>
<section aria-labelledby="sp-heading">
<h2 id="sp-heading">1. Give your identity provider these</h2>
${copyField('sp-entity-id', 'Entity ID (Audience URI, Identifier)', sp.entityId)}
${copyField('sp-acs-url', 'Assertion Consumer Service URL (Single sign-on URL, Reply URL)', sp.acsUrl)}
<p>NameID: the person's email address (or their user name here). <a href="/admin/sso/metadata.xml" download="rollcall-sp-metadata.xml" id="sp-metadata">Download the service provider metadata</a> (XML), which Entra ID and most IdPs import.</p>
</section>
<section aria-labelledby="idp-heading">
<h2 id="idp-heading">2. Tell Rollcall about your identity provider</h2>
<h3 id="metadata-heading">With its metadata</h3>
<form method="post" action="/admin/sso/metadata" id="metadata-form" aria-labelledby="metadata-heading">${csrfField(session.csrfToken)}
<div data-needs-js hidden><label for="metadata_file">Metadata file</label><input type="file" id="metadata_file" accept=".xml,application/xml,text/xml,application/samlmetadata+xml" data-read-into="#idp_metadata_xml"></div>
<label for="idp_metadata_xml">Metadata XML</label>
<p class="hint" id="idp_metadata_xml-hint">Okta: Sign On tab → "Metadata URL", open it and copy. Entra ID: "Federation Metadata XML". Paste it here.</p>
<textarea id="idp_metadata_xml" name="idp_metadata_xml" required aria-describedby="idp_metadata_xml-hint"></textarea>
<button type="submit">Use this metadata</button>
</form>
<h3 id="fields-heading">Or field by field</h3>
<form method="post" action="/admin/sso/idp" id="fields-form" aria-labelledby="fields-heading">${csrfField(session.csrfToken)}
<label for="idp_entity_id">IdP entity ID (Issuer)</label>
<input id="idp_entity_id" name="idp_entity_id" required maxlength="1024" value="${settings.idpEntityId ?? ''}">
<label for="idp_sso_url">IdP single sign-on URL</label>
<input id="idp_sso_url" name="idp_sso_url" type="url" required value="${settings.idpSsoUrl ?? ''}">
<label for="idp_certificate">IdP signing certificate (PEM or base64)</label>
<p class="hint" id="idp_certificate-hint">${settings.idpCertificates.length ? 'Leave empty to keep the certificates below; a certificate here replaces them all.' : 'Required.'}</p>
<textarea id="idp_certificate" name="idp_certificate" aria-describedby="idp_certificate-hint"${settings.idpCertificates.length ? '' : html` required`}></textarea>
<button type="submit">Save the identity provider</button>
</form>
</section>
${certificatesSection(settings, session)}
<section aria-labelledby="policy-heading">
<h2 id="policy-heading">3. Policy</h2>
<form method="post" action="/admin/sso/policy" id="policy-form">${csrfField(session.csrfToken)}
<fieldset><legend>Sign-in policy</legend>
${checkbox('enforced', 'Enforce SSO (SSO-only)', settings.enforced, 'Members must sign in through the identity provider. Admins keep their password to get in if the IdP fails: at least one active admin needs one.')}
${checkbox('allow_idp_initiated', 'Accept IdP-initiated sign-ins', settings.allowIdpInitiated, 'People may start from the IdP\'s dashboard (Okta tile, My Apps). Off: only sign-ins started at Rollcall\'s sign-in page.')}
${checkbox('jit', 'Create members at first sign-in (just-in-time)', settings.jit, 'Someone the IdP lets in who is not a member yet becomes one. Off: they are refused until provisioned.')}
</fieldset>
<button type="submit">Save the policy</button>
</form>
</section>
<section aria-labelledby="test-heading">
<h2 id="test-heading">4. Test the sign-in</h2>
<p>Runs a real SAML round trip with your identity provider, as you, and shows what the assertion carried and which member it names, or why it was refused. It signs nobody in and creates nobody, whatever the policy.</p>
${complete
  ? html`<form method="post" action="/admin/sso/test" id="test-form">${csrfField(session.csrfToken)}<button type="submit">Start a test sign-in</button></form>`
  : html`<p class="muted">Set the identity provider first.</p>`}
</section>`,
  );
}

function outcomeView(outcome: SamlTestOutcome | undefined, memberName: string | undefined): Html {
  if (!outcome) return html`<p role="status" id="test-outcome">Waiting for the identity provider's answer. Reload this page once you have signed in there.</p>`;
  if (!outcome.ok) {
    return html`<p class="error" id="test-outcome"><strong>Refused (${outcome.reason})</strong>: ${outcome.message}</p>
<p>A real sign-in with this answer would be refused the same way.</p>`;
  }
  return html`<p class="notice" id="test-outcome"><strong>Accepted.</strong> The identity provider's answer is valid for this account.</p>
<dl class="facts">
<dt>NameID</dt><dd id="test-name-id"><code>${outcome.nameId}</code>${outcome.nameIdFormat ? html` <span class="muted">(${outcome.nameIdFormat})</span>` : ''}</dd>
<dt>Member</dt><dd id="test-member">${outcome.member
    ? html`<a href="/admin/people/${outcome.member.accountUserId}">${memberName ?? outcome.member.accountUserId}</a>${outcome.member.active ? '' : html` <span class="bad">(deactivated: would be refused)</span>`}`
    : outcome.jit
      ? 'No member has this user name or email: a real sign-in would create one (just-in-time). The test created nobody.'
      : html`<span class="bad">No member has this user name or email: a real sign-in would be refused.</span>`}</dd>
</dl>
${outcome.attributes.length
  ? html`<table id="test-attributes"><caption>Attributes in the assertion</caption><thead><tr><th scope="col">Name</th><th scope="col">Values</th></tr></thead>
<tbody>${outcome.attributes.map((a) => html`<tr><th scope="row"><code>${a.name}</code></th><td>${a.values.join(', ')}</td></tr>`)}</tbody></table>`
  : html`<p>The assertion carried no attributes.</p>`}`;
}

export function ssoPages(services: Services, config: AdminConfig): Router {
  const router = Router();
  const show = async (res: import('express').Response, messages: { notice?: string; error?: string } = {}, status = 200) => {
    const session = adminOf(res);
    res.status(status).type('html').send(ssoPage(session, await services.sso.get(session.ctx), config.publicUrl, messages));
  };
  /** Saves and shows the page; a refused value is shown on the page with its message (400). */
  const saving = (work: (session: AdminSession, body: unknown) => Promise<string>) => async (req: import('express').Request, res: import('express').Response) => {
    const session = adminOf(res);
    try {
      const notice = await work(session, req.body);
      await show(res, { notice });
    } catch (err) {
      if (!(err instanceof Invalid)) throw err;
      await show(res, { error: err.message }, 400);
    }
  };

  router.get('/sso', async (req, res) => {
    await show(res);
  });

  router.get('/sso/metadata.xml', (_req, res) => {
    const session = adminOf(res);
    res.set('Content-Disposition', 'attachment; filename="rollcall-sp-metadata.xml"');
    res.type('application/samlmetadata+xml').send(spMetadataXml(spEndpoints(config.publicUrl, session.accountId)));
  });

  router.post(
    '/sso/metadata',
    saving(async (session, body) => {
      const xml = field(body, 'idp_metadata_xml')?.trim();
      if (!xml) throw new Invalid('idp_metadata_xml', 'Paste the identity provider\'s metadata XML (or choose its file)');
      await services.sso.configure(session.ctx, parseIdpMetadata(xml));
      return 'The identity provider was set from its metadata. Run a test sign-in to check it.';
    }),
  );

  router.post(
    '/sso/idp',
    saving(async (session, body) => {
      const certificate = field(body, 'idp_certificate')?.trim();
      await services.sso.configure(session.ctx, {
        idpEntityId: field(body, 'idp_entity_id') ?? '',
        idpSsoUrl: field(body, 'idp_sso_url') ?? '',
        idpCertificates: certificate ? [certificate] : undefined,
      });
      return 'The identity provider was saved. Run a test sign-in to check it.';
    }),
  );

  router.post(
    '/sso/policy',
    saving(async (session, body) => {
      await services.sso.configure(session.ctx, { enforced: checked(body, 'enforced'), allowIdpInitiated: checked(body, 'allow_idp_initiated'), jit: checked(body, 'jit') });
      return 'The sign-in policy was saved.';
    }),
  );

  router.post(
    '/sso/certificates',
    saving(async (session, body) => {
      const pem = normaliseCertificate(field(body, 'certificate') ?? '', 'certificate').toString();
      const current = (await services.sso.get(session.ctx)).idpCertificates;
      await services.sso.configure(session.ctx, { idpCertificates: [...current, pem] });
      return 'The certificate was added: sign-ins signed with it or the others are accepted.';
    }),
  );

  router.post(
    '/sso/certificates/remove',
    saving(async (session, body) => {
      const fingerprint = field(body, 'fingerprint');
      const current = (await services.sso.get(session.ctx)).idpCertificates;
      const kept = current.filter((pem) => certificateSummary(pem).fingerprint !== fingerprint);
      if (kept.length === current.length) throw new Invalid('fingerprint', `No certificate has the fingerprint ${JSON.stringify(fingerprint ?? '')}`);
      // the domain refuses an empty list: the last certificate is never removed
      await services.sso.configure(session.ctx, { idpCertificates: kept });
      return 'The certificate was removed: sign-ins signed with it are refused from now on.';
    }),
  );

  // The IdP is another site: CSP's form-action would stop a form's redirect there, so the
  // answer is a page with a link (admin.js follows it at once).
  router.post('/sso/test', async (_req, res) => {
    const session = adminOf(res);
    let url: string;
    try {
      url = await startSamlTest(services, config.publicUrl, session.ctx);
    } catch (err) {
      if (!(err instanceof Invalid)) throw err;
      return show(res, { error: err.message }, 400);
    }
    res.type('html').send(
      adminPage(
        { title: 'Test sign-in started', section: 'sso', session },
        html`<p>Sign in at your identity provider as you usually do; it sends you back here with the result.</p>
<p><a class="button" id="continue-to-idp" href="${url}" data-follow>Continue to the identity provider</a></p>`,
      ),
    );
  });

  router.get('/sso/test/:id', async (req, res) => {
    const session = adminOf(res);
    const result = await services.samlTests.result(session.ctx, req.params.id);
    const outcome = result.outcome;
    let memberName: string | undefined;
    if (outcome?.ok && outcome.member) memberName = (await services.accountUsers.get(session.ctx, outcome.member.accountUserId)).user.name;
    res.type('html').send(
      adminPage(
        { title: 'Test sign-in result', section: 'sso', session },
        html`<p>Test started ${when(result.startedAt)}.</p>
${outcomeView(outcome, memberName)}
<p><a href="/admin/sso">Back to single sign-on</a></p>`,
      ),
    );
  });
  return router;
}
