import type { ScenarioName } from './args.js';
import {
  entraAddMemberBody,
  entraCreateBody,
  entraLookupPath,
  entraPatchBody,
  entraRemoveMemberBody,
  type Json,
  oktaActiveBody,
  oktaAddMemberBody,
  oktaCreateBody,
  oktaLookupPath,
  oktaPutBody,
  oktaRemoveMemberBody,
  pagePath,
  scimHeaders,
} from './idp-requests.js';
import { type LoadFigures, runLoad, type StepSpec } from './load.js';
import { readPage, type ReceivedPage, verifyWalk, walkStarts } from './page-walk.js';
import type { Seeded } from './seed.js';

/**
 * The scenarios of issue 6. Each first checks, untimed, that the server answers it correctly (a
 * fast wrong answer is no figure), then asks for timed runs at each concurrency. Bounded: every
 * run stops after its duration or its amount of requests.
 */

export interface Run {
  /** Row label: the scenario, or a part of it (page-first, page-last). */
  label: string;
  steps: StepSpec[];
  expected: (status: number) => boolean;
  /** Total requests instead of the duration (the page walk: every page once). */
  amount?: number;
  /** What the row's figures mean beyond requests (e.g. cycles). */
  note?: string;
}

/** A server under load: Rollcall, or the reference server. */
export interface Target {
  url: string;
  pid: number;
  rssMiB(): number;
}

export interface ScenarioEnv {
  url: string;
  token: string;
  seeded: Seeded;
  /** Members of the account when the scenarios start (seeded users + the owner). */
  members: number;
  runId: string;
  log(line: string): void;
  /** Runs one timed load against Rollcall (or another target) and records its row. */
  measure(run: Run, connections: number, target?: Target): Promise<LoadFigures>;
  /** Starts the reference server (Express 5 + one pg query) on the same database; undefined on the embedded one. */
  startReference(): Promise<(Target & { stop(): Promise<void> }) | undefined>;
  concurrency: number[];
  /** How long one measure() runs, warm-up included, in seconds. */
  measureSeconds: number;
  /** Makes the seeded account enforce SSO, or not (as `PUT /api/v4/account/sso` would); PostgreSQL only. */
  setSsoEnforced(enforced: boolean): Promise<void>;
}

export interface Scenario {
  name: ScenarioName;
  what: string;
  run(env: ScenarioEnv): Promise<void>;
}

const ok200 = (s: number) => s === 200;

