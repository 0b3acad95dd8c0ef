import type { InvitationRow } from '../domain/invitations/invitations-service.js';
import { type Command, parse, print, required, withServices } from './command.js';

/** `rollcall invitation ...`: the operator's view of invitations, and an answer on a person's behalf (no email proof: the operator is trusted). */

const shown = (i: InvitationRow) => ({ id: i.id, account_id: i.account_id, account_name: i.account_name, user_id: i.invited_user_id, invited_as: i.user_name, invited_at: new Date(i.invited_at).toISOString() });

export const invitationListCommand: Command = {
  words: ['invitation', 'list'],
  usage: 'invitation list [--account ID] [--email EMAIL] [--json]\n' +
    '                                             pending invitations (memberships a person has not accepted yet)',
  async run(args, config) {
    const values = parse(args, { account: { type: 'string' }, email: { type: 'string' }, json: { type: 'boolean' } });
    const rows = await withServices(config, (services) => services.invitations.list({ accountId: values.account, email: values.email }));
    const lines = rows.map((i) => `${i.id}  ${i.account_name} (${i.account_id})  person ${i.invited_user_id} invited as ${i.user_name}`);
    print(values.json, { invitations: rows.map(shown) }, rows.length ? lines.join('\n') : 'No pending invitations.');
  },
};

export const invitationAcceptCommand: Command = {
  words: ['invitation', 'accept'],
  usage: 'invitation accept --id ACCOUNT_USER_ID [--json]\n' +
    '                                             accept an invitation on the person\'s behalf: the account then sees their profile',
  async run(args, config) {
    const values = parse(args, { id: { type: 'string' }, json: { type: 'boolean' } });
    const accepted = await withServices(config, (services) => services.invitations.acceptAsOperator(required(values, 'id')));
    print(values.json, { accepted: shown(accepted) }, `Invitation ${accepted.id} to ${accepted.account_name} accepted.`);
  },
};

export const invitationDeclineCommand: Command = {
  words: ['invitation', 'decline'],
  usage: 'invitation decline --id ACCOUNT_USER_ID [--json]\n' +
    '                                             decline an invitation on the person\'s behalf: the membership is removed',
  async run(args, config) {
    const values = parse(args, { id: { type: 'string' }, json: { type: 'boolean' } });
    const declined = await withServices(config, (services) => services.invitations.declineAsOperator(required(values, 'id')));
    print(values.json, { declined: shown(declined) }, `Invitation ${declined.id} to ${declined.account_name} declined; the membership is removed.`);
  },
};
