import { DOMParser, type Element } from '@xmldom/xmldom';
import type { VerifiedAssertion } from '../domain/auth/sign-in-service.js';
import type { SsoSettings } from '../domain/auth/sso-settings-service.js';
import { CLOCK_SKEW_MS, type SpEndpoints } from './saml-options.js';

const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';

/** A response passport-saml accepted but our own checks refuse; `reason` goes to the audit trail. */
export class AssertionRejected extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'AssertionRejected';
  }
}

function parse(xml: string): Element {
  const doc = new DOMParser({ onError: (level, message) => { if (level !== 'warning') throw new Error(message); } }).parseFromString(xml, 'text/xml');
  if (!doc.documentElement) throw new AssertionRejected('malformed', 'The SAML message is not well-formed XML');
  return doc.documentElement;
}

function children(parent: Element, ns: string, name: string): Element[] {
  return Array.from(parent.childNodes).filter((n): n is Element => n.nodeType === 1 && (n as Element).namespaceURI === ns && (n as Element).localName === name);
}

function child(parent: Element, ns: string, name: string): Element | undefined {
  return children(parent, ns, name)[0];
}

function time(value: string | null): number | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

function attributeValue(assertion: Element, names: readonly string[]): string | undefined {
  for (const statement of children(assertion, SAML, 'AttributeStatement')) {
    for (const attribute of children(statement, SAML, 'Attribute')) {
      if (!names.includes(attribute.getAttribute('Name') ?? '')) continue;
      const value = child(attribute, SAML, 'AttributeValue')?.textContent?.trim();
      if (value) return value;
    }
  }
  return undefined;
}

/**
 * What passport-saml does not check, checked on the assertion it verified (never on the raw
 * document, which may carry a second, unsigned copy): the issuer is this account's IdP; the
 * bearer confirmation names our ACS URL as Recipient and is still valid; the Response's
 * Destination (when given) is our ACS URL; the InResponseTo of the signed subject agrees with the
 * Response's. Answers what the sign-in service needs.
 */
export function checkAssertion(verifiedAssertionXml: string, responseXml: string, settings: SsoSettings, sp: SpEndpoints, now = Date.now()): VerifiedAssertion {
  const assertion = parse(verifiedAssertionXml);
  const response = parse(responseXml);
  if (assertion.localName !== 'Assertion' || assertion.namespaceURI !== SAML) throw new AssertionRejected('malformed', 'The signed element is not a SAML assertion');

  const issuer = child(assertion, SAML, 'Issuer')?.textContent?.trim();
  if (!issuer || issuer !== settings.idpEntityId) {
    throw new AssertionRejected('wrong_issuer', `The assertion was issued by ${JSON.stringify(issuer ?? '')}, not by this account's identity provider`);
  }
  const responseIssuer = response.namespaceURI === SAMLP ? child(response, SAML, 'Issuer')?.textContent?.trim() : undefined;
  if (responseIssuer !== undefined && responseIssuer !== settings.idpEntityId) {
    throw new AssertionRejected('wrong_issuer', `The response was issued by ${JSON.stringify(responseIssuer)}, not by this account's identity provider`);
  }
  const destination = response.getAttribute('Destination');
  if (destination && destination !== sp.acsUrl) {
    throw new AssertionRejected('wrong_destination', 'The response is addressed to another service (Destination)');
  }

  const assertionId = assertion.getAttribute('ID');
  if (!assertionId) throw new AssertionRejected('malformed', 'The assertion has no ID');
  const subject = child(assertion, SAML, 'Subject');
  const nameId = subject && child(subject, SAML, 'NameID')?.textContent?.trim();
  if (!subject || !nameId) throw new AssertionRejected('no_name_id', 'The assertion names nobody (no NameID)');

  const bearer = children(subject, SAML, 'SubjectConfirmation').filter((c) => c.getAttribute('Method') === BEARER);
  const data = bearer.map((c) => child(c, SAML, 'SubjectConfirmationData')).filter((d): d is Element => !!d);
  const forUs = data.filter((d) => d.getAttribute('Recipient') === sp.acsUrl);
  if (forUs.length === 0) throw new AssertionRejected('wrong_recipient', 'The assertion is meant for another service (Recipient)');
  const valid = forUs.find((d) => {
    const notOnOrAfter = time(d.getAttribute('NotOnOrAfter'));
    const notBefore = time(d.getAttribute('NotBefore'));
    return notOnOrAfter !== undefined && now - CLOCK_SKEW_MS < notOnOrAfter && (notBefore === undefined || now + CLOCK_SKEW_MS >= notBefore);
  });
  if (!valid) throw new AssertionRejected('expired', 'The assertion has expired (SubjectConfirmationData NotOnOrAfter)');

  const responseInResponseTo = response.getAttribute('InResponseTo') || null;
  const subjectInResponseTo = valid.getAttribute('InResponseTo') || null;
  if (responseInResponseTo && subjectInResponseTo && responseInResponseTo !== subjectInResponseTo) {
    throw new AssertionRejected('in_response_to_mismatch', 'The response and its assertion answer different requests');
  }

  const conditions = child(assertion, SAML, 'Conditions');
  const until = Math.max(time(valid.getAttribute('NotOnOrAfter')) ?? 0, time(conditions?.getAttribute('NotOnOrAfter') ?? null) ?? 0);
  return {
    assertionId,
    nameId,
    inResponseTo: subjectInResponseTo ?? responseInResponseTo,
    validUntil: new Date(until + CLOCK_SKEW_MS),
    email: attributeValue(assertion, ['email', 'mail', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress', 'urn:oid:0.9.2342.19200300.100.1.3']),
    name: attributeValue(assertion, ['displayName', 'name', 'http://schemas.microsoft.com/identity/claims/displayname']),
    givenName: attributeValue(assertion, ['firstName', 'givenName', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname']),
    familyName: attributeValue(assertion, ['lastName', 'surname', 'sn', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname']),
  };
}

const MAX_ATTRIBUTES = 50;
const MAX_VALUES = 20;
const MAX_VALUE_CHARS = 500;

/**
 * Everything the (verified) assertion says about its subject, for the console's test sign-in: the
 * NameID's format and every attribute with its values, bounded so that an odd IdP cannot store a
 * megabyte. Never logged.
 */
export function assertionDetails(verifiedAssertionXml: string): { nameIdFormat?: string; attributes: { name: string; values: string[] }[] } {
  const assertion = parse(verifiedAssertionXml);
  const subject = child(assertion, SAML, 'Subject');
  const nameIdFormat = (subject && child(subject, SAML, 'NameID')?.getAttribute('Format')) || undefined;
  const attributes: { name: string; values: string[] }[] = [];
  for (const statement of children(assertion, SAML, 'AttributeStatement')) {
    for (const attribute of children(statement, SAML, 'Attribute')) {
      if (attributes.length >= MAX_ATTRIBUTES) break;
      const values = children(attribute, SAML, 'AttributeValue')
        .slice(0, MAX_VALUES)
        .map((v) => (v.textContent ?? '').trim().slice(0, MAX_VALUE_CHARS));
      attributes.push({ name: (attribute.getAttribute('Name') ?? '').slice(0, MAX_VALUE_CHARS), values });
    }
  }
  return { nameIdFormat, attributes };
}
