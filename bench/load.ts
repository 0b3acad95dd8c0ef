import autocannon from 'autocannon';

/**
 * One timed run of the load generator (autocannon, in this process) against the server on the
 * loopback. Every latency is recorded here (autocannon's own histogram has no p95), and a response
 * counts as an error when its status is not one the scenario expects, or when the request failed.
 */

export interface Step {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  body?: string;
}

/** A connection's state across the steps of one cycle (autocannon's per-connection context). */
export type CycleContext = Record<string, unknown>;

export interface StepSpec {
  /** Builds the next request; `n` counts requests of this step across all connections. */
  next(n: number, context: CycleContext): Step;
  /** Reads the response when the next step needs it (costs a body parse in the load generator). */
  onResponse?(status: number, body: string, context: CycleContext): void;
}

export interface LoadSpec {
  url: string;
  headers: (step: Step) => Record<string, string>;
  connections: number;
  /** Seconds; ignored when amount is given. */
  duration: number;
  /** Total requests, then stop. */
  amount?: number;
  /** The steps of one cycle, one after the other on each connection. */
  steps: StepSpec[];
  expected: (status: number) => boolean;
}

export interface LoadFigures {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  errors: number;
  /** status -> count, failures (no response) under "failed" */
  statuses: Record<string, number>;
  /** The first few unexpected answers, to say why errors happened. */
  errorSamples: string[];
}

export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export async function runLoad(spec: LoadSpec): Promise<LoadFigures> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const errorSamples: string[] = [];
  let errors = 0;
  const counters = spec.steps.map(() => 0);

  const requests: autocannon.Request[] = spec.steps.map((step, index) => ({
    setupRequest: (request: autocannon.Request, context: object) => {
      const built = step.next(counters[index]++, context as CycleContext);
      return {
        ...request,
        method: built.method,
        path: built.path,
        body: built.body,
        headers: spec.headers(built),
      };
    },
    onResponse: (status: number, body: string, context: object) => {
      if (!spec.expected(status) && errorSamples.length < 5) errorSamples.push(`${status} ${body.slice(0, 300)}`);
      step.onResponse?.(status, body, context as CycleContext);
    },
  }));

  const started = process.hrtime.bigint();
  let finish: (err: Error | null) => void = () => {};
  const done = new Promise<void>((resolve, reject) => {
    finish = (err) => (err ? reject(err) : resolve());
  });
  const instance = autocannon(
    {
      url: spec.url,
      connections: spec.connections,
      duration: spec.duration,
      amount: spec.amount,
      timeout: 30,
      requests,
    },
    (err) => finish(err ?? null),
  );
  instance.on('response', (_client, status, _bytes, responseTime) => {
    latencies.push(responseTime);
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (!spec.expected(status)) errors++;
  });
  instance.on('reqError', (err: Error) => {
    statuses.failed = (statuses.failed ?? 0) + 1;
    errors++;
    if (errorSamples.length < 5) errorSamples.push(`request failed: ${err.message}`);
  });
  await done;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests: latencies.length,
    seconds,
    requestsPerSecond: latencies.length / seconds,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
    errors,
    statuses,
    errorSamples,
  };
}
