import { startTestApp, type HttpResult, type TestAccount, type TestApp } from './test-app.js';

export type ScimRequest = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<HttpResult>;

/** The SCIM schema URNs as an identity provider writes them (spelled out here, not taken from the code under test). */
export const SCIM_URN = {
  user: 'urn:ietf:params:scim:schemas:core:2.0:User',
  group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  patchOp: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
} as const;

/** Requests to the app's SCIM endpoint with this SCIM token, bodies sent as application/scim+json. */
export function scimClient(app: TestApp, token: string): ScimRequest {
  return (method, path, body, headers = {}) => app.request(method, `/scim/v2${path}`, { token, body, headers: { 'content-type': 'application/scim+json', ...headers } });
}

/** A test app with one account and a SCIM token for it, as an IdP is connected. */
export async function startScimApp(accountName = 'Acme'): Promise<{ app: TestApp; account: TestAccount; req: ScimRequest }> {
  const app = await startTestApp();
  const account = await app.createAccount(accountName);
  return { app, account, req: scimClient(app, (await app.services.scimTokens.createAsOperator(account.accountId)).token) };
}
