import { errors, operation } from './components.js';
import { arrayOf, boolean, constant, id, integer, json, jsonBody, nullable, object, oneOfStrings, ref, string, time } from './schema.js';
import type { Paths, Schema } from './types.js';

/** Signing in: POST /public/login (no credential), GET /me, and the account's SAML settings at /account/sso. */

const login: Schema = object({
  token: string('A JWT: send it as `Authorization: Bearer <token>`.'),
  token_type: constant('Bearer'),
  expires_in: integer('Seconds until it expires.'),
  account_id: id('acc'),
  account_user_id: id('au'),
});

const me: Schema = object({
  object: constant('me'),
  account_user: ref('AccountUser'),
  account: ref('Account'),
  sign_in: object({
    credential: oneOfStrings(['session', 'jwt', 'api_token'], 'What the request carried.'),
    method: oneOfStrings(['password', 'saml', 'api_token'], 'How the member proved who they are.'),
    session_expires_at: nullable(time('When a browser session ends; null for a JWT or API token.')),
  }),
});

const ssoSettings: Schema = object({
  object: constant('sso_settings'),
  account_id: id('acc'),
  idp_entity_id: nullable(string()),
  idp_sso_url: nullable(string()),
  idp_certificates: arrayOf(object({ pem: string(), sha256_fingerprint: string(), index: integer() }), 'Up to 5; a response signed by any of them is accepted.'),
  enforced: boolean('SSO-only: non-admins reach the account only through its SAML sign-in.'),
  allow_idp_initiated: boolean(),
  jit: boolean('An unknown person signing in becomes a member without roles.'),
  service_provider: object(
    { entity_id: string(), acs_url: string(), metadata_url: string(), login_url: string(), name_id_format: constant('urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress') },
    { description: 'What to give the IdP.' },
  ),
  updated_at: nullable(time()),
});

const ssoInput: Schema = {
  type: 'object',
  description: 'Fields left out keep their value.',
  properties: {
    idp_metadata_xml: string('The IdP\'s SAML metadata; fields sent beside it win.'),
    idp_entity_id: string(),
    idp_sso_url: string(),
    idp_certificates: arrayOf(string(), 'PEM or base64 DER, at most 5.'),
    enforced: boolean('Refused (422) until an active admin can sign in with a password.'),
    allow_idp_initiated: boolean(),
    jit: boolean(),
  },
};

export const signInSchemas: Record<string, Schema> = { Login: login, Me: me, SsoSettings: ssoSettings, SsoSettingsInput: ssoInput };

/** `publicUrl`: PUBLIC_URL, the server of /public/login, which is outside /api/v4. */
export const signInPaths = (publicUrl: string): Paths => ({
  '/public/login': {
    servers: [{ url: publicUrl, description: 'Outside /api/v4: the server\'s own address (PUBLIC_URL).' }],
    post: {
      operationId: 'login',
      summary: 'Sign in with a password for a short-lived JWT',
      description:
        'The same 401 for an unknown name and a wrong password, and for a right one that is not honoured (a non-admin of an SSO-only account, a password set by another account); 429 with Retry-After once failures pile up.',
      tags: ['Sign-in'],
      security: [],
      requestBody: jsonBody({
        type: 'object',
        properties: {
          username: string('An email or user name.'),
          email: string('Read when `username` is absent.'),
          password: string(),
          account_id: string('Which account, for a member of several (default: the first).'),
        },
        required: ['password'],
      }),
      responses: {
        '200': json('Signed in (`Cache-Control: no-store`).', ref('Login')),
        ...errors('BadRequest', 'Unauthorized', 'Forbidden', 'PayloadTooLarge', 'UnsupportedMediaType', 'Unprocessable', 'TooManyRequests', 'Unavailable'),
      },
    },
  },
  '/me': {
    get: operation({
      operationId: 'getMe',
      summary: 'The caller: member, account, and how they signed in',
      tags: ['Sign-in'],
      responses: { '200': json('Who is calling.', ref('Me')) },
      errors: [],
    }),
  },
  '/account/sso': {
    get: operation({
      operationId: 'getSso',
      summary: 'The account\'s SAML settings and the service-provider values (admins)',
      tags: ['Sign-in'],
      responses: { '200': json('The settings (all null and false before any).', ref('SsoSettings')) },
      errors: ['Forbidden'],
    }),
    put: operation({
      operationId: 'configureSso',
      summary: 'Configure SAML SSO (admins)',
      tags: ['Sign-in'],
      requestBody: jsonBody(ref('SsoSettingsInput')),
      responses: { '200': json('The settings as saved.', ref('SsoSettings')) },
      errors: ['Forbidden'],
    }),
    patch: operation({
      operationId: 'updateSso',
      summary: 'Configure SAML SSO (admins; same as PUT)',
      tags: ['Sign-in'],
      requestBody: jsonBody(ref('SsoSettingsInput')),
      responses: { '200': json('The settings as saved.', ref('SsoSettings')) },
      errors: ['Forbidden'],
    }),
    delete: operation({
      operationId: 'removeSso',
      summary: 'Turn SSO off (admins)',
      tags: ['Sign-in'],
      responses: { '200': json('The settings, emptied.', ref('SsoSettings')) },
      errors: ['Forbidden'],
    }),
  },
});
