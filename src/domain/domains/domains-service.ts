import { randomBytes } from 'node:crypto';
import { domainToASCII } from 'node:url';
import type { Knex } from 'knex';
import { findAccount } from '../accounts/accounts-store.js';
import { recordAudit } from '../audit/audit-service.js';
import { type Context, requireAccountManager, transact } from '../context.js';
import { Conflict, Invalid, NotFound, show, Unavailable } from '../errors.js';
import { newId } from '../ids.js';
import type { Page } from '../users/account-users-store.js';
import { DnsCheck } from './dns-check.js';
import {
  countDomains,
  deleteDomain,
  type DomainRow,
  findDomain,
  insertDomain,
  listDomains,
  listPeopleElsewhere,
  lockDomain,
  markDomainVerified,
  type PersonElsewhereRow,
  ssoAccountForDomain,
  verifiedDomainOwner,
} from './domains-store.js';

/**
 * Verified email domains (issue 12). An admin adds a domain and is given a TXT record to publish
 * at `_rollcall-challenge.<domain>`; verifying looks the record up in DNS and, when it holds the
 * domain's token, marks the domain verified for this account. One account at most verifies a
 * domain (a unique index says so too). A verified domain lets its account link people at it
 * (DESIGN rule 1), send them straight to its SSO from /login, and see the people there whom
 * another account created.
 */

export const CHALLENGE_LABEL = '_rollcall-challenge';
export const TOKEN_PREFIX = 'rollcall-domain-verification=';
/** Enough for any real organisation; a bound so that one account cannot fill the table. */
export const MAX_DOMAINS_PER_ACCOUNT = 100;

export interface TxtRecord {
  name: string;
  value: string;
}

/** The record an admin publishes to prove the domain. */
export function txtRecordOf(row: Pick<DomainRow, 'domain' | 'verification_token'>): TxtRecord {
  return { name: `${CHALLENGE_LABEL}.${row.domain}`, value: `${TOKEN_PREFIX}${row.verification_token}` };
}

const DOMAIN_ID = /^dom_[a-hj-km-np-z02-9]{20}$/;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * A domain as typed (any case, an optional final dot, international letters) -> its lower-cased
 * ASCII form, or Invalid naming why: a hostname of at least two labels, no wildcard, at most
 * 253 characters, a top-level label that is not a number (no IP addresses).
 */
export function normalizeDomain(value: string): string {
  if (value.length > 300) throw new Invalid('domain', `domain ${show(value)} is longer than 253 characters`);
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new Invalid('domain', 'domain must not contain control characters');
  let domain = value.trim().toLowerCase().replace(/\.$/, '');
  if (domain === '') throw new Invalid('domain', 'domain must not be empty: give a domain name such as example.com');
  if (domain.includes('*')) throw new Invalid('domain', `domain ${show(value)} is a wildcard: give the domain itself, such as example.com`);
  if (/[^\x20-\x7e]/.test(domain)) {
    const ascii = domainToASCII(domain);
    if (ascii === '') throw new Invalid('domain', `domain ${show(value)} is not a valid domain name`);
    domain = ascii;
  }
  if (domain.length > 253) throw new Invalid('domain', `domain ${show(value)} is longer than 253 characters`);
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l)) || !/[a-z]/.test(labels[labels.length - 1])) {
    throw new Invalid('domain', `domain ${show(value)} is not a domain name: give a name such as example.com (letters, digits and hyphens, labels of 1 to 63 characters, no scheme, path or @)`);
  }
  return domain;
}

/** The domain of an email address (after its last @), normalised; undefined when it has none. */
function domainOfEmail(email: string): string | undefined {
  const at = email.lastIndexOf('@');
  if (at < 1 || at === email.length - 1 || email.length > 320) return undefined;
  try {
    return normalizeDomain(email.slice(at + 1));
  } catch {
    return undefined;
  }
}

export interface DomainsServiceOptions {
  /** DNS servers for the TXT look-ups (DNS_RESOLVER); none = the system's. */
  dnsServers?: readonly string[];
}

export class DomainsService {
  private readonly dns: DnsCheck;

  constructor(
    private readonly db: Knex,
    options: DomainsServiceOptions = {},
  ) {
    this.dns = new DnsCheck({ servers: options.dnsServers });
  }

  /** Adds a domain to verify; answers it with the TXT record to publish. */
  async add(ctx: Context, domainText: string): Promise<{ row: DomainRow; record: TxtRecord }> {
    requireAccountManager(ctx, 'add domains');
    const domain = normalizeDomain(domainText);
    const row = await transact(this.db, async (trx) => {
      if (!(await findAccount(trx, ctx.accountId))) throw new NotFound('account', ctx.accountId);
      if ((await countDomains(trx, ctx.accountId)) >= MAX_DOMAINS_PER_ACCOUNT) {
        throw new Conflict(`This account already holds ${MAX_DOMAINS_PER_ACCOUNT} domains, the most it may: remove one first`);
      }
      const added = await insertDomain(trx, {
        id: newId('dom'),
        account_id: ctx.accountId,
        domain,
        // Published in DNS, so not a secret; random so that nobody else's record can verify ours.
        verification_token: randomBytes(24).toString('base64url'),
      });
      if (added === 'exists') throw new Conflict(`Domain ${domain} has already been added to this account`, 'domain');
      await recordAudit(trx, ctx, { action: 'domain.add', targetType: 'domain', targetId: added.id, changes: { domain } });
      return added;
    });
    return { row, record: txtRecordOf(row) };
  }

  async list(ctx: Context): Promise<DomainRow[]> {
    requireAccountManager(ctx, 'list domains');
    return transact(this.db, (trx) => listDomains(trx, ctx.accountId));
  }

