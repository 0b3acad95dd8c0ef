import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifiedDomainOwner } from '../../src/domain/domains/domains-store.js';
import { newId } from '../../src/domain/ids.js';
import { startTestDnsServer, type TestDnsServer } from '../support/test-dns-server.js';
import { TestIdp } from '../support/test-idp.js';
import { runCli, scratchEnvironment } from '../support/started-server.js';
import { startTestApp, type TestAccount, type TestApp, uniqueEmail } from '../support/test-app.js';

/**
 * Verified email domains over REST v4 (/api/v4/account/domains), the CLI, and SSO discovery on
 * /login; DNS answered by a real DNS server on 127.0.0.1 that the app is configured to use.
 */

let dns: TestDnsServer;
let app: TestApp;
let acme: TestAccount;
let globex: TestAccount;
/** A member of Acme without roles, with their own API token. */
let plain: { id: string; token: string };

let seq = 0;
/** A domain no other test uses. */
const freshDomain = (label = 'd'): string => `${label}${seq++}-${process.pid}.test`;
const challenge = (domain: string): string => `_rollcall-challenge.${domain}`;

beforeAll(async () => {
  dns = await startTestDnsServer();
  app = await startTestApp({ dnsResolver: [dns.address] });
  acme = await app.createAccount('Acme');
  globex = await app.createAccount('Globex');
  const member = await app.request('POST', '/api/v4/account_users', {
    token: acme.token,
    body: { user_attributes: { name: 'Plain Member', emails_attributes: [{ email: uniqueEmail('plain') }] } },
  });
  expect(member.status).toBe(201);
  plain = { id: member.body.id, token: (await app.services.apiTokens.createAsOperator(member.body.id)).token };
});
afterAll(async () => {
  await app?.stop();
  await dns?.stop();
});

/** Adds the domain for the account, publishes its record in DNS, verifies it; answers the domain's view. */
async function addAndVerify(account: TestAccount, domain: string) {
  const added = await app.request('POST', '/api/v4/account/domains', { token: account.token, body: { domain } });
  expect(added.status).toBe(201);
  dns.setTxt(added.body.txt_record.name, [added.body.txt_record.value]);
  const verified = await app.request('POST', `/api/v4/account/domains/${added.body.id}/verify`, { token: account.token });
  expect(verified.status).toBe(200);
  return verified.body;
}

