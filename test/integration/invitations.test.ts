import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCIM_URN, type ScimRequest, scimClient } from '../support/scim-client.js';
import { startAuthApp } from '../support/auth-app.js';
import { startTestDnsServer } from '../support/test-dns-server.js';
import { startTestSmtpServer, type TestSmtpServer } from '../support/test-smtp-server.js';
import { OutboxDelivery } from '../../src/domain/notifications/outbox.js';
import { startTestApp, type TestAccount, type TestApp, uniqueEmail } from '../support/test-app.js';

/**
 * Issue 12, rule 1: account B provisions (SCIM or REST) a person account A manages. B gets an
 * invitation: its 201 and id, and from then on only what it sent itself, until the person accepts
 * with the link emailed to them; declining removes B's membership.
 */

const ROLLCALL = 'urn:ietf:params:scim:schemas:extension:rollcall:2.0:User';

let app: TestApp;
let acme: TestAccount;
let bravo: TestAccount;
let scimA: ScimRequest;
let scimB: ScimRequest;
let smtp: TestSmtpServer;
let mailer: OutboxDelivery;

beforeAll(async () => {
  app = await startTestApp();
  smtp = await startTestSmtpServer();
  mailer = new OutboxDelivery({ db: app.database.knex, smtpUrl: smtp.url, mailFrom: 'Rollcall <no-reply@rollcall.test>' });
  acme = await app.createAccount('Acme');
  bravo = await app.createAccount('Bravo');
  scimA = scimClient(app, (await app.services.scimTokens.createAsOperator(acme.accountId)).token);
  scimB = scimClient(app, (await app.services.scimTokens.createAsOperator(bravo.accountId)).token);
});
afterAll(async () => {
  await app?.stop();
  await smtp?.close();
});

/** A person account A creates: private data B must never see. */
async function acmePerson() {
  const email = uniqueEmail('grace');
  const home = uniqueEmail('grace-home');
  const res = await scimA('POST', '/Users', {
    schemas: [SCIM_URN.user],
    userName: email,
    name: { givenName: 'Grace', familyName: 'Hopper' },
    emails: [{ value: email, type: 'work', primary: true }, { value: home, type: 'home' }],
    phoneNumbers: [{ value: '+1 415 555 0199', type: 'mobile' }],
    timezone: 'America/New_York',
  });
  expect(res.status).toBe(201);
  return { email, home, id: res.body.id as string };
}

const whatBravoSends = (email: string) => ({
  schemas: [SCIM_URN.user],
  userName: email,
  name: { givenName: 'G', familyName: 'H' },
  emails: [{ value: email, type: 'work', primary: true }],
});

/** The link in the invitation email, as a local SMTP server receives it from the outbox. */
async function invitationLink(to: string): Promise<string> {
  await mailer.deliverDue();
  const mail = await smtp.waitFor(to);
  expect(mail.subject).toBe('Bravo invites you to join them on Rollcall');
  const link = /https?:\/\/\S+\/invitations\/confirm\?token=\S+/.exec(mail.text)?.[0];
  if (!link) throw new Error(`no invitation message to ${to}`);
  return link;
}

async function answer(link: string, decision: 'accept' | 'decline') {
  const token = new URL(link).searchParams.get('token')!;
  return app.request('POST', '/invitations/confirm', {
    rawBody: new URLSearchParams({ token, decision }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: app.url },
  });
}

