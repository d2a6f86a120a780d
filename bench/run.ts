/**
 * `npm run bench`: the timing goals of the issues, measured on this machine and written to
 * docs/benchmarks.md. Each figure is the median of several runs on a fresh SQLite database.
 */
import { execSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../src/config/load.ts';
import { Store } from '../src/db/store.ts';
import { parseFeed } from '../src/ingest/formats/index.ts';
import { storeObservations } from '../src/ingest/storeObservations.ts';
import { ingestSource } from '../src/ingest/processor.ts';
import { Ranker } from '../src/rank/ranker.ts';
import { EditionBuilder } from '../src/rank/edition.ts';
import { TopicClassifier } from '../src/rank/topics.ts';
import { scorePaper } from '../src/rank/score.ts';
import { cutoffOf } from '../src/rank/calendar.ts';
import { createLogger } from '../src/log.ts';
import type { StageContext } from '../src/app.ts';
import type { Queues } from '../src/queues/index.ts';
import { arxivFeed } from './feeds.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const config = parseConfig(JSON.parse(readFileSync(path.join(root, 'paperboy.config.json'), 'utf8')), 'paperboy.config.json');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const N = 5000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function freshStore(): Promise<{ store: Store; dir: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pb-bench-'));
  return { store: await Store.open(`sqlite:${path.join(dir, 'bench.db')}`), dir };
}

/** Queues that only count: the benchmarks measure our code, not Redis. */
const countingQueues = { addPapers: async () => {} } as unknown as Queues;

interface Row {
  what: string;
  median: number;
  runs: number[];
  goal?: number;
  note?: string;
}
const rows: Row[] = [];

async function measure(what: string, runs: number, fn: () => Promise<number | void>, goal?: number, note?: string): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = await fn();
    if (typeof t === 'number') times.push(t);
  }
  const row = { what, median: median(times), runs: times, goal, note };
  rows.push(row);
  process.stderr.write(`${what}: median ${row.median.toFixed(1)} ms over ${times.length} runs${goal ? ` (goal ≤ ${goal} ms)` : ''}\n`);
}

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
  await measure(`rank: topics + score + edition day for ${N} stored papers, read and written in batches of 100 as the rank worker gathers them`, RUNS, async () => {
    const t0 = performance.now();
    for (let i = 0; i < ids.length; i += 100) await ranker.rankMany(ids.slice(i, i + 100), new Date(observedAt));
    return performance.now() - t0;
  }, 1000);
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

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
let commit = '';
try {
  commit = execSync('git rev-parse --short HEAD', { cwd: root, encoding: 'utf8' }).trim();
} catch {
  commit = 'unknown';
}
const lines = [
  '# Benchmarks',
  '',
  'Written by `npm run bench` (bench/run.ts). Timing goals live here, never in the tests.',
  '',
  `- machine: ${os.cpus().length} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}`,
  `- Node.js ${process.version}, SQLite (better-sqlite3), commit ${commit}, ${new Date().toISOString().slice(0, 10)}`,
  '- command: `npm run bench` (`BENCH_RUNS=n` for more runs); each figure is the median of the runs listed',
  '',
  '| measurement | median | goal | runs (ms) |',
  '|---|---:|---:|---|',
  ...rows.map((r) => `| ${r.what} | ${r.median.toFixed(1)} ms | ${r.goal ? `≤ ${r.goal} ms ${r.median <= r.goal ? '✓' : '✗'}` : ''} | ${r.runs.map((x) => x.toFixed(0)).join(', ')} |`),
  '',
  'Notes:',
  '- The feed is the demo arXiv feed\'s 16 items repeated under 5,000 fresh ids (about 2 KB per item, longer than a real arXiv item, so the figures err on the slow side).',
  '- "store" is one alias lookup, one paper lookup and one transaction for the whole feed; a 304 re-fetch costs a request and one state update.',
  '- The rank worker takes one BullMQ job per paper but ranks the papers of concurrent jobs together (RankBatcher, up to 100 at a time); the queue\'s own Redis round trips are not included.',
  '',
];
writeFileSync(path.join(root, 'docs', 'benchmarks.md'), lines.join('\n'));
process.stderr.write(`written to docs/benchmarks.md\n`);
