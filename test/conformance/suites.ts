import fs from 'node:fs';
import path from 'node:path';

/**
 * Where the third-party suites are: ../shared/conformance beside the project (or CONFORMANCE_DIR).
 * CI always has them, and fails if they are missing; a clone without ../shared skips the two
 * suites rather than failing `npm test`.
 */
export const SUITES = process.env.CONFORMANCE_DIR ?? path.resolve(import.meta.dirname, '../../../shared/conformance');

export const suitesMissing = !fs.existsSync(SUITES);

if (suitesMissing && process.env.CI) {
  throw new Error(`The third-party conformance suites are not at ${SUITES} (set CONFORMANCE_DIR)`);
}
