/**
 * `npm run faults`: what clients get while the database restarts, and after the server is killed
 * mid-write (issue 13). Against the real server on a scratch PostgreSQL database of the local
 * cluster, a bounded SCIM write load (new users with an email and a phone, PATCHes, group member
 * adds) runs while this script
 *   1. restarts the local PostgreSQL (pg_ctlcluster ... restart), and
 *   2. kills the server with SIGKILL in the middle of the load, then starts it again.
 * It prints the answers by status in each phase, how long service took to come back after the
 * database did, and a check of the data for partial writes (a user without their email or
 * membership, a membership without its user, a team member of no team). It exits 1 when a client
 * got a 5xx other than 503, a request hung past its timeout, or anything is half-written.
 *
 * It restarts the machine's PostgreSQL: run it on a development machine, never beside tests.
 *
 *   npm run faults -- [--seconds 45] [--connections 8] [--restart-at 10] [--kill-at 30]
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openDatabase } from '../src/db/database.js';
import { migrateLatest } from '../src/db/migrate.js';
import { createServices } from '../src/domain/services.js';
import { createScratchPostgres } from '../test/support/test-database.js';
import { type BenchServer, startServer } from './server.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '45' },
    connections: { type: 'string', default: '8' },
    'restart-at': { type: 'string', default: '10' },
    'kill-at': { type: 'string', default: '30' },
    'request-timeout': { type: 'string', default: '15' },
  },
});
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
const RESTART_AT = Number(values['restart-at']);
const KILL_AT = Number(values['kill-at']);
const REQUEST_TIMEOUT_MS = Number(values['request-timeout']) * 1000;
const ADMIN_URL = process.env.DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 23)} ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Phase = 'before' | 'db restart' | 'after db' | 'server killed' | 'after restart';
interface Answer {
  at: number;
  phase: Phase;
  outcome: string; // a status, 'timeout' or 'refused' (no server listening)
}

function pgCluster(): string {
  return fs.readdirSync('/etc/postgresql').sort()[0];
}

async function pgIsReady(): Promise<boolean> {
  try {
    await promisify(execFile)('pg_isready', ['-h', '127.0.0.1', '-p', '5432', '-q']);
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const scratch = await createScratchPostgres(ADMIN_URL, 'rollcall_faults');
  log(`scratch database ${scratch.name}`);
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rollcall-faults-'));
  let server: BenchServer | undefined;
  try {
    // an account, its SCIM token and a group, as an operator sets them up
    const setup = await openDatabase({ databaseUrl: scratch.url, poolMax: 2 });
    await migrateLatest(setup.knex);
    const services = createServices(setup.knex);
    const account = await services.accounts.create({ name: 'Faults', ownerEmail: 'owner@faults.example', ownerName: 'Owner' });
    const { token } = await services.scimTokens.createAsOperator(account.account.id);
    await setup.close();

    const env = { DATABASE_URL: scratch.url, DATABASE_WAIT_MS: '60000', DATABASE_STATEMENT_TIMEOUT_MS: '5000' };
    let serverNumber = 0;
    const start = async () => startServer(env, { logFile: path.join(logDir, `server-${++serverNumber}.log`), log });
    server = await start();
    let url = server.url;

    const answers: Answer[] = [];
    let phase: Phase = 'before';
    const t0 = Date.now();
    const elapsed = () => (Date.now() - t0) / 1000;
    let dbBackAt: number | undefined;
    let serverBackAt: number | undefined;

    const scim = async (method: string, urlPath: string, body?: unknown): Promise<{ status: number; json?: Record<string, unknown> } | string> => {
      try {
        const res = await fetch(`${url}/scim/v2${urlPath}`, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        const text = await res.text();
        let json: Record<string, unknown> | undefined;
        try {
          json = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
        } catch {
          // not JSON
        }
        return { status: res.status, json };
      } catch (err) {
        const name = (err as Error).name;
        return name === 'TimeoutError' ? 'timeout' : 'refused';
      }
    };
    const record = (outcome: string) => answers.push({ at: elapsed(), phase, outcome });

    let group: string | undefined;
    const made = await scim('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'On call' });
    if (typeof made !== 'string') group = made.json?.id as string | undefined;

    let counter = 0;
    const worker = async (n: number) => {
      const mine: string[] = [];
      while (elapsed() < SECONDS) {
        const pick = (counter++ % 10) / 10;
        let result: Awaited<ReturnType<typeof scim>>;
        if (pick < 0.6 || mine.length === 0) {
          const name = `w${n}-${counter}@faults.example`;
          result = await scim('POST', '/Users', {
            schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
            userName: name,
            name: { givenName: 'Fault', familyName: String(counter) },
            emails: [{ value: name, primary: true }],
            phoneNumbers: [{ value: `+1415555${String(1000 + (counter % 9000)).padStart(4, '0')}`, type: 'mobile' }],
          });
          if (typeof result !== 'string' && result.status === 201) mine.push(result.json?.id as string);
        } else if (pick < 0.9 || !group) {
          const id = mine[counter % mine.length];
          result = await scim('PATCH', `/Users/${id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: counter % 2 === 0 }] });
        } else {
          const id = mine[counter % mine.length];
          result = await scim('PATCH', `/Groups/${group}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'add', path: 'members', value: [{ value: id }] }] });
        }
        const outcome = typeof result === 'string' ? result : String(result.status);
        record(outcome);
        if (dbBackAt !== undefined && serverBackAt === undefined && phase === 'after db' && /^2/.test(outcome)) serverBackAt = elapsed();
        if (outcome === '503' || outcome === 'refused') await sleep(100); // as a client honouring Retry-After would, briefly
      }
    };

    const faults = (async () => {
      await sleep(RESTART_AT * 1000);
      phase = 'db restart';
      log(`restarting PostgreSQL (${pgCluster()} main)`);
      const restartStarted = elapsed();
      // not execFileSync: the load must keep running (in this process) while PostgreSQL restarts
      await promisify(execFile)('pg_ctlcluster', ['--skip-systemctl-redirect', pgCluster(), 'main', 'restart', '--mode', 'fast']);
      while (!(await pgIsReady())) await sleep(50);
      dbBackAt = elapsed();
      phase = 'after db';
      log(`PostgreSQL back after ${(dbBackAt - restartStarted).toFixed(1)} s`);
      await sleep(Math.max(0, KILL_AT - elapsed()) * 1000);
      phase = 'server killed';
      log(`killing the server (pid ${server!.pid}) with SIGKILL`);
      process.kill(server!.pid, 'SIGKILL');
      await sleep(200);
      server = await start();
      url = server.url;
      phase = 'after restart';
      log('server started again');
    })();

    await Promise.all([...Array.from({ length: CONNECTIONS }, (_, i) => worker(i)), faults]);

    // what the data holds once everything has settled
    const check = await openDatabase({ databaseUrl: scratch.url, poolMax: 1 });
    const count = async (sql: string) => Number(((await check.knex.raw(sql)) as { rows: { n: number }[] }).rows[0].n);
    const partial = {
      users_without_email: await count(`select count(*) as n from users u where not exists (select 1 from user_emails e where e.user_id = u.id)`),
      users_without_membership: await count(`select count(*) as n from users u where not u.is_invitation and not exists (select 1 from account_users au where au.user_id = u.id or au.invited_user_id = u.id)`),
      phones_without_user: await count(`select count(*) as n from user_phones p where not exists (select 1 from users u where u.id = p.user_id)`),
      team_members_without_team: await count(`select count(*) as n from team_members tm where not exists (select 1 from teams t where t.id = tm.team_id)`),
      creates_without_audit_event: await count(`select count(*) as n from account_users au where not exists (select 1 from audit_events a where a.target_id = au.id)`),
    };
    const users = await count(`select count(*) as n from users where user_name like 'w%@faults.example'`);
    await check.close();

    const phases: Phase[] = ['before', 'db restart', 'after db', 'server killed', 'after restart'];
    const outcomes = [...new Set(answers.map((a) => a.outcome))].sort();
    log('');
    log(`answers by phase (${answers.length} requests, ${CONNECTIONS} connections, ${SECONDS} s; ${users} users written):`);
    log(`${'phase'.padEnd(15)}${outcomes.map((o) => o.padStart(9)).join('')}`);
    for (const p of phases) {
      const inPhase = answers.filter((a) => a.phase === p);
      log(`${p.padEnd(15)}${outcomes.map((o) => String(inPhase.filter((a) => a.outcome === o).length).padStart(9)).join('')}`);
    }
    const lastFailure = answers.filter((a) => a.phase === 'after db' && !/^2/.test(a.outcome)).at(-1);
    log(`service back ${serverBackAt !== undefined && dbBackAt !== undefined ? `${(serverBackAt - dbBackAt).toFixed(2)} s after PostgreSQL answered again` : 'never seen'}; last failed answer after that at +${lastFailure ? (lastFailure.at - (dbBackAt ?? 0)).toFixed(2) : '0'} s`);
    log(`partial writes: ${JSON.stringify(partial)}`);

    const bad = answers.filter((a) => /^5/.test(a.outcome) && a.outcome !== '503');
    const hung = answers.filter((a) => a.outcome === 'timeout');
    const halfWritten = Object.values(partial).reduce((a, b) => a + b, 0);
    const okOutside = answers.filter((a) => (a.phase === 'before' || a.phase === 'after restart') && !/^2/.test(a.outcome) && a.outcome !== 'refused');
    log(`verdict: ${bad.length} 5xx other than 503, ${hung.length} timeouts, ${halfWritten} partial writes, ${okOutside.length} failures outside the faults`);
    process.exitCode = bad.length || hung.length || halfWritten || okOutside.length ? 1 : 0;
  } finally {
    await server?.stop().catch(() => undefined);
    await scratch.drop().catch((err: unknown) => log(`could not drop ${scratch.name}: ${String(err)}`));
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`faults: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
