import { Router } from 'express';
import type { AccountOverview, AttentionItem, ScimActivity } from '../../domain/accounts/account-overview.js';
import type { Services } from '../../domain/services.js';
import { html, type Html } from '../html.js';
import type { AdminConfig } from './admin-router.js';
import { adminOf } from './admin-session.js';
import { when } from './components.js';
import { adminPage } from './layout.js';

/** /admin: the account at a glance, and what needs an admin's attention. */

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

function attentionLine(item: AttentionItem): Html {
  switch (item.kind) {
    case 'certificate_expired':
      return html`<li><strong class="bad">The IdP certificate ${item.certificate.subject} expired</strong> on ${when(item.certificate.notAfter)}: SSO sign-ins signed with it are refused. <a href="/admin/sso#certificates">Add the IdP's new certificate</a>.</li>`;
    case 'certificate_expiring':
      return html`<li><strong>The IdP certificate ${item.certificate.subject} expires in ${plural(item.certificate.daysLeft, 'day', 'days')}</strong> (${when(item.certificate.notAfter)}). <a href="/admin/sso#certificates">Add the new certificate</a> before it does.</li>`;
    case 'scim_failures':
      return html`<li><strong class="bad">${plural(item.failures, 'SCIM request', 'SCIM requests')} failed in the last 24 hours.</strong> <a href="/admin/log?outcome=failed">See what the IdP sent and what it got back</a>.</li>`;
    case 'members_not_from_idp':
      return html`<li>${plural(item.count, 'active member was', 'active members were')} not provisioned by your identity provider (made here, over the API or at SSO sign-in): the IdP will not deactivate them. <a href="/admin/people">Review people</a>.</li>`;
    case 'invited':
      return html`<li>${plural(item.count, 'person has', 'people have')} not answered their invitation yet (they belong to another account and must accept). <a href="/admin/people">See people</a>.</li>`;
  }
}

function scimState(scim: AccountOverview['scim']): Html {
  if (!scim.connected) return html`<p>Not connected: no SCIM token. <a href="/admin/scim">Connect your identity provider</a>.</p>`;
  const activity: ScimActivity | undefined = scim.activity;
  const last = activity?.last
    ? html`<dd>${when(activity.last.at)}: <code>${activity.last.method} ${activity.last.path}</code> answered <span class="${activity.last.status >= 400 ? 'bad' : 'ok'}">${activity.last.status}</span></dd>`
    : html`<dd>${when(scim.lastUsedAt, 'never: the IdP has not called yet')}</dd>`;
  return html`<dl class="facts">
<dt>Tokens in use</dt><dd>${scim.tokens}</dd>
<dt>Last request</dt>${last}
${activity ? html`<dt>Last 24 hours</dt><dd>${plural(activity.requestsLast24h, 'request', 'requests')}, <span class="${activity.failuresLast24h ? 'bad' : ''}">${plural(activity.failuresLast24h, 'failure', 'failures')}</span></dd>` : ''}
</dl>
<p><a href="/admin/scim">Manage SCIM</a></p>`;
}

function ssoState(sso: AccountOverview['sso']): Html {
  if (!sso.configured) return html`<p>Not set up: people sign in with a password. <a href="/admin/sso">Set up single sign-on</a>.</p>`;
  const soonest = [...sso.certificates].sort((a, b) => a.notAfter.getTime() - b.notAfter.getTime())[0];
  return html`<dl class="facts">
<dt>Identity provider</dt><dd>${sso.idpEntityId}</dd>
<dt>Enforced</dt><dd>${sso.enforced ? 'Yes: members sign in through the IdP; admins keep their password' : 'No: passwords still work'}</dd>
<dt>Certificate expiry</dt><dd>${soonest ? html`${when(soonest.notAfter)}${soonest.daysLeft < 30 ? html` <span class="bad">(${soonest.daysLeft < 0 ? 'expired' : `${soonest.daysLeft} days left`})</span>` : ''}` : 'none'}</dd>
</dl>
<p><a href="/admin/sso">Manage SSO</a></p>`;
}

export function overviewPages(services: Services, _config: AdminConfig): Router {
  const router = Router();
  router.get('/', async (_req, res) => {
    const session = adminOf(res);
    const overview = await services.accountOverview.get(session.ctx, await services.provisioningLog.summary(session.ctx));
    const o = overview;
    res.type('html').send(
      adminPage(
        { title: 'Overview', section: 'overview', session },
        html`<section aria-labelledby="attention-heading">
<h2 id="attention-heading">Needs attention</h2>
${o.attention.length ? html`<ul class="attention" id="attention">${o.attention.map(attentionLine)}</ul>` : html`<p id="attention">Nothing needs your attention.</p>`}
</section>
<div class="cards">
<section class="card" aria-labelledby="account-heading"><h2 id="account-heading">Account</h2>
<dl class="facts"><dt>Name</dt><dd>${o.account.name}</dd><dt>ID</dt><dd><code>${o.account.id}</code></dd>
<dt>Owner</dt><dd>${o.owner ? html`${o.owner.name ?? ''}${o.owner.email ? html` (${o.owner.email})` : ''}` : 'none'}</dd>
<dt>Created</dt><dd>${when(o.account.createdAt)}</dd></dl></section>
<section class="card" aria-labelledby="scim-heading"><h2 id="scim-heading">SCIM provisioning</h2>${scimState(o.scim)}</section>
<section class="card" aria-labelledby="sso-heading"><h2 id="sso-heading">Single sign-on</h2>${ssoState(o.sso)}</section>
<section class="card" aria-labelledby="people-heading"><h2 id="people-heading">People</h2>
<dl class="facts"><dt>Active members</dt><dd>${o.people.active}</dd><dt>Deactivated</dt><dd>${o.people.deactivated}</dd>
<dt>Invited, not answered</dt><dd>${o.people.invited}</dd><dt>Teams</dt><dd>${o.people.teams}</dd></dl>
<p><a href="/admin/people">See people</a></p></section>
</div>`,
      ),
    );
  });
  return router;
}

