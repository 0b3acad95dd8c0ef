import { Router } from 'express';
import { isIdOf } from '../../domain/id-shape.js';
import { NotFound } from '../../domain/errors.js';
import type { Services } from '../../domain/services.js';
import { effectiveRolesOf, type MemberSource, type MembershipRecord } from '../../domain/users/account-users-store.js';
import { html, type Html } from '../html.js';
import type { AdminConfig } from './admin-router.js';
import { adminOf } from './admin-session.js';
import { when } from './components.js';
import { adminPage } from './layout.js';
import { choiceParam, linkTo, pageParam, pager, textParam } from './list-params.js';

/** How many of a person's latest SCIM requests their page lists (the log has the rest). */
const HISTORY_SIZE = 10;

const SOURCE_LABELS: Record<MemberSource, string> = {
  scim: 'IdP (SCIM)',
  sso: 'IdP (SSO sign-in)',
  local: 'Local',
};

const SOURCES = Object.keys(SOURCE_LABELS) as MemberSource[];

const SOURCE_HINTS: Record<MemberSource, string> = {
  scim: "provisioned by this account's identity provider over SCIM",
  sso: 'made when they first signed in with this account’s SSO (just-in-time)',
  local: 'added here: by an admin, the REST API or the command line',
};

/** Where each role comes from: set on the membership (direct), or a group (team) mapped to roles. */
export function roleSources(m: Pick<MembershipRecord, 'roles' | 'granted_roles'>): { role: string; source: string; teamId?: string }[] {
  return [
    ...m.roles.map((role) => ({ role, source: 'direct' })),
    ...m.granted_roles.map((g) => ({ role: g.role, source: `group ${g.team_name}`, teamId: g.team_id })),
  ].sort((a, b) => a.role.localeCompare(b.role) || (a.source === 'direct' ? -1 : b.source === 'direct' ? 1 : a.source.localeCompare(b.source)));
}

const listOr = (items: readonly string[], empty: string): Html => (items.length ? html`${items.join(', ')}` : html`<span class="muted">${empty}</span>`);

const statusOf = (m: MembershipRecord): Html => (m.active ? html`Active` : html`<span class="bad">Inactive</span>`);

