import type { HttpResult, TestApp } from './test-app.js';

export type ScimRequest = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<HttpResult>;

/** Requests to the app's SCIM endpoint with this SCIM token, bodies sent as application/scim+json. */
export function scimClient(app: TestApp, token: string): ScimRequest {
  return (method, path, body, headers = {}) => app.request(method, `/scim/v2${path}`, { token, body, headers: { 'content-type': 'application/scim+json', ...headers } });
}
