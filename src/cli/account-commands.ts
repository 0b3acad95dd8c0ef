import { type Command, parse, print, required, withServices } from './command.js';

export const accountCreateCommand: Command = {
  words: ['account', 'create'],
  usage: 'account create --name NAME --owner-email EMAIL [--owner-name NAME] [--owner-given-name NAME] [--owner-family-name NAME] [--json]\n' +
    '                                             create an account, its owner (an admin) and an API token for the owner',
  async run(args, config) {
    const values = parse(args, {
      name: { type: 'string' }, 'owner-email': { type: 'string' }, 'owner-name': { type: 'string' },
      'owner-given-name': { type: 'string' }, 'owner-family-name': { type: 'string' }, json: { type: 'boolean' },
    });
    const name = required(values, 'name');
    const ownerEmail = required(values, 'owner-email');
    const { created, token } = await withServices(config, async (services) => {
      const created = await services.accounts.create({ name, ownerEmail, ownerName: values['owner-name'], ownerGivenName: values['owner-given-name'], ownerFamilyName: values['owner-family-name'] });
      const token = await services.apiTokens.createAsOperator(created.ownerAccountUserId, 'created with the account');
      return { created, token };
    });
    print(
      values.json,
      { account: { id: created.account.id, name: created.account.name }, owner: { account_user_id: created.ownerAccountUserId, user_id: created.ownerUserId }, api_token: token.token },
      `Account ${created.account.id} created.\nOwner: account user ${created.ownerAccountUserId} (user ${created.ownerUserId})\n` +
        `API token (shown once): ${token.token}\nTry: curl -H "Authorization: Bearer ${token.token}" ${config.publicUrl}/api/v4/account_users`,
    );
  },
};

export const apiTokenCreateCommand: Command = {
  words: ['api-token', 'create'],
  usage: 'api-token create --account-user ID [--name NAME] [--json]\n' +
    '                                             create an API token for a member (shown once)',
  async run(args, config) {
    const values = parse(args, { 'account-user': { type: 'string' }, name: { type: 'string' }, json: { type: 'boolean' } });
    const accountUserId = required(values, 'account-user');
    const token = await withServices(config, (services) => services.apiTokens.createAsOperator(accountUserId, values.name));
    print(values.json, { token: token.token, id: token.id }, `API token ${token.id} (shown once): ${token.token}`);
  },
};
