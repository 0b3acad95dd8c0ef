import fs from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

/**
 * The admin console in a real browser (Debian's chromium, driven by playwright-core): launching
 * it, signing in through /login, the axe-core accessibility check, and the README's screenshots.
 */

export const CHROMIUM = '/usr/bin/chromium';
export const haveChromium = fs.existsSync(CHROMIUM);
export const VIEWPORT = { width: 1280, height: 800 };

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
}

/** A new browser context signed in through the /login page (landing on /admin). */
export async function signInAs(browser: Browser, appUrl: string, login: string, password: string): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await context.newPage();
  await page.goto(`${appUrl}/login?return_to=${encodeURIComponent('/admin')}`);
  await page.getByLabel('User name or email').fill(login);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL((url) => url.pathname !== '/login');
  await page.close();
  return context;
}

const require = createRequire(import.meta.url);
let axeSource: string | undefined;

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/**
 * Runs axe-core on the page as it is and fails with the serious and critical violations. The
 * script is evaluated through the DevTools protocol, which the page's CSP does not govern, so the
 * page is checked with its real headers.
 */
export async function checkAccessibility(page: Page): Promise<void> {
  axeSource ??= fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (ctx: Document, options: object) => Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target) }));
  });
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (serious.length) throw new Error(`axe-core on ${page.url()}: ${serious.length} serious/critical violation(s):\n${serious.map((v) => `- ${v.id} (${v.impact}): ${v.help} at ${JSON.stringify(v.nodes)}`).join('\n')}`);
}

/**
 * docs/screenshots/<name>.png: the whole page at the fixed viewport, for the README. Written there
 * when missing or with UPDATE_SCREENSHOTS=1 (a run of the tests does not leave the checkout
 * changed: the pages show times and ids); otherwise taken all the same, into the system's temp folder.
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  const kept = path.resolve('docs/screenshots', `${name}.png`);
  const file = process.env.UPDATE_SCREENSHOTS === '1' || !fs.existsSync(kept) ? kept : path.join(os.tmpdir(), 'rollcall-screenshots', `${name}.png`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await page.setViewportSize(VIEWPORT);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
