import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Knex } from 'knex';

const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');
const TABLE = 'knex_migrations';

interface MigrationModule {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
  /**
   * What undoing the migration loses, declared by the migration: a sentence naming the data its
   * down() drops, or false when it drops none (indexes, functions, tables the up() fills again from
   * other data). A migration that does not say is taken to drop data.
   */
  dropsData?: string | false;
}

/** Reads migrations/NNN_name.ts in order; imports them itself so TypeScript sources work as they are. */
class DirectoryMigrationSource implements Knex.MigrationSource<string> {
  async getMigrations(): Promise<string[]> {
    return fs
      .readdirSync(MIGRATIONS_DIR)
      .filter((file) => /^\d{3}_[a-z0-9_]+\.ts$/.test(file))
      .sort();
  }
  getMigrationName(file: string): string {
    return file.replace(/\.ts$/, '');
  }
  async getMigration(file: string): Promise<MigrationModule> {
    return (await import(pathToFileURL(path.join(MIGRATIONS_DIR, file)).href)) as MigrationModule;
  }
}

const source = new DirectoryMigrationSource();

const migrationConfig = (): Knex.MigratorConfig => ({ migrationSource: source, tableName: TABLE });

/** Brings the schema up to date; answers the names of the migrations it ran. */
export async function migrateLatest(knex: Knex): Promise<string[]> {
  const [, ran] = (await knex.migrate.latest(migrationConfig())) as [number, string[]];
  return ran;
}

/**
 * Migrates only when a migration is pending: one read of the applied names, where knex's latest()
 * takes its lock table in a transaction each time. For the CLI, whose every command starts here.
 */
export async function migrateIfPending(knex: Knex): Promise<string[]> {
  const { pending } = await migrationStatus(knex);
  return pending.length ? migrateLatest(knex) : [];
}

export interface AppliedMigration {
  name: string;
  /** Migrations applied by one `latest` (one start of a new release) share a batch. */
  batch: number;
  appliedAt: Date;
}

/** What is applied (oldest first) and what is pending, changing nothing. */
export async function migrationStatus(knex: Knex): Promise<{ applied: AppliedMigration[]; pending: string[] }> {
  const names = (await source.getMigrations()).map((file) => source.getMigrationName(file));
  const rows = (await knex.schema.hasTable(TABLE))
    ? ((await knex(TABLE).orderBy('id').select('name', 'batch', 'migration_time')) as { name: string; batch: number; migration_time: Date }[])
    : [];
  const applied = rows.map((r) => ({ name: r.name, batch: Number(r.batch), appliedAt: new Date(r.migration_time) }));
  const done = new Set(applied.map((m) => m.name));
  return { applied, pending: names.filter((name) => !done.has(name)) };
}

/** What undoing a migration loses, from its own declaration; undefined when it does not say. */
export async function dropsDataOf(name: string): Promise<string | false | undefined> {
  const file = `${name}.ts`;
  if (!(await source.getMigrations()).includes(file)) return undefined;
  const declared = (await source.getMigration(file)).dropsData;
  return typeof declared === 'string' || declared === false ? declared : undefined;
}

/** A sentence on what undoing the migration does to data, for a prompt or a refusal. */
export function describeDrops(dropsData: string | false | undefined): string {
  if (dropsData === false) return 'it drops no data (only what migrating again rebuilds)';
  if (dropsData === undefined) return 'it MAY DROP DATA: the migration does not say what undoing it loses';
  return `it DROPS DATA: ${dropsData}`;
}

/** Undoes this one migration, which must be the last applied (the caller named it to the operator). */
export async function migrateDown(knex: Knex, name: string): Promise<string[]> {
  const [, ran] = (await knex.migrate.down({ ...migrationConfig(), name })) as [number, string[]];
  return ran;
}

/** Undoes every applied migration, newest first: every table and all data go. */
export async function migrateRollbackAll(knex: Knex): Promise<string[]> {
  const [, ran] = (await knex.migrate.rollback(migrationConfig(), true)) as [number, string[]];
  return ran;
}
