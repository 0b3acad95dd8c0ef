import { strict as nodeAssert } from 'node:assert';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import vm from 'node:vm';

/**
 * A small runner for Runscope "API Monitoring Tests" exports (the format of Okta's SCIM SPEC
 * test): an initial script that sets variables, then steps run in order. A request step has a
 * method, a URL, headers and a body with {{variable}} templates, assertions on the response
 * (status, JSON properties, headers, text; response time and size), variables extracted from the
 * response for later steps, and optional post-response scripts (JavaScript with Chai-style
 * `assert`). Pause steps are reported, not slept: nothing here depends on time.
 *
 * Response-time assertions are measured and REPORTED, never asserted (a conformance run must not
 * fail because a shared CI machine was slow); each result says so.
 */

export interface RunscopeAssertion {
  source: 'response_status' | 'response_json' | 'response_headers' | 'response_text' | 'response_time' | 'response_size';
  comparison: string;
  property?: string | null;
  value: string | null;
}

export interface RunscopeVariable {
  source: 'response_json' | 'response_headers' | 'response_status' | 'response_text';
  name: string;
  property?: string | null;
}

export interface RunscopeRequestStep {
  step_type: 'request';
  skipped?: boolean;
  note?: string;
  method: string;
  url: string;
  headers?: Record<string, string[]>;
  body?: string;
  assertions?: RunscopeAssertion[];
  variables?: RunscopeVariable[];
  scripts?: string[];
  before_scripts?: string[];
}

export interface RunscopePauseStep {
  step_type: 'pause';
  skipped?: boolean;
  duration: number;
}

export type RunscopeStep = RunscopeRequestStep | RunscopePauseStep | { step_type: string; skipped?: boolean };

export interface RunscopeTest {
  name: string;
  description?: string;
  steps: RunscopeStep[];
}

export interface AssertionResult {
  source: string;
  property: string | null;
  comparison: string;
  expected: string | null;
  actual: unknown;
  /** true / false; 'reported' for a timing assertion, measured and not asserted. */
  outcome: boolean | 'reported';
}

export interface ScriptResult {
  ok: boolean;
  error?: string;
  log: unknown[];
}

export interface StepResult {
  /** The request's number among the request steps (1-12 for Okta's test); pauses are not counted. */
  index: number;
  /** Its position among all steps of the export, pauses included. */
  exportIndex: number;
  note: string;
  method: string;
  url: string;
  status: number | null;
  /** Milliseconds from sending the request to having read the whole response. */
  responseTimeMs: number;
  assertions: AssertionResult[];
  scripts: ScriptResult[];
  /** Variables this step extracted. */
  extracted: Record<string, string>;
  /** The request failed outright (no response) or a variable could not be extracted. */
  error?: string;
  passed: boolean;
  responseBody: string;
}

export interface RunResult {
  name: string;
  steps: StepResult[];
  passed: number;
  failed: number;
  /** Pause steps (not slept) and skipped steps. */
  notRun: string[];
  variables: Record<string, string>;
}

export function loadRunscopeTest(file: string): RunscopeTest {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as RunscopeTest;
}

/** Runs a Runscope initial script: its `variables.set(name, value)` calls fill `variables`. */
export function runInitialScript(source: string, variables: Map<string, string>): void {
  const context = vm.createContext({ variables: variablesApi(variables), log: () => undefined });
  vm.runInContext(source, context, { filename: 'initial-script.js', timeout: 5_000 });
}

function variablesApi(variables: Map<string, string>) {
  return {
    get: (name: string) => variables.get(name),
    set: (name: string, value: unknown) => void variables.set(name, String(value)),
  };
}

/** Replaces {{name}} with the variable's value; an unknown variable is left as written (as Runscope does). */
export function expand(template: string, variables: ReadonlyMap<string, string>): string {
  return template.replace(/\{\{\s*([^{}\s]+)\s*\}\}/g, (whole, name: string) => variables.get(name) ?? whole);
}

/**
 * A property in JavaScript notation: `Resources[0].name.familyName`, `schemas`, `a["b c"]`.
 * Answers undefined when any part is missing.
 */
export function readProperty(root: unknown, path: string): unknown {
  const parts: (string | number)[] = [];
  const pattern = /([^.[\]]+)|\[(\d+)\]|\["([^"]*)"\]|\['([^']*)'\]/g;
  for (const match of path.matchAll(pattern)) {
    if (match[1] !== undefined) parts.push(match[1]);
    else if (match[2] !== undefined) parts.push(Number(match[2]));
    else parts.push(match[3] ?? match[4]);
  }
  let current: unknown = root;
  for (const part of parts) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[part];
  }
  return current;
}

