// Headless Chromium for the dashboard tests: Debian's package (apt-get install chromium), driven by
// playwright-core. The page's CSP violations are collected so a test can assert there were none.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** A reason to skip, or false. CI sets ISLET_REQUIRE_BROWSER so a missing browser fails there instead. */
export function chromiumMissing(): string | false {
  if (existsSync(CHROMIUM)) return false;
  if (process.env.ISLET_REQUIRE_BROWSER === '1') throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium`);
  return `no Chromium at ${CHROMIUM}: apt-get install -y chromium`;
}

export async function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
}

/** A page that records console errors and CSP violations into `problems`. */
export async function openPage(browser: Browser, problems: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1800 } });
  page.on('console', (message) => { if (message.type() === 'error') problems.push(`console: ${message.text()}`); });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  // A string: this runs in the page, where DOM types apply, not in this Node program.
  await page.addInitScript(`document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));`);
  return page;
}

/**
 * Waits until an element matching `selector` has text matching `text`. Locators run in Playwright's own
 * world, which the page's CSP does not govern; string predicates (waitForFunction) would need
 * 'unsafe-eval', which the dashboard's CSP rightly refuses.
 */
export async function waitForText(page: Page, selector: string, text: RegExp, timeout = 5_000): Promise<void> {
  await page.locator(selector).filter({ hasText: text }).first().waitFor({ timeout });
}
