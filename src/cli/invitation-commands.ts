import type { InvitationRow } from '../domain/invitations/invitations-service.js';
import type { INVITATION_ANSWER, INVITATION_LIST } from './commands.js';
import { print, required, type Runner, withServices } from './command.js';

/** `rollcall invitation ...`: the operator's view of invitations, and an answer on a person's behalf (no email proof: the operator is trusted). */

const shown = (i: InvitationRow) => ({ id: i.id, account_id: i.account_id, account_name: i.account_name, user_id: i.invited_user_id, invited_as: i.user_name, invited_at: new Date(i.invited_at).toISOString() });

export const invitationList: Runner<typeof INVITATION_LIST> = async (values, config) => {
  const rows = await withServices(config, (services) => services.invitations.list({ accountId: values.account, email: values.email }));
  const lines = rows.map((i) => `${i.id}  ${i.account_name} (${i.account_id})  person ${i.invited_user_id} invited as ${i.user_name}`);
  print(values.json, { invitations: rows.map(shown) }, rows.length ? lines.join('\n') : 'No pending invitations.');
};

export const invitationAccept: Runner<typeof INVITATION_ANSWER> = async (values, config) => {
  const accepted = await withServices(config, (services) => services.invitations.acceptAsOperator(required(values, 'id')));
  print(values.json, { accepted: shown(accepted) }, `Invitation ${accepted.id} to ${accepted.account_name} accepted.`);
};

export const invitationDecline: Runner<typeof INVITATION_ANSWER> = async (values, config) => {
  const declined = await withServices(config, (services) => services.invitations.declineAsOperator(required(values, 'id')));
  print(values.json, { declined: shown(declined) }, `Invitation ${declined.id} to ${declined.account_name} declined; the membership is removed.`);
};
