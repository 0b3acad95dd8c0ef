import { type Command, command } from './command.js';

/**
 * Every `rollcall` command: its words, options and help, and where its code is. A command's module
 * is imported only when it runs, so `--help`, a mistyped option and the list of commands cost no
 * database, no domain and no migration. A new command is its options here and a runner in its module.
 */

const json = { type: 'boolean', description: 'print one JSON object on stdout instead of sentences' } as const;
const account = { type: 'string', value: 'ID', required: true, description: 'the account (acc_...)' } as const;

export const SERVE = {} as const;

export const MIGRATE = {
  status: { type: 'boolean', description: 'list the migrations applied (with their batch) and pending; changes nothing' },
  rollback: { type: 'boolean', description: 'undo the LAST applied migration only, saying what it drops; asks first on a terminal' },
  all: { type: 'boolean', description: 'with --rollback: undo EVERY migration, which drops every table and all data (needs --yes)' },
  yes: { type: 'boolean', description: 'with --rollback: do it without asking (required when not on a terminal, and with --all)' },
  json,
} as const;

export const ACCOUNT_CREATE = {
  name: { type: 'string', value: 'NAME', required: true, description: "the account's name" },
  'owner-email': { type: 'string', value: 'EMAIL', required: true, description: "the owner's email; an email that already belongs to a person makes that person the owner" },
  'owner-name': { type: 'string', value: 'NAME', description: "the owner's full name (else the given and family names, or the email's local part)" },
  'owner-given-name': { type: 'string', value: 'NAME', description: 'the given name IdPs see (SCIM name.givenName); else split from --owner-name' },
  'owner-family-name': { type: 'string', value: 'NAME', description: 'the family name IdPs see (SCIM name.familyName); else the last word of --owner-name' },
  json,
} as const;

export const ACCOUNT_LIST = { json } as const;

export const OWNERSHIP_TRANSFER = {
  account,
  to: { type: 'string', value: 'ACCOUNT_USER_ID|EMAIL', required: true, description: 'the active admin who is to own the account: their account user id (au_...) or email' },
  json,
} as const;

export const API_TOKEN_CREATE = {
  'account-user': { type: 'string', value: 'ID', required: true, description: 'the member (au_...) the token acts as' },
  name: { type: 'string', value: 'NAME', description: 'a name to tell the token apart in lists' },
  json,
} as const;

export const API_TOKEN_LIST = {
  account,
  'account-user': { type: 'string', value: 'ID', description: "only this member's tokens" },
  json,
} as const;

export const TOKEN_REVOKE = {
  id: { type: 'string', value: 'TOKEN_ID', required: true, description: 'the token to revoke, as `list` shows it (not the token itself)' },
  json,
} as const;

export const SCIM_TOKEN_CREATE = {
  account,
  name: { type: 'string', value: 'NAME', description: 'a name to tell the token apart in lists (e.g. okta)' },
  json,
} as const;

export const SCIM_TOKEN_LIST = { account, json } as const;

export const ROLE_MAPPING_SET = {
  account,
  group: { type: 'string', value: 'NAME', required: true, description: 'the group (team) whose members get the roles' },
  roles: { type: 'string', value: 'ROLE[,ROLE...]', required: true, description: 'admin, billing, broadcaster and/or communicator, comma-separated' },
  json,
} as const;

export const ROLE_MAPPING_LIST = { account, json } as const;

export const ROLE_MAPPING_DELETE = {
  account,
  group: { type: 'string', value: 'NAME', required: true, description: 'the group that is to stop granting roles' },
} as const;

export const USER_SET_PASSWORD = {
  email: { type: 'string', value: 'EMAIL', required: true, description: "the person's email; the password is read from standard input" },
  json,
} as const;

export const SSO_CONFIGURE = {
  account,
  'idp-metadata': { type: 'string', value: 'FILE', description: "the identity provider's SAML metadata XML (entity id, SSO URL and certificates)" },
  'idp-entity-id': { type: 'string', value: 'ID', description: "the identity provider's entity id (issuer), without metadata" },
  'idp-sso-url': { type: 'string', value: 'URL', description: "the identity provider's sign-in (SSO) URL, without metadata" },
  'idp-cert': { type: 'string', multiple: true, value: 'FILE', description: "a PEM file of the identity provider's signing certificate, without metadata" },
  enforce: { type: 'boolean', description: 'SSO-only: members other than admins sign in through the identity provider' },
  'no-enforce': { type: 'boolean', description: 'allow passwords again' },
  'allow-idp-initiated': { type: 'boolean', description: 'accept sign-ins started at the identity provider' },
  'no-allow-idp-initiated': { type: 'boolean', description: 'accept only sign-ins started here' },
  jit: { type: 'boolean', description: 'create a member at their first SSO sign-in (just in time)' },
  'no-jit': { type: 'boolean', description: 'only people already provisioned may sign in' },
  json,
} as const;

