import { Router } from 'express';
import type { ScimTokenRow } from '../../domain/auth/scim-tokens-store.js';
import { NotFound } from '../../domain/errors.js';
import type { Services } from '../../domain/services.js';
import { html, type Html } from '../html.js';
import type { AdminConfig } from './admin-router.js';
import { type AdminSession, adminOf } from './admin-session.js';
import { copyField, when } from './components.js';
import { csrfField } from './csrf.js';
import { adminPage } from './layout.js';

/**
 * /admin/scim: connecting the identity provider's provisioning. The base URL, the tokens (create:
 * the secret shown once on the page answering the POST; revoke after a confirmation; rotation is
 * two live tokens at once), and the Okta and Entra ID steps (the README's, kept consistent).
 */

const EXPIRY_CHOICES = [
  { value: '', label: 'Never' },
  { value: '90', label: 'In 90 days' },
  { value: '365', label: 'In 365 days' },
] as const;

const field = (body: unknown, name: string): string | undefined => {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
};

function tokenState(t: ScimTokenRow, now = Date.now()): Html {
  if (t.expires_at && new Date(t.expires_at).getTime() <= now) return html`<span class="bad">Expired: refused</span>`;
  return html`<span class="ok">Active</span>`;
}

function tokensTable(tokens: readonly ScimTokenRow[], session: AdminSession): Html {
  if (tokens.length === 0) return html`<p id="no-tokens">No token yet: your identity provider cannot provision this account. Create one below.</p>`;
  return html`<table id="tokens">
<caption>SCIM tokens of ${session.accountName}</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Expires</th><th scope="col">State</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>${tokens.map(
    (t) => html`<tr data-token-id="${t.id}"><th scope="row">${t.name ?? html`<span class="muted">(no name)</span>`}<br><code class="muted">${t.id}</code></th>
<td>${when(t.created_at)}</td><td>${when(t.last_used_at)}</td><td>${when(t.expires_at)}</td><td>${tokenState(t)}</td>
<td><a class="button secondary" href="/admin/scim/tokens/${t.id}/revoke">Revoke<span class="visually-hidden"> ${t.name ?? t.id}</span></a></td></tr>`,
  )}</tbody></table>`;
}

function createForm(session: AdminSession): Html {
  return html`<form method="post" action="/admin/scim/tokens" id="create-token">
${csrfField(session.csrfToken)}
<label for="token-name">Name</label>
<p class="hint" id="token-name-hint">Say where it goes, e.g. "Okta production" or "Entra ID 2027".</p>
<input id="token-name" name="name" maxlength="200" aria-describedby="token-name-hint">
<label for="token-expiry">Expires</label>
<select id="token-expiry" name="expires_in_days">${EXPIRY_CHOICES.map((c) => html`<option value="${c.value}">${c.label}</option>`)}</select>
<button type="submit">Create token</button>
</form>`;
}

function setupGuides(baseUrl: string): Html {
  return html`<section aria-labelledby="okta-heading">
<h2 id="okta-heading">Connect Okta</h2>
<ol class="steps">
<li>In the Okta Admin Console, open your SAML app integration for Rollcall (or <strong>Applications → Create App Integration → SAML 2.0</strong>; see <a href="/admin/sso">Single sign-on</a>). On its <strong>General</strong> tab, <strong>App Settings → Edit → Provisioning: SCIM</strong>, <strong>Save</strong>.</li>
<li><strong>Provisioning → Integration → Edit</strong>: <strong>SCIM connector base URL</strong> = <code>${baseUrl}</code>.</li>
<li><strong>Unique identifier field for users</strong> = <code>userName</code>.</li>
<li><strong>Supported provisioning actions</strong>: Import New Users and Profile Updates, Push New Users, Push Profile Updates, Push Groups.</li>
<li><strong>Authentication Mode</strong> = <strong>HTTP Header</strong>; <strong>Authorization</strong> = the SCIM token created above. <strong>Test Connector Configuration</strong>, then <strong>Save</strong>.</li>
<li><strong>Provisioning → To App</strong>: enable <strong>Create Users</strong>, <strong>Update User Attributes</strong> and <strong>Deactivate Users</strong>. The default attribute mappings work.</li>
<li>Assign people and groups; <strong>Push Groups</strong> turns groups into teams. Watch the requests arrive in the <a href="/admin/log">provisioning log</a>.</li>
</ol>
</section>
<section aria-labelledby="entra-heading">
<h2 id="entra-heading">Connect Microsoft Entra ID</h2>
<ol class="steps">
<li>Entra admin center, <strong>Enterprise applications → New application → Create your own application</strong> → <strong>Integrate any other application you don't find in the gallery (Non-gallery)</strong>.</li>
<li><strong>Provisioning → Get started</strong>, <strong>Provisioning Mode</strong> = <strong>Automatic</strong>.</li>
<li><strong>Tenant URL</strong> = <code>${baseUrl}</code> (appending <code>?aadOptscim062020</code> works too).</li>
<li><strong>Secret Token</strong> = the SCIM token created above; <strong>Test Connection</strong>, then <strong>Save</strong>.</li>
<li><strong>Mappings</strong>: keep the defaults (userPrincipalName → userName is the matching attribute).</li>
<li>Set <strong>Scope</strong>, assign users and groups, and turn <strong>Provisioning Status</strong> to <strong>On</strong>. Entra's cycles show up in the <a href="/admin/log">provisioning log</a>.</li>
</ol>
</section>`;
}

