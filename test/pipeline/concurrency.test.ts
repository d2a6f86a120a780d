/** `workers.concurrency` in the config decides how many jobs of a stage one worker process runs at once. */
import http from 'node:http';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { ingestSources } from '../../src/cli/operations.ts';
import { startStages } from '../../src/workers/index.ts';
import { repoRoot, testApp, until } from '../harness/index.ts';

const feed = readFileSync(path.join(repoRoot, 'demo', 'feeds', 'lab-blog.atom'));

/** A feed server that holds every request until released, counting those held at once. */
async function holdingFeedServer() {
  const held: http.ServerResponse[] = [];
  let mostAtOnce = 0;
  let released = false;
  const answer = (res: http.ServerResponse) => res.writeHead(200, { 'content-type': 'application/atom+xml' }).end(feed);
  const server = http.createServer((_req, res) => {
    if (released) return answer(res);
    held.push(res);
    mostAtOnce = Math.max(mostAtOnce, held.length);
    // a fetch that gave up is no longer in flight
    res.on('close', () => held.includes(res) && held.splice(held.indexOf(res), 1));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    held: () => held.length,
    mostAtOnce: () => mostAtOnce,
    release() {
      released = true;
      held.splice(0).forEach(answer);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const servers: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

describe('workers.concurrency', () => {
  it('defaults to ingest 4, rank 100, render 1, send 2, mail 4', () => {
    expect(parseConfig({}, 'test').workers.concurrency).toEqual({ ingest: 4, rank: 100, render: 1, send: 2, mail: 4 });
  });

  it('refuses a concurrency for the arXiv API queue: its terms allow one request at a time', () => {
    expect(() => parseConfig({ workers: { concurrency: { arxivApi: 4 } } }, 'test')).toThrow(/arxivApi/);
  });

  it('an ingest worker configured for 6 fetches six sources at once (the default would fetch four)', async () => {
    const feeds = await holdingFeedServer();
    servers.push(feeds);
    const sources = Array.from({ length: 6 }, (_, i) => ({ name: `blog-${i}`, kind: 'rss', url: `${feeds.base}/feed-${i}.atom`, allowLocal: true }));
    const app = await testApp({ config: { sources, workers: { concurrency: { ingest: 6 } }, fetch: { connectTimeoutMs: 60_000 } } });
    const workers = await startStages(app, ['ingest']);
    try {
      const reports = ingestSources(app, app.config.sources);
      await until('six fetches held at once', () => feeds.held() === 6, { timeoutMs: 30_000 });
      feeds.release();
      expect((await reports).map((r) => r.status)).toEqual(Array(6).fill('ok'));
      expect(feeds.mostAtOnce()).toBe(6);
    } finally {
      feeds.release();
      await workers.close();
    }
  }, 120_000);
});
