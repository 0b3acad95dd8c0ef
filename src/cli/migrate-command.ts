import readline from 'node:readline/promises';
import type { Database } from '../db/database.js';
import type { MIGRATE } from './commands.js';
import { ConfirmationRequired, print, type Runner, UsageError, withDatabase } from './command.js';

/**
 * `rollcall migrate`: up to date, --status, or --rollback of ONE migration (the last applied), said
 * first with what it drops and confirmed on a terminal or by --yes. knex's own rollback undoes a
 * whole batch, and every migration a fresh install applies is one batch: on PostgreSQL that was
 * every table, without a word.
 */

type Migrations = typeof import('../db/migrate.js');

export const migrate: Runner<typeof MIGRATE> = async (values, config) => {
  if (values.status && values.rollback) throw new UsageError('give --status or --rollback, not both');
  if (values.all && !values.rollback) throw new UsageError('--all goes with --rollback: rollcall migrate --rollback --all --yes');
  if (values.yes && !values.rollback) throw new UsageError('--yes goes with --rollback');
  const migrations = await import('../db/migrate.js');
  await withDatabase(
    config,
    async (database) => {
      if (values.status) return status(migrations, database, values.json);
      if (values.rollback && values.all) return rollbackAll(migrations, database, values);
      if (values.rollback) return rollbackLast(migrations, database, values);
      const ran = await migrations.migrateLatest(database.knex);
      print(values.json, { applied: ran }, ran.length ? `Applied: ${ran.join(', ')}` : 'Already up to date.');
    },
    { migrate: false },
  );
};

async function status(migrations: Migrations, database: Database, json: boolean | undefined): Promise<void> {
  const { applied, pending } = await migrations.migrationStatus(database.knex);
  print(
    json,
    { applied: applied.map((m) => ({ name: m.name, batch: m.batch, applied_at: m.appliedAt.toISOString() })), pending },
    `Database: ${database.describe}\n` +
      `Applied (${applied.length}):${applied.map((m) => `\n  ${m.name}  batch ${m.batch}  ${m.appliedAt.toISOString()}`).join('')}\n` +
      `Pending (${pending.length}):${pending.length ? pending.map((name) => `\n  ${name}`).join('') : ' none'}`,
  );
}

async function rollbackLast(migrations: Migrations, database: Database, values: { yes?: boolean; json?: boolean }): Promise<void> {
  const { applied } = await migrations.migrationStatus(database.knex);
  const last = applied.at(-1);
  if (!last) {
    print(values.json, { rolled_back: [] }, 'Nothing to roll back: no migration is applied.');
    return;
  }
  const drops = await migrations.dropsDataOf(last.name);
  const what = `migration ${last.name} (the last of ${applied.length} applied, in ${database.describe}): ${migrations.describeDrops(drops)}`;
  if (!values.yes) {
    if (!(process.stdin.isTTY && process.stderr.isTTY)) {
      throw new ConfirmationRequired(`not rolling back ${what}. Nothing was changed. To roll it back, add --yes: rollcall migrate --rollback --yes`);
    }
    if (!(await confirmed(`Roll back ${what}.\nRoll it back? [y/N] `))) {
      process.stderr.write('Nothing was rolled back.\n');
      process.exitCode = 1;
      return;
    }
  }
  const ran = await migrations.migrateDown(database.knex, last.name);
  print(
    values.json,
    { rolled_back: ran, drops_data: drops ?? null },
    `Rolled back: ${ran.join(', ')}.\n` +
      'The server and every rollcall command apply pending migrations when they start: run the release from before this migration, ' +
      'or `rollcall migrate` to apply it again.',
  );
}

async function rollbackAll(migrations: Migrations, database: Database, values: { yes?: boolean; json?: boolean }): Promise<void> {
  const { applied } = await migrations.migrationStatus(database.knex);
  if (!values.yes) {
    // never on a prompt alone: a y typed by habit would empty the database
    throw new ConfirmationRequired(
      `not rolling back all ${applied.length} applied migrations in ${database.describe}: that drops every table and all the data in it. ` +
        'Nothing was changed. If that is what you want, back the database up and add --yes: rollcall migrate --rollback --all --yes',
    );
  }
  const ran = await migrations.migrateRollbackAll(database.knex);
  print(values.json, { rolled_back: ran }, ran.length ? `Rolled back all ${ran.length} migrations: every table is dropped.\n${ran.join(', ')}` : 'Nothing to roll back: no migration is applied.');
}

async function confirmed(question: string): Promise<boolean> {
  const prompt = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^\s*y(es)?\s*$/i.test(await prompt.question(question));
  } finally {
    prompt.close();
  }
}
