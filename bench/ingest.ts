/**
 * `npm run bench -- ingest`: ingest, rank and edition timings. Each figure is the median of
 * several runs on a fresh SQLite database.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../src/config/load.ts';
import { Store } from '../src/db/store.ts';
import { parseFeed } from '../src/ingest/formats/index.ts';
import { storeObservations } from '../src/ingest/storeObservations.ts';
import { ingestSource } from '../src/ingest/processor.ts';
import { Ranker } from '../src/rank/ranker.ts';
import { EditionBuilder } from '../src/rank/editionBuilder.ts';
import { TopicClassifier } from '../src/rank/topics.ts';
import { scorePaper } from '../src/rank/score.ts';
import { cutoffOf } from '../src/domain/time.ts';
import { createLogger } from '../src/lib/log.ts';
import type { StageContext } from '../src/app.ts';
import type { Queues } from '../src/queues/index.ts';
import { arxivFeed } from './feeds.ts';
import { machineLines, measure as measureInto, root, RUNS, timingTable, writeSection, type Row } from './lib.ts';

const config = parseConfig(JSON.parse(readFileSync(path.join(root, 'paperboy.config.json'), 'utf8')), 'paperboy.config.json');
const N = 5000;

async function freshStore(): Promise<{ store: Store; dir: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pb-bench-'));
  return { store: await Store.open(`sqlite:${path.join(dir, 'bench.db')}`), dir };
}

/** Queues that only count: the benchmarks measure our code, not Redis. */
const countingQueues = { addPapers: async () => {} } as unknown as Queues;

const rows: Row[] = [];
const measure = (what: string, runs: number, fn: () => Promise<number | void>, goal?: number, note?: string) => measureInto(rows, what, runs, fn, goal, note);

const feed = arxivFeed(N);
const observedAt = '2026-11-26T06:00:00.000Z';

await measure(
  `ingest: parse + normalize + store a ${N}-item arXiv RSS feed (${(feed.length / 1e6).toFixed(1)} MB), fresh database`,
  RUNS,
  async () => {
    const { store, dir } = await freshStore();
    const t0 = performance.now();
    const parsed = parseFeed(feed, { source: 'bench', kind: 'arxiv-rss', observedAt });
    const out = await storeObservations(store, parsed.observations, observedAt);
    const t = performance.now() - t0;
    if (out.counts.new !== N) throw new Error(`expected ${N} new papers, got ${JSON.stringify(out.counts)}`);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    return t;
  },
  1000,
);

{
  const { store, dir } = await freshStore();
  const parsed = parseFeed(feed, { source: 'bench', kind: 'arxiv-rss', observedAt });
  await storeObservations(store, parsed.observations, observedAt);
  await measure(`ingest: the same ${N}-item feed again when the server ignores the validators (parse, merge, nothing written)`, RUNS, async () => {
    const t0 = performance.now();
    const p = parseFeed(feed, { source: 'bench', kind: 'arxiv-rss', observedAt: '2026-11-26T07:00:00.000Z' });
    const out = await storeObservations(store, p.observations, '2026-11-26T07:00:00.000Z');
    if (out.counts.unchanged !== N) throw new Error(`expected ${N} unchanged, got ${JSON.stringify(out.counts)}`);
    return performance.now() - t0;
  });

  // an unchanged re-fetch answered 304: a conditional GET over loopback and one state update
  const server = http.createServer((req, res) => {
    if (req.headers['if-none-match'] === '"v1"') res.writeHead(304).end();
    else res.writeHead(200, { etag: '"v1"', 'content-type': 'application/rss+xml' }).end(feed);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/feed.xml`;
  const ctx = { store, config, queues: countingQueues, log: createLogger({}, { level: 'error' }) } as unknown as StageContext;
  const source = { name: 'bench-http', kind: 'arxiv-rss' as const, url, allowLocal: true };
  await ingestSource(ctx, source);
  await measure(`ingest: unchanged re-fetch of the ${N}-item feed answered 304 (conditional GET, no parse)`, RUNS * 4, async () => {
    const t0 = performance.now();
    const r = await ingestSource(ctx, source);
    if (r.status !== 'not-modified') throw new Error(`expected not-modified, got ${r.status}`);
    return performance.now() - t0;
  });
  server.close();

  const ranker = new Ranker(store, config);
  const ids = parsed.observations.map((o) => o.keys.arxivId!);
  await measure(
    `rank: topics + score + edition day for ${N} stored papers, read and written in batches of 100 as the rank worker gathers them`,
    RUNS,
    async () => {
      const t0 = performance.now();
      for (let i = 0; i < ids.length; i += 100) await ranker.rankMany(ids.slice(i, i + 100), new Date(observedAt));
      return performance.now() - t0;
    },
    1000,
  );
  await measure(`rank: the same, one paper per call (no batching), for comparison`, 3, async () => {
    const t0 = performance.now();
    for (const id of ids) await ranker.rank(id, new Date(observedAt));
    return performance.now() - t0;
  });

  const classifier = TopicClassifier.fromConfig(config);
  const papers = await store.papers.forEditionDate('2026-11-26');
  const reference = cutoffOf('2026-11-26', config.edition);
  await measure(`rank: classify + score ${papers.length} papers in memory (the compute alone)`, RUNS, async () => {
    const t0 = performance.now();
    for (const p of papers) {
      classifier.classify(p);
      scorePaper(p, config.rank.weights, reference);
    }
    return performance.now() - t0;
  });

  const builder = new EditionBuilder(store, config);
  await measure(`edition: build (group, rank, top N) from ${papers.length} ranked papers`, RUNS, async () => {
    const t0 = performance.now();
    builder.compose('daily', '2026-11-26', await builder.dailyPapers('2026-11-26'));
    return performance.now() - t0;
  });
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}

writeSection(
  'ingest',
  [
    '## Ingest, rank, edition (`npm run bench -- ingest`)',
    '',
    ...machineLines(),
    '- each figure is the median of the runs listed (`BENCH_RUNS=n` for more runs)',
    '',
    ...timingTable(rows),
    '',
    'Notes:',
    "- The feed is the demo arXiv feed's 16 items repeated under 5,000 fresh ids (about 2 KB per item, longer than a real arXiv item, so the figures err on the slow side).",
    '- "store" is one alias lookup, one paper lookup and one transaction for the whole feed; a 304 re-fetch costs a request and one state update.',
    "- The rank worker takes one BullMQ job per paper but ranks the papers of concurrent jobs together (RankBatcher, up to 100 at a time); the queue's own Redis round trips are not included.",
  ].join('\n'),
);
