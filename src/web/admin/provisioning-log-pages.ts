import { type Request, Router } from 'express';
import type { Config } from '../../config.js';
import { Invalid, NotFound, show } from '../../domain/errors.js';
import { isIdOf } from '../../domain/id-shape.js';
import type { ProvisioningLogFilter } from '../../domain/provisioning/provisioning-log-service.js';
import type { Services } from '../../domain/services.js';
import { html, type Html } from '../html.js';
import type { AdminConfig } from './admin-router.js';
import { adminOf } from './admin-session.js';
import { auditEventRows } from './audit-pages.js';
import { when } from './components.js';
import { adminPage } from './layout.js';
import { checkTimeRange, linkTo, pageParam, pager, textParam, timeFieldValue, timeParam } from './list-params.js';

/** PROVISIONING_LOG_RETENTION_DAYS when the app is made without it (tests, benchmarks): its default. */
const DEFAULT_RETENTION_DAYS = 30;

/** A provisioning log entry's id (prq_ and newId's 20 characters): anything else names nothing. */
const REQUEST_ID_SHAPE = /^prq_[a-hj-km-np-z02-9]{20}$/;

const STATUS_CHOICES = ['success', 'failure'] as const;

/** ?status=success, failure, or one HTTP status (409); anything else is refused naming it. */
function statusParam(req: Request): ProvisioningLogFilter['status'] {
  const value = textParam(req, 'status');
  if (value === undefined) return undefined;
  if ((STATUS_CHOICES as readonly string[]).includes(value)) return value as (typeof STATUS_CHOICES)[number];
  if (/^[1-5]\d\d$/.test(value)) return Number(value);
  throw new Invalid('status', `status: ${show(value)} is not one of success, failure, or an HTTP status such as 409`);
}

/** A body as stored (already redacted by the service), shown as indented JSON. */
function bodyBlock(id: string, body: unknown): Html {
  if (body === null || body === undefined) return html`<p class="muted" id="${id}">No body.</p>`;
  // focusable: a long body scrolls, and the keyboard must reach it
  return html`<pre id="${id}" tabindex="0">${JSON.stringify(body, null, 2)}</pre>`;
}

function statusCell(status: number): Html {
  return html`<span class="${status >= 400 ? 'bad' : 'ok'}">${status}</span>`;
}

/**
 * The provisioning log (/admin/log): every SCIM request of the account's IdP, filtered and paged,
 * and each request's page with its bodies (redacted) and what it changed (its audit events).
 */
