import fs from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthApp, PASSWORD, startAuthApp } from '../support/auth-app.js';
import { startTestIdpServer, type TestIdpServer } from '../support/test-idp-server.js';

/**
 * A real browser (Debian's chromium, driven by playwright-core) through the sign-in pages and a
 * SAML round trip with the test IdP. Skipped only where chromium is not installed (CI installs it).
 */
const CHROMIUM = '/usr/bin/chromium';
const haveChromium = fs.existsSync(CHROMIUM);

describe.skipIf(!haveChromium)('sign-in in a real browser (chromium)', () => {
  let app: AuthApp;
  let idpServer: TestIdpServer;
  let browser: Browser;
  let account: Awaited<ReturnType<AuthApp['createAccount']>>;

  beforeAll(async () => {
    app = await startAuthApp();
    idpServer = await startTestIdpServer();
    account = await app.createAccount('Acme');
    const res = await app.request('PUT', '/api/v4/account/sso', { token: account.ownerToken, json: { idp_metadata_xml: idpServer.idp.metadataXml(), enforced: true } });
    expect(res.status).toBe(200);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await idpServer?.stop();
    await app?.stop();
  });

  it('a member opens /login, picks SSO, signs in at the IdP and lands signed in', async () => {
    const member = await app.createMember(account.accountId, ['broadcaster']);
    idpServer.signedInAs = member.email;
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${app.url}/login`);
    await page.getByLabel('Account ID').fill(account.accountId);
    await page.getByRole('button', { name: 'Sign in with SSO' }).click();
    await page.waitForURL(`${app.url}/`);
    await expect(page.locator('#signed-in').textContent()).resolves.toContain(member.email);
    await expect(page.locator('#signed-in').textContent()).resolves.toContain('single sign-on');
    const cookie = (await context.cookies()).find((c) => c.name === 'rollcall_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax' });

    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page.getByRole('status').textContent()).resolves.toContain('signed out');
    await context.close();
  });

  it('an admin of an SSO-only account signs in with a password', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${app.url}/login`);
    await page.getByLabel('User name or email').fill(account.owner.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${app.url}/`);
    await expect(page.locator('#signed-in').textContent()).resolves.toContain('a password');
    // an admin is shown the way to the admin console
    await page.getByRole('link', { name: 'Admin console' }).click();
    await page.waitForURL(`${app.url}/admin`);
    await context.close();
  });

  it('a non-admin of an SSO-only account is refused a password sign-in exactly as a wrong password, and gets in with SSO', async () => {
    const member = await app.createMember(account.accountId);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${app.url}/login`);
    await page.getByLabel('User name or email').fill(member.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    // the right password is not confirmed to whoever typed it (issue 12): the answer of a wrong one
    await expect(page.getByRole('alert').textContent()).resolves.toBe('The user name or password is not correct');
    expect((await context.cookies()).find((c) => c.name === 'rollcall_session')).toBeUndefined();
    // the way in is the account's SSO
    idpServer.signedInAs = member.email;
    await page.getByLabel('Account ID').fill(account.accountId);
    await page.getByRole('button', { name: 'Sign in with SSO' }).click();
    await page.waitForURL(`${app.url}/`);
    await expect(page.locator('#signed-in').textContent()).resolves.toContain(member.email);
    expect(await page.locator('#admin-console').count()).toBe(0); // not an admin: no way to the console shown
    await context.close();
  });
});
