import express, { type ErrorRequestHandler, type Request, Router } from 'express';
import type { Profile } from '@node-saml/passport-saml';
import type { Config } from '../config.js';
import { SamlSignInRefused } from '../domain/auth/sign-in-service.js';
import { isComplete, type SsoSettings } from '../domain/auth/sso-settings-service.js';
import { DomainError, NotFound } from '../domain/errors.js';
import type { Services } from '../domain/services.js';
import { countedSignIn, metricsOf } from '../http/metrics.js';
import { safeReturnPath, setSessionCookie } from '../http/session-cookie.js';
import { logger } from '../log.js';
import { sendErrorPage, statusOf, webErrorHandler } from '../web/errors.js';
import { isIdOf } from '../domain/id-shape.js';
import { AssertionRejected, checkAssertion } from './assertion-checks.js';
import { refuseSamlResponse } from './response-limits.js';
import { runStrategy, type StrategyRequest } from './run-strategy.js';
import { samlOptions, type SpEndpoints, spEndpoints } from './saml-options.js';
import { type AccountRequest, newSamlStrategy } from './saml-strategy.js';
import { answerSamlTest, testRequestOf } from './saml-test.js';

/** A refusal reason for the audit trail, from passport-saml's error messages (never the response itself). */
export function reasonOf(message: string): string {
  const m = message.toLowerCase();
  if (m.includes('audience')) return 'wrong_audience';
  if (m.includes('expired') || m.includes('not yet valid') || m.includes('too old') || m.includes('no valid subject confirmation')) return 'expired';
  if (m.includes('inresponseto')) return 'unknown_request';
  if (m.includes('signature')) return 'bad_signature';
  if (m.includes('saml provider returned')) return 'idp_error';
  return 'invalid_response';
}

/**
 * SAML 2.0 service provider, one per account: /sso/saml/:accountId/metadata, /login (SP-initiated,
 * HTTP-Redirect) and /acs (HTTP-POST). passport-saml's MultiSamlStrategy checks the signature,
 * audience, times and InResponseTo (against request ids kept in the database); assertion-checks
 * adds issuer, recipient and destination; the sign-in service consumes the request id, refuses a
 * replayed assertion id and applies membership rules.
 */
