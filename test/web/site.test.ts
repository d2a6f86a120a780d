/**
 * The public site and the operator's endpoints: security headers on every page, the archive,
 * search (SQLite FTS5 and PostgreSQL tsvector), RSS feeds, health, readiness, metrics and
 * the queue dashboard.
 */
import net from 'node:net';
import { parseDocument, DomUtils } from 'htmlparser2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { parseFeed } from '../../src/ingest/formats/index.ts';
import { signToken } from '../../src/mail/tokens.ts';
import { buildServer, type PaperboyServer } from '../../src/web/server.ts';
import { runCli, storageTargets, tempDir, testApp, shippedConfig } from '../harness/index.ts';
import { seedEdition, urlencoded, webApp } from './helpers.ts';

describe.each(storageTargets())('site on $name', (target) => {
  let app: App;
  let server: PaperboyServer;
  beforeAll(async () => {
    ({ app, server } = await webApp({ databaseUrl: await target.databaseUrl() }));
    await seedEdition(app, '2026-11-25', [
      { id: '2611.10001', title: 'Sparse Attention for Long Documents', abstract: 'A transformer language model reading whole books.' },
      {
        id: '2611.10002',
        title: 'Reward Models Under Distribution Shift',
        abstract: 'Reinforcement learning from human feedback breaks when prompts drift.',
        categories: ['cs.LG'],
      },
    ]);
    await seedEdition(app, '2026-11-26', [
      {
        id: '2611.20001',
        title: 'Diffusion Transformers Scale Predictably',
        abstract: 'Image generation with diffusion transformers.',
        categories: ['cs.CV'],
        authors: ['Hedy Lamarr', 'B. Second'],
      },
      { id: '2611.20002', title: 'A Survey of Retrieval', abstract: 'Retrieval for language models, with sparse attention baselines.' },
      { id: '2611.20003', title: 'A Study of <b>Bold</b> Language Models & Friends\u0007', abstract: 'Markup in titles.' },
    ]);
  });
  afterAll(async () => {
    await server.close();
  });

  it('sends the security headers on every page: CSP without inline script, nosniff, no referrer, no framing', async () => {
    const reader = (await app.store.subscribers.upsert({ email: 'h@example.org', confirmed: true }, new Date().toISOString())).subscriber;
    const urls = [
      '/',
      '/editions',
      '/editions/2026-11-26',
      '/papers?q=attention',
      '/feed.xml',
      '/no-such-page',
      `/unsubscribe?token=${signToken(app.secretKey, reader.id, 'unsubscribe')}`,
      `/preferences?token=${signToken(app.secretKey, reader.id, 'preferences')}`,
      '/confirm?token=x',
      '/healthz',
    ];
    for (const url of urls) {
      const res = await server.inject({ url });
      const csp = String(res.headers['content-security-policy']);
      expect(csp, url).toMatch(/frame-ancestors 'none'/);
      expect(csp, url).toMatch(/script-src 'self'(;|$)/);
      expect(csp, url).toMatch(/default-src 'self'/);
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
      expect(res.headers['referrer-policy'], url).toBe('no-referrer');
      expect(res.headers['x-frame-options'], url).toBe('DENY');
    }
    // no page carries an inline script
    for (const url of ['/', '/editions', '/papers?q=attention', `/preferences?token=${signToken(app.secretKey, reader.id, 'preferences')}`]) {
      const body = (await server.inject({ url })).body;
      expect(body, url).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    }
  });

  it('the web edition links only to pages that exist (no personal link, no 404)', async () => {
    const res = await server.inject({ url: '/editions/2026-11-26' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('A Study of &lt;b&gt;Bold&lt;/b&gt; Language Models &amp; Friends');
    expect(res.body).not.toMatch(/%%PB_|token=/);
    const own = [...res.body.matchAll(/href="https:\/\/papers\.example\.org([^"#]*)/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));
    expect(own.length).toBeGreaterThan(0);
    for (const path of new Set(own)) expect((await server.inject({ url: path || '/' })).statusCode, path).toBe(200);
    expect((await server.inject({ url: '/editions/2026-11-24' })).statusCode).toBe(404);
    expect((await server.inject({ url: '/editions/../../etc/passwd' })).statusCode).toBe(404);
  });

  it('shows the subscribe form and the latest edition on /, and every edition on /editions', async () => {
    const home = await server.inject({ url: '/' });
    expect(home.statusCode).toBe(200);
    expect(home.body).toMatch(/<form[^>]*method="post"[^>]*action="\/subscribe"/);
    expect(home.body).toMatch(/<label for="email">/);
    expect(home.body).toMatch(/name="topics" value="language-models"/);
    expect(home.body).toMatch(/name="frequency" value="weekly"/);
    expect(home.body).toMatch(/<select id="timezone" name="timezone"/);
    expect(home.body).toContain('href="/editions/2026-11-26"');
    expect(home.body).toContain('Diffusion Transformers Scale Predictably');
    const archive = await server.inject({ url: '/editions' });
    expect(archive.body.indexOf('/editions/2026-11-26')).toBeLessThan(archive.body.indexOf('/editions/2026-11-25'));
  });

  it('searches every paper, best match first (a title match outranks an abstract match)', async () => {
    const res = await server.inject({ url: '/papers?q=sparse+attention' });
    expect(res.statusCode).toBe(200);
    const order = ['Sparse Attention for Long Documents', 'A Survey of Retrieval'].map((t) => res.body.indexOf(t));
    expect(order[0]).toBeGreaterThan(0);
    expect(order[1]).toBeGreaterThan(order[0]!);
    expect(res.body).toMatch(/2 papers match/);
    expect(res.body).not.toContain('Diffusion Transformers');
    // stems: "transformers" finds "transformer"
    expect((await server.inject({ url: '/papers?q=transformer' })).body).toContain('Diffusion Transformers Scale Predictably');
    // authors are searched too
    expect((await server.inject({ url: '/papers?q=lamarr' })).body).toContain('Diffusion Transformers Scale Predictably');
  });

  it('filters search by date range and topic, and pages through results', async () => {
    const dated = await server.inject({ url: '/papers?q=language&from=2026-11-26&to=2026-11-26' });
    expect(dated.body).not.toContain('Sparse Attention for Long Documents');
    expect(dated.body).toContain('A Survey of Retrieval');
    const topic = (await app.store.papers.get('2611.20001'))!.primaryTopic!;
    const byTopic = await server.inject({ url: `/papers?q=transformer&topic=${topic}` });
    expect(byTopic.body).toContain('Diffusion Transformers Scale Predictably');
    expect(byTopic.body).not.toContain('Sparse Attention for Long Documents');
    const page1 = await app.store.papers.search(app.store.dialect, { query: 'language', limit: 1, offset: 0 });
    const page2 = await app.store.papers.search(app.store.dialect, { query: 'language', limit: 1, offset: 1 });
    expect(page1.total).toBeGreaterThanOrEqual(2);
    expect(page1.papers[0]!.id).not.toBe(page2.papers[0]!.id);
    const html = await server.inject({ url: '/papers?q=language' });
    expect(html.statusCode).toBe(200);
  });

  it('treats search syntax and markup in a query as text, and refuses bad filters with the reason', async () => {
    for (const q of ['"unbalanced', 'NEAR(a b)', 'title:x OR', '<script>alert(1)</script>', '-', '***']) {
      const res = await server.inject({ url: `/papers?q=${encodeURIComponent(q)}` });
      expect(res.statusCode, q).toBe(200);
      expect(res.body).not.toContain('<script>alert(1)</script>');
    }
    expect((await server.inject({ url: '/papers?q=x&from=yesterday' })).statusCode).toBe(400);
    const unknown = await server.inject({ url: '/papers?q=x&topic=astrology' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.body).toMatch(/no topic &quot;astrology&quot;/);
  });

  it('publishes the editions as RSS 2.0 with stable GUIDs, readable by a feed reader (our own ingester)', async () => {
    const first = await server.inject({ url: '/feed.xml' });
    expect(first.statusCode).toBe(200);
    expect(first.headers['content-type']).toMatch(/application\/rss\+xml/);
    const doc = parseDocument(first.body, { xmlMode: true });
    const channel = DomUtils.findOne((e) => e.name === 'channel', doc.children)!;
    for (const tag of ['title', 'link', 'description'])
      expect(
        DomUtils.findOne((e) => e.name === tag && e.parent === channel, channel.children),
        tag,
      ).toBeTruthy();
    expect(DomUtils.findOne((e) => e.name === 'atom:link', channel.children)!.attribs).toMatchObject({
      rel: 'self',
      href: 'https://papers.example.org/feed.xml',
    });
    const items = DomUtils.findAll((e) => e.name === 'item', channel.children);
    expect(items).toHaveLength(2);
    for (const item of items) {
      const pubDate = DomUtils.textContent(DomUtils.findOne((e) => e.name === 'pubDate', item.children)!);
      expect(pubDate).toMatch(/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/);
      expect(DomUtils.findOne((e) => e.name === 'guid', item.children)!.attribs.isPermaLink).toMatch(/^(true|false)$/);
    }
    const guids = (xml: string) => [...xml.matchAll(/<guid[^>]*>([^<]+)<\/guid>/g)].map((m) => m[1]);
    expect(guids(first.body)).toEqual(['https://papers.example.org/editions/2026-11-26', 'https://papers.example.org/editions/2026-11-25']);
    // a control character in a title would make the XML invalid: it is dropped, the markup escaped
    expect(first.body).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/);
    const parsed = parseFeed(Buffer.from(first.body), { source: 'own', kind: 'rss', observedAt: new Date().toISOString(), contentType: 'application/rss+xml' });
    expect(parsed.observations).toHaveLength(2);

    const topic = (await app.store.papers.get('2611.20001'))!.primaryTopic!;
    const topicFeed = await server.inject({ url: `/topics/${topic}/feed.xml` });
    expect(topicFeed.statusCode).toBe(200);
    expect(topicFeed.body).toContain('Diffusion Transformers Scale Predictably');
    expect(guids(topicFeed.body)).toContain('urn:paperboy:paper:2611.20001');
    expect(guids((await server.inject({ url: `/topics/${topic}/feed.xml` })).body)).toEqual(guids(topicFeed.body));
    expect((await server.inject({ url: '/topics/astrology/feed.xml' })).statusCode).toBe(404);
  });

  it('reports liveness, readiness and metrics read from Redis and the database at scrape time', async () => {
    expect((await server.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await server.inject({ url: '/readyz' });
    expect(ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', redis: 'ok' } });
    // another process queues work: the gauge shows it at the next scrape
    await app.queues.get('mail').add('test', { kind: 'test', to: 'ops@example.org' });
    await app.store.subscribers.upsert({ email: 'm1@example.org', confirmed: true }, new Date().toISOString());
    const metrics = await server.inject({ url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.headers['content-type']).toMatch(/text\/plain/);
    expect(metrics.body).toMatch(/paperboy_queue_jobs\{queue="mail",state="waiting"\} 1/);
    expect(metrics.body).toMatch(/paperboy_queue_workers\{queue="send"\} 0/);
    const confirmed = Number(/paperboy_subscribers\{status="confirmed"\} (\d+)/.exec(metrics.body)![1]);
    expect(confirmed).toBe((await app.store.subscribers.countByStatus()).confirmed);
    expect(metrics.body).toMatch(/paperboy_edition_deliveries\{edition="2026-11-26",status="sent"\} 0/);
    expect(metrics.body).toMatch(/paperboy_http_requests_total\{method="GET",route="\/readyz",status="200"\} 1/);
    await app.queues.get('mail').obliterate({ force: true });
  });
});

describe('operator endpoints', () => {
  it('answers /readyz 503 within its time limit when Redis is unreachable, naming the cause', async () => {
    const app = await testApp({ config: { ...shippedConfig(), sources: [] } });
    const server = await buildServer({ ...app, redis: { ...app.redis, url: 'redis://127.0.0.1:1' } });
    try {
      const res = await server.inject({ url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect(res.json().checks.database).toBe('ok');
      // a bounded number of tries, not a client reconnecting until the probe's caller gives up
      expect(res.json().checks.redis).toMatch(/^Redis: Reached the max retries per request limit \(which is 1\)/);
    } finally {
      await server.close();
    }
  });

  it('answers /readyz 503 naming Redis, and POST /subscribe, within seconds when Redis accepts connections and never answers', async () => {
    // a hung Redis (SIGSTOP, a firewall's tarpit): it takes the connection and says nothing
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    const app = await testApp({ config: { ...shippedConfig(), sources: [] } });
    const server = await buildServer({ ...app, redis: { ...app.redis, url: `redis://127.0.0.1:${port}` } });
    const within = <T>(ms: number, p: Promise<T>) =>
      Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms))]);
    try {
      for (let i = 0; i < 2; i++) {
        const res = await within(15_000, server.inject({ url: '/readyz' }));
        expect(res.statusCode).toBe(503);
        expect(res.json().checks).toEqual({ database: 'ok', redis: 'Redis did not answer within 2000 ms' });
      }
      // the rate limit counts in Redis: before, the page waited for an answer for ever
      const page = await within(
        15_000,
        server.inject({ method: 'POST', url: '/subscribe', remoteAddress: '203.0.113.20', ...urlencoded([['email', 'hung@example.org']]) }),
      );
      expect(page.statusCode).toBe(200);
    } finally {
      await server.close();
      sockets.forEach((s) => s.destroy());
      silent.close();
    }
  }, 60_000);

  it('hides /admin/queues without ADMIN_TOKEN (404), and asks for it when set (401 wrong, 200 right)', async () => {
    const closed = await webApp();
    expect((await closed.server.inject({ url: '/admin/queues' })).statusCode).toBe(404);
    await closed.server.close();
    const { server } = await webApp({ env: { ADMIN_TOKEN: 'correct-horse-battery-staple' } });
    try {
      expect((await server.inject({ url: '/admin/queues' })).statusCode).toBe(401);
      expect((await server.inject({ url: '/admin/queues', headers: { authorization: 'Bearer wrong' } })).statusCode).toBe(401);
      const basic = `Basic ${Buffer.from('admin:correct-horse-battery-staple').toString('base64')}`;
      const ok = await server.inject({ url: '/admin/queues', headers: { authorization: basic } });
      expect(ok.statusCode).toBe(200);
      expect(ok.body).toMatch(/<div id="root"/);
      const api = await server.inject({ url: '/admin/queues/api/queues', headers: { authorization: 'Bearer correct-horse-battery-staple' } });
      expect(api.statusCode).toBe(200);
      expect(api.json().queues.map((q: { name: string }) => q.name)).toContain('mail');
    } finally {
      await server.close();
    }
  });

  it('rate-limits POST /subscribe per client address', async () => {
    const { server } = await webApp({ server: { subscribeRateLimit: { max: 3, timeWindowMs: 60_000 } } });
    try {
      const codes = [];
      for (let i = 0; i < 5; i++)
        codes.push(
          (await server.inject({ method: 'POST', url: '/subscribe', remoteAddress: '203.0.113.9', ...urlencoded([['email', `r${i}@example.org`]]) }))
            .statusCode,
        );
      expect(codes).toEqual([200, 200, 200, 429, 429]);
      expect(
        (await server.inject({ method: 'POST', url: '/subscribe', remoteAddress: '203.0.113.10', ...urlencoded([['email', 'other@example.org']]) })).statusCode,
      ).toBe(200);
      await server.settled();
    } finally {
      await server.close();
    }
  });

  it('`papers search --json` gives the same ranked results from the CLI', async () => {
    const dir = tempDir();
    const env = { DATA_DIR: dir, PAPERBOY_CONFIG: `${dir}/none.json`, REDIS_URL: 'redis://127.0.0.1:1' };
    const add = await testApp({ databaseUrl: `sqlite:${dir}/paperboy.db` });
    await seedEdition(add, '2026-11-26', [
      { id: '2611.30001', title: 'Graph Neural Networks for Chemistry' },
      { id: '2611.30002', title: 'Molecules', abstract: 'Graph methods for molecules.' },
    ]);
    await add.close();
    const r = await runCli(['--defaults', 'papers', 'search', 'graph', '--json'], {
      env: { ...env, PAPERBOY_CONFIG: undefined, DATABASE_URL: `sqlite:${dir}/paperboy.db` },
      cwd: dir,
    });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.total).toBe(2);
    expect(out.papers.map((p: { id: string }) => p.id)).toEqual(['2611.30001', '2611.30002']);
    const bad = await runCli(['--defaults', 'papers', 'search', 'graph', '--from', 'soon'], {
      env: { ...env, PAPERBOY_CONFIG: undefined, DATABASE_URL: `sqlite:${dir}/paperboy.db` },
      cwd: dir,
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--from "soon" is not a date/);
  });
});