export const INVITATION_LIST = {
  account: { ...account, required: false, description: 'only this account\'s invitations' },
  email: { type: 'string', value: 'EMAIL', description: "only this person's invitations" },
  json,
} as const;

export const INVITATION_ANSWER = {
  id: { type: 'string', value: 'ACCOUNT_USER_ID', required: true, description: 'the invitation, as `invitation list` shows it' },
  json,
} as const;

export const DOMAIN_ADD = {
  account,
  domain: { type: 'string', value: 'NAME', required: true, description: 'the email domain, e.g. acme.example' },
  json,
} as const;

export const DOMAIN_SELECT = {
  account,
  domain: { type: 'string', value: 'NAME', description: 'the domain by its name' },
  id: { type: 'string', value: 'ID', description: 'or by its id, as `domain list` shows it' },
  json,
} as const;

export const DOMAIN_LIST = { account, json } as const;

export const OUTBOX_LIST = {
  unsent: { type: 'boolean', description: 'only email not sent yet (queued, retrying or given up)' },
  limit: { type: 'string', value: 'N', description: 'at most N messages, 1 to 1000 (default 50)' },
  json,
} as const;

export const OUTBOX_RETRY = {
  id: { type: 'string', value: 'MSG_ID', description: 'only this message (default: every given-up one)' },
  json,
} as const;

