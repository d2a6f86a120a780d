/**
 * A title with TeX reads the same on every page and feed as in the email: `$\omega$Test` is
 * "ωTest" on the home page, the archive, search, both RSS feeds and the feedback page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { signToken } from '../../src/mail/tokens.ts';
import type { PaperboyServer } from '../../src/web/server.ts';
import { storageTargets } from '../harness/index.ts';
import { seedEdition, webApp } from './helpers.ts';

const TITLE = '$\\omega$Test: Robust $O(n^2)$ Checks for Language Models -- a Study';
const READABLE = 'ωTest: Robust O(n²) Checks for Language Models – a Study';

describe('TeX in titles, on the site', () => {
  let app: App;
  let server: PaperboyServer;
  beforeAll(async () => {
    ({ app, server } = await webApp({ databaseUrl: await storageTargets()[0]!.databaseUrl() }));
    await seedEdition(app, '2026-11-26', [
      { id: '2611.50001', title: TITLE, abstract: 'We propose $\\alpha$-checks for language models, in $O(n \\log n)$ time.' },
    ]);
  });
  afterAll(async () => {
    await server.close();
  });

  it('shows the title as text, never its TeX source, wherever a page or feed names the paper', async () => {
    const reader = (await app.store.subscribers.upsert({ email: 'tex@example.org', confirmed: true }, new Date().toISOString())).subscriber;
    const topic = (await app.store.papers.get('2611.50001'))!.primaryTopic!;
    const urls = [
      '/',
      '/editions',
      '/editions/2026-11-26',
      '/papers?q=robust',
      '/feed.xml',
      `/topics/${topic}/feed.xml`,
      `/feedback?paper=2611.50001&vote=more&token=${signToken(app.secretKey, reader.id, 'feedback')}`,
    ];
    for (const url of urls) {
      const res = await server.inject({ url });
      expect(res.statusCode, url).toBe(200);
      const text = res.body.replaceAll('&amp;', '&');
      expect(text, url).toContain(READABLE);
      expect(text, url).not.toContain('\\omega');
      expect(text, url).not.toContain('$O(n^2)$');
    }
    // the search hit's abstract and the topic feed's description read as text too
    for (const url of ['/papers?q=robust', `/topics/${topic}/feed.xml`]) {
      const body = (await server.inject({ url })).body;
      expect(body, url).toContain('α-checks');
      expect(body, url).not.toContain('\\alpha');
    }
  });
});
