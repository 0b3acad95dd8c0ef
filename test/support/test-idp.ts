import 'reflect-metadata'; // @peculiar/x509 needs it (tsyringe)
import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { SignedXml } from 'xml-crypto';

/**
 * A SAML identity provider made in the tests: an RSA key and a self-signed certificate generated
 * at run time, responses built as XML and signed with xml-crypto. No network, nothing stored.
 */

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALG = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 } as const;
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';

export interface SigningKey {
  privateKeyPem: string;
  certificatePem: string;
  /** The certificate's base64 body, as IdP metadata and admin consoles show it. */
  certificateBase64: string;
}

export async function generateSigningKey(commonName = 'Rollcall Test IdP'): Promise<SigningKey> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(8).toString('hex'),
    name: `CN=${commonName}`,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + 365 * 24 * 3600_000),
    signingAlgorithm: ALG,
    keys,
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  const privateKeyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
  const certificatePem = cert.toString('pem');
  return { privateKeyPem, certificatePem, certificateBase64: cert.toString('base64') };
}

export interface ResponseOptions {
  nameId: string;
  /** The SP's ACS URL: Recipient (and Destination unless given). */
  acsUrl: string;
  /** The SP entity id the assertion is for. */
  audience: string;
  inResponseTo?: string;
  issuer?: string;
  destination?: string | null;
  notBefore?: Date;
  notOnOrAfter?: Date;
  assertionId?: string;
  signAssertion?: boolean;
  signResponse?: boolean;
  /** Sign with this key instead of the IdP's own. */
  key?: SigningKey;
  attributes?: Record<string, string>;
}

const esc = (v: string) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
export const newSamlId = (): string => `_${randomBytes(16).toString('hex')}`;

function sign(xml: string, key: SigningKey, elementXpath: string, issuerXpath: string): string {
  const sig = new SignedXml({ privateKey: key.privateKeyPem, publicCert: key.certificatePem, signatureAlgorithm: RSA_SHA256, canonicalizationAlgorithm: EXC_C14N });
  sig.addReference({ xpath: elementXpath, digestAlgorithm: SHA256, transforms: [ENVELOPED, EXC_C14N] });
  sig.computeSignature(xml, { location: { reference: issuerXpath, action: 'after' } });
  return sig.getSignedXml();
}

export class TestIdp {
  constructor(
    readonly entityId: string,
    readonly ssoUrl: string,
    readonly key: SigningKey,
  ) {}

  static async create(options: { entityId?: string; ssoUrl?: string; key?: SigningKey } = {}): Promise<TestIdp> {
    return new TestIdp(options.entityId ?? 'http://idp.test/metadata', options.ssoUrl ?? 'http://127.0.0.1:9/sso', options.key ?? (await generateSigningKey()));
  }

  /** IdP metadata as Okta or Entra ID offer it; extra certificates appear as during a key rotation. */
  metadataXml(extraCertificates: string[] = []): string {
    const keyDescriptor = (cert: string) =>
      `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`;
    return `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${esc(this.entityId)}">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    ${[this.key.certificateBase64, ...extraCertificates].map(keyDescriptor).join('\n    ')}
    <md:NameIDFormat>${EMAIL_FORMAT}</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${esc(this.ssoUrl)}"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${esc(this.ssoUrl)}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;
  }

  /** A Response as XML (signed as asked). */
  responseXml(o: ResponseOptions): string {
    const now = Date.now();
    const issueInstant = new Date(now).toISOString();
    const notBefore = (o.notBefore ?? new Date(now - 30_000)).toISOString();
    const notOnOrAfter = (o.notOnOrAfter ?? new Date(now + 5 * 60_000)).toISOString();
    const issuer = esc(o.issuer ?? this.entityId);
    const assertionId = o.assertionId ?? newSamlId();
    const inResponseTo = o.inResponseTo ? ` InResponseTo="${esc(o.inResponseTo)}"` : '';
    const destination = o.destination === null ? '' : ` Destination="${esc(o.destination ?? o.acsUrl)}"`;
    const attributes = Object.entries(o.attributes ?? {})
      .map(([name, value]) => `<saml:Attribute Name="${esc(name)}"><saml:AttributeValue>${esc(value)}</saml:AttributeValue></saml:Attribute>`)
      .join('');
    const assertion =
      `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${assertionId}" Version="2.0" IssueInstant="${issueInstant}">` +
      `<saml:Issuer>${issuer}</saml:Issuer>` +
      `<saml:Subject><saml:NameID Format="${EMAIL_FORMAT}">${esc(o.nameId)}</saml:NameID>` +
      `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="${notOnOrAfter}" Recipient="${esc(o.acsUrl)}"${inResponseTo}/></saml:SubjectConfirmation></saml:Subject>` +
      `<saml:Conditions NotBefore="${notBefore}" NotOnOrAfter="${notOnOrAfter}"><saml:AudienceRestriction><saml:Audience>${esc(o.audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
      `<saml:AuthnStatement AuthnInstant="${issueInstant}" SessionIndex="${newSamlId()}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
      (attributes ? `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>` : '') +
      `</saml:Assertion>`;
    let xml =
      `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${newSamlId()}" Version="2.0" IssueInstant="${issueInstant}"${destination}${inResponseTo}>` +
      `<saml:Issuer>${issuer}</saml:Issuer>` +
      `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
      assertion +
      `</samlp:Response>`;
    const key = o.key ?? this.key;
    if (o.signAssertion ?? true) xml = sign(xml, key, "//*[local-name(.)='Assertion']", "//*[local-name(.)='Assertion']/*[local-name(.)='Issuer']");
    if (o.signResponse) xml = sign(xml, key, "/*[local-name(.)='Response']", "/*[local-name(.)='Response']/*[local-name(.)='Issuer']");
    return xml;
  }

  /** The SAMLResponse form value: base64 of the XML. */
  response(o: ResponseOptions): string {
    return encode(this.responseXml(o));
  }
}

export const encode = (xml: string): string => Buffer.from(xml, 'utf8').toString('base64');
export const decode = (value: string): string => Buffer.from(value, 'base64').toString('utf8');