describe('adding and verifying a domain', () => {
  it('an admin adds a domain, gets the TXT record, publishes it and verifies; the domain is then Acme\'s', async () => {
    const domain = freshDomain('acme-corp');
    const added = await app.request('POST', '/api/v4/account/domains', { token: acme.token, body: { domain: `  ${domain.toUpperCase()}. ` } });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ object: 'domain', domain, verified: false, verified_at: null, txt_record: { type: 'TXT', name: challenge(domain) } });
    expect(added.body.id).toMatch(/^dom_[a-z0-9]{20}$/);
    expect(added.body.txt_record.value).toMatch(/^rollcall-domain-verification=[A-Za-z0-9_-]{32}$/);

    // Published among other TXT records (SPF), as a real zone has them.
    dns.setTxt(challenge(domain), ['v=spf1 -all', added.body.txt_record.value]);
    const verified = await app.request('POST', `/api/v4/account/domains/${added.body.id}/verify`, { token: acme.token });
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ id: added.body.id, domain, verified: true });
    expect(Date.parse(verified.body.verified_at)).not.toBeNaN();

    const list = await app.request('GET', '/api/v4/account/domains', { token: acme.token });
    expect(list.status).toBe(200);
    expect(list.body.data.find((d: { id: string }) => d.id === added.body.id)).toMatchObject({ domain, verified: true });
    expect((await app.request('GET', `/api/v4/account/domains/${added.body.id}`, { token: acme.token })).body).toMatchObject({ verified: true });

    // Verifying again answers the domain as it is.
    expect((await app.request('POST', `/api/v4/account/domains/${added.body.id}/verify`, { token: acme.token })).status).toBe(200);

    // What the add-a-person rule reads (any case, the exact domain only).
    expect(await verifiedDomainOwner(app.database.knex, domain.toUpperCase())).toBe(acme.accountId);
    expect(await verifiedDomainOwner(app.database.knex, `sub.${domain}`)).toBeUndefined();
    expect(await app.services.domains.domainVerifiedBy(acme.accountId, domain)).toBe(true);
    expect(await app.services.domains.domainVerifiedBy(globex.accountId, domain)).toBe(false);

    const audit = await app.request('GET', '/api/v4/audit_events?limit=100', { token: acme.token });
    const actions = audit.body.data.filter((e: { target: { id: string } }) => e.target.id === added.body.id).map((e: { action: string }) => e.action);
    expect(actions.sort()).toEqual(['domain.add', 'domain.verify']);
  });

  it('a missing TXT record is refused (422) naming the record to publish; a wrong one naming what was found', async () => {
    const domain = freshDomain();
    const added = await app.request('POST', '/api/v4/account/domains', { token: acme.token, body: { domain } });
    const { name, value } = added.body.txt_record;

    const missing = await app.request('POST', `/api/v4/account/domains/${added.body.id}/verify`, { token: acme.token });
    expect(missing.status).toBe(422);
    expect(missing.body.errors[0].message).toContain(`No TXT record was found at ${name}`);
    expect(missing.body.errors[0].message).toContain(value);

    dns.setTxt(name, ['rollcall-domain-verification=someone-elses-token']);
    const wrong = await app.request('POST', `/api/v4/account/domains/${added.body.id}/verify`, { token: acme.token });
    expect(wrong.status).toBe(422);
    expect(wrong.body.errors[0].message).toContain(`does not hold "${value}"`);
    expect(wrong.body.errors[0].message).toContain('someone-elses-token');

    // Another account's record for the same domain does not verify this one either.
    const theirs = await app.request('POST', '/api/v4/account/domains', { token: globex.token, body: { domain } });
    dns.setTxt(name, [theirs.body.txt_record.value]);
    expect((await app.request('POST', `/api/v4/account/domains/${added.body.id}/verify`, { token: acme.token })).status).toBe(422);

    const still = await app.request('GET', `/api/v4/account/domains/${added.body.id}`, { token: acme.token });
    expect(still.body).toMatchObject({ verified: false, verified_at: null });
  });

  it('a value published with the quotes of a DNS form around it still verifies', async () => {
    const domain = freshDomain('quoted');
    const added = await app.request('POST', '/api/v4/account/domains', { token: acme.token, body: { domain } });
    dns.setTxt(added.body.txt_record.name, [` "${added.body.txt_record.value}" `]);
    const verified = await app.request('POST', `/api/v4/account/domains/${added.body.id}/verify`, { token: acme.token });
    expect(verified.status).toBe(200);
    expect(verified.body.verified).toBe(true);
  });

  it('a DNS server that never answers gives a clear 503 within seconds, not a hang or a 500', async () => {
    const domain = freshDomain();
    const added = await app.request('POST', '/api/v4/account/domains', { token: acme.token, body: { domain } });
    dns.silence(challenge(domain));
    const started = Date.now();
    const res = await app.request('POST', `/api/v4/account/domains/${added.body.id}/verify`, { token: acme.token });
    expect(Date.now() - started).toBeLessThan(9000);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('30');
    expect(res.body.errors[0].message).toContain(`Could not check the TXT record at ${challenge(domain)}: the DNS query timed out`);
  }, 20_000);

  it('a second account cannot verify a domain another has verified (409), even with its own record published', async () => {
    const domain = freshDomain('shared');
    await addAndVerify(acme, domain);
    const theirs = await app.request('POST', '/api/v4/account/domains', { token: globex.token, body: { domain } });
    expect(theirs.status).toBe(201); // a pending claim harms nobody
    dns.setTxt(challenge(domain), [theirs.body.txt_record.value]);
    const refused = await app.request('POST', `/api/v4/account/domains/${theirs.body.id}/verify`, { token: globex.token });
    expect(refused.status).toBe(409);
    expect(refused.body.errors[0].message).toContain(`Domain ${domain} is already verified by another account`);
    expect(await verifiedDomainOwner(app.database.knex, domain)).toBe(acme.accountId);

    // The database says so too: one verified row per domain, whatever the code does.
    await expect(app.database.knex('account_domains').where({ id: theirs.body.id }).update({ verified_at: app.database.knex.fn.now() })).rejects.toThrow(/account_domains_verified_unique/);
  });

  it('once the verifier removes the domain, another account may verify it', async () => {
    const domain = freshDomain('moved');
    const ours = await addAndVerify(acme, domain);
    expect((await app.request('DELETE', `/api/v4/account/domains/${ours.id}`, { token: acme.token })).status).toBe(204);
    expect((await app.request('GET', `/api/v4/account/domains/${ours.id}`, { token: acme.token })).status).toBe(404);
    expect((await app.request('DELETE', `/api/v4/account/domains/${ours.id}`, { token: acme.token })).status).toBe(404);
    await addAndVerify(globex, domain);
    expect(await verifiedDomainOwner(app.database.knex, domain)).toBe(globex.accountId);
  });

  it('the same domain twice in one account is a 409', async () => {
    const domain = freshDomain();
    expect((await app.request('POST', '/api/v4/account/domains', { token: acme.token, body: { domain } })).status).toBe(201);
    const again = await app.request('POST', '/api/v4/account/domains', { token: acme.token, body: { domain: domain.toUpperCase() } });
    expect(again.status).toBe(409);
    expect(again.body.errors[0]).toMatchObject({ field: 'domain' });
  });

  it('an international domain is kept in its ASCII (punycode) form, and found by either form', async () => {
    const domain = `bücher${seq++}.test`;
    const verified = await addAndVerify(acme, domain);
    expect(verified.domain).toMatch(/^xn--bcher\d+-[a-z0-9]+\.test$/);
    expect(await verifiedDomainOwner(app.database.knex, domain.toUpperCase())).toBe(acme.accountId);
    expect(await verifiedDomainOwner(app.database.knex, verified.domain)).toBe(acme.accountId);
  });
});

