import fs from 'node:fs';
import { markdownTable, type ResultRow } from './report.js';
import type { TargetVerdict } from './targets.js';

/**
 * Prints the Markdown section of BENCHMARKS.md for a results file of `npm run bench -- --out FILE`:
 * the command, the machine, the table and the targets.
 *
 *   node --import tsx bench/show.ts bench/results/postgres-100k.json
 *   node --import tsx bench/show.ts --growth 16 bench/results/postgres-10k.json bench/results/postgres-100k.json ...
 *     (one scenario per line, the files side by side at that concurrency)
 */

interface Results {
  command: string;
  startedAt: string;
  options: { users: number; database: string; duration: number };
  database: { kind: string; version: string };
  seedSeconds: number;
  machine: { before: { cpus: number; cpuModel: string; memoryGiB: number; loadAverage: number[]; node: string } };
  rows: ResultRow[];
  targets: TargetVerdict[];
  failures: { scenario: string; error: string }[];
}

function growth(concurrency: number, files: string[]): string {
  const results = files.map((f) => JSON.parse(fs.readFileSync(f, 'utf8')) as Results);
  const scenarios = [...new Set(results.flatMap((r) => r.rows.map((row) => row.scenario)))];
  const head = `| scenario (c=${concurrency}) | ${results.map((r) => `${r.options.users.toLocaleString('en')} users: req/s, p99 ms, server + db CPU ms/req`).join(' | ')} |`;
  const rule = `|---|${results.map(() => '--:|').join('')}`;
  const lines = scenarios.map((name) => {
    const cells = results.map((r) => {
      const row = r.rows.find((x) => x.scenario === name && x.concurrency === concurrency);
      if (!row) return '';
      return `${row.figures.requestsPerSecond.toFixed(0)}, ${row.figures.p99.toFixed(1)}, ${row.serverCpuMsPerRequest.toFixed(2)} + ${row.dbCpuMsPerRequest.toFixed(2)}`;
    });
    return `| ${name} | ${cells.join(' | ')} |`;
  });
  return [head, rule, ...lines].join('\n');
}

const args = process.argv.slice(2);
if (args[0] === '--growth') {
  process.stdout.write(`${growth(Number(args[1]), args.slice(2))}\n`);
  process.exit(0);
}

for (const file of args) {
  const r = JSON.parse(fs.readFileSync(file, 'utf8')) as Results;
  const m = r.machine.before;
  const others = r.rows.map((row) => row.otherCpuPercent);
  const out = [
    `\`${r.command}\``,
    '',
    `${r.options.users.toLocaleString('en')} users, ${r.database.kind === 'postgres' ? r.database.version : 'embedded PGlite'}, seeded in ${r.seedSeconds.toFixed(0)} s; ` +
      `${r.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}, load average at start ${m.loadAverage.join(' ')}; ` +
      `other processes used ${Math.min(...others).toFixed(0)}-${Math.max(...others).toFixed(0)}% of the machine during the runs; ${r.options.duration} s per run.`,
    '',
    markdownTable(r.rows),
    '',
    ...(r.targets.length ? ['Targets (concurrency 16):', '', ...r.targets.map((t) => `- ${t.met ? 'met' : '**missed**'}: ${t.target}: ${t.measured}`), ''] : []),
    ...r.failures.map((f) => `- FAILED ${f.scenario}: ${f.error}`),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}
