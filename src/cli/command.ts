import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Config } from '../config.js';
import { type Database, openDatabase } from '../db/database.js';
import { migrateLatest } from '../db/migrate.js';
import { SecretBox } from '../domain/auth/secret-box.js';
import { createServices, type Services } from '../domain/services.js';

/** One `rollcall` command: the words that name it, its usage line, and what it does. */
export interface Command {
  /** e.g. ['account', 'create'] */
  words: string[];
  usage: string;
  run(args: string[], config: Config): Promise<void>;
}

export class UsageError extends Error {}

export function parse<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O) {
  return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
}

export function required(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

/** Opens the configured database (migrated), runs `work` with the domain services, closes it. */
export async function withServices<T>(config: Config, work: (services: Services, database: Database) => Promise<T>): Promise<T> {
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax: 2 });
  try {
    await migrateLatest(database.knex);
    // no command signs JWTs; the configured keys are passed all the same, none is made here
    return await work(createServices(database.knex, undefined, config.secretKeys && new SecretBox(config.secretKeys), { dnsResolver: config.dnsResolver, publicUrl: config.publicUrl }), database);
  } finally {
    await database.close();
  }
}

/** With --json one JSON object on stdout; otherwise a sentence for a person. */
export function print(json: boolean | undefined, value: Record<string, unknown>, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : `${text}\n`);
}
