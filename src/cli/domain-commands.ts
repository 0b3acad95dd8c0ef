import { DomainsService, txtRecordOf } from '../domain/domains/domains-service.js';
import type { DomainRow } from '../domain/domains/domains-store.js';
import type { Services } from '../domain/services.js';
import type { DOMAIN_ADD, DOMAIN_LIST, DOMAIN_SELECT } from './commands.js';
import { print, required, type Runner, UsageError, withServices } from './command.js';

/** `rollcall domain add|verify|list|remove`: an account's verified email domains, for the operator. */

function domainJson(row: DomainRow) {
  const record = txtRecordOf(row);
  return {
    id: row.id,
    domain: row.domain,
    verified: row.verified_at !== null,
    verified_at: row.verified_at ? new Date(row.verified_at).toISOString() : null,
    txt_record: { type: 'TXT', name: record.name, value: record.value },
  };
}

const howToPublish = (row: DomainRow): string => {
  const record = txtRecordOf(row);
  return `Publish this DNS record, then run \`rollcall domain verify --account ${row.account_id} --domain ${row.domain}\`:\n` +
    `  ${record.name}  TXT  "${record.value}"`;
};

const SELECT = { account: { type: 'string' }, domain: { type: 'string' }, id: { type: 'string' }, json: { type: 'boolean' } } as const;

/** The row named by --id or --domain. */
async function selected(services: Services, values: { account?: string; domain?: string; id?: string }): Promise<DomainRow> {
  const ctx = DomainsService.operator(required(values, 'account'));
  if (values.id && values.domain) throw new UsageError('give --domain or --id, not both');
  if (values.id) return services.domains.get(ctx, values.id);
  if (values.domain) return services.domains.findByName(ctx, values.domain);
  throw new UsageError('--domain (or --id) is required');
}

export const domainAdd: Runner<typeof DOMAIN_ADD> = async (values, config) => {
  const accountId = required(values, 'account');
  const domain = required(values, 'domain');
  const { row } = await withServices(config, (services) => services.domains.add(DomainsService.operator(accountId), domain));
  print(values.json, domainJson(row), `Domain ${row.domain} added (${row.id}).\n${howToPublish(row)}`);
};

export const domainVerify: Runner<typeof DOMAIN_SELECT> = async (values, config) => {
  const row = await withServices(config, async (services) => {
    const found = await selected(services, values);
    return services.domains.verify(DomainsService.operator(found.account_id), found.id);
  });
  print(values.json, domainJson(row), `Domain ${row.domain} is verified for account ${row.account_id}.`);
};

export const domainList: Runner<typeof DOMAIN_LIST> = async (values, config) => {
  const accountId = required(values, 'account');
  const rows = await withServices(config, (services) => services.domains.list(DomainsService.operator(accountId)));
  print(
    values.json,
    { data: rows.map(domainJson) },
    rows.length
      ? rows.map((r) => `${r.id}  ${r.domain}  ${r.verified_at ? 'verified' : `not verified: TXT ${txtRecordOf(r).name} "${txtRecordOf(r).value}"`}`).join('\n')
      : 'No domains.',
  );
};

export const domainRemove: Runner<typeof DOMAIN_SELECT> = async (values, config) => {
  const row = await withServices(config, async (services) => {
    const found = await selected(services, values);
    await services.domains.remove(DomainsService.operator(found.account_id), found.id);
    return found;
  });
  process.stdout.write(`Domain ${row.domain} removed.\n`);
};
