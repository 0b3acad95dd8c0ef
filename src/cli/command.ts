import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { Services } from '../domain/services.js';

/**
 * What every `rollcall` command is made of. This module is imported by every run, `--help` and a
 * mistyped option included, so it imports nothing heavy at the top: the database, the migrations and
 * the domain are imported inside withServices, by the commands that use them.
 */

export interface OptionSpec {
  type: 'string' | 'boolean';
  /** Taken more than once (`--idp-cert a.pem --idp-cert b.pem`). */
  multiple?: boolean;
  /** The value's placeholder in usage lines: `--account ID`. */
  value?: string;
  /** A usage error (exit 2) when left out. */
  required?: boolean;
  /** One line for `--help`. */
  description: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** The options as parsed: a string, strings, or true for a flag; undefined when not given. */
export type Values<O extends OptionSpecs> = {
  [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : O[K]['multiple'] extends true ? string[] : string;
};

export type Runner<O extends OptionSpecs> = (values: Values<O>, config: Config) => Promise<void>;

/**
 * One `rollcall` command: the words that name it, what it does, its options (each described, for
 * `--help`), and where its code is. `load` imports the command's module only when it runs.
 */
export interface Command {
  /** e.g. ['account', 'create'] */
  words: readonly string[];
  /** One line for the list of commands. */
  summary: string;
  options: OptionSpecs;
  /** The usage line when it says more than the options do (alternatives: `(--domain NAME | --id ID)`). */
  synopsis?: string;
  /** More for `--help`: what the command needs, what it prints. */
  notes?: string;
  /** Imports the command's module (only when it runs) and answers its runner. */
  load(): Promise<(values: Record<string, unknown>, config: Config) => Promise<void>>;
}

/** A command whose module's runner is typed by these options (the spec and the runner cannot drift apart). */
export function command<O extends OptionSpecs>(
  spec: { words: readonly string[]; summary: string; options: O; synopsis?: string; notes?: string },
  load: () => Promise<Runner<O>>,
): Command {
  return {
    ...spec,
    // parse() hands the runner exactly these options' values, so the cast only restores their type
    load: async () => {
      const run = await load();
      return (values, config) => run(values as Values<O>, config);
    },
  };
}

/** A mistake in how the command was called: exit 2, with the command's usage. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose usage to show; none when the command itself is unknown. */
    readonly command?: Command,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A dangerous change asked for without --yes where no one can be asked: exit 2, nothing done. */
export class ConfirmationRequired extends UsageError {
  constructor(message: string) {
    super(message);
    this.name = 'ConfirmationRequired';
  }
}

export function required(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

/** Opens the configured database (migrated if anything is pending), runs `work` with the domain services, closes it. */
export async function withServices<T>(config: Config, work: (services: Services, database: Database) => Promise<T>): Promise<T> {
  // the domain's modules load while the database opens (the embedded one takes a second or more)
  const domain = Promise.all([import('../domain/services.js'), import('../domain/auth/secret-box.js')]);
  domain.catch(() => undefined); // awaited below; a failure is reported there, not as unhandled
  return withDatabase(config, async (database) => {
    const [{ createServices }, { SecretBox }] = await domain;
    // no command signs JWTs; the configured keys are passed all the same, none is made here
    const secrets = config.secretKeys && new SecretBox(config.secretKeys);
    return work(createServices(database.knex, undefined, secrets, { dnsResolver: config.dnsResolver, publicUrl: config.publicUrl }), database);
  });
}

/**
 * Opens the configured database, brings its schema up to date when a migration is pending (a fresh
 * install's first command makes the schema, as `serve` would), runs `work`, closes it.
 */
export async function withDatabase<T>(config: Config, work: (database: Database) => Promise<T>, options: { migrate?: boolean } = {}): Promise<T> {
  const [{ openDatabase }, { migrateIfPending }] = await Promise.all([import('../db/database.js'), import('../db/migrate.js')]);
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax: 2 });
  try {
    if (options.migrate !== false) await migrateIfPending(database.knex);
    return await work(database);
  } finally {
    await database.close();
  }
}

/** With --json one JSON object on stdout; otherwise a sentence for a person. */
export function print(json: boolean | undefined, value: Record<string, unknown>, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : `${text}\n`);
}

/**
 * Said under links a command prints when PUBLIC_URL is not set: they are made from HOST and PORT,
 * which are right only if the CLI runs with the server's.
 */
export function linksNote(config: Config): string {
  return process.env.PUBLIC_URL
    ? ''
    : `\n(Links use ${config.publicUrl}, made from HOST and PORT as PUBLIC_URL is not set: run rollcall with the server's PUBLIC_URL, or its HOST and PORT.)`;
}
