import { type Request, type Response, Router } from 'express';
import { ROLES } from '../../domain/context.js';
import { DomainError, NotFound } from '../../domain/errors.js';
import { isIdOf } from '../../domain/id-shape.js';
import type { RoleMappingRecord } from '../../domain/roles/role-mappings-store.js';
import type { Services } from '../../domain/services.js';
import type { TeamSummary } from '../../domain/teams/teams-store.js';
import { statusOf } from '../errors.js';
import { html, type Html } from '../html.js';
import type { AdminConfig } from './admin-router.js';
import { type AdminSession, adminOf } from './admin-session.js';
import { csrfField } from './csrf.js';
import { adminPage } from './layout.js';

/** The groups offered when choosing one (the account's teams, by name); any other name may be typed. */
const GROUP_CHOICES = 500;

const ROLE_HINTS: Record<(typeof ROLES)[number], string> = {
  admin: 'manages the account, its people and its settings',
  billing: 'manages billing',
  broadcaster: 'sends broadcasts',
  communicator: 'sends messages to people',
};

const NOTICES: Record<string, string> = {
  created: 'The role mapping was created: the group’s members hold its roles now.',
  updated: 'The role mapping was saved: its members hold the new roles now.',
  deleted: 'The role mapping was deleted: its members keep only their other roles.',
};

/** The form's values: what was sent, to show again after an error, or the mapping's. */
interface MappingForm {
  group: string;
  roles: readonly string[];
}

/** A field sent once or repeated (checkboxes), as a list of strings. */
function listField(body: unknown, name: string): string[] {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
}

function textField(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}

function mappingForm(session: AdminSession, view: { action: string; values: MappingForm; groups: readonly TeamSummary[]; submit: string }): Html {
  return html`<form method="post" action="${view.action}">
${csrfField(session.csrfToken)}
<label for="group">Group</label>
<p class="hint" id="group-hint">The group’s display name as the identity provider sends it (matched without regard to case). Choose one of this account’s groups, or type the name of one not pushed yet.</p>
<input type="text" id="group" name="group" list="group-choices" value="${view.values.group}" required maxlength="200" aria-describedby="group-hint" autocomplete="off">
<datalist id="group-choices">${view.groups.map((g) => html`<option value="${g.name}">${g.member_count} ${g.member_count === 1 ? 'member' : 'members'}</option>`)}</datalist>
<fieldset>
<legend>Roles its members hold</legend>
${ROLES.map(
  (role) => html`<div class="checkbox"><input type="checkbox" id="role-${role}" name="roles" value="${role}"${view.values.roles.includes(role) ? html` checked` : ''}>
<label for="role-${role}">${role} <span class="muted">(${ROLE_HINTS[role]})</span></label></div>`,
)}
</fieldset>
<button type="submit">${view.submit}</button>
</form>`;
}

function matchedTeam(m: RoleMappingRecord): Html {
  if (!m.team) return html`<span class="muted">No group of this name yet</span>`;
  return html`${m.team.name} <span class="muted">(${m.team.member_count} ${m.team.member_count === 1 ? 'member' : 'members'})</span>`;
}

