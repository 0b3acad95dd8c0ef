import type { LoadFigures } from './load.js';

/** One line of the results: a scenario (or part of one) at one concurrency. */
export interface ResultRow {
  scenario: string;
  concurrency: number;
  figures: LoadFigures;
  /** Server RSS during the run, MiB. */
  rssPeakMiB: number;
  rssEndMiB: number;
  /** CPU time per request of the server process and of the PostgreSQL backends serving it (the load generator's is not counted). */
  serverCpuMsPerRequest: number;
  dbCpuMsPerRequest: number;
  /** Share of the machine's CPU (all cores) used by other processes than the server, its database backends and this harness during the run: how noisy the row is. */
  otherCpuPercent: number;
  note?: string;
}

const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : '-');

/** A Markdown table, the form BENCHMARKS.md keeps. */
export function markdownTable(rows: readonly ResultRow[]): string {
  const head = '| scenario | conc. | requests | req/s | p50 ms | p95 ms | p99 ms | errors | RSS peak MiB | server CPU ms/req | db CPU ms/req | other load CPU % |';
  const rule = '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|';
  const lines = rows.map((r) =>
    [
      '',
      r.scenario,
      r.concurrency,
      r.figures.requests,
      fixed(r.figures.requestsPerSecond, 0),
      fixed(r.figures.p50, 1),
      fixed(r.figures.p95, 1),
      fixed(r.figures.p99, 1),
      r.figures.errors,
      fixed(r.rssPeakMiB, 0),
      fixed(r.serverCpuMsPerRequest, 2),
      fixed(r.dbCpuMsPerRequest, 2),
      fixed(r.otherCpuPercent, 0),
      '',
    ].join(' | ').trim(),
  );
  return [head, rule, ...lines].join('\n');
}
