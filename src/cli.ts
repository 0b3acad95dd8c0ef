import { ConfigError, loadConfig } from './config.js';
import { COMMANDS } from './cli/commands.js';
import { UsageError } from './cli/command.js';
import { DataDirInUseError } from './db/data-dir-lock.js';
import { DatabaseUnreachableError } from './db/wait-for-database.js';
import { DomainError } from './domain/errors.js';
import { setLogLevel } from './log.js';

const usage = () =>
  `Usage: rollcall <command> [options]\n\nCommands:\n${COMMANDS.map((c) => `  ${c.usage}`).join('\n')}\n\n` +
  'The database is PostgreSQL when DATABASE_URL is set, otherwise the embedded one in DATA_DIR (default ./data).';

async function run(argv: string[]): Promise<void> {
  if (argv.length === 0 || ['help', '--help', '-h'].includes(argv[0])) {
    process.stdout.write(`${usage()}\n`);
    return;
  }
  const command = COMMANDS.find((c) => c.words.every((word, i) => argv[i] === word));
  if (!command) throw new UsageError(`Unknown command: ${argv.join(' ')}`);
  const config = loadConfig();
  // Commands other than serve print their result; logs below warnings would only get in the way.
  if (command.words[0] !== 'serve') setLogLevel(process.env.LOG_LEVEL || 'warn');
  await command.run(argv.slice(command.words.length), config);
}

run(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError) {
    process.stderr.write(`rollcall: ${err.message}\n\n${usage()}\n`);
    process.exit(2);
  }
  const code = (err as { code?: string }).code;
  const known = err instanceof DomainError || err instanceof ConfigError || err instanceof DataDirInUseError || err instanceof DatabaseUnreachableError || (code?.startsWith('ERR_PARSE_ARGS') ?? false);
  process.stderr.write(`rollcall: ${known ? (err as Error).message : `unexpected error: ${(err as Error).stack ?? String(err)}`}\n`);
  process.exit(1);
});