/** Role mappings (/admin/role-mappings): groups whose members hold roles; list, create, edit, delete. */
export function roleMappingPages(services: Services, _config: AdminConfig): Router {
  const router = Router();

  const sendList = async (res: Response, status: number, view: { values?: MappingForm; notice?: string; error?: string }) => {
    const session = adminOf(res);
    const [mappings, groups] = await Promise.all([services.roleMappings.list(session.ctx), services.teams.summaries(session.ctx, GROUP_CHOICES)]);
    const body = html`<p>Members of a mapped group hold its roles on top of the roles set on their membership. Nothing is copied: leaving the group, or changing or deleting the mapping, changes their roles at once. Each person’s page shows where each role comes from.</p>
<table>
<caption>Role mappings (${mappings.length})</caption>
<thead><tr><th scope="col">Group</th><th scope="col">Roles</th><th scope="col">Matches</th><th scope="col">Actions</th></tr></thead>
<tbody>
${mappings.map(
  (m) => html`<tr>
<th scope="row">${m.group_name}</th>
<td>${m.roles.join(', ')}</td>
<td>${matchedTeam(m)}</td>
<td><a href="/admin/role-mappings/${m.id}">Edit<span class="visually-hidden"> the mapping of ${m.group_name}</span></a>
<form method="post" action="/admin/role-mappings/${m.id}/delete">${csrfField(session.csrfToken)}<button type="submit" class="secondary">Delete<span class="visually-hidden"> the mapping of ${m.group_name}</span></button></form></td>
</tr>`,
)}
${mappings.length === 0 ? html`<tr><td colspan="4">No group grants roles yet.</td></tr>` : ''}
</tbody>
</table>
<h2>Map a group to roles</h2>
${mappingForm(session, { action: '/admin/role-mappings', values: view.values ?? { group: '', roles: [] }, groups, submit: 'Create mapping' })}`;
    res.status(status).type('html').send(adminPage({ title: 'Role mappings', section: 'role-mappings', session, notice: view.notice, error: view.error }, body));
  };

  const sendEdit = async (res: Response, status: number, mapping: RoleMappingRecord, view: { values?: MappingForm; error?: string }) => {
    const session = adminOf(res);
    const groups = await services.teams.summaries(session.ctx, GROUP_CHOICES);
    const body = html`<p><a href="/admin/role-mappings">All role mappings</a></p>
<p>Matches: ${matchedTeam(mapping)}</p>
${mappingForm(session, { action: `/admin/role-mappings/${mapping.id}`, values: view.values ?? { group: mapping.group_name, roles: mapping.roles }, groups, submit: 'Save mapping' })}
<h2>Delete</h2>
<form method="post" action="/admin/role-mappings/${mapping.id}/delete">${csrfField(session.csrfToken)}<button type="submit" class="danger">Delete this mapping</button></form>`;
    res.status(status).type('html').send(adminPage({ title: `Role mapping: ${mapping.group_name}`, section: 'role-mappings', session, error: view.error }, body));
  };

  /** A mapping of this account named by the path, or 404 (an id that cannot be one: without a query). */
  const mappingOf = async (req: Request, res: Response): Promise<RoleMappingRecord> => {
    const id = String(req.params.id);
    if (!isIdOf(id, 'rmp')) throw new NotFound('role_mapping', id);
    return services.roleMappings.get(adminOf(res).ctx, id);
  };

  router.get('/role-mappings', async (req, res) => {
    const notice = typeof req.query.done === 'string' ? NOTICES[req.query.done] : undefined;
    await sendList(res, 200, { notice });
  });

  router.post('/role-mappings', async (req, res) => {
    const values = { group: textField(req.body, 'group'), roles: listField(req.body, 'roles') };
    try {
      const { created } = await services.roleMappings.set(adminOf(res).ctx, values.group, values.roles);
      res.redirect(303, `/admin/role-mappings?done=${created ? 'created' : 'updated'}`);
    } catch (err) {
      // a rule broken (no group, no role): the form again, with what was sent and why
      if (!(err instanceof DomainError) || !['invalid', 'conflict'].includes(err.code)) throw err;
      await sendList(res, statusOf(err, res), { values, error: err.message });
    }
  });

  router.get('/role-mappings/:id', async (req, res) => {
    await sendEdit(res, 200, await mappingOf(req, res), {});
  });

  router.post('/role-mappings/:id', async (req, res) => {
    const mapping = await mappingOf(req, res);
    const values = { group: textField(req.body, 'group'), roles: listField(req.body, 'roles') };
    try {
      await services.roleMappings.update(adminOf(res).ctx, mapping.id, values);
      res.redirect(303, '/admin/role-mappings?done=updated');
    } catch (err) {
      if (!(err instanceof DomainError) || !['invalid', 'conflict'].includes(err.code)) throw err;
      await sendEdit(res, statusOf(err, res), mapping, { values, error: err.message });
    }
  });

  router.post('/role-mappings/:id/delete', async (req, res) => {
    const mapping = await mappingOf(req, res);
    await services.roleMappings.delete(adminOf(res).ctx, mapping.id);
    res.redirect(303, '/admin/role-mappings?done=deleted');
  });

  return router;
}
