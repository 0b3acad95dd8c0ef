import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type StartedServer, startServer } from '../support/started-server.js';
import { SUITES, suitesMissing } from './suites.js';
import { formatRunResult, loadRunscopeTest, type RunResult, runRunscopeTest } from './runscope-runner.js';

/**
 * Okta's "SCIM 2.0 SPEC Test" (a Runscope export, unchanged, from ../shared/conformance) against a
 * started `rollcall serve` with a fresh database. Its steps 1 and 2 read the first user of
 * GET /Users?count=1 and need a name, a userName and an email on it: the account owner comes first
 * (lists are in creation order), so the owner is made by the CLI with a full name, as an operator
 * would (its given and family names are split from it), and the setup creates the one other user
 * the suite expects to exist. Response times are measured and reported in the
 * output, never asserted.
 */


let server: StartedServer;
let result: RunResult;

async function api(method: string, url: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${server.url}${url}`, { method, headers: { authorization: `Bearer ${server.apiToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  server = await startServer({ ownerEmail: 'alex.admin@conformance.example.com', ownerName: 'Alex Admin' });
  const user = await api('POST', '/api/v4/account_users', {
    user_attributes: { name: 'Robin Existing', given_name: 'Robin', family_name: 'Existing', user_name: 'robin.existing@conformance.example.com', emails_attributes: [{ email: 'robin.existing@conformance.example.com' }] },
  });
  expect(user.status, JSON.stringify(user.body)).toBe(201);

  result = await runRunscopeTest(loadRunscopeTest(path.join(SUITES, 'Okta-SCIM-20-SPEC-Test.json')), {
    initialVariables: { SCIMBaseURL: server.scimBaseUrl, auth: `Bearer ${server.scimToken}` },
    initialScript: fs.readFileSync(path.join(SUITES, 'Initial_Script_Spec.txt'), 'utf8'),
  });
  process.stdout.write(`\n${formatRunResult(result)}\n${result.notRun.length} pause steps not slept\n`);
  if (result.failed > 0) process.stdout.write(`Server log (warnings and errors):\n${server.output()}\n`);
}, 120_000);

afterAll(() => server?.stop());

it.skipIf(suitesMissing)("passes all 12 request steps of Okta's SCIM 2.0 SPEC test", () => {
  expect(result.steps).toHaveLength(12);
  expect(result.steps.filter((s) => !s.passed).map((s) => `${s.index}. ${s.note}`), formatRunResult(result)).toEqual([]);
  expect(result.passed).toBe(12);
});
