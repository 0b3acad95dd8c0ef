import fs from 'node:fs';
import type { SsoSettingsInput } from '../domain/auth/sso-settings-service.js';
import { certificateFingerprints } from '../domain/auth/sso-settings-service.js';
import { parseIdpMetadata } from '../sso/idp-metadata.js';
import { spEndpoints } from '../sso/saml-options.js';
import type { SSO_CONFIGURE, USER_SET_PASSWORD } from './commands.js';
import { print, required, type Runner, UsageError, withServices } from './command.js';

/** Everything on standard input, without the one line ending a person (or `echo`) adds. */
async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Password (end with Enter, then Ctrl-D): ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export const userSetPassword: Runner<typeof USER_SET_PASSWORD> = async (values, config) => {
  const email = required(values, 'email');
  const password = await readStdin();
  if (password === '') throw new UsageError('no password on standard input: try  printf %s "$PASSWORD" | rollcall user set-password --email ...');
  const { userId } = await withServices(config, (services) => services.signIn.setPasswordByEmail(email, password));
  print(values.json, { user_id: userId, email }, `Password set for ${email} (user ${userId}).`);
};

function readFile(path: string, option: string): string {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`--${option} ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

export const ssoConfigure: Runner<typeof SSO_CONFIGURE> = async (values, config) => {
  const accountId = required(values, 'account');
  const flag = (on: boolean | undefined, off: boolean | undefined, name: string): boolean | undefined => {
    if (on && off) throw new UsageError(`give --${name} or --no-${name}, not both`);
    return on ? true : off ? false : undefined;
  };
  const input: SsoSettingsInput = {
    ...(values['idp-metadata'] ? parseIdpMetadata(readFile(values['idp-metadata'], 'idp-metadata'), '--idp-metadata') : {}),
    enforced: flag(values.enforce, values['no-enforce'], 'enforce'),
    allowIdpInitiated: flag(values['allow-idp-initiated'], values['no-allow-idp-initiated'], 'allow-idp-initiated'),
    jit: flag(values.jit, values['no-jit'], 'jit'),
  };
  if (values['idp-entity-id']) input.idpEntityId = values['idp-entity-id'];
  if (values['idp-sso-url']) input.idpSsoUrl = values['idp-sso-url'];
  if (values['idp-cert']?.length) input.idpCertificates = values['idp-cert'].map((file) => readFile(file, 'idp-cert'));
  const settings = await withServices(config, (services) => services.sso.configureAsOperator(accountId, input));
  const sp = spEndpoints(config.publicUrl, accountId);
  const summary = {
    account_id: accountId,
    idp_entity_id: settings.idpEntityId,
    idp_sso_url: settings.idpSsoUrl,
    idp_certificate_fingerprints: certificateFingerprints(settings.idpCertificates),
    enforced: settings.enforced,
    allow_idp_initiated: settings.allowIdpInitiated,
    jit: settings.jit,
    service_provider: { entity_id: sp.entityId, acs_url: sp.acsUrl, metadata_url: sp.metadataUrl, login_url: sp.loginUrl },
  };
  print(
    values.json,
    summary,
    `SSO configured for account ${accountId}: IdP ${settings.idpEntityId} (${settings.idpCertificates.length} certificate(s)), ` +
      `enforced=${settings.enforced}, IdP-initiated=${settings.allowIdpInitiated}, JIT=${settings.jit}.\n` +
      `Give your IdP: entity id (audience) ${sp.entityId}\n               ACS URL ${sp.acsUrl}\n               NameID format: email address`,
  );
};