describe('an account provisions a person another account manages', () => {
  it('answers as for a new person and shows only what it sent (SCIM POST, GET, filters, lists)', async () => {
    const grace = await acmePerson();
    const stranger = uniqueEmail('never-seen');
    const invited = await scimB('POST', '/Users', whatBravoSends(grace.email));
    const fresh = await scimB('POST', '/Users', whatBravoSends(stranger));
    expect(invited.status).toBe(201);
    expect(fresh.status).toBe(201);
    // the same shape: nothing tells B that the address was known
    const keys = (doc: Record<string, unknown>) => Object.keys(doc).sort();
    expect(keys(invited.body)).toEqual(keys(fresh.body));
    expect(invited.body.name).toEqual({ givenName: 'G', familyName: 'H', formatted: 'G H' });
    expect(invited.body[ROLLCALL].invited).toBe(true);
    expect(fresh.body[ROLLCALL].invited).toBeUndefined();

    const everything = JSON.stringify([
      invited.body,
      (await scimB('GET', `/Users/${invited.body.id}`)).body,
      (await scimB('GET', '/Users?count=100')).body,
      (await scimB('GET', `/Users?filter=${encodeURIComponent(`userName eq "${grace.email}"`)}`)).body,
    ]);
    for (const secret of ['Grace', 'Hopper', '555 0199', '+14155550199', 'America/New_York', grace.home, grace.id]) expect(everything).not.toContain(secret);

    // a filter on the person's other address (which B never sent) finds nothing
    const byHome = await scimB('GET', `/Users?filter=${encodeURIComponent(`emails.value eq "${grace.home}"`)}`);
    expect(byHome.body.totalResults).toBe(0);
    const byName = await scimB('GET', `/Users?filter=${encodeURIComponent(`userName eq "${grace.email}"`)}`);
    expect(byName.body.totalResults).toBe(1);
    expect(byName.body.Resources[0].id).toBe(invited.body.id);

    // A still sees its own person as it stored them
    const seenByA = await scimA('GET', `/Users/${grace.id}`);
    expect(seenByA.body.name.givenName).toBe('Grace');
    expect(seenByA.body.phoneNumbers[0].value).toBe('+1 415 555 0199');
  });

  it('keeps later PATCH, PUT and DELETE on what it sent, never on the person', async () => {
    const grace = await acmePerson();
    const invited = await scimB('POST', '/Users', whatBravoSends(grace.email));
    const patched = await scimB('PATCH', `/Users/${invited.body.id}`, {
      schemas: [SCIM_URN.patchOp],
      Operations: [{ op: 'replace', path: 'name.givenName', value: 'Gigi' }, { op: 'add', path: 'phoneNumbers', value: [{ value: '+44 20 7946 0000', type: 'work' }] }],
    });
    expect(patched.status).toBe(200);
    expect(patched.body.name.givenName).toBe('Gigi');
    const seenByA = await scimA('GET', `/Users/${grace.id}`);
    expect(seenByA.body.name.givenName).toBe('Grace');
    expect(JSON.stringify(seenByA.body)).not.toContain('7946');
    const put = await scimB('PUT', `/Users/${invited.body.id}`, { ...whatBravoSends(grace.email), name: { givenName: 'G2', familyName: 'H2' }, password: 'chosen by bravo 123' });
    expect(put.status).toBe(200);
    expect(put.body.name.givenName).toBe('G2');
    // B's password is never stored for the person
    const stored = await app.database.knex('users as u').join('user_emails as e', 'e.user_id', 'u.id').where('e.email', grace.email).select('u.password_hash', 'u.is_invitation');
    expect(stored.every((r: { password_hash: string | null }) => r.password_hash === null)).toBe(true);
    expect((await scimB('DELETE', `/Users/${invited.body.id}`)).status).toBe(204);
    expect((await scimB('GET', `/Users/${invited.body.id}`)).status).toBe(404);
    expect((await scimA('GET', `/Users/${grace.id}`)).status).toBe(200);
  });

  it('over REST too: invited, with only what the admin sent', async () => {
    const grace = await acmePerson();
    const res = await app.request('POST', '/api/v4/account_users', {
      token: bravo.token,
      body: { user_attributes: { name: 'Someone', emails_attributes: [{ email: grace.email }] } },
    });
    expect(res.status).toBe(201);
    expect(res.body.invited).toBe(true);
    expect(res.body.user.name).toBe('Someone');
    expect(res.body.user.phones).toEqual([]);
    const got = await app.request('GET', `/api/v4/account_users/${res.body.id}`, { token: bravo.token });
    expect(JSON.stringify(got.body)).not.toContain('Hopper');
    expect(JSON.stringify((await app.request('GET', '/api/v4/users?limit=100', { token: bravo.token })).body)).not.toContain('Hopper');
  });

  it('shows the profile once the person accepts with the emailed link, which works once', async () => {
    const grace = await acmePerson();
    const invited = await scimB('POST', '/Users', whatBravoSends(grace.email));
    const link = await invitationLink(grace.email);
    const page = await app.request('GET', new URL(link).pathname + new URL(link).search);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Bravo');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    // a form posted from another site is refused, and changes nothing
    const token = new URL(link).searchParams.get('token')!;
    const crossSite = await app.request('POST', '/invitations/confirm', { rawBody: `token=${token}&decision=accept`, headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' } });
    expect(crossSite.status).toBe(403);
    expect((await scimB('GET', `/Users/${invited.body.id}`)).body[ROLLCALL].invited).toBe(true);

    const accepted = await answer(link, 'accept');
    expect(accepted.status).toBe(200);
    const after = await scimB('GET', `/Users/${invited.body.id}`);
    expect(after.status).toBe(200);
    expect(after.body[ROLLCALL]?.invited).toBeUndefined();
    expect(after.body.name.givenName).toBe('Grace');
    expect(after.body.phoneNumbers[0].value).toBe('+1 415 555 0199');
    // the link is used up
    expect((await answer(link, 'accept')).status).toBe(404);
    const audit = await app.request('GET', '/api/v4/audit_events?limit=100', { token: bravo.token });
    const actions = (audit.body.data as { action: string; target: { id: string } }[]).filter((e) => e.target.id === invited.body.id).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['account_user.invite', 'account_user.invitation_accept']));
  });

  it('removes the membership when the person declines (the IdP then sees 404)', async () => {
    const grace = await acmePerson();
    const invited = await scimB('POST', '/Users', whatBravoSends(grace.email));
    const declined = await answer(await invitationLink(grace.email), 'decline');
    expect(declined.status).toBe(200);
    expect((await scimB('GET', `/Users/${invited.body.id}`)).status).toBe(404);
    expect((await scimA('GET', `/Users/${grace.id}`)).status).toBe(200);
  });

  it('lets the operator list, accept and decline', async () => {
    const grace = await acmePerson();
    const invited = await scimB('POST', '/Users', whatBravoSends(grace.email));
    const listed = await app.services.invitations.list({ email: grace.email });
    expect(listed.map((i) => i.id)).toEqual([invited.body.id]);
    await app.services.invitations.acceptAsOperator(invited.body.id);
    expect((await scimB('GET', `/Users/${invited.body.id}`)).body.name.givenName).toBe('Grace');
    expect(await app.services.invitations.list({ email: grace.email })).toEqual([]);
  });

  it('still links people the account manages, with the profile it sends now (delete, then provision again)', async () => {
    const email = uniqueEmail('own');
    const first = await scimB('POST', '/Users', { ...whatBravoSends(email), phoneNumbers: [{ value: '+1 415 555 0101', type: 'work' }] });
    expect((await scimB('DELETE', `/Users/${first.body.id}`)).status).toBe(204);
    const again = await scimB('POST', '/Users', { ...whatBravoSends(email), name: { givenName: 'New', familyName: 'Name' }, phoneNumbers: [{ value: '+1 415 555 0102', type: 'mobile' }] });
    expect(again.status).toBe(201);
    expect(again.body[ROLLCALL]?.invited).toBeUndefined();
    // what the POST sent is what it answers and what is stored (issue 14)
    expect(again.body.userName).toBe(email);
    expect(again.body.name).toMatchObject({ givenName: 'New', familyName: 'Name' });
    expect(again.body.phoneNumbers).toEqual([expect.objectContaining({ value: '+1 415 555 0102', type: 'mobile' })]);
    const stored = await scimB('GET', `/Users/${again.body.id}`);
    expect(stored.body.name).toMatchObject({ givenName: 'New', familyName: 'Name' });
    expect(stored.body.phoneNumbers).toHaveLength(1);
  });

  it('refuses a second invitation of the same person in one account, as it refuses a second membership', async () => {
    const grace = await acmePerson();
    expect((await scimB('POST', '/Users', whatBravoSends(grace.email))).status).toBe(201);
    const again = await scimB('POST', '/Users', whatBravoSends(grace.email));
    expect(again.status).toBe(409);
    expect(again.body.scimType).toBe('uniqueness');
  });
});

