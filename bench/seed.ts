import type { Knex } from 'knex';
import { createServices } from '../src/domain/services.js';
import { newId } from '../src/domain/ids.js';
import { analyze, insertInChunks } from './seed-store.js';

export interface SeedOptions {
  users: number;
  teams: number;
  teamSize: number;
  bigGroupSize: number;
}

export interface Seeded {
  accountId: string;
  scimToken: string;
  /** user names that exist, spread over the whole population */
  userNames: string[];
  /** account user ids spread over the population */
  memberIds: string[];
  bigGroupId: string;
  smallGroupId: string;
  /** members that are NOT in the big or small group, for add/remove scenarios */
  outsiders: string[];
}

/** Makes an account with `users` people (2 emails, 1 phone each), teams, one big and one small group. */
export async function seed(knex: Knex, options: SeedOptions, log: (line: string) => void): Promise<Seeded> {
  const services = createServices(knex);
  const stamp = Date.now().toString(36);
  const created = await services.accounts.create({ name: `Bench ${stamp}`, ownerEmail: `owner.${stamp}@bench.example` });
  const accountId = created.account.id;
  const { token: scimToken } = await services.scimTokens.createAsOperator(accountId, 'bench');

  const started = Date.now();
  const memberIds: string[] = [];
  const userNames: string[] = [];
  const BATCH = 10_000;
  for (let from = 0; from < options.users; from += BATCH) {
    const users: Record<string, unknown>[] = [];
    const emails: Record<string, unknown>[] = [];
    const phones: Record<string, unknown>[] = [];
    const memberships: Record<string, unknown>[] = [];
    for (let i = from; i < Math.min(options.users, from + BATCH); i++) {
      const userId = newId('usr');
      const userName = `user${i}.${stamp}@bench.example`;
      const local = String(2_000_000 + (i % 7_000_000)).padStart(7, '0');
      users.push({ id: userId, name: `Bench User ${i}`, given_name: 'Bench', family_name: `User ${i}`, user_name: userName, managed_by_account_id: accountId });
      emails.push({ id: newId('eml'), user_id: userId, email: userName, type: 'work', primary: true });
      emails.push({ id: newId('eml'), user_id: userId, email: `user${i}.${stamp}.home@bench.example`, type: 'home', primary: false });
      phones.push({ id: newId('phn'), user_id: userId, number: `+1415${local}`, value: `+1 415 ${local.slice(0, 3)} ${local.slice(3)}`, type: 'mobile', country: 'US', primary: true });
      const memberId = newId('au');
      memberships.push({ id: memberId, account_id: accountId, user_id: userId, roles: [], active: true, external_id: `ext-${i}`, enterprise: '{}' });
      memberIds.push(memberId);
      userNames.push(userName);
    }
    await insertInChunks(knex, 'users', users);
    await insertInChunks(knex, 'user_emails', emails);
    await insertInChunks(knex, 'user_phones', phones);
    await insertInChunks(knex, 'account_users', memberships);
    log(`seeded ${Math.min(options.users, from + BATCH)} / ${options.users} users (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }

  const teams: Record<string, unknown>[] = [];
  const teamMembers: Record<string, unknown>[] = [];
  for (let t = 0; t < options.teams; t++) {
    const teamId = newId('tem');
    teams.push({ id: teamId, account_id: accountId, name: `Team ${t}`, external_id: `team-${t}` });
    for (let k = 0; k < options.teamSize; k++) teamMembers.push({ team_id: teamId, account_user_id: memberIds[(t * options.teamSize + k) % memberIds.length] });
  }
  const bigGroupId = newId('tem');
  const smallGroupId = newId('tem');
  teams.push({ id: bigGroupId, account_id: accountId, name: 'Everyone (big group)', external_id: 'big' });
  teams.push({ id: smallGroupId, account_id: accountId, name: 'Five (small group)', external_id: 'small' });
  const bigSize = Math.min(options.bigGroupSize, memberIds.length - 100);
  for (let k = 0; k < bigSize; k++) teamMembers.push({ team_id: bigGroupId, account_user_id: memberIds[k] });
  for (let k = 0; k < 5; k++) teamMembers.push({ team_id: smallGroupId, account_user_id: memberIds[k] });
  await insertInChunks(knex, 'teams', teams);
  await insertInChunks(knex, 'team_members', dedupe(teamMembers));
  await analyze(knex);
  log(`seeded ${teams.length} teams, ${teamMembers.length} team places, big group of ${bigSize} (${((Date.now() - started) / 1000).toFixed(0)} s)`);

  const spread = (list: string[], n: number) => Array.from({ length: Math.min(n, list.length) }, (_, k) => list[Math.floor((k * list.length) / Math.min(n, list.length))]);
  return {
    accountId,
    scimToken,
    userNames: spread(userNames, 2_000),
    memberIds: spread(memberIds, 2_000),
    bigGroupId,
    smallGroupId,
    outsiders: memberIds.slice(bigSize, bigSize + 100),
  };
}

function dedupe(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  const seen = new Set<string>();
  return rows.filter((r) => {
    const key = `${r.team_id}/${r.account_user_id}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