export function scimPages(services: Services, config: AdminConfig): Router {
  const router = Router();
  const baseUrl = `${config.publicUrl}/scim/v2`;

  const scimPage = async (session: AdminSession, extra: { notice?: string; error?: string; created?: { token: string; row: ScimTokenRow } } = {}) => {
    const tokens = await services.scimTokens.list(session.ctx);
    const created = extra.created
      ? html`<section class="secret" aria-labelledby="new-token-heading" id="new-token">
<h2 id="new-token-heading">Your new token</h2>
<p><strong>Copy it now: it is shown only on this page, never again.</strong> Rollcall keeps only a hash of it.</p>
${copyField('new-token-value', `SCIM token "${extra.created.row.name ?? extra.created.row.id}"`, extra.created.token)}
${tokens.length > 1 ? html`<p>Your other tokens keep working: once the identity provider uses the new one, revoke the old one.</p>` : ''}
</section>`
      : '';
    return adminPage(
      { title: 'SCIM provisioning', section: 'scim', session, notice: extra.notice, error: extra.error },
      html`${created}
<p>Your identity provider (Okta, Microsoft Entra ID) creates, updates and deactivates this account's members over SCIM 2.0, with a token.</p>
${copyField('scim-base-url', 'SCIM base URL', baseUrl, 'Okta calls it "SCIM connector base URL", Entra ID "Tenant URL".')}
<h2 id="tokens-heading">Tokens</h2>
${tokensTable(tokens, session)}
<h3>Create a token</h3>
<p>To rotate a token: create the new one, set it in the identity provider, check that its requests succeed (Last used), then revoke the old one. Both work until then.</p>
${createForm(session)}
${setupGuides(baseUrl)}`,
    );
  };

  router.get('/scim', async (req, res) => {
    const done = req.query.done;
    res.type('html').send(await scimPage(adminOf(res), { notice: done === 'revoked' ? 'The token was revoked: requests with it are refused from now on.' : undefined }));
  });

  router.post('/scim/tokens', async (req, res) => {
    const session = adminOf(res);
    const created = await services.scimTokens.create(session.ctx, field(req.body, 'name'), { expiresInDays: field(req.body, 'expires_in_days') || undefined });
    res.status(201).type('html').send(await scimPage(session, { notice: 'Token created.', created }));
  });

  const tokenOf = async (session: AdminSession, id: string): Promise<ScimTokenRow> => {
    const token = (await services.scimTokens.list(session.ctx)).find((t) => t.id === id);
    if (!token) throw new NotFound('scim_token', id);
    return token;
  };

  router.get('/scim/tokens/:id/revoke', async (req, res) => {
    const session = adminOf(res);
    const token = await tokenOf(session, req.params.id);
    res.type('html').send(
      adminPage(
        { title: 'Revoke a SCIM token?', section: 'scim', session },
        html`<p>Revoke <strong>${token.name ?? token.id}</strong> (created ${when(token.created_at)}, last used ${when(token.last_used_at)})?</p>
<p class="warn">An identity provider still using it is refused from then on: its changes stop reaching Rollcall until it has another token. This cannot be undone.</p>
<form method="post" action="/admin/scim/tokens/${token.id}/revoke">${csrfField(session.csrfToken)}
<button type="submit" class="danger">Revoke the token</button> <a class="button secondary" href="/admin/scim">Cancel</a></form>`,
      ),
    );
  });

  router.post('/scim/tokens/:id/revoke', async (req, res) => {
    await services.scimTokens.revoke(adminOf(res).ctx, req.params.id);
    res.redirect(303, '/admin/scim?done=revoked');
  });
  return router;
}
