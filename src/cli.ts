import { type Command, ConfirmationRequired, UsageError } from './cli/command.js';
import { COMMANDS } from './cli/commands.js';
import { commandHelp, commandList, parseOptions, usageLine, wantsHelp } from './cli/usage.js';

/**
 * The `rollcall` command. Exit status: 0 done, 1 failed (a domain error, the database), 2 usage error
 * (an unknown command or option, a missing required option), which changes nothing. Only the
 * command that runs is imported, with the configuration and the log: `--help` and a usage error
 * open no database and load no domain.
 */

const named = (argv: readonly string[]): Command | undefined => COMMANDS.find((c) => c.words.every((word, i) => argv[i] === word));
const isGroup = (word: string | undefined): boolean => COMMANDS.some((c) => c.words[0] === word);

/** The command running, so that a UsageError its runner throws shows that command's usage. */
let running: Command | undefined;

async function run(argv: readonly string[]): Promise<void> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || (argv[0] === 'help' && argv.length === 1)) {
    process.stdout.write(commandList(COMMANDS));
    return;
  }
  if (argv[0] === 'help') {
    // `rollcall help account create` is `rollcall account create --help`; `rollcall help account` lists the account commands
    const asked = named(argv.slice(1));
    if (asked) process.stdout.write(commandHelp(asked));
    else if (argv.length === 2 && isGroup(argv[1])) process.stdout.write(commandList(COMMANDS, argv[1]));
    else throw new UsageError(`unknown command: ${argv.slice(1).join(' ')}`);
    return;
  }
  const command = named(argv);
  if (!command) {
    if (isGroup(argv[0]) && argv.length > 1 && wantsHelp(argv.slice(1))) {
      process.stdout.write(commandList(COMMANDS, argv[0]));
      return;
    }
    if (isGroup(argv[0]) && argv.length === 1) {
      throw new UsageError(`\`rollcall ${argv[0]}\` needs one more word: ${COMMANDS.filter((c) => c.words[0] === argv[0]).map((c) => c.words[1]).join(', ')}`);
    }
    throw new UsageError(`unknown command: ${argv.join(' ')}`);
  }
  running = command;
  const args = argv.slice(command.words.length);
  if (wantsHelp(args)) {
    process.stdout.write(commandHelp(command));
    return;
  }
  const values = parseOptions(command, args);
  const [{ loadConfig }, { setLogLevel }, runner] = await Promise.all([import('./config.js'), import('./log.js'), command.load()]);
  const config = loadConfig();
  // Commands other than serve print their result; logs below warnings would only get in the way.
  if (command.words[0] !== 'serve') setLogLevel(process.env.LOG_LEVEL || 'warn');
  await runner(values, config);
}

/** The error in one line for a person (a stack only for what no one expected), and the exit status. */
async function report(err: unknown): Promise<number> {
  if (err instanceof ConfirmationRequired) {
    // the message says what would be lost and how to go ahead; the usage would only bury it
    process.stderr.write(`rollcall: ${err.message}\n`);
    return 2;
  }
  if (err instanceof UsageError) {
    const command = err.command ?? running;
    const group = command ? undefined : process.argv[2] === 'help' ? process.argv[3] : process.argv[2];
    const help = command
      ? `Usage: ${usageLine(command)}\n\`rollcall ${command.words.join(' ')} --help\` describes every option.`
      : commandList(COMMANDS, isGroup(group) ? group : undefined).trimEnd();
    process.stderr.write(`rollcall: ${err.message}\n\n${help}\n`);
    return 2;
  }
  // Imported only now: a run that succeeds has no need of them.
  const [{ ConfigError }, { DataDirInUseError }, { DatabaseUnreachableError }, { DomainError }] = await Promise.all([
    import('./config.js'),
    import('./db/data-dir-lock.js'),
    import('./db/wait-for-database.js'),
    import('./domain/errors.js'),
  ]);
  const known = err instanceof DomainError || err instanceof ConfigError || err instanceof DataDirInUseError || err instanceof DatabaseUnreachableError;
  process.stderr.write(`rollcall: ${known ? (err as Error).message : `unexpected error: ${(err as Error).stack ?? String(err)}`}\n`);
  return 1;
}

run(process.argv.slice(2)).catch(async (err: unknown) => {
  const status = await report(err).catch((failed: unknown) => {
    process.stderr.write(`rollcall: unexpected error: ${String(err)} (then, reporting it: ${String(failed)})\n`);
    return 1;
  });
  process.exit(status);
});
