import { DomainsService, txtRecordOf } from '../domain/domains/domains-service.js';
import type { DomainRow } from '../domain/domains/domains-store.js';
import type { Services } from '../domain/services.js';
import { type Command, parse, print, required, UsageError, withServices } from './command.js';

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

export const domainAddCommand: Command = {
  words: ['domain', 'add'],
  usage: 'domain add --account ID --domain NAME [--json]\n' +
    '                                             add an email domain to verify; prints the DNS TXT record to publish',
  async run(args, config) {
    const values = parse(args, { account: { type: 'string' }, domain: { type: 'string' }, json: { type: 'boolean' } });
    const accountId = required(values, 'account');
    const domain = required(values, 'domain');
    const { row } = await withServices(config, (services) => services.domains.add(DomainsService.operator(accountId), domain));
    print(values.json, domainJson(row), `Domain ${row.domain} added (${row.id}).\n${howToPublish(row)}`);
  },
};

export const domainVerifyCommand: Command = {
  words: ['domain', 'verify'],
  usage: 'domain verify --account ID (--domain NAME | --id ID) [--json]\n' +
    '                                             look the TXT record up in DNS (DNS_RESOLVER) and mark the domain verified',
  async run(args, config) {
    const values = parse(args, SELECT);
    const row = await withServices(config, async (services) => {
      const found = await selected(services, values);
      return services.domains.verify(DomainsService.operator(found.account_id), found.id);
    });
    print(values.json, domainJson(row), `Domain ${row.domain} is verified for account ${row.account_id}.`);
  },
};

export const domainListCommand: Command = {
  words: ['domain', 'list'],
  usage: 'domain list --account ID [--json]            list the account\'s domains and whether each is verified',
  async run(args, config) {
    const values = parse(args, { account: { type: 'string' }, json: { type: 'boolean' } });
    const accountId = required(values, 'account');
    const rows = await withServices(config, (services) => services.domains.list(DomainsService.operator(accountId)));
    print(
      values.json,
      { data: rows.map(domainJson) },
      rows.length
        ? rows.map((r) => `${r.id}  ${r.domain}  ${r.verified_at ? 'verified' : `not verified: TXT ${txtRecordOf(r).name} "${txtRecordOf(r).value}"`}`).join('\n')
        : 'No domains.',
    );
  },
};

export const domainRemoveCommand: Command = {
  words: ['domain', 'remove'],
  usage: 'domain remove --account ID (--domain NAME | --id ID)\n' +
    '                                             remove a domain (and its verification)',
  async run(args, config) {
    const values = parse(args, SELECT);
    const row = await withServices(config, async (services) => {
      const found = await selected(services, values);
      await services.domains.remove(DomainsService.operator(found.account_id), found.id);
      return found;
    });
    process.stdout.write(`Domain ${row.domain} removed.\n`);
  },
};
