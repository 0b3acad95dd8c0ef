import SCIMMY from 'scimmy';

/**
 * What the SCIM endpoint supports, said once: the attribute catalogue our mapping and PATCH use
 * (names are matched without case, as RFC 7643 section 2.1 asks), and the same as scimmy schema
 * definitions for /Schemas, /ResourceTypes and /ServiceProviderConfig (discovery.ts).
 *
 * scimmy is used for the discovery documents only: its resource handlers page and sort in memory
 * over whatever they are given, apply no filter, cannot tell PATCH from PUT and turn plain errors
 * into "404 Resource undefined not found" (DESIGN.md section 6), so the endpoints are our own.
 */

export const URN = {
  user: 'urn:ietf:params:scim:schemas:core:2.0:User',
  group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  enterprise: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  rollcall: 'urn:ietf:params:scim:schemas:extension:rollcall:2.0:User',
  listResponse: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
  patchOp: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
  searchRequest: 'urn:ietf:params:scim:api:messages:2.0:SearchRequest',
  bulkRequest: 'urn:ietf:params:scim:api:messages:2.0:BulkRequest',
  bulkResponse: 'urn:ietf:params:scim:api:messages:2.0:BulkResponse',
  error: 'urn:ietf:params:scim:api:messages:2.0:Error',
} as const;

export interface AttrDef {
  name: string;
  type: 'string' | 'boolean' | 'complex' | 'dateTime' | 'reference';
  multi?: boolean;
  sub?: AttrDef[];
  /** The client cannot set it (id, meta, groups). */
  readOnly?: boolean;
  /** Never returned (password). */
  writeOnly?: boolean;
}

const s = (name: string, extra: Partial<AttrDef> = {}): AttrDef => ({ name, type: 'string', ...extra });
const b = (name: string): AttrDef => ({ name, type: 'boolean' });
const complex = (name: string, sub: AttrDef[], extra: Partial<AttrDef> = {}): AttrDef => ({ name, type: 'complex', sub, ...extra });

const COMMON: AttrDef[] = [s('id', { readOnly: true }), s('externalId'), complex('meta', [s('resourceType'), { name: 'created', type: 'dateTime' }, { name: 'lastModified', type: 'dateTime' }, s('location'), s('version')], { readOnly: true })];

export const USER_ATTRS: AttrDef[] = [
  ...COMMON,
  s('userName'),
  complex('name', ['formatted', 'familyName', 'givenName', 'middleName', 'honorificPrefix', 'honorificSuffix'].map((n) => s(n))),
  s('displayName'),
  s('nickName'),
  { name: 'profileUrl', type: 'reference' },
  s('title'),
  s('userType'),
  s('preferredLanguage'),
  s('locale'),
  s('timezone'),
  b('active'),
  s('password', { writeOnly: true }),
  complex('emails', [s('value'), s('type'), b('primary'), s('display')], { multi: true }),
  complex('phoneNumbers', [s('value'), s('type'), b('primary'), s('display')], { multi: true }),
  complex('addresses', [...['formatted', 'streetAddress', 'locality', 'region', 'postalCode', 'country', 'type'].map((n) => s(n)), b('primary')], { multi: true }),
  complex('groups', [s('value'), { name: '$ref', type: 'reference' }, s('display'), s('type')], { multi: true, readOnly: true }),
  complex('roles', [s('value'), s('display'), s('type'), b('primary')], { multi: true }),
];

export const ENTERPRISE_ATTRS: AttrDef[] = [
  ...['employeeNumber', 'costCenter', 'organization', 'division', 'department'].map((n) => s(n)),
  complex('manager', [s('value'), { name: '$ref', type: 'reference' }, s('displayName')]),
];

export const ROLLCALL_ATTRS: AttrDef[] = [b('notifyPush'), b('notifyEmail'), b('notifySms'), b('notifyVoice'), s('roles', { multi: true }), { ...b('invited'), readOnly: true }, { ...b('noEmailToNotify'), readOnly: true }];