describe('who may', () => {
  it('only admins manage domains (403 for a member)', async () => {
    const ours = await app.request('POST', '/api/v4/account/domains', { token: acme.token, body: { domain: freshDomain() } });
    expect((await app.request('GET', '/api/v4/account/domains', { token: plain.token })).status).toBe(403);
    expect((await app.request('POST', '/api/v4/account/domains', { token: plain.token, body: { domain: freshDomain() } })).status).toBe(403);
    expect((await app.request('GET', `/api/v4/account/domains/${ours.body.id}`, { token: plain.token })).status).toBe(403);
    expect((await app.request('POST', `/api/v4/account/domains/${ours.body.id}/verify`, { token: plain.token })).status).toBe(403);
    expect((await app.request('DELETE', `/api/v4/account/domains/${ours.body.id}`, { token: plain.token })).status).toBe(403);
    expect((await app.request('GET', `/api/v4/account/domains/${ours.body.id}/people_elsewhere`, { token: plain.token })).status).toBe(403);
  });

  it("another account's domain is a 404 on every route, and is left as it was", async () => {
    const domain = freshDomain();
    const ours = await app.request('POST', '/api/v4/account/domains', { token: acme.token, body: { domain } });
    dns.setTxt(challenge(domain), [ours.body.txt_record.value]);
    for (const [method, path] of [
      ['GET', ''],
      ['POST', '/verify'],
      ['DELETE', ''],
      ['GET', '/people_elsewhere'],
    ] as const) {
      const res = await app.request(method, `/api/v4/account/domains/${ours.body.id}${path}`, { token: globex.token });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    expect((await app.request('GET', '/api/v4/account/domains', { token: globex.token })).body.data.map((d: { id: string }) => d.id)).not.toContain(ours.body.id);
    expect((await app.request('GET', `/api/v4/account/domains/${ours.body.id}`, { token: acme.token })).body).toMatchObject({ domain, verified: false });
  });

  it('signed out is a 401', async () => {
    expect((await app.request('GET', '/api/v4/account/domains')).status).toBe(401);
    expect((await app.request('POST', '/api/v4/account/domains', { body: { domain: freshDomain() } })).status).toBe(401);
    expect((await app.request('POST', `/api/v4/account/domains/${newId('dom')}/verify`)).status).toBe(401);
  });
});

describe('hostile input gets a 4xx, never a 500', () => {
  const post = (body: unknown) => app.request('POST', '/api/v4/account/domains', { token: acme.token, body });

  it.each([
    ['a NUL byte', { domain: 'evil\u0000.test' }],
    ['a 10 KB domain', { domain: `${'a'.repeat(10_000)}.test` }],
    ['a label of 64 characters', { domain: `${'a'.repeat(64)}.test` }],
    ['a wildcard', { domain: '*.acme.test' }],
    ['one label', { domain: 'localhost' }],
    ['an IP address', { domain: '10.0.0.1' }],
    ['a URL', { domain: 'https://acme.test/' }],
    ['an email', { domain: 'ann@acme.test' }],
    ['an empty string', { domain: '' }],
    ['spaces inside', { domain: 'acme corp.test' }],
    ['a leading hyphen', { domain: '-acme.test' }],
  ])('%s is refused as invalid', async (_what, body) => {
    const res = await post(body);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body.errors[0].message.length).toBeLessThan(600);
  });

  it.each([
    ['a number', { domain: 42 }],
    ['null', { domain: null }],
    ['an array', { domain: ['acme.test'] }],
    ['no domain', {}],
    ['an array body', ['acme.test']],
  ])('%s is a 400', async (_what, body) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toMatch(/domain|body/);
  });

  it('a body that is not JSON is a 400', async () => {
    const res = await app.request('POST', '/api/v4/account/domains', { token: acme.token, rawBody: '{"domain":', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
  });

  it('ids that cannot be ours are a 404', async () => {
    for (const id of ['%00', 'x'.repeat(10_000), 'dom_%00', encodeURIComponent("' or 1=1 --")]) {
      const res = await app.request('POST', `/api/v4/account/domains/${id}/verify`, { token: acme.token });
      expect(res.status, id.slice(0, 20)).toBe(404);
      expect(res.body.errors[0].message.length).toBeLessThan(300);
    }
  });
});

describe('people at a verified domain whom another account created', () => {
  it('are listed to the verifier: not its own people, not invitation copies, not other domains', async () => {
    const domain = freshDomain('people');
    const addPerson = async (token: string, email: string) => {
      const res = await app.request('POST', '/api/v4/account_users', { token, body: { user_attributes: { name: 'Someone', emails_attributes: [{ email }] } } });
      expect(res.status).toBe(201);
      return res.body.user_id as string;
    };
    // People another account created before the domain was verified (once it is, such adds are invitations).
    const bob = await addPerson(globex.token, `Bob@${domain.toUpperCase()}`);
    const eve = await addPerson(globex.token, `eve@${domain}`);
    await addPerson(acme.token, `ann@${domain}`); // Acme's own
    await addPerson(globex.token, `cat@sub.${domain}`); // another domain
    await addPerson(globex.token, `dan@x${domain}`); // a domain that merely ends alike
    // An invitation's copy (migration 014) at the domain is not a person.
    const copyId = newId('usr');
    await app.database.knex('users').insert({ id: copyId, name: 'Copy', user_name: `copy@${domain}`, managed_by_account_id: globex.accountId, is_invitation: true });
    await app.database.knex('user_emails').insert({ id: newId('eml'), user_id: copyId, email: `copy@${domain}`, primary: true, of_invitation: true });
    const ours = await addAndVerify(acme, domain);

    const res = await app.request('GET', `/api/v4/account/domains/${ours.id}/people_elsewhere`, { token: acme.token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ has_more: false, total_count: 2 });
    expect(res.body.data).toEqual([
      { object: 'person_elsewhere', user_id: bob, emails: [`Bob@${domain.toUpperCase()}`], managed_by_account: { id: globex.accountId, name: 'Globex' }, created_at: expect.any(String) },
      { object: 'person_elsewhere', user_id: eve, emails: [`eve@${domain}`], managed_by_account: { id: globex.accountId, name: 'Globex' }, created_at: expect.any(String) },
    ]);

    // Paged like every list.
    const first = await app.request('GET', `/api/v4/account/domains/${ours.id}/people_elsewhere?limit=1`, { token: acme.token });
    expect(first.body).toMatchObject({ has_more: true, total_count: 2 });
    expect(first.body.data.map((p: { user_id: string }) => p.user_id)).toEqual([bob]);
  });

  it('are not shown for a domain not yet verified (409): adding a domain tells nobody who is there', async () => {
    const domain = freshDomain('pending');
    await app.request('POST', '/api/v4/account_users', { token: globex.token, body: { user_attributes: { name: 'Someone', emails_attributes: [{ email: `fay@${domain}` }] } } });
    const added = await app.request('POST', '/api/v4/account/domains', { token: acme.token, body: { domain } });
    const res = await app.request('GET', `/api/v4/account/domains/${added.body.id}/people_elsewhere`, { token: acme.token });
    expect(res.status).toBe(409);
    expect(JSON.stringify(res.body)).not.toContain('fay@');
  });
});

describe('SSO discovery on /login', () => {
  let ssoDomain: string;
  let plainDomain: string;
  let idp: TestIdp;

  beforeAll(async () => {
    idp = await TestIdp.create({ ssoUrl: 'http://127.0.0.1:9/idp-sso' });
    const configured = await app.request('PUT', '/api/v4/account/sso', { token: acme.token, body: { idp_metadata_xml: idp.metadataXml() } });
    expect(configured.status).toBe(200);
    ssoDomain = freshDomain('sso');
    await addAndVerify(acme, ssoDomain);
    plainDomain = freshDomain('nosso'); // verified by Globex, which has no SAML
    await addAndVerify(globex, plainDomain);
  });

  const discover = (email: string, extra: Record<string, string> = {}) =>
    fetch(`${app.url}/login/sso`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: app.url },
      body: new URLSearchParams({ email, ...extra }).toString(),
    });

  it('the sign-in page offers an email field for SSO, and the account-ID way still works', async () => {
    const page = await (await fetch(`${app.url}/login`)).text();
    expect(page).toContain('id="sso_email"');
    expect(page).toContain('name="email"');
    expect(page).toContain('id="sso_account_id"');
    const byId = await fetch(`${app.url}/login/sso?account_id=${acme.accountId}`, { redirect: 'manual' });
    expect(byId.status).toBe(303);
    expect(byId.headers.get('location')).toBe(`/sso/saml/${acme.accountId}/login`);
  });

  it('an email at a domain verified by an account with SAML goes straight to its SSO, and on to its IdP', async () => {
    const res = await discover(`Someone.New@${ssoDomain.toUpperCase()}`, { return_to: '/somewhere' });
    expect(res.status).toBe(303);
    const location = res.headers.get('location')!;
    expect(location).toBe(`/sso/saml/${acme.accountId}/login?RelayState=%2Fsomewhere`);
    const toIdp = await fetch(app.url + location, { redirect: 'manual' });
    expect(toIdp.status).toBe(302);
    expect(toIdp.headers.get('location')).toMatch(/^http:\/\/127\.0\.0\.1:9\/idp-sso\?SAMLRequest=/);
  });

  it('any other address gets the same neutral answer with the password form, whether or not it belongs to someone', async () => {
    const known = `known.${seq++}@${plainDomain}`;
    const created = await app.request('POST', '/api/v4/account_users', { token: globex.token, body: { user_attributes: { name: 'Known', emails_attributes: [{ email: known }] } } });
    expect(created.status).toBe(201);
    const unknown = `unknown.${seq++}@${plainDomain}`;

    const answers = await Promise.all(
      [known, unknown, `someone@${freshDomain('unverified')}`, `x@sub.${ssoDomain}`, 'not-an-email', `a@${'b'.repeat(400)}.test`, 'nul\u0000@x.test'].map(async (email) => {
        const res = await discover(email);
        const body = await res.text();
        return { email, status: res.status, body: body.split(email.replace(/&/g, '&amp;')).join('EMAIL') };
      }),
    );
    for (const a of answers) {
      expect(a.status, a.email).toBe(200);
      expect(a.body, a.email).toContain('Single sign-on is not set up for that address');
      expect(a.body, a.email).toContain('id="password"');
    }
    // The known and the unknown address read the same, but for the address itself.
    expect(answers[0].body).toBe(answers[1].body);
  });

  it('an empty email asks for one; a cross-site form is refused', async () => {
    expect((await discover('')).status).toBe(400);
    const crossSite = await fetch(`${app.url}/login/sso`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
      body: new URLSearchParams({ email: `a@${ssoDomain}` }).toString(),
    });
    expect(crossSite.status).toBe(403);
  });
});

