import { parseArgs } from 'node:util';

/** The scenarios of issue 6, in the order they run. */
export const SCENARIOS = [
  'reference',
  'lookup-existing',
  'lookup-missing',
  'page-walk',
  'post-user',
  'put-user',
  'patch-active',
  'member-big',
  'member-small',
  'entra-cycle',
  'lookup-beside-password-posts',
  'post-user-sso',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface BenchOptions {
  users: number;
  database: 'postgres' | 'embedded';
  scenarios: ScenarioName[];
  /** Seconds each timed run lasts. */
  duration: number;
  /** Seconds of warm-up load before the first scenario (and before each scenario, a shorter one). */
  warmup: number;
  concurrency: number[];
  /** Where the JSON results go; none when undefined. */
  out: string | undefined;
  /** Directory for a V8 CPU profile of the server (node --cpu-prof); none when undefined. */
  cpuProf: string | undefined;
  help: boolean;
}

export class ArgsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArgsError';
  }
}

export const USAGE = `Usage: npm run bench -- [options]

  --users N              people to seed (default 100000; 1000000 works)
  --database KIND        postgres (DATABASE_URL, or a scratch database on
                         postgres://postgres@127.0.0.1:5432/test, dropped after) or embedded
                         (default postgres)
  --scenarios LIST       comma-separated, default all: ${SCENARIOS.join(', ')}
  --duration SECONDS     length of each timed run (default 10)
  --warmup SECONDS       warm-up before the runs (default 5)
  --concurrency LIST     connections, comma-separated (default 1,16)
  --out FILE             write the results as JSON
  --cpu-prof DIR         start the server with node --cpu-prof, profile written to DIR at the end
`;

function positiveInteger(name: string, raw: string, min: number, max: number): number {
  const cleaned = raw.replace(/_/g, '');
  const value = Number(cleaned);
  if (cleaned === '' || !Number.isInteger(value) || value < min || value > max) {
    throw new ArgsError(`--${name} ${JSON.stringify(raw)} is not valid: expected a whole number from ${min} to ${max}`);
  }
  return value;
}

/** Reads the command line of `npm run bench -- ...`; throws ArgsError naming the option and value. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        users: { type: 'string' },
        database: { type: 'string' },
        scenarios: { type: 'string' },
        duration: { type: 'string' },
        warmup: { type: 'string' },
        concurrency: { type: 'string' },
        out: { type: 'string' },
        'cpu-prof': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new ArgsError((err as Error).message);
  }
  const v = parsed.values;
  const database = v.database ?? 'postgres';
  if (database !== 'postgres' && database !== 'embedded') {
    throw new ArgsError(`--database ${JSON.stringify(database)} is not valid: expected postgres or embedded`);
  }
  let scenarios: ScenarioName[] = [...SCENARIOS];
  if (v.scenarios !== undefined) {
    const names = v.scenarios.split(',').map((s) => s.trim()).filter(Boolean);
    const unknown = names.filter((n) => !(SCENARIOS as readonly string[]).includes(n));
    if (unknown.length || names.length === 0) {
      throw new ArgsError(`--scenarios ${JSON.stringify(v.scenarios)} is not valid: ${unknown.length ? `unknown ${unknown.join(', ')}; ` : ''}expected some of ${SCENARIOS.join(', ')}`);
    }
    scenarios = SCENARIOS.filter((s) => names.includes(s));
  }
  const concurrency = (v.concurrency ?? '1,16').split(',').map((c) => positiveInteger('concurrency', c.trim(), 1, 256));
  return {
    users: positiveInteger('users', v.users ?? '100000', 200, 5_000_000),
    database,
    scenarios,
    duration: positiveInteger('duration', v.duration ?? '10', 1, 600),
    warmup: v.warmup === undefined ? 5 : positiveInteger('warmup', v.warmup, 0, 600),
    concurrency: [...new Set(concurrency)],
    out: v.out,
    cpuProf: v['cpu-prof'],
    help: v.help ?? false,
  };
}