  async get(ctx: Context, id: string): Promise<DomainRow> {
    requireAccountManager(ctx, 'read domains');
    // An id newId cannot have made names nothing: no query (and a 10 KB "id" never reaches the database).
    const row = DOMAIN_ID.test(id) ? await transact(this.db, (trx) => findDomain(trx, ctx.accountId, id)) : undefined;
    if (!row) throw missing(id);
    return row;
  }

  /** The account's row for a domain typed as a name (the CLI's --domain). */
  async findByName(ctx: Context, domainText: string): Promise<DomainRow> {
    const domain = normalizeDomain(domainText);
    const row = (await this.list(ctx)).find((d) => d.domain === domain);
    if (!row) throw new NotFound('domain', domain);
    return row;
  }

  /**
   * Looks the TXT record up and, when it holds this domain's value, marks the domain verified.
   * The look-up runs outside any transaction (no connection or lock is held while DNS answers).
   * Verifying a verified domain again answers it as it is.
   */
  async verify(ctx: Context, id: string): Promise<DomainRow> {
    const row = await this.get(ctx, id);
    if (row.verified_at) return row;
    const record = txtRecordOf(row);
    const found = await this.dns.lookupTxt(record.name);
    if (found.outcome === 'failed') {
      throw new Unavailable(`Could not check the TXT record at ${record.name}: ${found.reason}. Try again in a minute; if it keeps failing, check that the domain's name servers answer.`, 30);
    }
    if (found.outcome === 'absent') {
      throw new Invalid('domain', `No TXT record was found at ${record.name}: publish a TXT record named ${record.name} with the value "${record.value}", then verify again (a new record may take some minutes to be seen)`);
    }
    // A value pasted with its quotes into a DNS provider's form is read without them.
    if (!found.values.some((v) => v.trim().replace(/^"(.*)"$/, '$1') === record.value)) {
      const seen = found.values.slice(0, 5).map((v) => show(v)).join(', ') + (found.values.length > 5 ? `, and ${found.values.length - 5} more` : '');
      throw new Invalid('domain', `The TXT record at ${record.name} does not hold "${record.value}": found ${seen}`);
    }
    return transact(this.db, async (trx) => {
      const locked = await lockDomain(trx, ctx.accountId, id);
      if (!locked) throw missing(id); // removed while DNS answered
      if (locked.verified_at) return locked;
      const owner = await verifiedDomainOwner(trx, locked.domain);
      if (owner && owner !== ctx.accountId) throw verifiedElsewhere(locked.domain);
      const verified = await markDomainVerified(trx, ctx.accountId, id);
      if (verified === 'taken') throw verifiedElsewhere(locked.domain);
      if (!verified) throw missing(id);
      await recordAudit(trx, ctx, { action: 'domain.verify', targetType: 'domain', targetId: id, changes: { domain: locked.domain, txt_record: record.name } });
      return verified;
    });
  }

  async remove(ctx: Context, id: string): Promise<void> {
    requireAccountManager(ctx, 'remove domains');
    if (!DOMAIN_ID.test(id)) throw missing(id);
    await transact(this.db, async (trx) => {
      const removed = await deleteDomain(trx, ctx.accountId, id);
      if (!removed) throw missing(id);
      await recordAudit(trx, ctx, { action: 'domain.remove', targetType: 'domain', targetId: id, changes: { domain: removed.domain, was_verified: removed.verified_at !== null } });
    });
  }

  /**
   * People at the verified domain whom another account created (manages) and who are not members
   * of this account: what the domain's verifier is told of. Refused for a domain not yet
   * verified, so that adding a domain tells nobody who has an address there.
   */
  async peopleElsewhere(ctx: Context, id: string, page: Page): Promise<{ domain: DomainRow; rows: PersonElsewhereRow[]; total: number }> {
    const domain = await this.get(ctx, id);
    if (!domain.verified_at) throw new Conflict(`Domain ${domain.domain} is not verified yet: verify it first to see the people at it`);
    const { rows, total } = await transact(this.db, (trx) => listPeopleElsewhere(trx, ctx.accountId, domain.domain, page));
    return { domain, rows, total };
  }

  /** True when `accountId` has verified exactly this domain (any case). */
  async domainVerifiedBy(accountId: string, domain: string): Promise<boolean> {
    let normalized: string;
    try {
      normalized = normalizeDomain(domain);
    } catch {
      return false;
    }
    return (await transact(this.db, (trx) => verifiedDomainOwner(trx, normalized))) === accountId;
  }

  /**
   * SSO discovery on /login: the account whose SAML sign-in an email's owner should use (its
   * domain is verified by an account with SAML configured), or undefined. Reads the domain only,
   * never the address, so the answer is the same whether or not anyone has that address.
   */
  async ssoAccountForEmail(email: string): Promise<string | undefined> {
    const domain = domainOfEmail(email.trim());
    if (!domain) return undefined;
    return transact(this.db, (trx) => ssoAccountForDomain(trx, domain));
  }

  /** The operator's context (CLI) in the account named by its id. */
  static operator(accountId: string): Context {
    return { accountId, actor: { type: 'system' }, channel: 'cli' };
  }
}

/** Not found, in the same words whether the id is another account's or could never be one. */
function missing(id: string): NotFound {
  return new NotFound('domain', DOMAIN_ID.test(id) ? id : show(id));
}

function verifiedElsewhere(domain: string): Conflict {
  return new Conflict(`Domain ${domain} is already verified by another account: a domain belongs to one account only; that account must remove it first`, 'domain');
}
