import { domainToASCII } from 'node:url';
import type { Queryable } from '../../db/database.js';
import { isUniqueViolation, violatedConstraint } from '../../db/errors.js';
import type { Page } from '../users/account-users-store.js';

/** The only place that runs SQL on account_domains (and the reads that join it to people). */

export interface DomainRow {
  id: string;
  account_id: string;
  /** Lower-cased, as validated by the service. */
  domain: string;
  verification_token: string;
  created_at: Date;
  verified_at: Date | null;
}

const COLUMNS = ['id', 'account_id', 'domain', 'verification_token', 'created_at', 'verified_at'] as const;

/** Unique indexes of migration 015: one row per domain and account; one verifier per domain. */
const ACCOUNT_DOMAIN_UNIQUE = 'account_domains_account_domain_unique';
const VERIFIED_UNIQUE = 'account_domains_verified_unique';

const violates = (err: unknown, index: string): boolean => isUniqueViolation(err) && violatedConstraint(err) === index;

/** Answers the new row, or 'exists' when the account already has the domain. */
export async function insertDomain(q: Queryable, row: Pick<DomainRow, 'id' | 'account_id' | 'domain' | 'verification_token'>): Promise<DomainRow | 'exists'> {
  try {
    const [inserted] = (await q('account_domains').insert(row).returning(COLUMNS)) as DomainRow[];
    return inserted;
  } catch (err) {
    if (violates(err, ACCOUNT_DOMAIN_UNIQUE)) return 'exists';
    throw err;
  }
}

export async function findDomain(q: Queryable, accountId: string, id: string): Promise<DomainRow | undefined> {
  return (await q('account_domains').where({ account_id: accountId, id }).first(COLUMNS)) as DomainRow | undefined;
}

/** The row, locked until the transaction ends (verify and remove do not cross). */
export async function lockDomain(q: Queryable, accountId: string, id: string): Promise<DomainRow | undefined> {
  return (await q('account_domains').where({ account_id: accountId, id }).forUpdate().first(COLUMNS)) as DomainRow | undefined;
}

export async function countDomains(q: Queryable, accountId: string): Promise<number> {
  const row = (await q('account_domains').where({ account_id: accountId }).count({ n: '*' }).first()) as { n: number | string } | undefined;
  return Number(row?.n ?? 0);
}

/** The account's domains, alphabetically. */
export async function listDomains(q: Queryable, accountId: string): Promise<DomainRow[]> {
  return (await q('account_domains').where({ account_id: accountId }).orderBy([{ column: 'domain' }, { column: 'id' }]).select(COLUMNS)) as DomainRow[];
}

/**
 * Marks the row verified and answers it; 'taken' when another account verified the domain first
 * (the partial unique index decides, so two accounts verifying at once cannot both win).
 */
export async function markDomainVerified(q: Queryable, accountId: string, id: string): Promise<DomainRow | 'taken' | undefined> {
  try {
    const [row] = (await q('account_domains').where({ account_id: accountId, id }).update({ verified_at: q.fn.now() }).returning(COLUMNS)) as DomainRow[];
    return row;
  } catch (err) {
    if (violates(err, VERIFIED_UNIQUE)) return 'taken';
    throw err;
  }
}

export async function deleteDomain(q: Queryable, accountId: string, id: string): Promise<DomainRow | undefined> {
  const [row] = (await q('account_domains').where({ account_id: accountId, id }).del().returning(COLUMNS)) as DomainRow[];
  return row;
}

/**
 * The account that has verified exactly this domain (case-insensitive; no parent or sub-domain
 * counts), or undefined. For the rule that links a person at a verified domain (DESIGN rule 1).
 */
export async function verifiedDomainOwner(q: Queryable, emailDomain: string): Promise<string | undefined> {
  // Domains are stored in their ASCII form (xn--...), without a final dot.
  let domain = emailDomain.trim().toLowerCase().replace(/\.$/, '');
  if (/[^\x20-\x7e]/.test(domain)) domain = domainToASCII(domain);
  if (domain === '' || domain.includes('\u0000')) return undefined;
  const row = (await q('account_domains')
    .whereRaw('lower(domain) = ?', [domain])
    .whereNotNull('verified_at')
    .first('account_id')) as { account_id: string } | undefined;
  return row?.account_id;
}

/** The account that has verified the domain and has SAML configured (an IdP sign-in URL), if any. */
export async function ssoAccountForDomain(q: Queryable, domain: string): Promise<string | undefined> {
  const row = (await q('account_domains as d')
    .join('accounts as a', 'a.id', 'd.account_id')
    .whereRaw('lower(d.domain) = lower(?)', [domain])
    .whereNotNull('d.verified_at')
    .whereNotNull('a.sso_idp_sso_url')
    .first('a.id')) as { id: string } | undefined;
  return row?.id;
}

export interface PersonElsewhereRow {
  user_id: string;
  /** The person's addresses at the domain. */
  emails: string[];
  managed_by_account_id: string;
  managed_by_account_name: string;
  created_at: Date;
}

/**
 * People with an address at `domain` whom another account manages (created) and who are not
 * members of `accountId`. Invitation copies (migration 014: users.is_invitation,
 * user_emails.of_invitation) are not people and are left out.
 */
export async function listPeopleElsewhere(q: Queryable, accountId: string, domain: string, page: Page): Promise<{ rows: PersonElsewhereRow[]; total: number }> {
  // An address is at the domain when it ends with "@domain" (no sub-domains: each is its own domain).
  const suffix = `@${domain.toLowerCase()}`;
  const people = q('users as u')
    .join('user_emails as e', 'e.user_id', 'u.id')
    .join('accounts as a', 'a.id', 'u.managed_by_account_id')
    .where('u.is_invitation', false)
    .where('e.of_invitation', false)
    .whereRaw('right(lower(e.email), ?) = ?', [suffix.length, suffix])
    .whereNot('u.managed_by_account_id', accountId)
    .whereNotExists(q('account_users as au').select(q.raw('1')).where('au.account_id', accountId).whereRaw('au.user_id = u.id'))
    .groupBy('u.id', 'u.created_at', 'a.id', 'a.name');
  // One after the other: inside a transaction both go to the same connection anyway.
  const rows = (await people
    .clone()
    .select('u.id as user_id', 'u.created_at', 'a.id as managed_by_account_id', 'a.name as managed_by_account_name', q.raw('array_agg(e.email order by lower(e.email)) as emails'))
    .orderBy([{ column: 'u.created_at' }, { column: 'u.id' }])
    .limit(page.limit)
    .offset(page.offset)) as PersonElsewhereRow[];
  const counted = (await q.from(people.clone().select('u.id').as('p')).count({ n: '*' }).first()) as { n: number | string } | undefined;
  return { rows, total: Number(counted?.n ?? 0) };
}