const asText = (value: unknown): string => (value === undefined || value === null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value));

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}

const isNumber = (value: unknown): boolean =>
  (typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)));

/** Runscope's comparisons. Values compare as text unless the comparison is numeric. */
export function compare(comparison: string, actual: unknown, expected: string | null): boolean {
  const target = expected ?? '';
  switch (comparison) {
    case 'equal':
      return asText(actual) === target;
    case 'not_equal':
      return asText(actual) !== target;
    case 'empty':
      return isEmpty(actual);
    case 'not_empty':
      return !isEmpty(actual);
    case 'contains':
      return Array.isArray(actual) ? actual.some((item) => asText(item) === target) : asText(actual).includes(target);
    case 'does_not_contain':
      return Array.isArray(actual) ? !actual.some((item) => asText(item) === target) : !asText(actual).includes(target);
    case 'has_key':
      return actual !== null && typeof actual === 'object' && Object.hasOwn(actual, target);
    case 'has_value':
      if (Array.isArray(actual)) return actual.some((item) => asText(item) === target);
      if (actual !== null && typeof actual === 'object') return Object.values(actual).some((item) => asText(item) === target);
      return false;
    case 'is_null':
      return actual === null;
    case 'is_a_number':
      return isNumber(actual);
    case 'equal_number':
      return isNumber(actual) && Number(actual) === Number(target);
    case 'is_less_than':
      return isNumber(actual) && Number(actual) < Number(target);
    case 'is_less_than_or_equal':
      return isNumber(actual) && Number(actual) <= Number(target);
    case 'is_greater_than':
      return isNumber(actual) && Number(actual) > Number(target);
    case 'is_greater_than_or_equal':
      return isNumber(actual) && Number(actual) >= Number(target);
    default:
      throw new Error(`Runscope comparison "${comparison}" is not supported by this runner`);
  }
}

interface Response {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
  timeMs: number;
}

function sourceValue(source: string, property: string | null | undefined, response: Response): unknown {
  switch (source) {
    case 'response_status':
      return response.status;
    case 'response_json':
      return property ? readProperty(response.json, property) : response.json;
    case 'response_headers':
      return property ? response.headers.get(property) ?? undefined : undefined;
    case 'response_text':
      return response.text;
    case 'response_time':
      return Math.round(response.timeMs);
    case 'response_size':
      return Buffer.byteLength(response.text);
    default:
      throw new Error(`Runscope source "${source}" is not supported by this runner`);
  }
}

/** A post-response script with Runscope's globals: request, response, variables, assert (Chai-style), log. */
function runScript(source: string, step: { method: string; url: string }, response: Response, variables: Map<string, string>): ScriptResult {
  if (source.trim() === '') return { ok: true, log: [] };
  const log: unknown[] = [];
  const assert = Object.assign((value: unknown, message?: string) => nodeAssert.ok(value, message), nodeAssert);
  const context = vm.createContext({
    request: { method: step.method, url: step.url },
    response: { status: response.status, body: response.text, headers: Object.fromEntries(response.headers), response_time: response.timeMs },
    variables: variablesApi(variables),
    assert,
    log: (...args: unknown[]) => void log.push(args.length === 1 ? args[0] : args),
    JSON,
  });
  try {
    vm.runInContext(source, context, { filename: 'step-script.js', timeout: 5_000 });
    return { ok: true, log };
  } catch (err) {
    return { ok: false, error: (err as Error).message, log };
  }
}

async function send(step: RunscopeRequestStep, variables: ReadonlyMap<string, string>): Promise<{ url: string; response: Response }> {
  const url = new URL(expand(step.url, variables)).toString(); // encodes spaces and quotes in filters
  const headers = new Headers();
  for (const [name, values] of Object.entries(step.headers ?? {})) for (const value of values) headers.append(name, expand(value, variables));
  const body = step.body !== undefined && step.body !== '' && !['GET', 'HEAD'].includes(step.method) ? expand(step.body, variables) : undefined;
  const started = performance.now();
  const res = await fetch(url, { method: step.method, headers, body, redirect: 'manual' });
  const text = await res.text();
  const timeMs = performance.now() - started;
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { url, response: { status: res.status, headers: res.headers, text, json, timeMs } };
}

