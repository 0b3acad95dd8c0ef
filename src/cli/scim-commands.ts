import { type Command, parse, print, required, UsageError, withServices } from './command.js';

/** `rollcall scim-token ...` and `rollcall role-mapping ...`: what an operator sets up for an IdP. */

export const scimTokenCreateCommand: Command = {
  words: ['scim-token', 'create'],
  usage: 'scim-token create --account ID [--name NAME] [--json]\n' +
    '                                             create a SCIM bearer token for an account (shown once) and print the SCIM base URL',
  async run(args, config) {
    const values = parse(args, { account: { type: 'string' }, name: { type: 'string' }, json: { type: 'boolean' } });
    const accountId = required(values, 'account');
    const { id, token } = await withServices(config, (services) => services.scimTokens.createAsOperator(accountId, values.name));
    const baseUrl = `${config.publicUrl}/scim/v2`;
    print(
      values.json,
      { token, base_url: baseUrl, id },
      `SCIM token ${id} (shown once): ${token}\nSCIM base URL: ${baseUrl}\n` +
        'In the identity provider: SCIM 2.0, authentication "HTTP Header" / "Secret Token", value: the token above.',
    );
  },
};

function rolesList(value: string): string[] {
  const roles = value.split(',').map((r) => r.trim()).filter((r) => r !== '');
  if (roles.length === 0) throw new UsageError('--roles needs at least one role, e.g. --roles admin,broadcaster');
  return roles;
}

export const roleMappingSetCommand: Command = {
  words: ['role-mapping', 'set'],
  usage: 'role-mapping set --account ID --group NAME --roles ROLE[,ROLE...] [--json]\n' +
    '                                             members of the group (team) NAME hold these roles on top of their own',
  async run(args, config) {
    const values = parse(args, { account: { type: 'string' }, group: { type: 'string' }, roles: { type: 'string' }, json: { type: 'boolean' } });
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
  },
};

export const roleMappingListCommand: Command = {
  words: ['role-mapping', 'list'],
  usage: 'role-mapping list --account ID [--json]      list the groups that grant roles',
  async run(args, config) {
    const values = parse(args, { account: { type: 'string' }, json: { type: 'boolean' } });
    const accountId = required(values, 'account');
    const mappings = await withServices(config, (services) => services.roleMappings.listAsOperator(accountId));
    print(
      values.json,
      { data: mappings.map((m) => ({ id: m.id, group: m.group_name, roles: m.roles, team_id: m.team?.id ?? null })) },
      mappings.length ? mappings.map((m) => `${m.id}  "${m.group_name}" -> ${m.roles.join(', ')}${m.team ? '' : '  (no such team yet)'}`).join('\n') : 'No role mappings.',
    );
  },
};

export const roleMappingDeleteCommand: Command = {
  words: ['role-mapping', 'delete'],
  usage: 'role-mapping delete --account ID --group NAME  stop the group granting roles',
  async run(args, config) {
    const values = parse(args, { account: { type: 'string' }, group: { type: 'string' } });
    const accountId = required(values, 'account');
    const group = required(values, 'group');
    await withServices(config, (services) => services.roleMappings.deleteByGroupAsOperator(accountId, group));
    process.stdout.write(`Role mapping of group "${group}" deleted.\n`);
  },
};
