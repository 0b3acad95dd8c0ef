import { accountCreateCommand, apiTokenCreateCommand } from './account-commands.js';
import type { Command } from './command.js';
import { domainAddCommand, domainListCommand, domainRemoveCommand, domainVerifyCommand } from './domain-commands.js';
import { migrateCommand } from './migrate-command.js';
import { outboxListCommand, outboxRetryCommand } from './outbox-commands.js';
import { roleMappingDeleteCommand, roleMappingListCommand, roleMappingSetCommand, scimTokenCreateCommand } from './scim-commands.js';
import { serveCommand } from './serve-command.js';
import { invitationAcceptCommand, invitationDeclineCommand, invitationListCommand } from './invitation-commands.js';
import { ssoConfigureCommand, userSetPasswordCommand } from './sign-in-commands.js';

/** Every `rollcall` command. A new command is a module in src/cli/ and one line here. */
export const COMMANDS: Command[] = [serveCommand, migrateCommand, accountCreateCommand, apiTokenCreateCommand,
  scimTokenCreateCommand, roleMappingSetCommand, roleMappingListCommand, roleMappingDeleteCommand,
  userSetPasswordCommand, ssoConfigureCommand, invitationListCommand, invitationAcceptCommand, invitationDeclineCommand,
  domainAddCommand, domainVerifyCommand, domainListCommand, domainRemoveCommand, outboxListCommand, outboxRetryCommand];
