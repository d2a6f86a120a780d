/**
 * The emails as a reader sees them: headless Chromium (no network) at phone and desktop
 * widths, light and dark. One browser for the file; screenshots land in
 * test/render/screenshots/ (git-ignored) for a human look.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { personalize } from '../../src/mail/placeholders.ts';
import { renderTransactional } from '../../src/render/transactional.ts';
import { sampleTransactional } from '../../src/render/previewSamples.ts';
import { renderVariant } from '../../src/render/renderVariant.ts';
import { ForYouRenderer } from '../../src/render/forYou.ts';
import { decodePng, launchBrowser, openHtml } from './browser.ts';
import { editionPage } from '../../templates/pages/edition.ts';
import { dayEdition, viewOptions } from './fixtures.ts';

const shots = path.join(path.dirname(new URL(import.meta.url).pathname), 'screenshots');

interface Layout {
  scrollWidth: number;
  /** Visible text smaller than 13 px: [px, text]. */
  tinyText: [number, string][];
  /** Paragraphs of running text (over 80 characters) under 15 px. */
  smallBody: [number, string][];
  /** Links less than 44 px tall: [height, text]. */
  smallTargets: [number, string][];
  bodyTexts: number;
  links: number;
}

function measure(page: Page): Promise<Layout> {
  return page.evaluate(() => {
    const visible = (el: Element) => {
      const r = el.getBoundingClientRect();
      const s = getComputedStyle(el);
      return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.opacity !== '0' && s.display !== 'none' && s.maxHeight !== '0px';
    };
    const tinyText: [number, string][] = [];
    const smallBody: [number, string][] = [];
    let bodyTexts = 0;
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const text = n.textContent!.trim();
      const el = n.parentElement!;
      if (!text || !visible(el)) continue;
      const px = parseFloat(getComputedStyle(el).fontSize);
      if (px < 13) tinyText.push([px, text.slice(0, 40)]);
      if (text.length > 80) {
        bodyTexts++;
        if (px < 15) smallBody.push([px, text.slice(0, 40)]);
      }
    }
    const anchors = [...document.querySelectorAll('a')].filter(visible);
    const smallTargets = anchors.map((a) => [a.getBoundingClientRect().height, a.textContent!.trim().slice(0, 40)] as [number, string]).filter(([h]) => h < 44);
    return { scrollWidth: document.documentElement.scrollWidth, tinyText, smallBody, smallTargets, bodyTexts, links: anchors.length };
  });
}

/** Light pixels touching the left or right edge of the page, in runs wider than 2 px. */
function lightEdgeRows(png: Buffer): number {
  const img = decodePng(png);
  const light = (x: number, y: number) => {
    const [r, g, b] = img.pixel(x, y);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b > 128;
  };
  let rows = 0;
  for (let y = 0; y < img.height; y++) {
    if ((light(0, y) && light(1, y) && light(2, y)) || (light(img.width - 1, y) && light(img.width - 2, y) && light(img.width - 3, y))) rows++;
  }
  return rows;
}

describe('emails in Chromium', () => {
  let browser: Browser;
  const emails: Record<string, string> = {};

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    browser = await launchBrowser();
    const links = { unsubscribe: 'http://127.0.0.1/unsubscribe?token=t', preferences: 'http://127.0.0.1/preferences?token=t' };
    emails.daily = personalize(await renderVariant(dayEdition(30), [], viewOptions), links).html;
    // what a reader with a For you block gets: feedback links on every full card, the block on top
    const day = dayEdition(30);
    const forYouOn = { ...viewOptions, forYou: true };
    const [block] = await new ForYouRenderer(day, forYouOn).fragments([Object.keys(day.papers).slice(5, 8)]);
    emails['daily-for-you'] = personalize(await renderVariant(day, [], forYouOn), { ...links, feedbackToken: 'feedback.t.t' }, block).html;
    emails.confirm = (await renderTransactional(sampleTransactional('http://127.0.0.1').confirm, viewOptions)).html;
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('the web edition at 375 px: laid out for the phone, not at 980 px', async () => {
    const { page, blocked } = await openHtml(browser, editionPage(dayEdition(18), { ...viewOptions, previous: '2026-11-25' }), { width: 375, dark: false });
    const layout = await measure(page);
    await page.screenshot({ path: path.join(shots, 'edition-page-375.png') });
    await page.context().close();
    expect(blocked).toEqual([]);
    expect(layout.scrollWidth).toBeLessThanOrEqual(375);
    expect(layout.tinyText).toEqual([]);
    expect(layout.smallBody).toEqual([]);
  });

  // The issue measured the demo day at 6,676 px (about 9 phone screens) and the first MJML
  // version at 7,377 px; one-sentence section blurbs and full cards for the ten best papers only
  // (the rest one line each) bring it to about 5,100 px, dates and signals included. A layout
  // property, so a test: a change that lengthens the email fails here.
  const PHONE_HEIGHT_BUDGET = 5500;

  it(`the 18-paper demo digest at 375 px stays under ${PHONE_HEIGHT_BUDGET} px tall, every paper still in it`, async () => {
    const edition = dayEdition(18);
    const html = personalize(await renderVariant(edition, [], viewOptions), { unsubscribe: 'http://127.0.0.1/u', preferences: 'http://127.0.0.1/p' }).html;
    const { page } = await openHtml(browser, html, { width: 375, dark: false });
    const { height, text } = await page.evaluate(() => ({ height: document.documentElement.scrollHeight, text: document.body.innerText }));
    const layout = await measure(page);
    await page.screenshot({ fullPage: true, path: path.join(shots, 'daily-18-375-light.png') });
    await page.context().close();
    expect(height).toBeLessThan(PHONE_HEIGHT_BUDGET);
    // shorter, not emptier: every paper's title, the top block, the footer; all still tappable
    for (const p of Object.values(edition.papers)) expect(text).toContain(p.title);
    expect(text).toContain('Top today');
    expect(text).toContain('Unsubscribe');
    expect(layout.smallTargets).toEqual([]);
    expect(layout.smallBody).toEqual([]);
  });

  for (const email of ['daily', 'daily-for-you', 'confirm']) {
    for (const width of [375, 800]) {
      for (const dark of [false, true]) {
        it(`${email} at ${width} px, ${dark ? 'dark' : 'light'}: fits, readable, tappable${dark ? ', no light frame' : ''}, nothing fetched`, async () => {
          const { page, blocked } = await openHtml(browser, emails[email]!, { width, dark });
          const layout = await measure(page);
          const png = await page.screenshot({ fullPage: true, path: path.join(shots, `${email}-${width}-${dark ? 'dark' : 'light'}.png`) });
          await page.context().close();
          expect(blocked).toEqual([]);
          expect(layout.scrollWidth).toBeLessThanOrEqual(width);
          expect(layout.tinyText).toEqual([]);
          expect(layout.bodyTexts).toBeGreaterThan(0);
          expect(layout.smallBody).toEqual([]);
          expect(layout.links).toBeGreaterThan(0);
          expect(layout.smallTargets).toEqual([]);
          // in light mode the edges are light: the detector sees a light frame when there is one
          expect(lightEdgeRows(png) > 0).toBe(!dark);
        });
      }
    }
  }
});