describe('rollcall domain add|verify|list|remove', () => {
  it('the operator verifies a domain from the command line, with DNS_RESOLVER', async () => {
    const { env, drop } = await scratchEnvironment({ DNS_RESOLVER: dns.address });
    try {
      const created = await runCli(['account', 'create', '--name', 'Initech', '--owner-email', 'owner@initech.test', '--json'], env);
      expect(created.code, created.stderr).toBe(0);
      const accountId = JSON.parse(created.stdout).account.id as string;
      const domain = freshDomain('cli');

      const added = await runCli(['domain', 'add', '--account', accountId, '--domain', domain, '--json'], env);
      expect(added.code, added.stderr).toBe(0);
      const row = JSON.parse(added.stdout);
      expect(row).toMatchObject({ domain, verified: false, txt_record: { type: 'TXT', name: challenge(domain) } });

      dns.setTxt(challenge(domain), [row.txt_record.value]);
      const verified = await runCli(['domain', 'verify', '--account', accountId, '--domain', domain, '--json'], env);
      expect(verified.code, verified.stderr).toBe(0);
      expect(JSON.parse(verified.stdout)).toMatchObject({ id: row.id, verified: true });

      const listed = await runCli(['domain', 'list', '--account', accountId, '--json'], env);
      expect(JSON.parse(listed.stdout).data).toEqual([expect.objectContaining({ id: row.id, domain, verified: true })]);

      const removed = await runCli(['domain', 'remove', '--account', accountId, '--id', row.id], env);
      expect(removed.code, removed.stderr).toBe(0);
      expect(removed.stdout).toContain(`Domain ${domain} removed.`);

      const usage = await runCli(['domain', 'verify', '--account', accountId], env);
      expect(usage.code).toBe(2);
    } finally {
      await drop();
    }
  }, 300_000);
});
