/**
 * Headless Chromium (Debian's /usr/bin/chromium through playwright-core) with no network:
 * every request that is not to 127.0.0.1 or a data: URL is aborted, so an email that needs a
 * remote resource to be read shows it.
 */
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

export interface Opened {
  page: Page;
  /** Requests the page tried to make outside loopback (all blocked). */
  blocked: string[];
}

export async function openHtml(browser: Browser, html: string, opts: { width: number; dark: boolean }): Promise<Opened> {
  const context = await browser.newContext({ viewport: { width: opts.width, height: 800 }, colorScheme: opts.dark ? 'dark' : 'light', javaScriptEnabled: false });
  const page = await context.newPage();
  const blocked: string[] = [];
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('data:') || /^https?:\/\/127\.0\.0\.1[:/]/.test(url)) return route.continue();
    blocked.push(url);
    return route.abort();
  });
  await page.setContent(html, { waitUntil: 'load' });
  return { page, blocked };
}
