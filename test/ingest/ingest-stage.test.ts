/** The ingest stage against a loopback server: conditional fetches, the queue, per-source state. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ingestSource } from '../../src/ingest/processor.ts';
import { connection, QUEUE } from '../../src/queues/index.ts';
import { QueueEvents } from 'bullmq';
import { startIngestWorkers, syncSourceSchedulers } from '../../src/workers/ingest.ts';
import { redisUrl, repoRoot, runCli, serveRoutes, shippedConfig, tempDir, testApp } from '../harness/index.ts';

const arxivXml = readFileSync(path.join(repoRoot, 'demo', 'feeds', 'arxiv-cs.xml'));

describe('ingest stage', () => {
  it('queues each new paper once under its id, and nothing when the feed is read again', async () => {
    let etag = '"v1"';
    const server = await serveRoutes({
      '/arxiv.xml': (req) =>
        req.headers['if-none-match'] === etag ? { status: 304, body: '' } : { headers: { etag, 'content-type': 'application/rss+xml' }, body: arxivXml },
    });
    const app = await testApp();
    const source = { name: 'arxiv', kind: 'arxiv-rss' as const, url: `${server.url}/arxiv.xml`, allowLocal: true };
    const first = await ingestSource(app, source);
    expect(first).toMatchObject({ status: 'ok', counts: { new: 16, updated: 0, unchanged: 0 } });
    const papers = app.queues.get(QUEUE.papers);
    expect(await papers.count()).toBe(16);
    expect((await papers.getJob('paper-2611.12065'))?.data).toEqual({ paperId: '2611.12065' });

    const notModified = await ingestSource(app, source);
    expect(notModified.status).toBe('not-modified');
    // the server forgets its validators: the body is read again, and nothing has changed
    etag = '"v2"';
    const again = await ingestSource(app, source);
    expect(again).toMatchObject({ status: 'ok', counts: { new: 0, updated: 0, unchanged: 16 } });
    expect(await papers.count()).toBe(16);
    const state = await app.store.sources.get('arxiv');
    expect(state).toMatchObject({ etag: '"v2"', papersTotal: 16 });
    expect(state?.lastError).toBeUndefined();
  });

  it('reads a feed whose server and XML declaration both claim iso-8859-1 but send UTF-8, gzipped', async () => {
    const { gzipSync } = await import('node:zlib');
    const bytes = readFileSync(path.join(repoRoot, 'test', 'fixtures', 'feeds', 'rss2-iso8859-declared-utf8.xml'));
    const server = await serveRoutes({
      '/feed': { headers: { 'content-type': 'application/rss+xml; charset=iso-8859-1', 'content-encoding': 'gzip' }, body: gzipSync(bytes) },
    });
    const app = await testApp();
    const report = await ingestSource(app, { name: 'carnet', kind: 'rss', url: `${server.url}/feed`, allowLocal: true });
    expect(report).toMatchObject({ status: 'ok', counts: { new: 2 } });
    const titles = (await app.store.papers.list()).map((p) => p.title).sort();
    expect(titles).toEqual(['Café scientifique : l’apprentissage auto-supervisé', 'Über die Stabilität von Adam']);
    // the mismatch is reported with the source, the good items kept
    expect(report.problems.join(' ')).toMatch(/UTF-8/);
  });

  it('reports a source that serves an HTML page, by name and cause, and keeps its state', async () => {
    const server = await serveRoutes({
      '/feed': {
        headers: { 'content-type': 'text/html' },
        body: '<!doctype html><html><head><title>Login required</title></head><body>Please log in</body></html>',
      },
    });
    const app = await testApp();
    const report = await ingestSource(app, { name: 'blog', kind: 'rss', url: `${server.url}/feed`, allowLocal: true });
    expect(report.status).toBe('error');
    expect(report.error).toMatch(/HTML page/);
    expect((await app.store.sources.get('blog'))?.lastError).toMatch(/HTML page/);
  });

  it('refuses a loopback feed unless the source is marked allowLocal', async () => {
    const server = await serveRoutes({ '/arxiv.xml': { body: arxivXml } });
    const app = await testApp();
    const report = await ingestSource(app, { name: 'sneaky', kind: 'rss', url: `${server.url}/arxiv.xml`, allowLocal: false });
    expect(report.status).toBe('error');
    expect(report.error).toMatch(/allowLocal/);
    expect(server.hits.get('/arxiv.xml')).toBeUndefined();
  });

  it('keeps one job scheduler per enabled source, arXiv API sources on the rate-limited queue', async () => {
    const app = await testApp({
      config: {
        edition: { timezone: 'Europe/Berlin' },
        sources: [
          { name: 'a', kind: 'arxiv-rss', url: 'https://rss.arxiv.org/rss/cs.LG', schedule: '15 1 * * 1-5' },
          { name: 'b', kind: 'arxiv-api', url: 'https://export.arxiv.org/api/query?search_query=cat:cs.LG' },
          { name: 'c', kind: 'rss', url: 'https://example.org/feed', enabled: false },
        ],
      },
    });
    await syncSourceSchedulers(app);
    const general = await app.queues.get(QUEUE.ingest).getJobSchedulers();
    const limited = await app.queues.get(QUEUE.ingestArxivApi).getJobSchedulers();
    expect(general.map((s) => [s.key, s.pattern, s.tz])).toEqual([['source-a', '15 1 * * 1-5', 'Europe/Berlin']]);
    expect(limited.map((s) => s.key)).toEqual(['source-b']);
    // a source removed from the config loses its scheduler
    const smaller = await testApp({ config: { sources: [] }, env: { QUEUE_PREFIX: app.env.queuePrefix } });
    await syncSourceSchedulers(smaller);
    expect(await app.queues.get(QUEUE.ingest).getJobSchedulers()).toEqual([]);
  });
});

describe('the arXiv API limiter', () => {
  it('spaces requests to arXiv API sources at least 3 s apart, across workers', async () => {
    const body = readFileSync(path.join(repoRoot, 'test', 'fixtures', 'feeds', 'arxiv-api-2026-search.xml'));
    const times: number[] = [];
    const server = await serveRoutes({
      '/api/a': () => (times.push(Date.now()), { headers: { 'content-type': 'application/atom+xml' }, body }),
      '/api/b': () => (times.push(Date.now()), { headers: { 'content-type': 'application/atom+xml' }, body }),
    });
    const sources = ['a', 'b'].map((n) => ({ name: `api-${n}`, kind: 'arxiv-api', url: `${server.url}/api/${n}`, allowLocal: true }));
    // two apps (two machines' workers) on one Redis and one queue prefix
    const first = await testApp({ config: { sources } });
    const second = await testApp({ config: { sources }, env: { QUEUE_PREFIX: first.env.queuePrefix, DATABASE_URL: first.env.databaseUrl } });
    const workers = [startIngestWorkers(first), startIngestWorkers(second)];
    try {
      const queue = first.queues.get(QUEUE.ingestArxivApi);
      const jobs = await Promise.all(sources.map((s) => queue.add('ingest', { source: s.name }, { attempts: 1 })));
      const events = new QueueEvents(QUEUE.ingestArxivApi, { connection: connection(first.queues.settings), prefix: first.queues.settings.prefix });
      await Promise.all(jobs.map((j) => j.waitUntilFinished(events, 30_000)));
      await events.close();
      expect(times).toHaveLength(2);
      expect(Math.abs(times[1]! - times[0]!)).toBeGreaterThanOrEqual(2_900);
    } finally {
      await Promise.all(workers.map((w) => w.close()));
    }
  }, 30_000);
});

describe('paperboy ingest and sources', () => {
  it('recognises a file or URL by its content, reports per source, and records the state', async () => {
    const dir = tempDir();
    const server = await serveRoutes({
      '/papers': { headers: { 'content-type': 'application/octet-stream' }, body: readFileSync(path.join(repoRoot, 'demo', 'feeds', 'hf-daily.json')) },
    });
    const configPath = path.join(dir, 'paperboy.config.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      configPath,
      JSON.stringify({ ...shippedConfig(), sources: [{ name: 'down', kind: 'rss', url: 'http://127.0.0.1:1/feed', allowLocal: true }] }),
    );
    const env = { DATA_DIR: dir, REDIS_URL: redisUrl(), QUEUE_PREFIX: `cli-ingest-${Date.now()}`, PAPERBOY_CONFIG: configPath };

    const file = await runCli(['ingest', '--source', path.join(repoRoot, 'demo', 'feeds', 'arxiv-cs.xml')], { env });
    expect(file.code, file.stderr).toBe(0);
    expect(file.stdout).toMatch(/^file-arxiv-cs\.xml: 16 new, 0 updated, 0 unchanged$/m);

    // a local URL given ad hoc is refused by the SSRF guard: only configured sources may be allowLocal
    const url = await runCli(['ingest', '--source', `${server.url}/papers`], { env });
    expect(url.code).toBe(2);
    expect(url.stdout).toMatch(/url-127\.0\.0\.1-[0-9a-f]{8}: error: .*(private|loopback)/);

    const all = await runCli(['ingest'], { env });
    expect(all.code).toBe(2);
    expect(all.stdout).toMatch(/^down: error: .*127\.0\.0\.1/m);

    const sources = await runCli(['sources', '--json'], { env });
    const states = JSON.parse(sources.stdout) as { name: string; lastError?: string; lastSuccessAt?: string; papersTotal?: number }[];
    expect(states.find((s) => s.name === 'down')?.lastError).toMatch(/127\.0\.0\.1/);
    expect(states.find((s) => s.name === 'file-arxiv-cs.xml')).toMatchObject({ papersTotal: 16 });

    const list = JSON.parse((await runCli(['papers', 'list', '--json'], { env })).stdout) as { id: string; editionDate: string }[];
    expect(list).toHaveLength(16);
    // ranked before `ingest` returned
    expect(list.every((p) => /^\d{4}-\d{2}-\d{2}$/.test(p.editionDate))).toBe(true);
  });
});
