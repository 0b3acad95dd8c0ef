import { escapeHtml } from '../web/html.js';
import type { SpEndpoints } from './saml-options.js';

/**
 * This account's service-provider metadata, for the console's download: the same names as
 * /sso/saml/:accountId/metadata (entity id, ACS URL, NameID format, signed assertions wanted),
 * written here because that endpoint, built by passport-saml, needs the IdP's certificate first,
 * and an admin usually gives the IdP our metadata before having its own.
 */
export function spMetadataXml(sp: SpEndpoints): string {
  const x = escapeHtml; // XML attribute escaping is the same
  return `<?xml version="1.0"?>
<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${x(sp.entityId)}">
  <SPSSODescriptor AuthnRequestsSigned="false" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</NameIDFormat>
    <AssertionConsumerService index="1" isDefault="true" Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${x(sp.acsUrl)}"/>
  </SPSSODescriptor>
</EntityDescriptor>
`;
}