export function samlRouter(services: Services, config: Pick<Config, 'publicUrl' | 'bodyLimitBytes'>): Router {
  const router = Router();
  const strategy = newSamlStrategy();

  const configured = async (req: Request<{ accountId: string }>): Promise<{ settings: SsoSettings; sp: SpEndpoints }> => {
    // an account id that cannot be one (a NUL, 10 KB) names no account: 404 without a query
    if (!isIdOf(req.params.accountId, 'acc')) throw new NotFound('SSO configuration of account', JSON.stringify(req.params.accountId.slice(0, 60)));
    const settings = await services.sso.forAccount(req.params.accountId);
    if (!isComplete(settings)) throw new NotFound('SSO configuration of account', req.params.accountId);
    return { settings, sp: spEndpoints(config.publicUrl, settings.accountId) };
  };
  const strategyRequest = (req: Request, settings: SsoSettings, sp: SpEndpoints, parts: Pick<StrategyRequest, 'query' | 'body'>): AccountRequest => ({
    ...parts,
    headers: req.headers,
    url: req.originalUrl,
    samlConfig: samlOptions(services, settings, sp),
  });

  router.get('/:accountId/metadata', async (req, res) => {
    const { settings, sp } = await configured(req);
    const metadata = await new Promise<string>((resolve, reject) =>
      strategy.generateServiceProviderMetadata(strategyRequest(req, settings, sp, { query: {}, body: {} }) as never, null, null, (err, xml) => (err ? reject(err) : resolve(xml!))),
    );
    res.type('application/samlmetadata+xml').send(metadata);
  });

  router.get('/:accountId/login', async (req, res) => {
    const { settings, sp } = await configured(req);
    const asked = req.query.RelayState ?? req.query.return_to;
    const relayState = asked === undefined ? '/' : safeReturnPath(asked, config.publicUrl);
    if (!relayState) return sendErrorPage(res, 400, 'Not accepted', 'RelayState must be a path inside Rollcall, such as /');
    const outcome = await runStrategy(strategy, strategyRequest(req, settings, sp, { query: { RelayState: relayState }, body: {} }));
    if (outcome.kind !== 'redirect') throw outcome.kind === 'error' ? outcome.error : new Error(`unexpected SAML outcome ${outcome.kind}`);
    res.set('Cache-Control', 'no-store');
    res.redirect(302, outcome.url);
  });

  router.post('/:accountId/acs', express.urlencoded({ extended: false, limit: config.bodyLimitBytes }), async (req, res) => {
    const accountId = req.params.accountId;
    const requestId = res.locals.requestId as string | undefined;
    const body = (req.body ?? {}) as Record<string, unknown>;
    const samlResponse = typeof body.SAMLResponse === 'string' ? body.SAMLResponse : undefined;
    const relayState = typeof body.RelayState === 'string' ? body.RelayState : undefined;
    const { settings, sp } = await configured(req);
    // The log names the reason and the library's diagnosis, never the SAML response itself.
    const refuse = async (reason: string, message: string, diagnosis = message) => {
      logger.warn('saml sign-in refused', { account_id: accountId, reason, detail: diagnosis });
      metricsOf(res)?.signIn('saml', reason);
      await services.signIn.recordSamlRefusal(accountId, reason, requestId);
      sendErrorPage(res, 403, 'Sign-in refused', `Single sign-on could not sign you in: ${message}. Start again from the sign-in page.`);
    };
    if (!samlResponse) return refuse('no_response', 'no SAML response was posted');
    const tooBig = refuseSamlResponse(samlResponse);
    if (tooBig) {
      logger.warn('saml sign-in refused', { account_id: accountId, reason: tooBig.reason });
      metricsOf(res)?.signIn('saml', tooBig.reason);
      return sendErrorPage(res, 400, 'Not accepted', `Single sign-on could not read the response: ${tooBig.message}. Start again from the sign-in page.`);
    }

    // An answer to an admin's test sign-in (the console): checked the same way, recorded, never a sign-in.
    const testId = await testRequestOf(services, accountId, samlResponse);
    if (testId) {
      await answerSamlTest(services, strategy, { accountId, testId, settings, sp, samlResponse, headers: req.headers, url: req.originalUrl, requestId });
      res.set('Cache-Control', 'no-store');
      return res.redirect(303, `/admin/sso/test/${encodeURIComponent(testId)}`);
    }

    const outcome = await runStrategy(strategy, strategyRequest(req, settings, sp, { query: {}, body: { SAMLResponse: samlResponse, RelayState: relayState } }));
    if (outcome.kind === 'error') {
      // An XML parser's message quotes the document: the log says only that it could not be read.
      const message = outcome.error.message;
      const quotesDocument = /<|\[xmldom|line:|col:|parse/i.test(message);
      const reason = quotesDocument ? 'invalid_response' : reasonOf(message);
      const diagnosis = quotesDocument || reason === 'invalid_response' ? `${outcome.error.name}: the response could not be read as a SAML response` : message.slice(0, 300);
      return refuse(reason, 'the response from your identity provider is not valid for this account', diagnosis);
    }
    if (outcome.kind !== 'success') return refuse('invalid_response', 'the response from your identity provider was not a sign-in');
    const profile = outcome.user.profile as Profile;

    let assertion;
    try {
      assertion = checkAssertion(profile.getAssertionXml?.() ?? '', profile.getSamlResponseXml?.() ?? '', settings, sp);
    } catch (err) {
      if (err instanceof AssertionRejected) return refuse(err.reason, err.message.replace(/\.$/, ''));
      throw err;
    }
    // Whatever the Response around it said, a signed answer to a test request is never a sign-in.
    if (assertion.inResponseTo && (await services.samlTests.isTest(accountId, assertion.inResponseTo))) {
      return refuse('test_response', 'this response answers a test sign-in, which signs nobody in');
    }
    try {
      const { credential } = await countedSignIn(res, 'saml', services.signIn.signInWithSaml(accountId, assertion, { clientAddress: req.ip, requestId }));
      if (credential.kind !== 'session') throw new Error('expected a session');
      setSessionCookie(res, credential.secret, credential.expiresAt, config.publicUrl);
    } catch (err) {
      if (err instanceof SamlSignInRefused) return sendErrorPage(res, 403, 'Sign-in refused', err.message);
      throw err;
    }
    res.set('Cache-Control', 'no-store');
    res.redirect(303, safeReturnPath(relayState, config.publicUrl) ?? '/');
  });

  router.use(((err, req, res, next) => {
    if (err instanceof DomainError) return sendErrorPage(res, statusOf(err, res), 'Single sign-on', err.message);
    webErrorHandler(err, req, res, next);
  }) as ErrorRequestHandler);
  return router;
}

