import type { LoadFigures } from './load.js';

/** One line of the results: a scenario (or part of one) at one concurrency. */
export interface ResultRow {
  scenario: string;
  concurrency: number;
  figures: LoadFigures;
  /** Server RSS during the run, MiB. */
  rssPeakMiB: number;
  rssEndMiB: number;
  note?: string;
}

const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : '-');

/** A Markdown table, the form BENCHMARKS.md keeps. */
export function markdownTable(rows: readonly ResultRow[]): string {
  const head = '| scenario | conc. | requests | req/s | p50 ms | p95 ms | p99 ms | errors | RSS peak MiB |';
  const rule = '|---|--:|--:|--:|--:|--:|--:|--:|--:|';
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
      '',
    ].join(' | ').trim(),
  );
  return [head, rule, ...lines].join('\n');
}