export const GROUP_ATTRS: AttrDef[] = [
  ...COMMON,
  s('displayName'),
  complex('members', [s('value'), s('display'), { name: '$ref', type: 'reference' }, s('type')], { multi: true }),
];

export interface ResourceCatalogue {
  core: AttrDef[];
  extensions: Record<string, AttrDef[]>;
}

export const USER_CATALOGUE: ResourceCatalogue = { core: USER_ATTRS, extensions: { [URN.enterprise]: ENTERPRISE_ATTRS, [URN.rollcall]: ROLLCALL_ATTRS } };
export const GROUP_CATALOGUE: ResourceCatalogue = { core: GROUP_ATTRS, extensions: {} };

export function findAttr(defs: readonly AttrDef[], name: string): AttrDef | undefined {
  const lower = name.toLowerCase();
  return defs.find((d) => d.name.toLowerCase() === lower);
}

/** The extension URN as we spell it, for a URN written in any case; undefined when unknown. */
export function canonicalUrn(catalogue: ResourceCatalogue, urn: string): string | undefined {
  const lower = urn.toLowerCase();
  return Object.keys(catalogue.extensions).find((u) => u.toLowerCase() === lower);
}

/** Limits advertised in /ServiceProviderConfig and enforced by the endpoints. */
export const LIMITS = {
  maxResults: 200,
  defaultCount: 100,
  bulkMaxOperations: 1000,
  bulkMaxPayloadSize: 1024 * 1024,
} as const;

let declared = false;

/** Declares the resources and the service provider configuration to scimmy, once per process. */
export function declareScimmy(): typeof SCIMMY {
  if (declared) return SCIMMY;
  declared = true;
  const { Attribute, SchemaDefinition } = SCIMMY.Types;
  // What we do not support is taken out of scimmy's core User, so /Schemas says exactly what is.
  SCIMMY.Schemas.User.definition.truncate('ims', 'photos', 'entitlements', 'x509Certificates');
  const rollcall = new SchemaDefinition('RollcallUser', URN.rollcall, 'Rollcall: notification settings and roles as plain strings', [
    new Attribute('boolean', 'notifyPush', { description: 'Push notifications on' }),
    new Attribute('boolean', 'notifyEmail', { description: 'Email notifications on' }),
    new Attribute('boolean', 'notifySms', { description: 'SMS notifications on' }),
    new Attribute('boolean', 'notifyVoice', { description: 'Voice call notifications on' }),
    new Attribute('string', 'roles', { multiValued: true, canonicalValues: ['admin', 'billing', 'broadcaster', 'communicator'], description: 'Direct roles in the account (the same set as core roles)' }),
    new Attribute('boolean', 'noEmailToNotify', {
      mutable: false,
      description: 'True when the user has no email address: Rollcall cannot notify them by email (an IdP user without a mailbox)',
    }),
    new Attribute('boolean', 'invited', {
      mutable: false,
      description: 'True while the membership is an invitation: the person exists in another account and has not accepted yet; the user shows only what this account sent',
    }),
  ]);
  SCIMMY.Resources.declare(SCIMMY.Resources.User.extend(SCIMMY.Schemas.EnterpriseUser, false).extend(rollcall as unknown as Parameters<typeof SCIMMY.Resources.User.extend>[0], false));
  SCIMMY.Resources.declare(SCIMMY.Resources.Group);
  SCIMMY.Config.set({
    patch: true,
    bulk: { supported: true, maxOperations: LIMITS.bulkMaxOperations, maxPayloadSize: LIMITS.bulkMaxPayloadSize },
    filter: { supported: true, maxResults: LIMITS.maxResults },
    changePassword: false,
    sort: true,
    etag: true,
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: 'The account SCIM token: rollcall scim-token create --account ID, sent as "Authorization: Bearer <token>"',
        specUri: 'https://www.rfc-editor.org/info/rfc6750',
        primary: true,
      },
    ],
  });
  return SCIMMY;
}
