import { type CacheProvider, type MultiSamlStrategy, type Profile, ValidateInResponseTo } from '@node-saml/passport-saml';
import { DOMParser } from '@xmldom/xmldom';
import type { Context } from '../domain/context.js';
import { isComplete, type SsoSettings } from '../domain/auth/sso-settings-service.js';
import { Invalid } from '../domain/errors.js';
import type { Services } from '../domain/services.js';
import { logger } from '../log.js';
import { AssertionRejected, assertionDetails, checkAssertion } from './assertion-checks.js';
import { runStrategy } from './run-strategy.js';
import { samlOptions, type SpEndpoints, spEndpoints } from './saml-options.js';
import { reasonOf } from './saml-router.js';
import { type AccountRequest, newSamlStrategy } from './saml-strategy.js';

/**
 * The admin console's test sign-in, on the SAML side (the rules are in the domain's
 * SamlTestsService): an AuthnRequest kept as the admin's test, and at the ACS, an answer to such a
 * request checked like a sign-in's and then only recorded. Nothing here sets a cookie or calls
 * the sign-in service.
 */

/** Request ids of test sign-ins: saved as the admin's test, looked up among tests only. */
function testRequestStore(services: Services, ctx: Context): CacheProvider {
  return {
    async saveAsync(key, value) {
      await services.samlTests.start(ctx, key);
      return { value, createdAt: Date.now() };
    },
    async getAsync(key) {
      const issuedAt = await services.samlTests.pending(ctx.accountId, key);
      return issuedAt ? issuedAt.toISOString() : null;
    },
    async removeAsync(key) {
      return key;
    },
  };
}

/** SP-initiated only: a test names its request, and the answer must name it back. */
function testOptions(services: Services, ctx: Context, settings: SsoSettings, sp: SpEndpoints) {
  return { ...samlOptions(services, settings, sp, testRequestStore(services, ctx)), validateInResponseTo: ValidateInResponseTo.always };
}

/** Starts a test sign-in for the admin: answers the IdP URL to send the browser to (the AuthnRequest). */
export async function startSamlTest(services: Services, publicUrl: string, ctx: Context): Promise<string> {
  const settings = await services.sso.get(ctx);
  if (!isComplete(settings)) throw new Invalid('sso', 'Set the identity provider (entity ID, SSO URL and a certificate) before testing the sign-in');
  const sp = spEndpoints(publicUrl, ctx.accountId);
  const request: AccountRequest = { query: {}, body: {}, headers: {}, url: sp.loginUrl, samlConfig: testOptions(services, ctx, settings, sp) };
  const outcome = await runStrategy(newSamlStrategy(), request);
  if (outcome.kind !== 'redirect') throw outcome.kind === 'error' ? outcome.error : new Error(`unexpected SAML outcome ${outcome.kind}`);
  return outcome.url;
}

/**
 * The request id the posted Response says it answers, when that is a test request of this
 * account. Read before any signature is checked, so it only decides which path checks the
 * response: a forged InResponseTo can turn a response into a test (signing nobody in), never a
 * test's response into a sign-in (the sign-in path refuses a verified test request id itself).
 */
export async function testRequestOf(services: Services, accountId: string, samlResponse: string): Promise<string | undefined> {
  let inResponseTo: string | null | undefined;
  try {
    const xml = Buffer.from(samlResponse, 'base64').toString('utf8');
    if (/<!DOCTYPE/i.test(xml)) return undefined;
    const doc = new DOMParser({ onError: () => undefined }).parseFromString(xml, 'text/xml');
    inResponseTo = doc.documentElement?.getAttribute('InResponseTo');
  } catch {
    return undefined; // the sign-in path gives the verdict on a document that cannot be read
  }
  if (!inResponseTo || inResponseTo.length > 200) return undefined;
  return (await services.samlTests.isTest(accountId, inResponseTo)) ? inResponseTo : undefined;
}

export interface TestAnswer {
  accountId: string;
  testId: string;
  settings: SsoSettings;
  sp: SpEndpoints;
  samlResponse: string;
  headers: AccountRequest['headers'];
  url: string;
  requestId?: string;
}

/** Checks a test's answer as a sign-in's would be checked (but JIT never runs) and records the result. */
export async function answerSamlTest(services: Services, strategy: MultiSamlStrategy, answer: TestAnswer): Promise<void> {
  const { accountId, testId, settings, sp, requestId } = answer;
  const refused = async (reason: string, message: string) => {
    logger.info('saml test sign-in refused', { account_id: accountId, reason });
    await services.samlTests.recordRefused(accountId, testId, reason, message, requestId);
  };
  // the test's own request store: the library's InResponseTo check finds the test request, and only it
  const ctx: Context = { accountId, actor: { type: 'system' }, channel: 'sso', requestId };
  const outcome = await runStrategy(strategy, {
    query: {},
    body: { SAMLResponse: answer.samlResponse },
    headers: answer.headers,
    url: answer.url,
    samlConfig: testOptions(services, ctx, settings, sp),
  } as AccountRequest);
  if (outcome.kind === 'error') {
    const message = outcome.error.message;
    const quotesDocument = /<|\[xmldom|line:|col:|parse/i.test(message);
    return refused(quotesDocument ? 'invalid_response' : reasonOf(message), quotesDocument ? 'The response could not be read as a SAML response.' : `${message.slice(0, 300)}`);
  }
  if (outcome.kind !== 'success') return refused('invalid_response', 'The response from the identity provider was not a sign-in.');
  const profile = outcome.user.profile as Profile;
  const assertionXml = profile.getAssertionXml?.() ?? '';
  let checked;
  try {
    checked = checkAssertion(assertionXml, profile.getSamlResponseXml?.() ?? '', settings, sp);
  } catch (err) {
    if (err instanceof AssertionRejected) return refused(err.reason, err.message);
    throw err;
  }
  if (checked.inResponseTo !== testId) return refused('in_response_to_mismatch', 'The signed assertion answers another request than this test.');
  const details = assertionDetails(assertionXml);
  await services.samlTests.recordAccepted(
    accountId,
    testId,
    { assertionId: checked.assertionId, nameId: checked.nameId, nameIdFormat: details.nameIdFormat, inResponseTo: checked.inResponseTo, validUntil: checked.validUntil, attributes: details.attributes },
    requestId,
  );
}