/**
 * Runs every step in order with `initialVariables` (e.g. SCIMBaseURL, auth) and what the initial
 * script sets. A step passes when every assertion (other than timing) and every script passes.
 */
export async function runRunscopeTest(test: RunscopeTest, options: { initialVariables: Record<string, string>; initialScript?: string }): Promise<RunResult> {
  const variables = new Map(Object.entries(options.initialVariables));
  if (options.initialScript) runInitialScript(options.initialScript, variables);
  const results: StepResult[] = [];
  const notRun: string[] = [];

  for (const [index, step] of test.steps.entries()) {
    if (step.skipped) {
      notRun.push(`step ${index + 1}: skipped in the export`);
      continue;
    }
    if (step.step_type === 'pause') {
      notRun.push(`step ${index + 1}: pause of ${(step as RunscopePauseStep).duration} s (not slept)`);
      continue;
    }
    if (step.step_type !== 'request') throw new Error(`Runscope step type "${step.step_type}" is not supported by this runner`);
    const request = step as RunscopeRequestStep;
    const result: StepResult = {
      index: results.length + 1,
      exportIndex: index + 1,
      note: request.note ?? '',
      method: request.method,
      url: expand(request.url, variables),
      status: null,
      responseTimeMs: 0,
      assertions: [],
      scripts: [],
      extracted: {},
      passed: false,
      responseBody: '',
    };
    results.push(result);
    for (const script of request.before_scripts ?? []) {
      const outcome = runScript(script, request, { status: 0, headers: new Headers(), text: '', json: undefined, timeMs: 0 }, variables);
      result.scripts.push(outcome);
    }
    let response: Response;
    try {
      const sent = await send(request, variables);
      result.url = sent.url;
      response = sent.response;
    } catch (err) {
      result.error = `request failed: ${(err as Error).message}`;
      continue;
    }
    result.status = response.status;
    result.responseTimeMs = Math.round(response.timeMs);
    result.responseBody = response.text.slice(0, 2_000);

    for (const a of request.assertions ?? []) {
      const expected = a.value === null ? null : expand(a.value, variables);
      const actual = sourceValue(a.source, a.property, response);
      const outcome = a.source === 'response_time' ? 'reported' : compare(a.comparison, actual, expected);
      result.assertions.push({ source: a.source, property: a.property ?? null, comparison: a.comparison, expected, actual, outcome });
    }
    for (const v of request.variables ?? []) {
      const value = sourceValue(v.source, v.property, response);
      if (value === undefined || value === null) result.error = `variable ${v.name}: nothing at ${v.source} ${v.property ?? ''}`;
      else result.extracted[v.name] = asText(value);
    }
    for (const [name, value] of Object.entries(result.extracted)) variables.set(name, value);
    for (const script of request.scripts ?? []) result.scripts.push(runScript(script, request, response, variables));

    result.passed = !result.error && result.assertions.every((a) => a.outcome !== false) && result.scripts.every((s) => s.ok);
  }

  const passed = results.filter((r) => r.passed).length;
  return { name: test.name, steps: results, passed, failed: results.length - passed, notRun, variables: Object.fromEntries(variables) };
}

/** A few lines per step for a person reading CI output: outcome, request, status, time, failures. */
export function formatRunResult(result: RunResult): string {
  const lines = [`${result.name}: ${result.passed}/${result.steps.length} steps passed`];
  for (const step of result.steps) {
    lines.push(`${step.passed ? 'PASS' : 'FAIL'} ${step.index}. ${step.note} -> ${step.method} ${step.url} = ${step.status ?? 'no response'} in ${step.responseTimeMs} ms`);
    for (const a of step.assertions) {
      if (a.outcome === 'reported') lines.push(`       reported, not asserted: ${a.source} ${a.comparison} ${a.expected} (measured ${String(a.actual)} ms)`);
      else if (!a.outcome) lines.push(`       failed: ${a.source} ${a.property ?? ''} ${a.comparison} ${a.expected ?? ''} (actual ${asText(a.actual) || '(nothing)'})`);
    }
    for (const s of step.scripts) if (!s.ok) lines.push(`       script failed: ${s.error}`);
    if (step.error) lines.push(`       ${step.error}`);
    if (!step.passed) lines.push(`       body: ${step.responseBody.slice(0, 300)}`);
  }
  return lines.join('\n');
}
