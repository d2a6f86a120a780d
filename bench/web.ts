/**
 * `npm run bench -- web`: full-text search latency over 100,000 papers (SQLite FTS5, and
 * PostgreSQL tsvector on a throw-away cluster where PostgreSQL is installed), and the rate of
 * `POST /subscribe` a server holds without an error, on loopback with the real Redis.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { bootApp } from '../src/app.ts';
import { Store } from '../src/db/store.ts';
import type { Paper } from '../src/domain/paper.ts';
import { createLogger } from '../src/lib/log.ts';
import { QUEUE } from '../src/queues/index.ts';
import { buildServer } from '../src/web/server.ts';
import { machineLines, root, writeSection } from './lib.ts';
import { startPostgres } from '../test/harness/servers.ts';

const PAPERS = Number(process.env.BENCH_PAPERS ?? 100_000);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 100);
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 10);
const CONCURRENCY = 32;

// a vocabulary with a long tail, as real titles have: common words match thousands of papers, rare ones a few
const WORDS = `language model models learning neural network networks transformer transformers attention diffusion image images video vision
reinforcement policy reward agent agents robot robotic control planning reasoning retrieval generation generative graph graphs molecular
protein chemistry physics quantum optimization gradient stochastic convex bounds theory generalization scaling laws efficient sparse
pruning quantization distillation inference serving memory long context benchmark evaluation dataset datasets alignment safety preference
feedback human instruction tuning fine multimodal speech audio text code program synthesis math proof theorem causal bayesian uncertainty
calibration robustness adversarial privacy federated continual meta contrastive representation self supervised semi unsupervised clustering
kernel gaussian process forecasting time series anomaly detection segmentation tracking pose depth 3d point cloud nerf rendering medical
clinical genomics climate weather energy finance legal education recommendation ranking search question answering dialogue translation`.split(/\s+/);

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}
const random = rng(42);
// Zipf-like: a word's chance falls with its rank
const pick = () => WORDS[Math.min(WORDS.length - 1, Math.floor(WORDS.length * random() ** 2.2))]!;
const phrase = (n: number) => Array.from({ length: n }, pick).join(' ');

function paper(i: number): Paper {
  const day = 1 + (i % 28);
  const date = `2026-10-${String(day).padStart(2, '0')}`;
  const title = phrase(6 + (i % 6));
  return {
    id: `26${String(10 + (i % 2)).padStart(2, '0')}.${String(i).padStart(5, '0')}`,
    title: title[0]!.toUpperCase() + title.slice(1),
    abstract: `${phrase(25)}. ${phrase(30)}. ${phrase(20)}.`,
    authors: [`Author ${i % 997}`, `Writer ${i % 331}`],
    categories: ['cs.LG'],
    links: { abstract: `https://arxiv.org/abs/26${i}` },
    firstSeenAt: `${date}T02:00:00.000Z`,
    updatedAt: `${date}T02:00:00.000Z`,
    sources: ['arxiv'],
    textSource: 'arxiv-rss',
    signals: {},
    contentHash: String(i),
    editionDate: date,
    primaryTopic: ['language-models', 'vision-multimodal', 'theory', 'reinforcement-learning'][i % 4],
    topics: [{ id: ['language-models', 'vision-multimodal', 'theory', 'reinforcement-learning'][i % 4]!, score: 3 }],
    score: i % 100,
  };
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function searchLatency(store: Store): Promise<{ load: number; rows: string[] }> {
  const t0 = performance.now();
  for (let i = 0; i < PAPERS; i += 2000) {
    await store.papers.saveMany(Array.from({ length: Math.min(2000, PAPERS - i) }, (_, k) => ({ paper: paper(i + k), isNew: true, newAliases: [] })));
  }
  const load = (performance.now() - t0) / 1000;
  // a reader searches for a subject: query words drawn evenly from the vocabulary (the papers'
  // text is Zipf-skewed, so some of them still match most papers)
  const query = (n: number) => Array.from({ length: n }, () => WORDS[Math.floor(random() * WORDS.length)]!).join(' ');
  const kinds: [string, (q: string, i: number) => Parameters<Store['papers']['search']>[1]][] = [
    ['one word', (q) => ({ query: q.split(' ')[0]!, limit: 20, offset: 0 })],
    ['two words', (q) => ({ query: q.split(' ').slice(0, 2).join(' '), limit: 20, offset: 0 })],
    ['three words + date range + topic', (q) => ({ query: q, from: '2026-10-05', to: '2026-10-20', topic: 'theory', limit: 20, offset: 0 })],
    ['two words, page 5', (q) => ({ query: q.split(' ').slice(0, 2).join(' '), limit: 20, offset: 80 })],
  ];
  const rows: string[] = [];
  {
    // the worst case: the most common word, in nearly every paper; FTS5 and ts_rank_cd score every match
    const times: number[] = [];
    let hits = 0;
    for (let i = 0; i < 10; i++) {
      const t = performance.now();
      hits = (await store.papers.search(store.dialect, { query: WORDS[0]!, limit: 20, offset: 0 })).total;
      times.push(performance.now() - t);
    }
    rows.push(
      `| ${store.dialect} | worst case: the most common word (10 runs) | ${percentile(times, 50).toFixed(2)} ms | ${percentile(times, 99).toFixed(2)} ms | ${hits} |`,
    );
    process.stderr.write(`search ${store.dialect} worst case: p50 ${percentile(times, 50).toFixed(2)} ms (${hits} matches)\n`);
  }
  for (const [name, make] of kinds) {
    const times: number[] = [];
    let hits = 0;
    for (let i = 0; i < QUERIES; i++) {
      const s = make(query(3), i);
      const t = performance.now();
      const r = await store.papers.search(store.dialect, s);
      times.push(performance.now() - t);
      hits += r.total;
    }
    rows.push(
      `| ${store.dialect} | ${name} | ${percentile(times, 50).toFixed(2)} ms | ${percentile(times, 99).toFixed(2)} ms | ${Math.round(hits / QUERIES)} |`,
    );
    process.stderr.write(`search ${store.dialect} ${name}: p50 ${percentile(times, 50).toFixed(2)} ms, p99 ${percentile(times, 99).toFixed(2)} ms\n`);
  }
  return { load, rows };
}

/** CONCURRENCY keep-alive clients post distinct addresses for LOAD_SECONDS; any answer but 200 is an error. */
async function subscribeLoad(): Promise<{ rate: number; requests: number; errors: number; recorded: number; queued: number; p99: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pb-bench-web-'));
  const app = await bootApp({
    env: { DATA_DIR: dir, PAPERBOY_CONFIG: path.join(root, 'paperboy.config.json'), SECRET_KEY: 'bench-secret-key-0123456789', LOG_LEVEL: 'error' },
    log: createLogger({}, { level: 'error' }),
  });
  const server = await buildServer(app, { subscribeRateLimit: { max: 1_000_000, timeWindowMs: 60_000 } });
  const address = await server.listen({ port: 0, host: '127.0.0.1' });
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const url = new URL(`${address}/subscribe`);
  let requests = 0;
  let errors = 0;
  const latencies: number[] = [];
  const post = (body: string) =>
    new Promise<number>((resolve) => {
      const req = http.request(
        {
          hostname: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', () => resolve(0));
      req.end(body);
    });
  const deadline = performance.now() + LOAD_SECONDS * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, c) => {
      for (let i = 0; performance.now() < deadline; i++) {
        const t = performance.now();
        const status = await post(`email=reader-${c}-${i}%40example.org&topics=theory&frequency=daily&timezone=Europe%2FBerlin`);
        latencies.push(performance.now() - t);
        requests++;
        if (status !== 200) errors++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  await server.settled();
  const recorded = (await app.store.subscribers.countByStatus()).pending;
  const queued = await app.queues.openJobs(QUEUE.mail);
  agent.destroy();
  await server.close();
  await app.close();
  rmSync(dir, { recursive: true, force: true });
  return { rate: requests / elapsed, requests, errors, recorded, queued, p99: percentile(latencies, 99) };
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'pb-bench-search-'));
const sqlite = await Store.open(`sqlite:${path.join(dir, 'bench.db')}`);
const searchRows: string[] = [];
const loads: string[] = [];
{
  const r = await searchLatency(sqlite);
  searchRows.push(...r.rows);
  loads.push(`SQLite: ${PAPERS.toLocaleString('en')} papers stored with their FTS5 index in ${r.load.toFixed(1)} s`);
}
await sqlite.close();
rmSync(dir, { recursive: true, force: true });
const cluster = await startPostgres().catch((err: Error) => {
  process.stderr.write(`PostgreSQL did not start, searching SQLite only: ${err.message}\n`);
  return undefined;
});
if (cluster) {
  try {
    const pg = await Store.open(cluster.url);
    const r = await searchLatency(pg);
    searchRows.push(...r.rows);
    loads.push(`PostgreSQL 15: ${PAPERS.toLocaleString('en')} papers stored with their tsvector index in ${r.load.toFixed(1)} s`);
    await pg.close();
  } finally {
    await cluster.stop();
  }
}
const load = await subscribeLoad();
process.stderr.write(`subscribe: ${load.rate.toFixed(0)} req/s, ${load.errors} errors of ${load.requests}\n`);

writeSection(
  'web',
  [
    '## Web (`npm run bench -- web`)',
    '',
    ...machineLines(),
    `- load average when the run ended: ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' / ')} (1/5/15 min) on ${os.cpus().length} cores shared with other work: figures on an idle machine are lower`,
    '',
    `Search: ${QUERIES} random queries of each kind (words drawn evenly from a ${WORDS.length}-word vocabulary; the papers' titles and abstracts draw from it Zipf-like, so a query word matches from a few hundred to nearly all papers) over ${PAPERS.toLocaleString('en')} papers, page of 20 with the count of matches (exact up to 1,000, then \"more than 1,000\"), best match first. ${loads.join('; ')}.`,
    '',
    '| database | query | p50 | p99 | papers counted (mean; the count stops past 1,000) |',
    '|---|---|---:|---:|---:|',
    ...searchRows,
    '',
    `\`POST /subscribe\` on loopback (SQLite, private redis-server, the load generator in the same process): ${CONCURRENCY} keep-alive clients posting distinct addresses for ${LOAD_SECONDS} s.`,
    '',
    '| requests/s held | requests | errors (non-200) | p99 latency | subscription requests recorded | confirmation emails queued |',
    '|---:|---:|---:|---:|---:|---:|',
    `| ${load.rate.toFixed(0)} | ${load.requests} | ${load.errors} | ${load.p99.toFixed(1)} ms | ${load.recorded} | ${load.queued} |`,
  ].join('\n'),
);
