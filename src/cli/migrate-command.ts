import { openDatabase } from '../db/database.js';
import { migrateLatest, migrateRollback } from '../db/migrate.js';
import { type Command, parse } from './command.js';

export const migrateCommand: Command = {
  words: ['migrate'],
  usage: 'migrate [--rollback] [--all]               bring the schema up to date (or roll back the last batch, or all)',
  async run(args, config) {
    const values = parse(args, { rollback: { type: 'boolean' }, all: { type: 'boolean' } });
    const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax: 1 });
    try {
      const ran = values.rollback ? await migrateRollback(database.knex, values.all) : await migrateLatest(database.knex);
      process.stdout.write(ran.length ? `${values.rollback ? 'Rolled back' : 'Applied'}: ${ran.join(', ')}\n` : 'Already up to date\n');
    } finally {
      await database.close();
    }
  },
};
