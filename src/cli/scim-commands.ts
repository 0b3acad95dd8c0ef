import type { ROLE_MAPPING_DELETE, ROLE_MAPPING_LIST, ROLE_MAPPING_SET } from './commands.js';
import { print, required, type Runner, UsageError, withServices } from './command.js';

/** `rollcall role-mapping ...`: which groups an IdP pushes grant roles. */

function rolesList(value: string): string[] {
  const roles = value.split(',').map((r) => r.trim()).filter((r) => r !== '');
  if (roles.length === 0) throw new UsageError('--roles needs at least one role, e.g. --roles admin,broadcaster');
  return roles;
}

export const roleMappingSet: Runner<typeof ROLE_MAPPING_SET> = async (values, config) => {
  const accountId = required(values, 'account');
  const group = required(values, 'group');
  const roles = rolesList(required(values, 'roles'));
  const { mapping, created } = await withServices(config, (services) => services.roleMappings.setAsOperator(accountId, group, roles));
  print(
    values.json,
    { id: mapping.id, group: mapping.group_name, roles: mapping.roles, team_id: mapping.team?.id ?? null, created },
    `Role mapping ${mapping.id} ${created ? 'created' : 'updated'}: members of group "${mapping.group_name}" hold ${mapping.roles.join(', ')}` +
      (mapping.team ? ` (team ${mapping.team.id} exists)` : ' (no team of that name yet: it applies once the group is pushed or created)'),
  );
};

export const roleMappingList: Runner<typeof ROLE_MAPPING_LIST> = async (values, config) => {
  const accountId = required(values, 'account');
  const mappings = await withServices(config, (services) => services.roleMappings.listAsOperator(accountId));
  print(
    values.json,
    { data: mappings.map((m) => ({ id: m.id, group: m.group_name, roles: m.roles, team_id: m.team?.id ?? null })) },
    mappings.length ? mappings.map((m) => `${m.id}  "${m.group_name}" -> ${m.roles.join(', ')}${m.team ? '' : '  (no such team yet)'}`).join('\n') : 'No role mappings.',
  );
};

export const roleMappingDelete: Runner<typeof ROLE_MAPPING_DELETE> = async (values, config) => {
  const accountId = required(values, 'account');
  const group = required(values, 'group');
  await withServices(config, (services) => services.roleMappings.deleteByGroupAsOperator(accountId, group));
  process.stdout.write(`Role mapping of group "${group}" deleted.\n`);
};
