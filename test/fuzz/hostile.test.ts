import { afterAll, beforeAll, expect, it } from 'vitest';
import { type FuzzTargets, formatTable, runFuzz, startFuzzTargets } from './hostile-requests.js';

/**
 * The bounded, seeded slice of the fuzz suite that `npm test` runs (issue 13), on PGlite or on
 * PostgreSQL with TEST_DATABASE_URL: FUZZ_CASES hostile requests (default 300) from FUZZ_SEED
 * (default 13); any 5xx, timeout or dropped connection fails with the shrunk request. More cases:
 * `npm run fuzz -- --cases 20000 --seed S`.
 */

const CASES = Number(process.env.FUZZ_CASES ?? 300);
const SEED = Number(process.env.FUZZ_SEED ?? 13);

let targets: FuzzTargets;
beforeAll(async () => {
  targets = await startFuzzTargets();
});
afterAll(() => targets?.app.stop());

it(`${CASES} hostile requests (seed ${SEED}) are all answered below 500, none times out`, async () => {
  const { table, failure } = await runFuzz(targets, CASES, SEED);
  expect(failure, `a request answered 5xx or timed out:\n${failure}\n\n${formatTable(table)}`).toBeUndefined();
}, 600_000);
