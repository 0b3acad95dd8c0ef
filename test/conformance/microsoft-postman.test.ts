import path from 'node:path';
import newman, { type NewmanRunSummary } from 'newman';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type StartedServer, startServer } from '../support/started-server.js';

/**
 * Microsoft's "SCIM Tests" Postman collection (AzureAD/SCIMReferenceCode, unchanged, from
 * ../shared/conformance), run with newman's library API against a started `rollcall serve` with a
 * fresh database and a SCIM token made by the CLI. The "Get Token" folder is skipped: it asks the
 * reference server's own /Token endpoint for a token and overwrites ours.
 *
 * Every check must pass except those listed in REFERENCE_ONLY, each with the reason it holds only
 * for Microsoft's reference server. A check is named "folder / request #n / test", #n counting
 * requests of the same name in that folder.
 */

const SUITES = process.env.CONFORMANCE_DIR ?? path.resolve(import.meta.dirname, '../../../shared/conformance');
const FOLDERS = ['Endpoint tests', 'User tests', 'Group tests', 'ComplexAttribute tests', 'User tests with garbage', 'Group tests with garbage', 'Teardown garbage'];

/** Checks only Microsoft's reference server passes, and why. Keep in step with the README. */
export const REFERENCE_ONLY: Record<string, string> = {};

interface Check {
  id: string;
  passed: boolean;
  message?: string;
  status?: number;
  body?: string;
}

let server: StartedServer;
let checks: Check[];
let summary: NewmanRunSummary;

function runCollection(): Promise<NewmanRunSummary> {
  const url = new URL(server.scimBaseUrl);
  return new Promise((resolve, reject) => {
    newman.run(
      {
        collection: path.join(SUITES, 'PostmanCollection.json'),
        folder: FOLDERS,
        environment: {
          values: [
            { key: 'Protocol', value: url.protocol.replace(':', ''), type: 'default' },
            { key: 'Server', value: url.hostname, type: 'default' },
            { key: 'Port', value: url.port ? `:${url.port}` : '', type: 'default' },
            { key: 'Api', value: url.pathname.replace(/^\/+/, ''), type: 'default' },
            { key: 'token', value: server.scimToken, type: 'secret' },
          ],
        },
        reporters: [],
        timeout: 60_000,
        timeoutRequest: 15_000,
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

/** Each test (pm.test) of each request, and each script that threw, as one check. */
function checksOf(result: NewmanRunSummary): Check[] {
  const out: Check[] = [];
  const seen = new Map<string, number>();
  for (const execution of result.run.executions) {
    const item = execution.item as unknown as { id: string; name: string; parent(): { name?: string } | undefined };
    const folder = item.parent()?.name ?? '(top)';
    const key = `${folder} / ${item.name}`;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    const request = `${key} #${n}`;
    const status = (execution.response as unknown as { code?: number } | undefined)?.code;
    const body = (execution.response as unknown as { stream?: Buffer } | undefined)?.stream?.toString('utf8').slice(0, 500);
    for (const a of execution.assertions ?? []) {
      out.push({ id: `${request} / ${a.assertion}`, passed: !a.error, message: a.error?.message, status, body });
    }
    const scriptErrors = result.run.failures.filter(
      (f) => (f.source as { id?: string } | undefined)?.id === item.id && !String(f.at).startsWith('assertion') && (f.cursor as { ref?: string }).ref === (execution.cursor as { ref?: string }).ref,
    );
    for (const f of scriptErrors) out.push({ id: `${request} / (${f.at} error)`, passed: false, message: `${f.error.name}: ${f.error.message}`, status, body });
  }
  return out;
}

beforeAll(async () => {
  // The owner's sign-in name must not start with "O": the collection counts userName sw "O".
  server = await startServer({ ownerEmail: 'admin@conformance.example.com' });
  summary = await runCollection();
  checks = checksOf(summary);
  const lines = checks.map((c) => `${c.passed ? 'PASS' : REFERENCE_ONLY[c.id] ? 'XFAIL' : 'FAIL'} ${c.id}${c.passed ? '' : ` -> ${c.message} [HTTP ${c.status}] ${c.body ?? ''}`}`);
  const passed = checks.filter((c) => c.passed).length;
  process.stdout.write(`\nMicrosoft SCIM Postman collection: ${passed}/${checks.length} checks passed\n${lines.join('\n')}\n`);
}, 300_000);

afterAll(() => server?.stop());

it("passes every check of Microsoft's SCIM collection but the listed reference-server-only ones", () => {
  expect(summary.run.executions.length).toBeGreaterThan(70);
  const unexpected = checks.filter((c) => !c.passed && !REFERENCE_ONLY[c.id]).map((c) => `${c.id}: ${c.message}`);
  expect(unexpected).toEqual([]);
  // Every exclusion names a check that exists, so the list cannot rot silently.
  const ids = new Set(checks.map((c) => c.id));
  expect(Object.keys(REFERENCE_ONLY).filter((id) => !ids.has(id))).toEqual([]);
});