async function scim(env: ScenarioEnv, method: string, path: string, body?: string): Promise<{ status: number; json: Json | undefined; text: string }> {
  const res = await fetch(`${env.url}${path}`, { method, headers: scimHeaders(env.token, body !== undefined), body });
  const text = await res.text();
  let json: Json | undefined;
  try {
    json = text ? (JSON.parse(text) as Json) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

function expect(condition: boolean, what: string): void {
  if (!condition) throw new Error(`check failed: ${what}`);
}

const cycle = <T>(list: readonly T[], n: number): T => list[n % list.length];

const reference: Scenario = {
  name: 'reference',
  what: 'the yardstick: Express 5 + one indexed pg lookup per request (bench/reference-server.ts) on the same database, same user names',
  async run(env) {
    const server = await env.startReference();
    if (!server) {
      env.log('reference: PostgreSQL only, skipped');
      return;
    }
    try {
      const names = env.seeded.userNames;
      const probe = await fetch(`${server.url}/lookup?userName=${encodeURIComponent(names[0])}`);
      expect(probe.status === 200 && ((await probe.json()) as Json).totalResults === 1, 'the reference server finds a user');
      for (const c of env.concurrency) {
        await env.measure({ label: 'reference', steps: [{ next: (n) => ({ method: 'GET', path: `/lookup?userName=${encodeURIComponent(cycle(names, n))}` }) }], expected: ok200, note: 'Express 5 + pg, not Rollcall' }, c, server);
      }
    } finally {
      await server.stop();
    }
  },
};

const lookupExisting: Scenario = {
  name: 'lookup-existing',
  what: 'GET /Users?filter=userName eq "<existing>"&startIndex=1&count=100 (Okta), over 2,000 users spread over the population',
  async run(env) {
    const names = env.seeded.userNames;
    const probe = await scim(env, 'GET', oktaLookupPath(names[names.length - 1].toUpperCase()));
    const found = (probe.json?.Resources as Json[] | undefined) ?? [];
    expect(probe.status === 200 && probe.json?.totalResults === 1 && found.length === 1, `lookup of an existing userName (in capitals) finds it once: ${probe.status} ${probe.text.slice(0, 200)}`);
    for (const c of env.concurrency) {
      await env.measure({ label: 'lookup-existing', steps: [{ next: (n) => ({ method: 'GET', path: oktaLookupPath(cycle(names, n)) }) }], expected: ok200 }, c);
    }
  },
};

const lookupMissing: Scenario = {
  name: 'lookup-missing',
  what: 'GET /Users?filter=userName eq "<missing>"&startIndex=1&count=100: an empty list, not 404',
  async run(env) {
    const probe = await scim(env, 'GET', oktaLookupPath(`nobody.${env.runId}@bench.example`));
    expect(probe.status === 200 && probe.json?.totalResults === 0, `lookup of a missing userName answers an empty list: ${probe.status} ${probe.text.slice(0, 200)}`);
    for (const c of env.concurrency) {
      await env.measure({ label: 'lookup-missing', steps: [{ next: (n) => ({ method: 'GET', path: oktaLookupPath(`missing.${env.runId}.${n}@bench.example`) }) }], expected: ok200 }, c);
    }
  },
};

const pageWalk: Scenario = {
  name: 'page-walk',
  what: 'GET /Users?startIndex=S&count=100 for S = 1, 101, ... to the end (an Okta import), verified; then the first and the last full page alone',
  async run(env) {
    const starts = walkStarts(env.members, 100);
    // the last FULL page: the walk's very last page may hold a single member, which says nothing of its position's cost
    const last = env.members % 100 === 0 ? starts[starts.length - 1] : starts[starts.length - 2];
    for (const c of env.concurrency) {
      const pages: ReceivedPage[] = [];
      const parseFailures: string[] = [];
      await env.measure(
        {
          label: 'page-walk',
          amount: Math.max(starts.length, c),
          steps: [
            {
              next: (n) => ({ method: 'GET', path: pagePath(cycle(starts, n)) }),
              onResponse: (status, body) => {
                if (status !== 200) return;
                try {
                  pages.push(readPage(body));
                } catch (err) {
                  parseFailures.push((err as Error).message);
                }
              },
            },
          ],
          expected: ok200,
          note: `${starts.length} pages, each once`,
        },
        c,
      );
      const verdict = verifyWalk(pages, env.members, 100);
      const problems = [...parseFailures.slice(0, 3), ...verdict.problems];
      env.log(`page walk at concurrency ${c}: ${verdict.pagesSeen}/${verdict.pagesExpected} pages, ${verdict.distinctIds} distinct members of ${env.members}: ${problems.length ? `WRONG: ${problems.slice(0, 8).join('; ')}` : 'every member exactly once'}`);
      if (problems.length) throw new Error(`page walk is wrong: ${problems.slice(0, 8).join('; ')}`);
    }
    for (const c of env.concurrency) {
      await env.measure({ label: 'page-first', steps: [{ next: () => ({ method: 'GET', path: pagePath(1) }) }], expected: ok200, note: 'startIndex=1' }, c);
      await env.measure({ label: 'page-last', steps: [{ next: () => ({ method: 'GET', path: pagePath(last) }) }], expected: ok200, note: `startIndex=${last}, the last full page` }, c);
    }
  },
};

const postUser: Scenario = {
  name: 'post-user',
  what: 'POST /Users as Okta sends it (password, locale, groups:[]), a new userName each time; then as Entra sends it (no password)',
  async run(env) {
    const probe = await scim(env, 'POST', '/scim/v2/Users', oktaCreateBody(`${env.runId}-probe`));
    expect(probe.status === 201 && typeof probe.json?.id === 'string' && !probe.text.includes('Bench-pass'), `POST /Users creates (201) and never echoes the password: ${probe.status} ${probe.text.slice(0, 200)}`);
    for (const c of env.concurrency) {
      await env.measure({ label: 'post-user', steps: [{ next: (n) => ({ method: 'POST', path: '/scim/v2/Users', body: oktaCreateBody(`${env.runId}-c${c}-${n}`) }) }], expected: (s) => s === 201, note: 'Okta, with a password' }, c);
    }
    // Entra never sends a password (nor does Okta without Sync Password): the same create without the hash
    for (const c of env.concurrency) {
      await env.measure(
        { label: 'post-user-nopw', steps: [{ next: (n) => ({ method: 'POST', path: '/scim/v2/Users', body: entraCreateBody(`entra.${env.runId}.c${c}.${n}@bench.example`, `${env.runId}-c${c}-${n}`) }) }], expected: (s) => s === 201, note: 'Entra, no password' },
        c,
      );
    }
  },
};

const putUser: Scenario = {
  name: 'put-user',
  what: 'PUT /Users/{id} with the whole user as last read (id, meta, emails, phone), a changed name; 200 users in turn',
  async run(env) {
    const ids = env.seeded.memberIds.slice(0, 200);
    const docs: Json[] = [];
    for (const id of ids) {
      const got = await scim(env, 'GET', `/scim/v2/Users/${id}`);
      expect(got.status === 200 && got.json !== undefined, `GET /Users/${id}: ${got.status} ${got.text.slice(0, 200)}`);
      docs.push(got.json as Json);
    }
    const probe = await scim(env, 'PUT', `/scim/v2/Users/${ids[0]}`, oktaPutBody(docs[0], -1));
    expect(probe.status === 200 && probe.json?.displayName === 'Put -1', `PUT replaces the user: ${probe.status} ${probe.text.slice(0, 200)}`);
    for (const c of env.concurrency) {
      await env.measure({ label: 'put-user', steps: [{ next: (n) => ({ method: 'PUT', path: `/scim/v2/Users/${cycle(ids, n)}`, body: oktaPutBody(cycle(docs, n), n) }) }], expected: ok200 }, c);
    }
  },
};

const patchActive: Scenario = {
  name: 'patch-active',
  what: 'PATCH /Users/{id} {"op":"replace","value":{"active":false}} then true (Okta), over 2,000 users',
  async run(env) {
    const ids = env.seeded.memberIds;
    const probe = await scim(env, 'PATCH', `/scim/v2/Users/${ids[1]}`, oktaActiveBody(false));
    expect(probe.status === 200 && probe.json?.active === false, `PATCH active false deactivates: ${probe.status} ${probe.text.slice(0, 200)}`);
    const back = await scim(env, 'PATCH', `/scim/v2/Users/${ids[1]}`, oktaActiveBody(true));
    expect(back.status === 200 && back.json?.active === true, `PATCH active true reactivates: ${back.status} ${back.text.slice(0, 200)}`);
    const lastSent = new Map<string, boolean>();
    for (const c of env.concurrency) {
      await env.measure(
        {
          label: 'patch-active',
          steps: [
            {
              next: (n) => {
                // the first pass over the users deactivates them, the next reactivates them, ...
                const id = cycle(ids, n);
                const active = Math.floor(n / ids.length) % 2 === 1;
                lastSent.set(id, active);
                return { method: 'PATCH', path: `/scim/v2/Users/${id}`, body: oktaActiveBody(active) };
              },
            },
          ],
          expected: ok200,
        },
        c,
      );
    }
    // leave everyone active for what follows
    for (const [id, active] of lastSent) if (!active) await scim(env, 'PATCH', `/scim/v2/Users/${id}`, oktaActiveBody(true));
  },
};

function memberScenario(name: 'member-big' | 'member-small', pick: (s: Seeded) => string, what: string): Scenario {
  return {
    name,
    what,
    async run(env) {
      const group = pick(env.seeded);
      const outsiders = env.seeded.outsiders;
      const add = await scim(env, 'PATCH', `/scim/v2/Groups/${group}`, oktaAddMemberBody(outsiders[0]));
      expect(add.status === 204 || add.status === 200, `PATCH add member: ${add.status} ${add.text.slice(0, 200)}`);
      const inGroup = await scim(env, 'GET', `/scim/v2/Users?filter=${encodeURIComponent(`id eq "${outsiders[0]}"`)}&attributes=groups`);
      const groups = ((inGroup.json?.Resources as Json[] | undefined)?.[0]?.groups as Json[] | undefined) ?? [];
      expect(groups.some((g) => g.value === group), `the added member lists the group: ${inGroup.status} ${inGroup.text.slice(0, 300)}`);
      const remove = await scim(env, 'PATCH', `/scim/v2/Groups/${group}`, oktaRemoveMemberBody(outsiders[0]));
      expect(remove.status === 204 || remove.status === 200, `PATCH remove member: ${remove.status} ${remove.text.slice(0, 200)}`);
      for (const c of env.concurrency) {
        await env.measure(
          {
            label: name,
            steps: [
              {
                // request 2k adds outsider k, request 2k+1 removes it; Okta's dialect and Entra's in turn
                next: (n) => {
                  const pair = Math.floor(n / 2);
                  const member = cycle(outsiders, pair);
                  const okta = pair % 2 === 0;
                  const body = n % 2 === 0 ? (okta ? oktaAddMemberBody(member) : entraAddMemberBody(member)) : okta ? oktaRemoveMemberBody(member) : entraRemoveMemberBody(member);
                  return { method: 'PATCH', path: `/scim/v2/Groups/${group}`, body };
                },
              },
            ],
            expected: (s) => s === 204 || s === 200,
            note: 'add, remove, add, ...',
          },
          c,
        );
      }
    },
  };
}

const entraCycle: Scenario = {
  name: 'entra-cycle',
  what: 'Entra-like cycle per user: GET /Users?filter=userName eq "..." then PATCH (found, 9 in 10) or POST (not found)',
  async run(env) {
    const names = env.seeded.userNames;
    for (const c of env.concurrency) {
      await env.measure(
        {
          label: 'entra-cycle',
          steps: [
            {
              next: (n, context) => {
                const fresh = n % 10 === 9;
                const userName = fresh ? `entra.${env.runId}.c${c}.${n}@bench.example` : cycle(names, n);
                context.userName = userName;
                context.n = n;
                return { method: 'GET', path: entraLookupPath(userName) };
              },
              onResponse: (status, body, context) => {
                if (status !== 200) return;
                const doc = JSON.parse(body) as { Resources?: { id?: string }[] };
                context.id = doc.Resources?.[0]?.id;
              },
            },
            {
              next: (_n, context) =>
                typeof context.id === 'string'
                  ? { method: 'PATCH', path: `/scim/v2/Users/${context.id}`, body: entraPatchBody(context.n as number) }
                  : { method: 'POST', path: '/scim/v2/Users', body: entraCreateBody(context.userName as string, `${env.runId}-${c}-${String(context.n)}`) },
            },
          ],
          expected: (s) => s === 200 || s === 201,
          note: 'requests/s counts both requests of a cycle',
        },
        c,
      );
    }
  },
};

const lookupBesidePasswordPosts: Scenario = {
  name: 'lookup-beside-password-posts',
  what: 'userName lookups on half the connections alone, then again while Okta password POSTs run on the other half: what a storm of password hashing leaves to other requests',
  async run(env) {
    const names = env.seeded.userNames;
    const lookups = { steps: [{ next: (n: number) => ({ method: 'GET' as const, path: oktaLookupPath(cycle(names, n)) }) }], expected: ok200 };
    for (const c of env.concurrency) {
      const half = Math.max(1, Math.floor(c / 2));
      await env.measure({ label: 'lookup-alone', ...lookups }, half);
      const storm = runLoad({
        url: env.url,
        headers: (step) => scimHeaders(env.token, step.body !== undefined),
        connections: half,
        duration: env.measureSeconds + 1,
        steps: [{ next: (n) => ({ method: 'POST', path: '/scim/v2/Users', body: oktaCreateBody(`${env.runId}-storm-c${c}-${n}`) }) }],
        expected: (s) => s === 201,
      });
      await env.measure({ label: 'lookup-beside-password-posts', ...lookups, note: `beside ${half} connections of password POSTs` }, half);
      const posts = await storm;
      env.log(`password POSTs beside the lookups: ${posts.requests} in ${posts.seconds.toFixed(1)} s (${(posts.requests / posts.seconds).toFixed(1)}/s)`);
    }
  },
};

const postUserSso: Scenario = {
  name: 'post-user-sso',
  what: 'POST /Users as Okta sends it, with a password, to an account that enforces SSO (the password of a non-admin is neither hashed nor kept), then without a password',
  async run(env) {
    await env.setSsoEnforced(true);
    try {
      for (const c of env.concurrency) {
        await env.measure({ label: 'post-user-sso-password', steps: [{ next: (n) => ({ method: 'POST', path: '/scim/v2/Users', body: oktaCreateBody(`${env.runId}-sso-c${c}-${n}`) }) }], expected: (s) => s === 201, note: 'Okta, with a password, SSO enforced' }, c);
        await env.measure(
          { label: 'post-user-sso-nopw', steps: [{ next: (n) => ({ method: 'POST', path: '/scim/v2/Users', body: entraCreateBody(`sso.${env.runId}.c${c}.${n}@bench.example`, `${env.runId}-sso-c${c}-${n}`) }) }], expected: (s) => s === 201, note: 'no password, SSO enforced' },
          c,
        );
      }
    } finally {
      await env.setSsoEnforced(false);
    }
  },
};

export const ALL_SCENARIOS: Scenario[] = [
  reference,
  lookupExisting,
  lookupMissing,
  pageWalk,
  postUser,
  putUser,
  patchActive,
  memberScenario('member-big', (s) => s.bigGroupId, 'PATCH /Groups/{big} adding then removing one member (Okta: value list / members[value eq]; Entra: Add / Remove with value list)'),
  memberScenario('member-small', (s) => s.smallGroupId, 'the same on the 5-member group'),
  entraCycle,
  lookupBesidePasswordPosts,
  postUserSso,
];
