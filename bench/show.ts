import fs from 'node:fs';
import { markdownTable, type ResultRow } from './report.js';
import type { TargetVerdict } from './targets.js';

/**
 * Prints the Markdown section of BENCHMARKS.md for a results file of `npm run bench -- --out FILE`:
 * the command, the machine, the table and the targets.
 *
 *   node --import tsx bench/show.ts bench/results/postgres-100k.json
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

for (const file of process.argv.slice(2)) {
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
