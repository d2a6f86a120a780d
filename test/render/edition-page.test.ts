/**
 * "View in browser": /editions/:date is a web page of the edition, not the email's HTML with
 * its personal links blanked to PUBLIC_URL/ (a 404) and no viewport (laid out at 980 px).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { App } from '../../src/app.ts';
import { buildServer } from '../../src/web/server.ts';
import { shippedConfig, storageTargets, testApp } from '../harness/index.ts';
import { sampleEdition } from './fixtures.ts';

for (const target of storageTargets()) {
  describe(`the web edition on ${target.name}`, () => {
    let app: App;
    let server: FastifyInstance;

    beforeAll(async () => {
      app = await testApp({
        databaseUrl: await target.databaseUrl(),
        config: { ...shippedConfig(), sources: [], mail: { postalAddress: '1 Example Street, Springfield' } },
      });
      server = await buildServer(app);
      const now = new Date().toISOString();
      for (const date of ['2026-11-24', '2026-11-26', '2026-11-28'])
        await app.store.editions.insertFrozen({ id: date, kind: 'daily', date, content: { ...sampleEdition(), date } }, now);
    });
    afterAll(async () => {
      await server?.close();
    });

    it('is a page for phones: viewport, a title, its canonical URL', async () => {
      const res = await server.inject({ url: '/editions/2026-11-26' });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
      expect(res.body).toMatch(/<title>Today in papers, Thursday, 26 November 2026 · [^<]+<\/title>/);
      expect(res.body).toMatch(/<link rel="canonical" href="https:\/\/papers\.example\.org\/editions\/2026-11-26">\s*<\/head>/);
    });

    it('has the site header, a subscribe link and links to the editions before and after it', async () => {
      const { body } = await server.inject({ url: '/editions/2026-11-26' });
      expect(body).toContain('<a href="/">Subscribe</a>');
      expect(body).toContain('<a href="/editions/2026-11-24" rel="prev">');
      expect(body).toContain('<a href="/editions/2026-11-28" rel="next">');
      expect(body).toContain('<a href="/editions">All editions</a>');
      const first = (await server.inject({ url: '/editions/2026-11-24' })).body;
      expect(first).not.toContain('rel="prev"');
    });

    it('shows the edition, escaped, with no personal link and no link to PUBLIC_URL/ (a 404)', async () => {
      const { body } = await server.inject({ url: '/editions/2026-11-26' });
      expect(body).toContain('Scaling &lt;script&gt;alert(1)&lt;/script&gt; Laws &amp; &quot;Quotes&quot;');
      expect(body).toContain('A Proof About Everything');
      expect(body).not.toMatch(/%%PB_|token=|<script/);
      expect(body).not.toMatch(/href="https:\/\/papers\.example\.org\/"/);
      expect(body).toContain('1 Example Street, Springfield');
    });
  });
}
