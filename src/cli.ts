import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from './config.js';
import { DataDirInUseError } from './db/data-dir-lock.js';
import { type Database, openDatabase } from './db/database.js';
import { migrateLatest, migrateRollback } from './db/migrate.js';
import { DomainError } from './domain/errors.js';
import { createServices, type Services } from './domain/services.js';
import { logger, setLogLevel } from './log.js';
import { start } from './main.js';

const USAGE = `Usage: rollcall <command> [options]

Commands:
  serve                                      serve HTTP on HOST:PORT (default 127.0.0.1:3000)
  migrate [--rollback] [--all]               bring the database schema up to date (or roll back the last batch)
  account create --name NAME --owner-email EMAIL [--owner-name NAME] [--json]
                                             create an account, its owner (an admin) and an API token for the owner
  api-token create --account-user ID [--name NAME] [--json]
                                             create an API token for a member (shown once)

The database is PostgreSQL when DATABASE_URL is set, otherwise the embedded one in DATA_DIR (default ./data).`;

class UsageError extends Error {}

function required(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

async function withServices<T>(config: Config, work: (services: Services, database: Database) => Promise<T>): Promise<T> {
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax: 2 });
  try {
    await migrateLatest(database.knex);
    return await work(createServices(database.knex), database);
  } finally {
    await database.close();
  }
}

function print(json: boolean, value: Record<string, unknown>, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : `${text}\n`);
}

async function run(argv: string[]): Promise<void> {
  const [command, sub] = argv;
  const config = loadConfig();
  if (command !== 'serve') setLogLevel(process.env.LOG_LEVEL || 'warn'); // commands print results, not logs

  if (command === 'serve' || command === undefined) {
    const running = await start(config);
    const shutdown = (signal: string) => {
      logger.info('signal received', { signal });
      running.stop().then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error('shutdown failed', { err });
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
    return;
  }

  if (command === 'migrate') {
    const { values } = parseArgs({ args: argv.slice(1), options: { rollback: { type: 'boolean' }, all: { type: 'boolean' } } });
    const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax: 1 });
    try {
      const ran = values.rollback ? await migrateRollback(database.knex, values.all) : await migrateLatest(database.knex);
      process.stdout.write(ran.length ? `${values.rollback ? 'Rolled back' : 'Applied'}: ${ran.join(', ')}\n` : 'Already up to date\n');
    } finally {
      await database.close();
    }
    return;
  }

  if (command === 'account' && sub === 'create') {
    const { values } = parseArgs({
      args: argv.slice(2),
      options: { name: { type: 'string' }, 'owner-email': { type: 'string' }, 'owner-name': { type: 'string' }, json: { type: 'boolean' } },
    });
    const result = await withServices(config, async (services) => {
      const created = await services.accounts.create({ name: required(values, 'name'), ownerEmail: required(values, 'owner-email'), ownerName: values['owner-name'] });
      const token = await services.apiTokens.createAsOperator(created.ownerAccountUserId, 'created with the account');
      return { created, token };
    });
    print(
      !!values.json,
      { account: { id: result.created.account.id, name: result.created.account.name }, owner: { account_user_id: result.created.ownerAccountUserId, user_id: result.created.ownerUserId }, api_token: result.token.token },
      `Account ${result.created.account.id} created.\nOwner: account user ${result.created.ownerAccountUserId} (user ${result.created.ownerUserId})\n` +
        `API token (shown once): ${result.token.token}\nTry: curl -H "Authorization: Bearer ${result.token.token}" ${config.publicUrl}/api/v4/account_users`,
    );
    return;
  }

  if (command === 'api-token' && sub === 'create') {
    const { values } = parseArgs({ args: argv.slice(2), options: { 'account-user': { type: 'string' }, name: { type: 'string' }, json: { type: 'boolean' } } });
    const token = await withServices(config, (services) => services.apiTokens.createAsOperator(required(values, 'account-user'), values.name));
    print(!!values.json, { token: token.token, id: token.id }, `API token ${token.id} (shown once): ${token.token}`);
    return;
  }

  throw new UsageError(command === 'help' || command === '--help' ? '' : `Unknown command: ${argv.join(' ')}`);
}

run(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError) {
    process.stderr.write(err.message ? `${err.message}\n\n${USAGE}\n` : `${USAGE}\n`);
    process.exit(err.message ? 2 : 0);
  }
  const known = err instanceof DomainError || err instanceof ConfigError || err instanceof DataDirInUseError || (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION';
  process.stderr.write(`rollcall: ${known ? (err as Error).message : `unexpected error: ${(err as Error).stack ?? String(err)}`}\n`);
  process.exit(1);
});
