import type { Knex } from 'knex';
import type { Queryable } from '../db/database.js';
import { isDatabaseUnavailable } from '../db/errors.js';
import { Forbidden, Unavailable } from './errors.js';

export const ROLES = ['admin', 'billing', 'broadcaster', 'communicator'] as const;
export type Role = (typeof ROLES)[number];

/** The channel a change came through; recorded on every audit event. */
export type Channel = 'api' | 'scim' | 'sso' | 'cli' | 'web';

export type Actor =
  /** A member acting through a session, JWT or API token. */
  | {
      type: 'account_user';
      accountUserId: string;
      userId: string;
      roles: readonly Role[];
      /**
       * How the member proved who they are on this request: a session or JWT of a password or SAML
       * sign-in, or an API token. Only a password sign-in reaches the person's own profile through
       * an account that does not manage them (profile.ts canEditProfile): a SAML sign-in is that
       * account's IdP vouching, and a token may have been minted in such a session.
       */
      method?: 'password' | 'saml' | 'api_token';
    }
  /** An identity provider acting through the account's SCIM token. */
  | { type: 'scim_token'; tokenId: string }
  /** The operator at the command line. */
  | { type: 'system' };

/** Who acts, in which account, through which channel. The account id never comes from a request body. */
export interface Context {
  accountId: string;
  actor: Actor;
  channel: Channel;
  requestId?: string;
}

export type Trx = Knex.Transaction;

/** Runs `work` as one transaction; a database that cannot be reached becomes Unavailable. */
export async function transact<T>(db: Knex, work: (trx: Trx) => Promise<T>): Promise<T> {
  try {
    return await db.transaction(work);
  } catch (err) {
    if (isDatabaseUnavailable(err)) throw new Unavailable();
    throw err;
  }
}

/**
 * Runs `work` as one transaction when it writes with more than one statement; otherwise on the
 * database as it is. One statement is atomic by itself, and BEGIN and COMMIT are two round trips
 * more (BENCHMARKS.md, "POST"); reads before that statement lose nothing outside a transaction,
 * as under READ COMMITTED every statement takes its own snapshot anyway. Either way a database that
 * cannot be reached becomes Unavailable.
 */
export async function atomically<T>(db: Knex, oneWrite: boolean, work: (q: Queryable) => Promise<T>): Promise<T> {
  if (!oneWrite) return transact(db, work);
  try {
    return await work(db);
  } catch (err) {
    if (isDatabaseUnavailable(err)) throw new Unavailable();
    throw err;
  }
}

/** Admins, the IdP (SCIM token) and the operator may manage the account. */
export function canManageAccount(ctx: Context): boolean {
  return ctx.actor.type !== 'account_user' || ctx.actor.roles.includes('admin');
}

export function requireAccountManager(ctx: Context, what: string): void {
  if (!canManageAccount(ctx)) throw new Forbidden(`Only an admin of this account may ${what}`);
}

export function actingAccountUserId(ctx: Context): string | undefined {
  return ctx.actor.type === 'account_user' ? ctx.actor.accountUserId : undefined;
}

export function parseRole(value: string): Role | undefined {
  const lower = value.trim().toLowerCase();
  return (ROLES as readonly string[]).includes(lower) ? (lower as Role) : undefined;
}
