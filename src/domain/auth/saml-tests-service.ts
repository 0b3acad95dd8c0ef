import type { Knex } from 'knex';
import { recordAudit } from '../audit/audit-service.js';
import { type Context, requireAccountManager, transact } from '../context.js';
import { Forbidden, NotFound } from '../errors.js';
import { findSamlTestRequest, insertSamlTestRequest, recordSamlTestOutcome, recordUsedAssertion } from './saml-requests-store.js';
import { findMemberByNameId } from './sign-in-store.js';
import { SAML_REQUEST_LIFETIME_SECONDS } from './sso-settings-service.js';
import { findSsoSettings } from './sso-settings-store.js';

/** How long an admin can read a test's result once the IdP answered. */
export const SAML_TEST_RESULT_SECONDS = 60 * 60;

/** What an accepted test assertion carried, as the SAML adapter read it from the verified assertion. */
export interface SamlTestAssertion {
  assertionId: string;
  nameId: string;
  nameIdFormat?: string;
  inResponseTo: string | null;
  validUntil: Date;
  attributes: { name: string; values: string[] }[];
}

/** A test's result: what the assertion carried and who it names here, or why it was refused. */
export type SamlTestOutcome =
  | {
      ok: true;
      nameId: string;
      nameIdFormat?: string;
      attributes: { name: string; values: string[] }[];
      /** The member a real sign-in would be: the NameID is their user name or an email (sign-in-store findMemberByNameId). */
      member?: { accountUserId: string; active: boolean };
      /** No member: whether a real sign-in would create one (JIT). The test creates nobody. */
      jit: boolean;
    }
  | { ok: false; reason: string; message: string };

export interface SamlTestResult {
  id: string;
  startedAt: Date;
  /** Undefined while the IdP has not answered. */
  outcome?: SamlTestOutcome;
}

/**
 * The admin console's "test sign-in" (issue 15): an AuthnRequest marked as a test of the admin who
 * started it, whose answer is checked like a sign-in's (signature, issuer, audience, recipient,
 * times, replay) and then only recorded: nobody is signed in, no session opened, no member created.
 * The request is kept apart from real ones (saml-requests-store.ts), so that its answer cannot be
 * presented for a sign-in; an IdP-initiated response names no request, so it is never a test.
 */
export class SamlTestsService {
  constructor(private readonly db: Knex) {}

  /** Marks the AuthnRequest `requestId` (just generated) as this admin's test. */
  async start(ctx: Context, requestId: string): Promise<void> {
    requireAccountManager(ctx, 'test single sign-on');
    if (ctx.actor.type !== 'account_user') throw new Forbidden('A test sign-in is started by an admin in the console');
    const accountUserId = ctx.actor.accountUserId;
    await transact(this.db, async (trx) => {
      await insertSamlTestRequest(trx, ctx.accountId, requestId, accountUserId, SAML_REQUEST_LIFETIME_SECONDS);
      await recordAudit(trx, ctx, { action: 'sso.test_started', targetType: 'account', targetId: ctx.accountId, changes: { request_id: requestId } });
    });
  }

  /** When the test request was issued, if it is still waiting for its answer (the SAML library's InResponseTo check). */
  async pending(accountId: string, requestId: string): Promise<Date | undefined> {
    const row = await transact(this.db, (trx) => findSamlTestRequest(trx, accountId, requestId));
    return row && row.test_outcome === null ? new Date(row.created_at) : undefined;
  }

  /** Whether `requestId` names a test request of the account (answered or not): such an answer is never a sign-in. */
  async isTest(accountId: string, requestId: string): Promise<boolean> {
    return (await transact(this.db, (trx) => findSamlTestRequest(trx, accountId, requestId))) !== undefined;
  }

  /** Records an accepted test assertion: who it names here. The assertion id is spent, as a sign-in's would be. */
  async recordAccepted(accountId: string, requestId: string, assertion: SamlTestAssertion, auditRequestId?: string): Promise<SamlTestOutcome> {
    return transact(this.db, async (trx) => {
      const settings = await findSsoSettings(trx, accountId);
      if (!settings) throw new NotFound('account', accountId);
      const fresh = await recordUsedAssertion(trx, accountId, assertion.assertionId, assertion.validUntil);
      let outcome: SamlTestOutcome;
      if (!fresh) {
        outcome = { ok: false, reason: 'replayed', message: 'This response was already used once: the IdP must issue a new assertion for every sign-in.' };
      } else {
        const member = await findMemberByNameId(trx, accountId, assertion.nameId);
        outcome = {
          ok: true,
          nameId: assertion.nameId,
          nameIdFormat: assertion.nameIdFormat,
          attributes: assertion.attributes,
          member: member && { accountUserId: member.account_user_id, active: member.active },
          jit: settings.sso_jit,
        };
      }
      await this.store(trx, accountId, requestId, outcome, auditRequestId);
      return outcome;
    });
  }

  /** Records why a test answer was refused (the reason the sign-in would have been refused with). */
  async recordRefused(accountId: string, requestId: string, reason: string, message: string, auditRequestId?: string): Promise<void> {
    await transact(this.db, (trx) => this.store(trx, accountId, requestId, { ok: false, reason, message }, auditRequestId));
  }

  private async store(trx: Knex.Transaction, accountId: string, requestId: string, outcome: SamlTestOutcome, auditRequestId?: string): Promise<void> {
    if (!(await recordSamlTestOutcome(trx, accountId, requestId, outcome, SAML_TEST_RESULT_SECONDS))) return; // answered already: the first answer stands
    const ctx: Context = { accountId, actor: { type: 'system' }, channel: 'sso', requestId: auditRequestId };
    await recordAudit(trx, ctx, {
      action: 'sso.test_answered',
      targetType: 'account',
      targetId: accountId,
      changes: outcome.ok ? { request_id: requestId, ok: true, name_id: outcome.nameId, account_user_id: outcome.member?.accountUserId ?? null } : { request_id: requestId, ok: false, reason: outcome.reason },
    });
  }

  /** The test's result, for the admin who started it only (anyone else: not found). */
  async result(ctx: Context, requestId: string): Promise<SamlTestResult> {
    requireAccountManager(ctx, 'read a test sign-in');
    const row = await transact(this.db, (trx) => findSamlTestRequest(trx, ctx.accountId, requestId));
    if (!row || ctx.actor.type !== 'account_user' || row.test_by_account_user_id !== ctx.actor.accountUserId) throw new NotFound('test sign-in', requestId);
    const outcome = typeof row.test_outcome === 'string' ? (JSON.parse(row.test_outcome) as SamlTestOutcome) : ((row.test_outcome ?? undefined) as SamlTestOutcome | undefined);
    return { id: row.id, startedAt: new Date(row.created_at), outcome };
  }
}