describe('the invitation pages, as a stranger would try them', () => {
  it('signed out: the list sends to /login; a made-up, hostile or used-up link is refused, changing nothing', async () => {
    const list = await fetch(`${app.url}/invitations`, { redirect: 'manual' });
    expect(list.status).toBe(303);
    expect(list.headers.get('location')).toBe('/login?return_to=%2Finvitations');
    expect((await fetch(`${app.url}/invitations/au_0000000000000000000/send-link`, { method: 'POST', redirect: 'manual', headers: { origin: app.url } })).status).toBe(303);
    for (const token of ['rc_prf_' + 'A'.repeat(43), '%00', 'a'.repeat(5000), "' or 1=1 --"]) {
      const page = await app.request('GET', `/invitations/confirm?token=${encodeURIComponent(token)}`);
      expect([400, 404]).toContain(page.status);
      const answer = await app.request('POST', '/invitations/confirm', { rawBody: new URLSearchParams({ token, decision: 'accept' }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', origin: app.url } });
      expect([400, 404]).toContain(answer.status);
    }
    const grace = await acmePerson();
    const invited = await scimB('POST', '/Users', whatBravoSends(grace.email));
    const link = await invitationLink(grace.email);
    const token = new URL(link).searchParams.get('token')!;
    const badDecision = await app.request('POST', '/invitations/confirm', { rawBody: new URLSearchParams({ token, decision: 'maybe' }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', origin: app.url } });
    expect(badDecision.status).toBe(400);
    // still an invitation, and the link still works once
    expect((await scimB('GET', `/Users/${invited.body.id}`)).body[ROLLCALL].invited).toBe(true);
    expect((await answer(link, 'decline')).status).toBe(200);
    expect((await answer(link, 'accept')).status).toBe(404);
  });
});

describe('squatting: an address another account created first', () => {
  it('does not let the squatter in to the account that provisions the address later', async () => {
    const address = uniqueEmail('new');
    // B creates the address first, with a password B chose
    const squat = await scimB('POST', '/Users', { ...whatBravoSends(address), password: 'bravo chose this 1' });
    expect(squat.status).toBe(201);
    // A provisions the same address as an admin: an invitation, not B's person
    const byA = await scimA('POST', '/Users', { ...whatBravoSends(address), roles: [{ value: 'admin' }], password: 'acme chose this 12' });
    expect(byA.status).toBe(201);
    expect(byA.body[ROLLCALL].invited).toBe(true);
    // B's password does not open A
    const signIn = await app.request('POST', '/public/login', { body: { username: address, password: 'bravo chose this 1', account_id: acme.accountId } });
    expect([401, 403]).toContain(signIn.status);
    expect(signIn.body.token).toBeUndefined();
  });
});

describe('the invited person, signed in', () => {
  it('sees the invitation, asks for the accept link, or declines it', async () => {
    const auth = await startAuthApp();
    try {
      const acmeAuth = await auth.createAccount('Acme');
      const person = await auth.createMember(acmeAuth.accountId);
      const other = await auth.createAccount('Bravo Inc');
      const scimBravo = (await auth.services.scimTokens.createAsOperator(other.accountId)).token;
      const invited = await auth.request('POST', '/scim/v2/Users', { token: scimBravo, json: whatBravoSends(person.email) });
      expect(invited.status).toBe(201);

      const signIn = await auth.request('POST', '/login', {
        form: { username: person.email, password: person.password, account_id: acmeAuth.accountId },
        headers: { origin: auth.url },
      });
      expect(signIn.status).toBe(303);
      const cookie = signIn.cookie!;
      const home = await auth.request('GET', '/', { cookie });
      expect(home.text).toContain('invited you');
      const list = await auth.request('GET', '/invitations', { cookie });
      expect(list.text).toContain('Bravo Inc');

      const sent = await auth.request('POST', `/invitations/${invited.body.id}/send-link`, { cookie, headers: { origin: auth.url } });
      expect(sent.status).toBe(200);
      expect(sent.text).toContain(person.email);
      const messages = await auth.database.knex('outbox_messages').where({ to_address: person.email, kind: 'invitation' }).count<{ n: number }[]>('* as n');
      expect(Number(messages[0].n)).toBe(2);
      // a form from another site changes nothing; neither does someone else's session
      expect((await auth.request('POST', `/invitations/${invited.body.id}/decline`, { cookie, headers: { origin: 'https://evil.example' } })).status).toBe(403);
      const owner = await auth.request('POST', '/login', { form: { username: acmeAuth.owner.email, password: acmeAuth.owner.password }, headers: { origin: auth.url } });
      expect((await auth.request('POST', `/invitations/${invited.body.id}/decline`, { cookie: owner.cookie, headers: { origin: auth.url } })).status).toBe(404);

      const declined = await auth.request('POST', `/invitations/${invited.body.id}/decline`, { cookie, headers: { origin: auth.url } });
      expect(declined.status).toBe(200);
      expect((await auth.request('GET', `/scim/v2/Users/${invited.body.id}`, { token: scimBravo })).status).toBe(404);
    } finally {
      await auth.stop();
    }
  });
});

describe('verified domains and joining', () => {
  it('links at once a person at a domain the adding account verified; another account creating people there only invites', async () => {
    const dns = await startTestDnsServer();
    const withDns = await startTestApp({ dnsResolver: [dns.address] });
    try {
      const verifier = await withDns.createAccount('Verifier');
      const elsewhere = await withDns.createAccount('Elsewhere');
      const scimV = scimClient(withDns, (await withDns.services.scimTokens.createAsOperator(verifier.accountId)).token);
      const scimE = scimClient(withDns, (await withDns.services.scimTokens.createAsOperator(elsewhere.accountId)).token);
      const domain = `v${Date.now().toString(36)}${process.pid}.example.org`;
      const added = await withDns.request('POST', '/api/v4/account/domains', { token: verifier.token, body: { domain } });
      dns.setTxt(added.body.txt_record.name, [added.body.txt_record.value]);
      expect((await withDns.request('POST', `/api/v4/account/domains/${added.body.id}/verify`, { token: verifier.token })).status).toBe(200);

      // a new address at the verifier's domain, added by another account: an invitation, not a person it manages
      const address = `ann@${domain}`;
      const byElsewhere = await scimE('POST', '/Users', { ...whatBravoSends(address), password: 'elsewhere chose it 1' });
      expect(byElsewhere.status).toBe(201);
      expect(byElsewhere.body[ROLLCALL].invited).toBe(true);
      const people = await withDns.database.knex('users').whereRaw('lower(user_name) = ?', [address]).select('managed_by_account_id', 'is_invitation', 'password_hash');
      expect(people.filter((p: { is_invitation: boolean }) => !p.is_invitation).map((p: { managed_by_account_id: string | null }) => p.managed_by_account_id)).toEqual([null]);
      expect(people.every((p: { password_hash: string | null }) => p.password_hash === null)).toBe(true);

      // the verifier adds the same person: linked at once, with what it sends as an admin of that domain
      const byVerifier = await scimV('POST', '/Users', whatBravoSends(address));
      expect(byVerifier.status).toBe(201);
      expect(byVerifier.body[ROLLCALL]?.invited).toBeUndefined();
    } finally {
      await withDns.stop();
      await dns.stop();
    }
  });
});
