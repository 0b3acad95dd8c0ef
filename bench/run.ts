import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArgsError, type BenchOptions, parseBenchArgs, USAGE } from './args.js';
import { benchDatabase, serverVersion } from './database.js';
import { scimHeaders } from './idp-requests.js';
import { type CycleContext, type LoadFigures, runLoad } from './load.js';
import { markdownTable, type ResultRow } from './report.js';
import { ALL_SCENARIOS, type Run, type ScenarioEnv, type Target } from './scenarios.js';
import { type Seeded, seed } from './seed.js';
import { type BenchServer, cpuSecondsOf, machineBusySeconds, sampleRss, startServer } from './server.js';
import { checkTargets } from './targets.js';

/**
 * `npm run bench -- --users N ...`: seeds an account, starts the real server as a child process
 * on the loopback, warms it up, drives each scenario at each concurrency with autocannon, samples
 * the server's RSS, prints a table and the issue's targets, and writes JSON. See BENCHMARKS.md.
 */

const t0 = Date.now();
/** Added to the numbers of warm-up requests; even and a multiple of 2,000, so alternations keep their phase. */
const WARMUP_NUMBERS = 1_000_000_000;
const log = (line: string) => process.stderr.write(`[bench ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);

function machine() {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
    node: process.version,
  };
}

async function main(options: BenchOptions): Promise<number> {
  const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim();
  const runId = Date.now().toString(36);
  const startedAt = new Date().toISOString();
  const machineBefore = machine();
  log(`${command}: ${options.users} users on ${options.database}, scenarios ${options.scenarios.join(', ')}, concurrency ${options.concurrency.join(', ')}, ${options.duration} s each; load average ${machineBefore.loadAverage.join(' ')}`);

  const db = await benchDatabase(options.database, log);
  let server: BenchServer | undefined;
  const rows: ResultRow[] = [];
  const failures: { scenario: string; error: string }[] = [];
  let seeded: Seeded;
  let seedSeconds = 0;
  let databaseVersion = '';
  try {
    const seeding = await db.open();
    try {
      databaseVersion = await serverVersion(seeding);
      const seedStart = Date.now();
      seeded = await seed(seeding.knex, { users: options.users, teams: 1000, teamSize: 50, bigGroupSize: 50_000 }, log);
      seedSeconds = (Date.now() - seedStart) / 1000;
    } finally {
      await seeding.close();
    }
    log(`seeded ${options.users} users in ${seedSeconds.toFixed(1)} s (${db.describe}, ${databaseVersion})`);

    server = await startServer(db.env, { cpuProfDir: options.cpuProf, logFile: path.join(os.tmpdir(), `rollcall-bench-server-${runId}.log`), log });
    const live = server;
    const headers = (step: { body?: string }) => scimHeaders(seeded.scimToken, step.body !== undefined);
    const maxConnections = Math.max(...options.concurrency);

    const warmed = new Set<string>();
    const measure = async (run: Run, connections: number, target: Target = live): Promise<LoadFigures> => {
      if (!run.amount && !warmed.has(run.label) && options.warmup > 0) {
        warmed.add(run.label);
        // the warm-up's requests are numbered apart from the measured ones (new userNames stay new)
        const steps = run.steps.map((step) => ({ ...step, next: (n: number, context: CycleContext) => step.next(n + WARMUP_NUMBERS, context) }));
        await runLoad({ url: target.url, headers, connections: maxConnections, duration: Math.min(2, options.warmup), steps, expected: run.expected });
      }
      const backendsBefore = await db.backendPids();
      const dbCpuBefore = new Map(backendsBefore.map((pid) => [pid, cpuSecondsOf(pid)]));
      const serverCpuBefore = cpuSecondsOf(target.pid);
      const busyBefore = machineBusySeconds();
      const harnessBefore = process.cpuUsage();
      const sampler = sampleRss(() => target.rssMiB());
      const figures = await runLoad({ url: target.url, headers, connections, duration: options.duration, amount: run.amount, steps: run.steps, expected: run.expected });
      const rss = sampler.stop();
      const serverCpu = cpuSecondsOf(target.pid) - serverCpuBefore;
      const backendsAfter = await db.backendPids();
      // a backend that ended during the run keeps the CPU it was last seen with; one that began counts from 0
      const dbCpu = [...new Set([...backendsBefore, ...backendsAfter])].reduce((sum, pid) => {
        const now = cpuSecondsOf(pid);
        const before = dbCpuBefore.get(pid) ?? 0;
        return sum + (now > 0 ? now - before : 0);
      }, 0);
      const harness = process.cpuUsage(harnessBefore);
      const others = machineBusySeconds() - busyBefore - serverCpu - dbCpu - (harness.user + harness.system) / 1e6;
      const perRequest = (seconds: number) => (figures.requests ? (seconds * 1000) / figures.requests : NaN);
      const row: ResultRow = {
        scenario: run.label,
        concurrency: connections,
        figures,
        rssPeakMiB: rss.peakMiB,
        rssEndMiB: rss.endMiB,
        serverCpuMsPerRequest: perRequest(serverCpu),
        dbCpuMsPerRequest: db.kind === 'postgres' ? perRequest(dbCpu) : NaN,
        otherCpuPercent: Math.max(0, (100 * others) / (figures.seconds * os.cpus().length)),
        note: run.note,
      };
      rows.push(row);
      log(
        `${run.label.padEnd(16)} c=${String(connections).padStart(2)}: ${figures.requests} requests, ${figures.requestsPerSecond.toFixed(0)} req/s, ` +
          `p50 ${figures.p50.toFixed(1)} p95 ${figures.p95.toFixed(1)} p99 ${figures.p99.toFixed(1)} ms, ${figures.errors} errors, RSS ${rss.peakMiB.toFixed(0)} MiB, ` +
          `CPU/request: server ${row.serverCpuMsPerRequest.toFixed(2)} ms, db ${row.dbCpuMsPerRequest.toFixed(2)} ms; others used ${row.otherCpuPercent.toFixed(0)}% of the machine` +
          (figures.errors ? ` (${Object.entries(figures.statuses).map(([s, n]) => `${s}: ${n}`).join(', ')}; ${figures.errorSamples[0] ?? ''})` : ''),
      );
      return figures;
    };

    const startReference = async () => {
      if (db.kind !== 'postgres') return undefined;
      return startServer(
        { DATABASE_URL: db.env.DATABASE_URL },
        { script: ['--import', 'tsx', path.join(path.dirname(fileURLToPath(import.meta.url)), 'reference-server.ts')], readyPath: '/lookup?userName=ready', logFile: path.join(os.tmpdir(), `rollcall-bench-reference-${runId}.log`), log },
      );
    };
    const env: ScenarioEnv = {
      startReference,
      url: live.url,
      token: seeded.scimToken,
      seeded,
      members: options.users + 1, // the seeded people and the account's owner
      runId,
      log,
      measure,
      concurrency: options.concurrency,
      measureSeconds: Math.min(2, options.warmup) + options.duration,
      setSsoEnforced: async (enforced) => {
        // the embedded database is the server's own while it serves: only PostgreSQL can be reached beside it
        if (db.kind !== 'postgres') throw new Error('post-user-sso needs PostgreSQL');
        const admin = await db.open();
        try {
          await admin.knex('accounts').where({ id: seeded.accountId }).update({ sso_enforced: enforced });
        } finally {
          await admin.close();
        }
      },
    };

    if (options.warmup > 0) {
      log(`warm-up ${options.warmup} s`);
      const names = seeded.userNames;
      await runLoad({
        url: live.url,
        headers,
        connections: maxConnections,
        duration: options.warmup,
        steps: [{ next: (n) => (n % 4 === 3 ? { method: 'GET', path: '/scim/v2/Users?startIndex=1&count=100' } : { method: 'GET', path: `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${names[n % names.length]}"`)}` }) }],
        expected: (s) => s === 200,
      });
    }

    for (const scenario of ALL_SCENARIOS.filter((s) => options.scenarios.includes(s.name))) {
      log(`scenario ${scenario.name}: ${scenario.what}`);
      try {
        await scenario.run(env);
      } catch (err) {
        failures.push({ scenario: scenario.name, error: (err as Error).message });
        log(`scenario ${scenario.name} FAILED: ${(err as Error).message}`);
      }
    }
  } finally {
    await server?.stop().catch((err: unknown) => log(`stopping the server: ${(err as Error).message}`));
    await db.dispose().catch((err: unknown) => log(`removing the database: ${(err as Error).message}`));
  }

  const targets = checkTargets(rows);
  const table = markdownTable(rows);
  process.stdout.write(`\n${command}\n${options.users} users, ${db.describe.replace(/ in \/.*$/, '')}, ${databaseVersion}, seeded in ${seedSeconds.toFixed(0)} s, ${options.duration} s per run\n\n${table}\n\n`);
  if (targets.length) {
    process.stdout.write('Targets (concurrency 16):\n');
    for (const t of targets) process.stdout.write(`  ${t.met ? 'met   ' : 'MISSED'} ${t.target}: ${t.measured}\n`);
  }
  for (const f of failures) process.stdout.write(`FAILED ${f.scenario}: ${f.error}\n`);

  if (options.out) {
    const result = {
      command,
      startedAt,
      finishedAt: new Date().toISOString(),
      options,
      database: { kind: db.kind, version: databaseVersion },
      seedSeconds,
      machine: { before: machineBefore, after: machine() },
      rows,
      targets,
      failures,
    };
    fs.writeFileSync(options.out, `${JSON.stringify(result, null, 2)}\n`);
    log(`results written to ${options.out}`);
  }
  return failures.length ? 1 : 0;
}

let options: BenchOptions;
try {
  options = parseBenchArgs(process.argv.slice(2));
} catch (err) {
  if (err instanceof ArgsError) {
    process.stderr.write(`bench: ${err.message}\n\n${USAGE}`);
    process.exit(2);
  }
  throw err;
}
if (options.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
main(options).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