export function provisioningLogPages(services: Services, config: AdminConfig & Partial<Pick<Config, 'provisioningLogRetentionDays'>>): Router {
  const router = Router();
  const retentionDays = config.provisioningLogRetentionDays ?? DEFAULT_RETENTION_DAYS;

  router.get('/log', async (req, res) => {
    const session = adminOf(res);
    const status = statusParam(req);
    const person = textParam(req, 'person');
    const group = textParam(req, 'group');
    const since = timeParam(req, 'since');
    const until = timeParam(req, 'until');
    checkTimeRange(since, until);
    if (person && group) throw new Invalid('group', 'person and group: filter by a person or by a group, not both');
    if (person && !isIdOf(person, 'au')) throw new Invalid('person', `person: ${JSON.stringify(person.slice(0, 40))} is not an account user ID (au_ and 20 characters, as on a person's page)`);
    if (group && !isIdOf(group, 'tem')) throw new Invalid('group', `group: ${JSON.stringify(group.slice(0, 40))} is not a group ID (tem_ and 20 characters, the SCIM Group id)`);
    const { number, page } = pageParam(req);
    const filter: ProvisioningLogFilter = {
      ...(status && { status }),
      ...(person && { resourceId: person, resourceType: 'User' as const }),
      ...(group && { resourceId: group, resourceType: 'Group' as const }),
      ...(since && { since }),
      ...(until && { until }),
    };
    const { rows, total } = await services.provisioningLog.list(session.ctx, filter, page);
    const params = { status: status === undefined ? undefined : String(status), person, group, since: timeFieldValue(since), until: timeFieldValue(until) };
    const filtered = Object.values(params).some((v) => v);
    const body = html`<p>Every SCIM request this account’s identity provider made, newest first. Entries are kept ${retentionDays} days; request bodies are stored without passwords or tokens.</p>
<form method="get" action="/admin/log" class="filters" data-autosubmit>
<fieldset>
<legend>Filter</legend>
<label for="status">Outcome</label>
<select id="status" name="status">
<option value=""${!status ? html` selected` : ''}>Any</option>
<option value="success"${status === 'success' ? html` selected` : ''}>Success (below 400)</option>
<option value="failure"${status === 'failure' ? html` selected` : ''}>Failure (400 and above)</option>
${typeof status === 'number' ? html`<option value="${status}" selected>Status ${status}</option>` : ''}
</select>
<label for="person">Person (account user ID)</label>
<input type="text" id="person" name="person" value="${person ?? ''}" placeholder="au_…" autocomplete="off">
<label for="group">Group (group ID)</label>
<input type="text" id="group" name="group" value="${group ?? ''}" placeholder="tem_…" autocomplete="off">
<label for="since">From (UTC)</label>
<input type="datetime-local" id="since" name="since" value="${params.since}">
<label for="until">Until (UTC)</label>
<input type="datetime-local" id="until" name="until" value="${params.until}">
<button type="submit">Apply filter</button>${filtered ? html` <a href="/admin/log">Clear filter</a>` : ''}
</fieldset>
</form>
<table>
<caption>SCIM requests${filtered ? ' matching the filter' : ''} (${total})</caption>
<thead><tr><th scope="col">Time</th><th scope="col">Request</th><th scope="col">Status</th><th scope="col">Duration</th><th scope="col">Identity provider</th><th scope="col">Error</th><th scope="col">Request ID</th></tr></thead>
<tbody>
${rows.map(
  (r) => html`<tr>
<th scope="row"><a href="/admin/log/${r.id}">${when(r.at)}</a></th>
<td><code>${r.method} ${r.path}</code></td>
<td>${statusCell(r.status)}</td>
<td>${r.durationMs.toFixed(1)} ms</td>
<td>${r.userAgent ?? html`<span class="muted">not said</span>`}</td>
<td>${r.errorDetail ?? ''}</td>
<td>${r.requestId ? html`<code>${r.requestId}</code>` : ''}</td>
</tr>`,
)}
${rows.length === 0 ? html`<tr><td colspan="7">${filtered ? 'No request matches this filter.' : 'No SCIM request yet: connect the identity provider on the SCIM page.'}</td></tr>` : ''}
</tbody>
</table>
${pager({ path: '/admin/log', params, number, total, shown: rows.length, label: 'Pages of the provisioning log' })}`;
    res.type('html').send(adminPage({ title: 'Provisioning log', section: 'log', session }, body));
  });

  router.get('/log/:id', async (req, res) => {
    const session = adminOf(res);
    const id = req.params.id;
    if (!REQUEST_ID_SHAPE.test(id)) throw new NotFound('Provisioning request', id);
    const r = await services.provisioningLog.get(session.ctx, id);
    const resource =
      r.resourceType === 'User' && r.resourceId && isIdOf(r.resourceId, 'au')
        ? html`<a href="/admin/people/${r.resourceId}">User <code>${r.resourceId}</code></a> (<a href="${linkTo('/admin/log', { person: r.resourceId })}">its requests</a>)`
        : r.resourceType === 'Group' && r.resourceId && isIdOf(r.resourceId, 'tem')
          ? html`Group <code>${r.resourceId}</code> (<a href="${linkTo('/admin/log', { group: r.resourceId })}">its requests</a>)`
          : r.resourceType
            ? html`${r.resourceType}${r.resourceId ? html` <code>${r.resourceId}</code>` : ''}`
            : html`<span class="muted">none</span>`;
    const body = html`<p><a href="/admin/log">All SCIM requests</a></p>
<dl class="facts">
<dt>Time</dt><dd>${when(r.at)}</dd>
<dt>Request</dt><dd><code>${r.method} ${r.path}</code></dd>
<dt>Status</dt><dd>${statusCell(r.status)}</dd>
<dt>Duration</dt><dd>${r.durationMs.toFixed(1)} ms</dd>
<dt>Resource</dt><dd>${resource}</dd>
<dt>Identity provider</dt><dd>${r.userAgent ?? html`<span class="muted">not said</span>`}</dd>
<dt>SCIM token</dt><dd>${r.scimTokenId ? html`<code>${r.scimTokenId}</code>` : html`<span class="muted">none</span>`}</dd>
<dt>Request ID</dt><dd>${r.requestId ? html`<code>${r.requestId}</code>` : html`<span class="muted">none</span>`}</dd>
${r.errorDetail ? html`<dt>Error</dt><dd class="bad">${r.errorDetail}</dd>` : ''}
</dl>
<h2>Request body</h2>
${bodyBlock('request-body', r.requestBody)}
<h2>Response body</h2>
${r.responseBody === null && r.status < 300 && r.method !== 'GET'
  ? html`<p class="muted" id="response-body">Not kept for a successful write: it answered the resource as it then was. What the request changed is below.</p>`
  : bodyBlock('response-body', r.responseBody)}
<h2>What it changed</h2>
${
  r.changes.length
    ? auditEventRows(r.changes, { caption: `Audit events written by this request (${r.changes.length})` })
    : html`<p class="muted">${r.status >= 400 ? 'Nothing: the request failed.' : 'Nothing: no audit event has this request ID (a read, or a write that changed nothing).'}</p>`
}`;
    res.type('html').send(adminPage({ title: `${r.method} ${r.path.length > 80 ? `${r.path.slice(0, 77)}...` : r.path}`, section: 'log', session }, body));
  });

  return router;
}
