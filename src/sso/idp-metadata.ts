import { DOMParser, type Element } from '@xmldom/xmldom';
import { Invalid } from '../domain/errors.js';
import type { SsoSettingsInput } from '../domain/auth/sso-settings-service.js';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';

/**
 * Reads an IdP's SAML metadata (what Okta and Entra ID offer as "IdP metadata" / "Federation
 * Metadata XML"): its entity id, its single sign-on URL (HTTP-Redirect binding, else HTTP-POST)
 * and every signing certificate (during a rotation the IdP lists the old and the new one).
 */
export function parseIdpMetadata(xml: string, field = 'idp_metadata_xml'): Required<Pick<SsoSettingsInput, 'idpEntityId' | 'idpSsoUrl' | 'idpCertificates'>> {
  if (/<!DOCTYPE/i.test(xml)) throw new Invalid(field, `${field} must not contain a DOCTYPE`);
  let entities: Element[];
  try {
    const doc = new DOMParser({ onError: (level, message) => { if (level !== 'warning') throw new Error(message); } }).parseFromString(xml, 'text/xml');
    entities = Array.from(doc.getElementsByTagNameNS(MD, 'EntityDescriptor'));
  } catch (err) {
    throw new Invalid(field, `${field} is not well-formed XML: ${(err as Error).message.split('\n')[0]}`);
  }
  const entity = entities.find((e) => e.getElementsByTagNameNS(MD, 'IDPSSODescriptor').length > 0);
  if (!entity) throw new Invalid(field, `${field} has no EntityDescriptor with an IDPSSODescriptor: is it the identity provider's metadata?`);
  const entityId = entity.getAttribute('entityID');
  if (!entityId) throw new Invalid(field, `${field}: the EntityDescriptor has no entityID`);
  const idp = entity.getElementsByTagNameNS(MD, 'IDPSSODescriptor')[0];

  const services = Array.from(idp.getElementsByTagNameNS(MD, 'SingleSignOnService'));
  const service = services.find((s) => s.getAttribute('Binding') === REDIRECT) ?? services.find((s) => s.getAttribute('Binding') === POST);
  const ssoUrl = service?.getAttribute('Location');
  if (!ssoUrl) throw new Invalid(field, `${field} names no SingleSignOnService with the HTTP-Redirect or HTTP-POST binding`);

  const certificates: string[] = [];
  for (const keyDescriptor of Array.from(idp.getElementsByTagNameNS(MD, 'KeyDescriptor'))) {
    const use = keyDescriptor.getAttribute('use');
    if (use && use !== 'signing') continue;
    for (const cert of Array.from(keyDescriptor.getElementsByTagNameNS(DS, 'X509Certificate'))) {
      const text = (cert.textContent ?? '').replace(/\s+/g, '');
      if (text && !certificates.includes(text)) certificates.push(text);
    }
  }
  if (certificates.length === 0) throw new Invalid(field, `${field} has no signing certificate (KeyDescriptor use="signing")`);
  return { idpEntityId: entityId, idpSsoUrl: ssoUrl, idpCertificates: certificates };
}
