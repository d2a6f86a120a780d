/**
 * A subscriber's whole life, in headless Chromium against the real server on loopback:
 * subscribe on / → the confirmation email in the outbox (the mail worker runs) → its link, a
 * page whose button confirms → topics, sections first, hour and time zone on the preferences page → an edition with exactly those topics
 * → the paper found on /papers → unsubscribed by the email's List-Unsubscribe one-click POST
 * (multipart, as a mail provider sends it) → no later edition. Screenshots at 375 and 1280 px
 * go to test/web/screenshots/ (git-ignored).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleParser, type ParsedMail } from 'mailparser';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { sendEdition } from '../../src/cli/operations.ts';
import { buildServer, type PaperboyServer } from '../../src/web/server.ts';
import { startStages, type RunningStages } from '../../src/workers/index.ts';
import { shippedConfig, testApp, until } from '../harness/index.ts';
import { seedEdition } from './helpers.ts';

const shots = path.join(path.dirname(fileURLToPath(import.meta.url)), 'screenshots');

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

async function waitForFile(file: string, timeoutMs = 20_000): Promise<ParsedMail> {
  await until(`${file} to be written`, () => existsSync(file), { timeoutMs, intervalMs: 100 });
  return simpleParser(readFileSync(file));
}

describe('a subscriber in a real browser', () => {
  let app: App;
  let server: PaperboyServer;
  let workers: RunningStages;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    app = await testApp({ config: { ...shippedConfig(), sources: [] }, env: { PUBLIC_URL: base } });
    server = await buildServer(app);
    await server.listen({ port, host: '127.0.0.1' });
    workers = await startStages(app, ['render', 'send', 'mail']);
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    mkdirSync(shots, { recursive: true });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await workers?.close();
    await server?.close();
  });

  async function shoot(page: Page, name: string): Promise<void> {
    for (const width of [375, 1280]) {
      await page.setViewportSize({ width, height: width === 375 ? 812 : 900 });
      await page.screenshot({ path: path.join(shots, `${name}-${width}.png`), fullPage: true });
    }
  }

  it("guesses a browser's time zone also when the browser names it otherwise than the list (Asia/Kolkata, listed as Asia/Calcutta), and stores the list's name", async () => {
    const context = await browser.newContext({ timezoneId: 'Asia/Kolkata', locale: 'en-IN' });
    await context.route('**/*', (route) => (new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort()));
    // Chromium's ICU says Asia/Calcutta; Firefox (and Chromium with a newer ICU) says Asia/Kolkata, IANA's current name
    await context.addInitScript(() => {
      const resolved = Intl.DateTimeFormat.prototype.resolvedOptions;
      Intl.DateTimeFormat.prototype.resolvedOptions = function () {
        const options = resolved.call(this);
        return options.timeZone === 'Asia/Calcutta' ? { ...options, timeZone: 'Asia/Kolkata' } : options;
      };
    });
    try {
      const page = await context.newPage();
      await page.goto(`${base}/`);
      await expect.poll(() => page.locator('#timezone').inputValue()).toBe('Asia/Kolkata');
      await page.getByLabel('Email address').fill('kolkata-browser@example.org');
      await page.getByRole('button', { name: 'Subscribe' }).click();
      await expect.poll(() => page.locator('h1').textContent()).toBe('Check your inbox');
      await expect.poll(async () => (await app.store.subscribers.getByEmail('kolkata-browser@example.org'))?.timezone).toBe('Asia/Calcutta');
    } finally {
      await context.close();
    }
  });

  it('subscribes, confirms, chooses topics and time, gets exactly those topics, finds a paper, unsubscribes in one click, and gets nothing more', async () => {
    await seedEdition(app, '2026-11-26', [
      {
        id: '2611.40001',
        title: 'Instruction Tuning Large Language Models with Synthetic Dialogues',
        abstract: 'A language model fine-tuned on instructions.',
        categories: ['cs.CL'],
      },
      {
        id: '2611.40002',
        title: 'Latent Diffusion for High-Resolution Image Synthesis',
        abstract: 'Image generation with diffusion models.',
        categories: ['cs.CV'],
      },
      {
        id: '2611.40003',
        title: 'Policy Gradient Agents for Robotic Control',
        abstract: 'Reinforcement learning with policy gradients for robot agents.',
        categories: ['cs.LG', 'cs.RO'],
      },
      {
        id: '2611.40004',
        title: 'Generalization Bounds for Overparameterized Networks',
        abstract: 'A theoretical analysis with PAC-Bayes bounds.',
        categories: ['stat.ML'],
      },
    ]);
    const edition = (await app.store.editions.get('2026-11-26'))!;
    expect(edition.content.sections.length).toBeGreaterThanOrEqual(3);
    const [wantA, wantB, ...others] = edition.content.sections;

    const context = await browser.newContext({ timezoneId: 'Asia/Tokyo', locale: 'en-GB' });
    // nothing leaves the machine: every request to anywhere but the server is refused
    const outside: string[] = [];
    await context.route('**/*', (route) => {
      const host = new URL(route.request().url()).hostname;
      if (host === '127.0.0.1') return route.continue();
      outside.push(route.request().url());
      return route.abort();
    });
    const page = await context.newPage();

    // 1. subscribe on the home page; the time zone is guessed from the browser
    await page.goto(`${base}/`);
    await expect.poll(() => page.locator('#timezone').inputValue()).toBe('Asia/Tokyo');
    await shoot(page, 'home');
    await page.getByLabel('Email address').fill('reader@example.org');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Check your inbox');
    await shoot(page, 'check-inbox');
    await server.settled();
    const subscriber = (await app.store.subscribers.getByEmail('reader@example.org'))!;
    expect(subscriber.status).toBe('pending');

    // 2. the confirmation email, written by the mail worker
    const confirm = await waitForFile(path.join(app.env.outboxDir, 'mail-confirm', `${String(subscriber.id).padStart(6, '0')}.eml`));
    const confirmUrl = new RegExp(`${base.replace(/[.]/g, '\\.')}/confirm\\?token=[A-Za-z0-9._-]+`).exec(confirm.text ?? '')![0];
    await page.goto(confirmUrl);
    // opening the link changes nothing (mail scanners open links too): the button confirms
    await expect.poll(() => page.locator('h1').textContent()).toBe('Confirm your subscription');
    expect((await app.store.subscribers.getById(subscriber.id))!.status).toBe('pending');
    await shoot(page, 'confirm');
    await page.getByRole('button', { name: 'Confirm my subscription' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('You are subscribed');
    expect(await app.store.subscribers.getById(subscriber.id)).toMatchObject({ status: 'confirmed', timezone: 'Asia/Tokyo' });

    // 3. preferences: two topics, the second of them first, 08:00 in Berlin
    await page.getByRole('link', { name: /Choose topics/ }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Your preferences');
    await page.locator(`input[name="topics"][value="${wantA!.topic}"]`).check();
    await page.locator(`input[name="topics"][value="${wantB!.topic}"]`).check();
    await page.getByLabel('First', { exact: true }).selectOption(wantB!.topic);
    await page.getByLabel('Hour').selectOption('8');
    await page.getByLabel('Time zone').selectOption('Europe/Berlin');
    await shoot(page, 'preferences');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toMatch(/Saved/);
    await shoot(page, 'preferences-saved');
    expect(await app.store.subscribers.getById(subscriber.id)).toMatchObject({
      topics: [wantA!.topic, wantB!.topic].sort(),
      sectionOrder: [wantB!.topic],
      deliveryHour: 8,
      timezone: 'Europe/Berlin',
    });

    // 4. the edition: exactly the chosen topics
    await sendEdition(app, '2026-11-26', { wait: true, timeoutMs: 60_000 });
    const digest = await waitForFile(path.join(app.env.outboxDir, '2026-11-26', `${String(subscriber.id).padStart(6, '0')}.eml`));
    for (const s of [wantA!, wantB!]) for (const id of s.paperIds) expect(digest.text).toContain(edition.content.papers[id]!.title);
    for (const s of others) for (const id of s.paperIds) expect(digest.text).not.toContain(edition.content.papers[id]!.title);

    // 5. search for a paper of it
    const paper = edition.content.papers[wantA!.paperIds[0]!]!;
    await page.goto(`${base}/papers`);
    await page.getByLabel(/Words in the title/).fill(paper.title.split(' ').slice(0, 3).join(' '));
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => page.locator('.paper h3').first().textContent()).toBe(paper.title);
    await shoot(page, 'search');

    // 6. the unsubscribe page a reader sees, then the one-click POST a mail provider makes
    const rawHeader = (name: string) => digest.headerLines.find((h) => h.key === name)?.line.replace(/\r?\n[ \t]+/g, ' ') ?? '';
    const unsubscribeUrl = /<(http[^>]+)>/.exec(rawHeader('list-unsubscribe'))![1]!;
    expect(rawHeader('list-unsubscribe-post')).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    await page.goto(unsubscribeUrl);
    await shoot(page, 'unsubscribe');
    const form = new FormData();
    form.append('List-Unsubscribe', 'One-Click');
    const oneClick = await fetch(unsubscribeUrl, { method: 'POST', body: form, redirect: 'manual' });
    expect(oneClick.status).toBe(200);
    expect(oneClick.headers.get('set-cookie')).toBeNull();
    expect((await app.store.subscribers.getById(subscriber.id))!.status).toBe('unsubscribed');

    // 7. the next edition does not reach them
    await seedEdition(app, '2026-11-27', [
      { id: '2611.50001', title: 'Scaling Laws for Instruction Tuned Language Models', categories: ['cs.CL'] },
      { id: '2611.50002', title: 'Diffusion Policies for Image Editing', categories: ['cs.CV'] },
    ]);
    await sendEdition(app, '2026-11-27', { wait: true, timeoutMs: 60_000 });
    expect(existsSync(path.join(app.env.outboxDir, '2026-11-27', `${String(subscriber.id).padStart(6, '0')}.eml`))).toBe(false);
    expect(outside).toEqual([]);
    await context.close();
  }, 180_000);
});
