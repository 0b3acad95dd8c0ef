import { parseArgs } from 'node:util';

/**
 * npm run fuzz -- --cases N --seed S: N hostile requests against the real app on PGlite (or on
 * PostgreSQL with TEST_DATABASE_URL), then the answers by kind and status. Exits 1 when any answer
 * was a 5xx, a timeout or a dropped connection, printing the shrunk request.
 */
const { values } = parseArgs({ options: { cases: { type: 'string', default: '2000' }, seed: { type: 'string' } } });
const cases = Number(values.cases);
const seed = values.seed === undefined ? Date.now() % 2_147_483_647 : Number(values.seed);
if (!Number.isInteger(cases) || cases < 1 || !Number.isInteger(seed)) {
  console.error('usage: npm run fuzz -- --cases N --seed S');
  process.exit(2);
}
// the app's log lines would bury the table; read at the log module's load, so set before importing it
process.env.LOG_SILENT ??= '1';
const { formatTable, runFuzz, startFuzzTargets } = await import('./hostile-requests.js');
const targets = await startFuzzTargets();
console.log(`fuzz: ${cases} cases, seed ${seed}, database ${targets.app.database.describe}`);
const started = Date.now();
const { table, failure } = await runFuzz(targets, cases, seed);
await targets.app.stop();
console.log(formatTable(table));
console.log(`${((Date.now() - started) / 1000).toFixed(1)} s`);
if (failure) {
  console.log(`\nFAILED (5xx, timeout or dropped connection), shrunk to:\n${failure}\nrepeat with: npm run fuzz -- --cases ${cases} --seed ${seed}`);
  process.exit(1);
}
console.log('no 5xx, no timeouts');