export const COMMANDS: readonly Command[] = [
  command({ words: ['serve'], summary: 'Serve HTTP on HOST:PORT (default 127.0.0.1:3000): what `npm start` runs.', options: SERVE }, () =>
    import('./serve-command.js').then((m) => m.serve)),
  command(
    {
      words: ['migrate'],
      summary: 'Bring the schema up to date; or list migrations (--status), or undo the last one (--rollback).',
      options: MIGRATE,
      synopsis: '[--status | --rollback [--yes] | --rollback --all --yes] [--json]',
      notes:
        'Every command (and `serve`) applies pending migrations itself; this one is for doing it on purpose.\n' +
        'A rollback undoes one migration, the last applied, and says what its down() drops. Off a terminal it needs --yes;\n' +
        'without it nothing is changed and the exit status is 2. Back up the database first: dropped data is gone.',
    },
    () => import('./migrate-command.js').then((m) => m.migrate),
  ),
  command({ words: ['account', 'create'], summary: 'Create an account, its owner (an admin) and an API token for the owner (shown once).', options: ACCOUNT_CREATE }, () =>
    import('./account-commands.js').then((m) => m.accountCreate)),
  command({ words: ['account', 'list'], summary: 'List every account with its owner and number of members.', options: ACCOUNT_LIST }, () =>
    import('./account-commands.js').then((m) => m.accountList)),
  command(
    {
      words: ['ownership', 'transfer'],
      summary: 'Hand an account to another of its active admins (the owner cannot be deleted; this makes way).',
      options: OWNERSHIP_TRANSFER,
    },
    () => import('./account-commands.js').then((m) => m.ownershipTransfer),
  ),
  command({ words: ['api-token', 'create'], summary: 'Create an API token for a member (shown once).', options: API_TOKEN_CREATE }, () =>
    import('./token-commands.js').then((m) => m.apiTokenCreate)),
  command({ words: ['api-token', 'list'], summary: "List an account's API tokens that work (never the tokens themselves).", options: API_TOKEN_LIST }, () =>
    import('./token-commands.js').then((m) => m.apiTokenList)),
  command({ words: ['api-token', 'revoke'], summary: 'Revoke an API token: it stops working at once.', options: TOKEN_REVOKE }, () =>
    import('./token-commands.js').then((m) => m.apiTokenRevoke)),
  command({ words: ['scim-token', 'create'], summary: 'Create a SCIM bearer token for an account (shown once) and print the SCIM base URL.', options: SCIM_TOKEN_CREATE }, () =>
    import('./token-commands.js').then((m) => m.scimTokenCreate)),
  command({ words: ['scim-token', 'list'], summary: "List an account's SCIM tokens that work (never the tokens themselves).", options: SCIM_TOKEN_LIST }, () =>
    import('./token-commands.js').then((m) => m.scimTokenList)),
  command({ words: ['scim-token', 'revoke'], summary: 'Revoke a SCIM token: the identity provider using it is refused at once.', options: TOKEN_REVOKE }, () =>
    import('./token-commands.js').then((m) => m.scimTokenRevoke)),
  command({ words: ['role-mapping', 'set'], summary: 'Members of the group (team) NAME hold these roles on top of their own.', options: ROLE_MAPPING_SET }, () =>
    import('./scim-commands.js').then((m) => m.roleMappingSet)),
  command({ words: ['role-mapping', 'list'], summary: 'List the groups that grant roles.', options: ROLE_MAPPING_LIST }, () =>
    import('./scim-commands.js').then((m) => m.roleMappingList)),
  command({ words: ['role-mapping', 'delete'], summary: 'Stop a group granting roles.', options: ROLE_MAPPING_DELETE }, () =>
    import('./scim-commands.js').then((m) => m.roleMappingDelete)),
  command(
    {
      words: ['user', 'set-password'],
      summary: 'Set the password of the person with this email, read from standard input.',
      options: USER_SET_PASSWORD,
      notes: 'Example: printf %s "$PASSWORD" | rollcall user set-password --email owner@acme.example',
    },
    () => import('./sign-in-commands.js').then((m) => m.userSetPassword),
  ),
  command(
    {
      words: ['sso', 'configure'],
      summary: "Set an account's SAML identity provider; flags left out keep their value.",
      options: SSO_CONFIGURE,
      synopsis:
        '--account ID (--idp-metadata FILE | --idp-entity-id ID --idp-sso-url URL --idp-cert FILE...)\n' +
        '       [--enforce | --no-enforce] [--allow-idp-initiated | --no-allow-idp-initiated] [--jit | --no-jit] [--json]',
    },
    () => import('./sign-in-commands.js').then((m) => m.ssoConfigure),
  ),
  command({ words: ['invitation', 'list'], summary: 'List pending invitations (memberships a person has not accepted yet).', options: INVITATION_LIST }, () =>
    import('./invitation-commands.js').then((m) => m.invitationList)),
  command({ words: ['invitation', 'accept'], summary: "Accept an invitation on the person's behalf: the account then sees their profile.", options: INVITATION_ANSWER }, () =>
    import('./invitation-commands.js').then((m) => m.invitationAccept)),
  command({ words: ['invitation', 'decline'], summary: "Decline an invitation on the person's behalf: the membership is removed.", options: INVITATION_ANSWER }, () =>
    import('./invitation-commands.js').then((m) => m.invitationDecline)),
  command({ words: ['domain', 'add'], summary: 'Add an email domain to verify; prints the DNS TXT record to publish.', options: DOMAIN_ADD }, () =>
    import('./domain-commands.js').then((m) => m.domainAdd)),
  command(
    {
      words: ['domain', 'verify'],
      summary: 'Look the TXT record up in DNS (DNS_RESOLVER) and mark the domain verified.',
      options: DOMAIN_SELECT,
      synopsis: '--account ID (--domain NAME | --id ID) [--json]',
    },
    () => import('./domain-commands.js').then((m) => m.domainVerify),
  ),
  command({ words: ['domain', 'list'], summary: "List the account's domains and whether each is verified.", options: DOMAIN_LIST }, () =>
    import('./domain-commands.js').then((m) => m.domainList)),
  command(
    { words: ['domain', 'remove'], summary: 'Remove a domain (and its verification).', options: DOMAIN_SELECT, synopsis: '--account ID (--domain NAME | --id ID) [--json]' },
    () => import('./domain-commands.js').then((m) => m.domainRemove),
  ),
  command({ words: ['outbox', 'list'], summary: 'List email newest first: recipient, attempts, sent or last error (never the body).', options: OUTBOX_LIST }, () =>
    import('./outbox-commands.js').then((m) => m.outboxList)),
  command({ words: ['outbox', 'retry'], summary: 'Send given-up email again (all, or one), e.g. once SMTP_URL is fixed.', options: OUTBOX_RETRY }, () =>
    import('./outbox-commands.js').then((m) => m.outboxRetry)),
];
