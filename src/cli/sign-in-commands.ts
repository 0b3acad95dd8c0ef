import fs from 'node:fs';
import type { SsoSettingsInput } from '../domain/auth/sso-settings-service.js';
import { certificateFingerprints } from '../domain/auth/sso-settings-service.js';
import { parseIdpMetadata } from '../sso/idp-metadata.js';
import { spEndpoints } from '../sso/saml-options.js';
import { type Command, parse, print, required, UsageError, withServices } from './command.js';

/** Everything on standard input, without the one line ending a person (or `echo`) adds. */
async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Password (end with Enter, then Ctrl-D): ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export const userSetPasswordCommand: Command = {
  words: ['user', 'set-password'],
  usage: 'user set-password --email EMAIL [--json]  set the password of the person with this email (read from stdin)',
  async run(args, config) {
    const values = parse(args, { email: { type: 'string' }, json: { type: 'boolean' } });
    const email = required(values, 'email');
    const password = await readStdin();
    if (password === '') throw new UsageError('no password on standard input: try  printf %s "$PASSWORD" | rollcall user set-password --email ...');
    const { userId } = await withServices(config, (services) => services.signIn.setPasswordByEmail(email, password));
    print(values.json, { user_id: userId, email }, `Password set for ${email} (user ${userId}).`);
  },
};

function readFile(path: string, option: string): string {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`--${option} ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

export const ssoConfigureCommand: Command = {
  words: ['sso', 'configure'],
  usage:
    'sso configure --account ID (--idp-metadata FILE | --idp-entity-id ID --idp-sso-url URL --idp-cert FILE...)\n' +
    '              [--enforce | --no-enforce] [--allow-idp-initiated | --no-allow-idp-initiated] [--jit | --no-jit] [--json]\n' +
    '                                             set an account\'s SAML identity provider; flags left out keep their value',
  async run(args, config) {
    const values = parse(args, {
      account: { type: 'string' },
      'idp-metadata': { type: 'string' },
      'idp-entity-id': { type: 'string' },
      'idp-sso-url': { type: 'string' },
      'idp-cert': { type: 'string', multiple: true },
      enforce: { type: 'boolean' },
      'no-enforce': { type: 'boolean' },
      'allow-idp-initiated': { type: 'boolean' },
      'no-allow-idp-initiated': { type: 'boolean' },
      jit: { type: 'boolean' },
      'no-jit': { type: 'boolean' },
      json: { type: 'boolean' },
    });
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
  },
};
