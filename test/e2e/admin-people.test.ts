import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAccessibility, haveChromium, launchBrowser, screenshot, signInAs } from '../support/admin-browser.js';
import { type AuthApp, PASSWORD, startAuthApp } from '../support/auth-app.js';
import { uniqueEmail } from '../support/test-app.js';

/**
 * The admin console's People, Role mappings, Provisioning log and Audit trail pages in a real
 * browser (issue 15): an admin maps a group the IdP pushed to a role and sees it on the person,
 * searches people, reads the log (a password the IdP sent is not shown) and filters the audit
 * trail. Each page passes axe-core; the README's screenshots are taken here.
 */
describe.skipIf(!haveChromium)('admin console: people, role mappings, log and audit (chromium)', () => {
  const SENT_PASSWORD = 'Okta-Sync-Password-7c1e!';
  let app: AuthApp;
  let browser: Browser;
  let context: BrowserContext;
  let account: Awaited<ReturnType<AuthApp['createAccount']>>;
  let scimToken: string;
  let pushed: { id: string };

  const scim = async (method: string, path: string, json: unknown) => {
    const res = await app.request(method, `/scim/v2${path}`, { token: scimToken, json, headers: { 'content-type': 'application/scim+json', 'user-agent': 'Okta SCIM Client 1.0.0' } });
    expect(res.status, `${method} ${path}`).toBeLessThan(300);
    return res.body;
  };

  beforeAll(async () => {
    app = await startAuthApp();
    account = await app.createAccount('Acme Paging');
    scimToken = (await app.services.scimTokens.createAsOperator(account.accountId, 'Okta')).token;
    pushed = await scim('POST', '/Users', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'grace.hopper@acme.example',
      name: { givenName: 'Grace', familyName: 'Hopper' },
      password: SENT_PASSWORD,
      emails: [{ value: 'grace.hopper@acme.example', type: 'work', primary: true }],
      phoneNumbers: [{ value: '+1 415 555 0142', type: 'mobile' }],
    });
    await scim('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'On-call Leads', members: [{ value: pushed.id }] });
    // a failed request for the log's filter
    const refused = await app.request('POST', '/scim/v2/Users', { token: scimToken, json: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: '' }, headers: { 'user-agent': 'Okta SCIM Client 1.0.0' } });
    expect(refused.status).toBe(400);
    for (const name of ['Alan Turing', 'Ada Lovelace', 'Edsger Dijkstra']) {
      const res = await app.request('POST', '/api/v4/account_users', { token: account.ownerToken, json: { user_attributes: { name, emails_attributes: [{ email: uniqueEmail(name.split(' ')[0].toLowerCase()) }] }, roles: { broadcaster: true } } });
      expect(res.status).toBe(201);
    }
    await app.services.provisioningLog.flush();
    browser = await launchBrowser();
    context = await signInAs(browser, app.url, account.owner.email, PASSWORD);
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await app?.stop();
  });

  it('maps the group the IdP pushed to a role in the page, and the person shows the role with its source', async () => {
    const page = await context.newPage();
    await page.goto(`${app.url}/admin/role-mappings`);
    await checkAccessibility(page);
    await page.getByLabel('Group', { exact: true }).fill('on-call leads');
    await page.getByLabel(/^admin/).check();
    await page.getByRole('button', { name: 'Create mapping' }).click();
    await expect(page.getByRole('status').first().textContent()).resolves.toContain('The role mapping was created');
    const row = page.getByRole('row', { name: /on-call leads/ });
    await expect(row.textContent()).resolves.toContain('On-call Leads (1 member)');
    await checkAccessibility(page);
    await screenshot(page, 'admin-role-mappings');

    // edited: the group's members hold broadcaster too
    await page.getByRole('link', { name: 'Edit the mapping of on-call leads' }).click();
    await checkAccessibility(page);
    await page.getByLabel(/^broadcaster/).check();
    await page.getByRole('button', { name: 'Save mapping' }).click();
    await expect(page.getByRole('status').first().textContent()).resolves.toContain('The role mapping was saved');

    await page.goto(`${app.url}/admin/people/${pushed.id}`);
    const admin = page.getByRole('row', { name: /^admin/ });
    await expect(admin.textContent()).resolves.toContain('group On-call Leads');
    await expect(page.getByRole('row', { name: /^broadcaster/ }).textContent()).resolves.toContain('group On-call Leads');
    await expect(page.locator('main').textContent()).resolves.toContain('IdP (SCIM)');
    await page.close();
  });

  it('searches people and opens a person', async () => {
    const page = await context.newPage();
    await page.goto(`${app.url}/admin/people`);
    await expect(page.getByRole('table').locator('caption').textContent()).resolves.toContain('Everyone in this account (5)');
    await checkAccessibility(page);
    await screenshot(page, 'admin-people');

    await page.getByLabel('Search people').fill('HOPPER');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.waitForURL(/q=HOPPER/);
    const rows = page.getByRole('table').locator('tbody tr');
    await expect(rows.count()).resolves.toBe(1);
    await expect(rows.first().textContent()).resolves.toContain('+1 415 555 0142');
    await page.getByRole('link', { name: 'Grace Hopper' }).click();
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Grace Hopper');
    await expect(page.getByRole('heading', { name: 'Provisioning history' }).isVisible()).resolves.toBe(true);
    await checkAccessibility(page);
    await screenshot(page, 'admin-person');
    await page.close();
  });

  it('filters the provisioning log and opens a request, whose password is not shown', async () => {
    const page = await context.newPage();
    await page.goto(`${app.url}/admin/log`);
    await checkAccessibility(page);
    await screenshot(page, 'admin-log');
    // the filter applies as soon as the outcome is chosen (admin.js)
    await page.getByLabel('Outcome').selectOption('failure');
    await page.waitForURL(/status=failure/);
    await expect(page.getByRole('table').locator('tbody tr').count()).resolves.toBe(1);
    await page.getByLabel('Outcome').selectOption('success');
    await page.waitForURL(/status=success/);
    await page.getByRole('row', { name: /POST \/scim\/v2\/Users/ }).getByRole('link').click();
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('POST /scim/v2/Users');
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text).toContain('grace.hopper@acme.example');
    expect(text).toContain('account_user.create');
    expect(text).toContain('Okta SCIM Client 1.0.0');
    expect(text).not.toContain(SENT_PASSWORD);
    await checkAccessibility(page);
    await page.close();
  });

  it('filters the audit trail by channel and action', async () => {
    const page = await context.newPage();
    await page.goto(`${app.url}/admin/audit`);
    await page.getByLabel('Channel').selectOption('scim');
    await page.waitForURL(/channel=scim/);
    const rows = page.getByRole('table').locator('tbody tr');
    await expect(rows.first().textContent()).resolves.toContain('SCIM token “Okta”');
    await page.getByLabel('Channel').selectOption('');
    await page.waitForURL((url) => !url.search.includes('channel=scim'));
    await page.getByLabel('Action').fill('role_mapping.create');
    await page.getByRole('button', { name: 'Apply filter' }).click();
    await page.waitForURL(/action=role_mapping.create/);
    await expect(rows.count()).resolves.toBe(1);
    await expect(rows.first().textContent()).resolves.toContain('Owner');
    await expect(rows.first().textContent()).resolves.toContain('Web (sign-in and admin console)');
    await checkAccessibility(page);
    await screenshot(page, 'admin-audit');
    await page.close();
  });
});
