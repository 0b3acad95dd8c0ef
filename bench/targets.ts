import type { ResultRow } from './report.js';

/** The targets of issue 6 (PostgreSQL, concurrency 16, 100k users), checked against a run's rows. */

export interface TargetVerdict {
  target: string;
  measured: string;
  met: boolean;
}

const TARGET_CONCURRENCY = 16;

export function checkTargets(rows: readonly ResultRow[]): TargetVerdict[] {
  const at = (scenario: string) => rows.find((r) => r.scenario === scenario && r.concurrency === TARGET_CONCURRENCY);
  const out: TargetVerdict[] = [];
  const rate = (r: ResultRow) => `${r.figures.requestsPerSecond.toFixed(0)} req/s`;
  const p99 = (r: ResultRow) => `p99 ${r.figures.p99.toFixed(1)} ms`;

  for (const name of ['lookup-existing', 'lookup-missing']) {
    const r = at(name);
    if (r) out.push({ target: `${name}: >= 3,500 req/s, p99 <= 10 ms`, measured: `${rate(r)}, ${p99(r)}`, met: r.figures.requestsPerSecond >= 3500 && r.figures.p99 <= 10 });
  }
  const post = at('post-user');
  if (post) out.push({ target: 'POST /Users: >= 1,000 req/s, p99 <= 40 ms', measured: `${rate(post)}, ${p99(post)}`, met: post.figures.requestsPerSecond >= 1000 && post.figures.p99 <= 40 });
  const put = at('put-user');
  if (put) out.push({ target: 'PUT /Users: >= 1,000 req/s', measured: rate(put), met: put.figures.requestsPerSecond >= 1000 });
  const active = at('patch-active');
  if (active) out.push({ target: 'PATCH active: >= 2,000 req/s', measured: rate(active), met: active.figures.requestsPerSecond >= 2000 });

  const walk = at('page-walk');
  if (walk) out.push({ target: 'page walk: >= 700 pages/s', measured: rate(walk), met: walk.figures.requestsPerSecond >= 700 });
  const first = at('page-first');
  const last = at('page-last');
  if (first && last) {
    const ratio = last.figures.requestsPerSecond / first.figures.requestsPerSecond;
    out.push({
      target: 'first and last page: each >= 700 req/s, the last within 15% of the first',
      measured: `first ${rate(first)}, last ${rate(last)} (${(ratio * 100).toFixed(0)}%)`,
      met: first.figures.requestsPerSecond >= 700 && last.figures.requestsPerSecond >= 700 && ratio >= 0.85,
    });
  }
  const big = at('member-big');
  const small = at('member-small');
  if (big) out.push({ target: 'member add/remove on the big group: p99 <= 15 ms', measured: p99(big), met: big.figures.p99 <= 15 });
  if (big && small) {
    const ratio = big.figures.p99 / small.figures.p99;
    const rateRatio = big.figures.requestsPerSecond / small.figures.requestsPerSecond;
    out.push({
      target: 'member add/remove: the big group within 20% of the 5-member group',
      measured: `p99 ${big.figures.p99.toFixed(1)} vs ${small.figures.p99.toFixed(1)} ms (${(ratio * 100).toFixed(0)}%), ${(rateRatio * 100).toFixed(0)}% of its req/s`,
      met: ratio <= 1.2 && rateRatio >= 0.8,
    });
  }
  if (rows.length) {
    const peak = Math.max(...rows.map((r) => r.rssPeakMiB));
    out.push({ target: 'server RSS <= 400 MB throughout', measured: `peak ${peak.toFixed(0)} MiB (${((peak * 1024 * 1024) / 1e6).toFixed(0)} MB)`, met: peak * 1024 * 1024 <= 400e6 });
  }
  return out;
}
