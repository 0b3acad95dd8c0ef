import { Router } from 'express';
import type { AuditFilter } from '../../domain/audit/audit-service.js';
import type { AuditEventListRow } from '../../domain/audit/audit-store.js';
import type { Channel } from '../../domain/context.js';
import { isIdOf } from '../../domain/id-shape.js';
import type { Services } from '../../domain/services.js';
import { html, type Html } from '../html.js';
import type { AdminConfig } from './admin-router.js';
import { adminOf } from './admin-session.js';
import { when } from './components.js';
import { adminPage } from './layout.js';
import { checkTimeRange, choiceParam, linkTo, pageParam, pager, textParam, timeFieldValue, timeParam } from './list-params.js';

/** The channels a change comes through, by the names people know them by. */
export const CHANNEL_NAMES: Record<Channel, string> = {
  scim: 'SCIM (identity provider)',
  api: 'REST API',
  sso: 'SSO sign-in',
  cli: 'Command line',
  web: 'Web (sign-in and admin console)',
};

const CHANNELS = Object.keys(CHANNEL_NAMES) as Channel[];

const channelName = (channel: string): string => CHANNEL_NAMES[channel as Channel] ?? channel;

/** Who acted, by name: a member, the IdP's SCIM token, or the operator. */
function actorName(e: AuditEventListRow): Html {
  switch (e.actor_type) {
    case 'account_user':
      return e.actor_name ? html`${e.actor_name}` : html`<span class="muted">A member since removed</span>`;
    case 'scim_token':
      return html`SCIM token ${e.actor_name ? html`“${e.actor_name}”` : ''}`;
    case 'system':
      return html`Operator`;
    default:
      return html`${e.actor_type}`;
  }
}

/** Where a target has a page of its own in the console. */
function targetLink(e: AuditEventListRow): Html {
  if (!e.target_id) return html`${e.target_type}`;
  if (e.target_type === 'account_user' && isIdOf(e.target_id, 'au')) return html`person <a href="/admin/people/${e.target_id}"><code>${e.target_id}</code></a>`;
  if (e.target_type === 'role_mapping' && isIdOf(e.target_id, 'rmp')) return html`role mapping <a href="/admin/role-mappings/${e.target_id}"><code>${e.target_id}</code></a>`;
  return html`${e.target_type} <code>${e.target_id}</code>`;
}

/** The longest value shown of one change; the REST API's /audit_events has the whole event. */
const MAX_CHANGE_CHARS = 300;

/** An event's changes, one line per key, each value as JSON with spaces (so that it wraps). */
function changesList(changes: Record<string, unknown> | null): Html {
  const entries = Object.entries(changes ?? {});
  if (!entries.length) return html`<span class="muted">none</span>`;
  return html`<ul class="changes">${entries.map(([key, value]) => {
    const text = (JSON.stringify(value, null, 1) ?? 'null').replace(/\n\s*/g, ' ');
    return html`<li><strong>${key}</strong>: ${text.length > MAX_CHANGE_CHARS ? `${text.slice(0, MAX_CHANGE_CHARS - 1)}…` : text}</li>`;
  })}</ul>`;
}

/** Events as a table (the audit trail, and what one SCIM request changed). */
export function auditEventRows(rows: readonly AuditEventListRow[], view: { caption: Html | string; empty?: string }): Html {
  return html`<table>
<caption>${view.caption}</caption>
<thead><tr><th scope="col">Time</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">Actor</th><th scope="col">Channel</th><th scope="col">Changes</th><th scope="col">Request ID</th></tr></thead>
<tbody>
${rows.map(
  (e) => html`<tr>
<td>${when(e.created_at)}</td>
<th scope="row"><code>${e.action}</code></th>
<td>${targetLink(e)}</td>
<td>${e.actor_id ? html`<a href="${linkTo('/admin/audit', { actor: e.actor_id })}">${actorName(e)}<span class="visually-hidden">: show only their events</span></a>` : actorName(e)}</td>
<td>${channelName(e.channel)}</td>
<td>${changesList(e.changes)}</td>
<td>${e.request_id ? html`<code>${e.request_id}</code>` : ''}</td>
</tr>`,
)}
${rows.length === 0 ? html`<tr><td colspan="7">${view.empty ?? 'No event.'}</td></tr>` : ''}
</tbody>
</table>`;
}

/** The audit trail (/admin/audit): the account's events, newest first, filtered and paged. */
export function auditPages(services: Services, _config: AdminConfig): Router {
  const router = Router();

  router.get('/audit', async (req, res) => {
    const session = adminOf(res);
    const action = textParam(req, 'action');
    const target = textParam(req, 'target');
    const channel = choiceParam(req, 'channel', CHANNELS);
    const actor = textParam(req, 'actor');
    const since = timeParam(req, 'since');
    const until = timeParam(req, 'until');
    checkTimeRange(since, until);
    const { number, page } = pageParam(req);
    const filter: AuditFilter = {
      ...(action && { action }),
      ...(target && { targetId: target }),
      ...(channel && { channel }),
      ...(actor && { actorId: actor }),
      ...(since && { since }),
      ...(until && { until }),
    };
    const { rows, total } = await services.audit.list(session.ctx, page, filter);
    const params = { action, target, channel, actor, since: timeFieldValue(since), until: timeFieldValue(until) };
    const filtered = Object.values(params).some((v) => v);
    const body = html`<p>Every change to this account, newest first: who made it, through which channel, and what changed.</p>
<form method="get" action="/admin/audit" class="filters" data-autosubmit>
<fieldset>
<legend>Filter</legend>
<label for="action">Action</label>
<p class="hint" id="action-hint">Exactly, e.g. account_user.update, role_mapping.create, sign_in.</p>
<input type="text" id="action" name="action" value="${action ?? ''}" aria-describedby="action-hint" autocomplete="off">
<label for="target">Target (ID)</label>
<input type="text" id="target" name="target" value="${target ?? ''}" placeholder="au_…, tem_…, rmp_…" autocomplete="off">
<label for="channel">Channel</label>
<select id="channel" name="channel">
<option value=""${!channel ? html` selected` : ''}>Any</option>
${CHANNELS.map((c) => html`<option value="${c}"${c === channel ? html` selected` : ''}>${CHANNEL_NAMES[c]}</option>`)}
</select>
<label for="actor">Actor (ID)</label>
<p class="hint" id="actor-hint">A member's account user ID or a SCIM token's ID; or choose an actor's name in the table.</p>
<input type="text" id="actor" name="actor" value="${actor ?? ''}" aria-describedby="actor-hint" autocomplete="off">
<label for="since">From (UTC)</label>
<input type="datetime-local" id="since" name="since" value="${params.since}">
<label for="until">Until (UTC)</label>
<input type="datetime-local" id="until" name="until" value="${params.until}">
<button type="submit">Apply filter</button>${filtered ? html` <a href="/admin/audit">Clear filter</a>` : ''}
</fieldset>
</form>
${auditEventRows(rows, { caption: `Audit events${filtered ? ' matching the filter' : ''} (${total})`, empty: filtered ? 'No event matches this filter.' : 'No event yet.' })}
${pager({ path: '/admin/audit', params, number, total, shown: rows.length, label: 'Pages of the audit trail' })}`;
    res.type('html').send(adminPage({ title: 'Audit trail', section: 'audit', session }, body));
  });

  return router;
}
