/**
 * The requests Okta and Microsoft Entra ID really send (issue 3, "What the IdPs really send"),
 * built as strings once per request so the load generator spends little time on them.
 */

export const SCIM_JSON = 'application/scim+json';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export type Json = Record<string, unknown>;

export function scimHeaders(token: string, withBody: boolean): Record<string, string> {
  return withBody
    ? { authorization: `Bearer ${token}`, accept: SCIM_JSON, 'content-type': SCIM_JSON }
    : { authorization: `Bearer ${token}`, accept: SCIM_JSON };
}

/** Okta's user lookup before it creates or links: `userName eq` with startIndex=1&count=100. */
export function oktaLookupPath(userName: string): string {
  return `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}&startIndex=1&count=100`;
}

/** Entra's lookup: the matching attribute alone, no paging parameters. */
export function entraLookupPath(userName: string): string {
  return `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`;
}

/** Okta's page of an import: count=100, startIndex stepping by 100. */
export function pagePath(startIndex: number, count = 100): string {
  return `/scim/v2/Users?startIndex=${startIndex}&count=${count}`;
}

/** Okta's create: password, locale, groups:[] (the password must never come back). */
export function oktaCreateBody(n: string): string {
  const userName = `okta.${n}@bench.example`;
  return JSON.stringify({
    schemas: [USER],
    userName,
    name: { givenName: 'Okta', familyName: `Bench ${n}` },
    emails: [{ primary: true, value: userName, type: 'work' }],
    displayName: `Okta Bench ${n}`,
    locale: 'en-US',
    externalId: `00u${n}`,
    groups: [],
    password: 'Bench-pass-1mz050nq',
    active: true,
  });
}

/** Entra's create: both schemas, externalId, formatted name, a mobile phone, enterprise fields. */
export function entraCreateBody(userName: string, n: string): string {
  return JSON.stringify({
    schemas: [USER, ENTERPRISE],
    externalId: `entra-${n}`,
    userName,
    active: true,
    displayName: `Entra Bench ${n}`,
    emails: [{ primary: true, type: 'work', value: userName }],
    meta: { resourceType: 'User' },
    name: { formatted: `Entra Bench ${n}`, familyName: `Bench ${n}`, givenName: 'Entra' },
    phoneNumbers: [{ type: 'mobile', value: '+1 415 555 0100' }],
    roles: [],
    [ENTERPRISE]: { department: 'Operations', employeeNumber: n },
  });
}

/** Entra's update after a lookup found the user: capitalised ops, value paths, enterprise attributes. */
export function entraPatchBody(n: number): string {
  return JSON.stringify({
    schemas: [PATCH_OP],
    Operations: [
      { op: 'Replace', path: 'displayName', value: `Entra Renamed ${n}` },
      { op: 'Replace', path: 'name.givenName', value: `Given${n}` },
      { op: 'Replace', path: `${ENTERPRISE}:department`, value: `Dept ${n % 17}` },
      { op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 415 555 0199' },
    ],
  });
}

/** Okta's full-object PUT: the user as it last read it (id, meta and all), with a changed name. */
export function oktaPutBody(user: Json, n: number): string {
  const name = (user.name as Json | undefined) ?? {};
  return JSON.stringify({ ...user, name: { ...name, givenName: `Put${n}` }, displayName: `Put ${n}` });
}

/** Okta's deactivate / reactivate: a pathless replace of active. */
export function oktaActiveBody(active: boolean): string {
  return JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active } }] });
}

/** Okta's group push: members added with a value list. */
export function oktaAddMemberBody(memberId: string): string {
  return JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: memberId, display: memberId }] }] });
}

/** Okta's group push: a member removed with a filter path. */
export function oktaRemoveMemberBody(memberId: string): string {
  return JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${memberId}"]` }] });
}

/** Entra's member removal: path members with a value list ($ref null). */
export function entraRemoveMemberBody(memberId: string): string {
  return JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'Remove', path: 'members', value: [{ $ref: null, value: memberId }] }] });
}

/** Entra's member addition. */
export function entraAddMemberBody(memberId: string): string {
  return JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'members', value: [{ $ref: null, value: memberId }] }] });
}