/** People (/admin/people): the account's members, searchable and paged, and each one's page. */
export function peoplePages(services: Services, _config: AdminConfig): Router {
  const router = Router();

  router.get('/people', async (req, res) => {
    const session = adminOf(res);
    const q = textParam(req, 'q');
    const source = choiceParam(req, 'source', SOURCES);
    const { number, page } = pageParam(req);
    const { rows, total } = await services.accountUsers.search(session.ctx, { text: q, source }, page);
    const filtered = q !== undefined || source !== undefined;
    const body = html`<form method="get" action="/admin/people" role="search" class="filters">
<label for="q">Search people</label>
<p class="hint" id="q-hint">A part of a name, user name or email address.</p>
<input type="search" id="q" name="q" value="${q ?? ''}" aria-describedby="q-hint">
<label for="source">Source</label>
<select id="source" name="source">
<option value=""${!source ? html` selected` : ''}>Any</option>
${SOURCES.map((s) => html`<option value="${s}"${s === source ? html` selected` : ''}>${SOURCE_LABELS[s]}</option>`)}
</select>
<button type="submit">Search</button>${filtered ? html` <a href="/admin/people">Show everyone</a>` : ''}
</form>
<table>
<caption>${q ? html`People matching “${q}”` : 'Everyone in this account'}${source ? ` whose source is ${SOURCE_LABELS[source]}` : ''} (${total})</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Emails</th><th scope="col">Phones</th><th scope="col">Roles</th><th scope="col">Status</th><th scope="col">Source</th><th scope="col">Invited</th></tr></thead>
<tbody>
${rows.map(
  (m) => html`<tr>
<th scope="row"><a href="/admin/people/${m.id}">${m.user.name}</a>${m.user.user_name !== m.user.emails[0]?.email ? html`<br><span class="muted">${m.user.user_name}</span>` : ''}</th>
<td>${listOr(m.user.emails.map((e) => e.email), 'none')}</td>
<td>${listOr(m.user.phones.map((p) => p.value), 'none')}</td>
<td>${listOr(effectiveRolesOf(m), 'none')}</td>
<td>${statusOf(m)}</td>
<td>${SOURCE_LABELS[m.source]}</td>
<td>${m.user.is_invitation ? 'Invited, not yet accepted' : 'No'}</td>
</tr>`,
)}
${rows.length === 0 ? html`<tr><td colspan="7">${filtered ? 'Nobody matches this search.' : 'Nobody yet.'}</td></tr>` : ''}
</tbody>
</table>
${pager({ path: '/admin/people', params: { q, source }, number, total, shown: rows.length, label: 'Pages of people' })}`;
    res.type('html').send(adminPage({ title: 'People', section: 'people', session }, body));
  });

  router.get('/people/:accountUserId', async (req, res) => {
    const session = adminOf(res);
    const id = req.params.accountUserId;
    // an id that cannot be one names nothing: 404 without a query
    if (!isIdOf(id, 'au')) throw new NotFound('account_user', id);
    const member = await services.accountUsers.getWithSource(session.ctx, id);
    const [teams, schedules, history] = await Promise.all([
      services.teams.ofMember(session.ctx, id),
      services.schedules.namingMember(session.ctx, id),
      services.provisioningLog.list(session.ctx, { resourceId: id, resourceType: 'User' }, { limit: HISTORY_SIZE, offset: 0 }),
    ]);
    const sources = roleSources(member);
    const user = member.user;
    const body = html`<p><a href="/admin/people">All people</a></p>
${user.is_invitation ? html`<p class="warn">An invitation, not yet accepted: this page shows what this account sent, not the person's own profile.</p>` : ''}
<h2>Membership</h2>
<dl class="facts">
<dt>Account user ID</dt><dd><code>${member.id}</code></dd>
<dt>User name</dt><dd>${user.user_name}</dd>
<dt>Emails</dt><dd>${listOr(user.emails.map((e) => `${e.email}${e.primary ? ' (primary)' : ''}`), 'none')}</dd>
<dt>Phones</dt><dd>${listOr(user.phones.map((p) => `${p.value}${p.primary ? ' (primary)' : ''}`), 'none')}</dd>
<dt>Status</dt><dd>${statusOf(member)}</dd>
<dt>Joined</dt><dd>${when(member.created_at)}</dd>
<dt>Source</dt><dd>${SOURCE_LABELS[member.source]} <span class="muted">(${SOURCE_HINTS[member.source]})</span></dd>
<dt>External ID</dt><dd>${member.external_id ?? html`<span class="muted">none</span>`}</dd>
</dl>
<table>
<caption>Roles and where each comes from</caption>
<thead><tr><th scope="col">Role</th><th scope="col">Source</th></tr></thead>
<tbody>
${sources.map((s) => html`<tr><th scope="row">${s.role}</th><td>${s.source}</td></tr>`)}
${sources.length === 0 ? html`<tr><td colspan="2">No role: a member who may read the account and change their own profile.</td></tr>` : ''}
</tbody>
</table>
<p class="hint">Roles from a group come from a <a href="/admin/role-mappings">role mapping</a>; they go when the person leaves the group.</p>
<p><a href="${linkTo('/admin/audit', { target: id })}">Audit events about this person</a></p>
<h2>Teams</h2>
${teams.length ? html`<ul>${teams.map((t) => html`<li>${t.name} <span class="muted">(${t.member_count} ${t.member_count === 1 ? 'member' : 'members'})</span></li>`)}</ul>` : html`<p class="muted">In no team.</p>`}
<h2>Schedules</h2>
${schedules.length ? html`<ul>${schedules.map((s) => html`<li>${s.name}</li>`)}</ul>` : html`<p class="muted">On no current or future shift.</p>`}
<h2>Provisioning history</h2>
${
  history.rows.length
    ? html`<table>
<caption>The identity provider's latest requests about this person (${history.total} in all)</caption>
<thead><tr><th scope="col">Time</th><th scope="col">Request</th><th scope="col">Status</th></tr></thead>
<tbody>
${history.rows.map((r) => html`<tr><td><a href="/admin/log/${r.id}">${when(r.at)}</a></td><td><code>${r.method} ${r.path}</code></td><td class="${r.status >= 400 ? 'bad' : 'ok'}">${r.status}</td></tr>`)}
</tbody>
</table>
${history.total > history.rows.length ? html`<p><a href="${linkTo('/admin/log', { person: id })}">All ${history.total} requests in the provisioning log</a></p>` : ''}`
    : html`<p class="muted">No SCIM request about this person in the provisioning log.</p>`
}`;
    res.type('html').send(adminPage({ title: user.name, section: 'people', session }, body));
  });

  return router;
}
