import type { ACCOUNT_CREATE, ACCOUNT_LIST, OWNERSHIP_TRANSFER } from './commands.js';
import { linksNote, print, required, type Runner, withServices } from './command.js';

/** `rollcall account create|list` and `rollcall ownership transfer`. */

export const accountCreate: Runner<typeof ACCOUNT_CREATE> = async (values, config) => {
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
      `API token (shown once): ${token.token}\nTry: curl -H "Authorization: Bearer ${token.token}" ${config.publicUrl}/api/v4/account_users${linksNote(config)}`,
  );
};

export const accountList: Runner<typeof ACCOUNT_LIST> = async (values, config) => {
  const accounts = await withServices(config, (services) => services.accounts.listAsOperator());
  print(
    values.json,
    {
      data: accounts.map((a) => ({
        id: a.id,
        name: a.name,
        owner: { account_user_id: a.owner_account_user_id, email: a.owner_email },
        members: a.members,
        created_at: new Date(a.created_at).toISOString(),
      })),
    },
    accounts.length
      ? accounts.map((a) => `${a.id}  ${a.name}  owner ${a.owner_email ?? '(none)'} (${a.owner_account_user_id ?? '-'})  ${a.members} member(s)  created ${new Date(a.created_at).toISOString()}`).join('\n')
      : 'No accounts yet: create one with `rollcall account create --name NAME --owner-email EMAIL`.',
  );
};

export const ownershipTransfer: Runner<typeof OWNERSHIP_TRANSFER> = async (values, config) => {
  const accountId = required(values, 'account');
  const to = required(values, 'to');
  const { account, from } = await withServices(config, (services) => services.ownership.transferAsOperator(accountId, to));
  print(
    values.json,
    { account: { id: account.id, name: account.name }, owner_account_user_id: account.owner_account_user_id, previous_owner_account_user_id: from },
    `Account ${account.id} (${account.name}) is now owned by account user ${account.owner_account_user_id} (before: ${from ?? 'nobody'}).`,
  );
};
