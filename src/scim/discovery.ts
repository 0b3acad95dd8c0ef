import type { Json } from './call.js';
import { declareScimmy } from './schemas.js';

/**
 * /ServiceProviderConfig, /ResourceTypes and /Schemas, written by scimmy from the declarations in
 * schemas.ts. Their locations use the one base URL set here once: scimmy keeps basepaths as
 * process-wide state, so it is never set per request (DESIGN.md section 6).
 */

let configuredBase: string | undefined;

function scimmy(baseUrl: string) {
  const SCIMMY = declareScimmy();
  if (configuredBase !== baseUrl) {
    configuredBase = baseUrl;
    SCIMMY.Resources.Schema.basepath(baseUrl);
    SCIMMY.Resources.ResourceType.basepath(baseUrl);
    SCIMMY.Resources.ServiceProviderConfig.basepath(baseUrl);
    SCIMMY.Resources.User.basepath(baseUrl);
    SCIMMY.Resources.Group.basepath(baseUrl);
  }
  return SCIMMY;
}

const plain = (value: unknown): Json => JSON.parse(JSON.stringify(value)) as Json;

export async function serviceProviderConfig(baseUrl: string): Promise<Json> {
  const SCIMMY = scimmy(baseUrl);
  return plain(await new SCIMMY.Resources.ServiceProviderConfig().read());
}

export async function resourceTypes(baseUrl: string, id?: string): Promise<Json> {
  const SCIMMY = scimmy(baseUrl);
  return plain(await (id === undefined ? new SCIMMY.Resources.ResourceType() : new SCIMMY.Resources.ResourceType(id)).read());
}

export async function schemas(baseUrl: string, id?: string): Promise<Json> {
  const SCIMMY = scimmy(baseUrl);
  return plain(await (id === undefined ? new SCIMMY.Resources.Schema() : new SCIMMY.Resources.Schema(id)).read());
}
