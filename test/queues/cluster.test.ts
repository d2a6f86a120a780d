/**
 * paperboy on a real Redis Cluster (three masters on loopback): an edition ingested, built
 * and sent through the outbox, with a queue prefix that lacks a hash tag (paperboy wraps it in
 * one) and with one that has it; the send rate limiter's script on the cluster; and a cluster
 * that cannot serve every slot named at boot.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootApp } from '../../src/app.ts';
import { QUEUE } from '../../src/queues/index.ts';
import { checkEvictionPolicy, clusterPrefix, redisClient } from '../../src/queues/redisClient.ts';
import { SendRateLimiter } from '../../src/send/rateLimiter.ts';
import { buildServer } from '../../src/web/server.ts';
import { repoRoot, runCli, tempDir } from '../harness/index.ts';
import { startRedisCluster, type Server } from '../harness/servers.ts';

const DATE = '2026-11-26';

/** Every key on every master of the cluster. */
async function clusterKeys(url: string): Promise<string[]> {
  const client = redisClient({ url, cluster: true }, 'queue') as Cluster;
  try {
    await client.connect();
    const perNode = await Promise.all(client.nodes('master').map((node) => node.keys('*')));
    return perNode.flat();
  } finally {
    client.disconnect();
  }
}

function setUp(redisUrl: string, prefix: string): { env: Record<string, string>; outbox: string } {
  const dir = tempDir('pb-cluster-');
  const configPath = path.join(dir, 'paperboy.config.json');
  const config = JSON.parse(readFileSync(path.join(repoRoot, 'paperboy.config.json'), 'utf8'));
  writeFileSync(configPath, JSON.stringify({ ...config, sources: [] }));
  const env = {
    DATA_DIR: dir,
    DATABASE_URL: `sqlite:${path.join(dir, 'paperboy.db')}`,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: prefix,
    PAPERBOY_CONFIG: configPath,
    SECRET_KEY: 'cluster-secret-0123456789abcdef',
  };
  return { env, outbox: path.join(dir, 'outbox', DATE) };
}

async function cli(args: string[], env: Record<string, string>) {
  const r = await runCli(args, { env, timeoutMs: 180_000 });
  expect(r.code, `paperboy ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
}

describe('on a Redis Cluster', () => {
  let cluster: Server & { ports: number[] };

  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 60_000);
  afterAll(async () => cluster?.stop());

  it('ingests, builds and sends an edition through the outbox with a prefix that has no hash tag, which it wraps in one', async () => {
    const { env, outbox } = setUp(cluster.url, 'pbcluster');
    await cli(['subscribers', 'add', 'ada@example.org', '--confirmed'], env);
    await cli(['subscribers', 'add', 'grace@example.org', '--confirmed', '--topics', 'language-models'], env);
    await cli(['ingest', '--source', path.join(repoRoot, 'demo', 'feeds', 'arxiv-cs.xml')], env);
    await cli(['edition', 'build', '--date', DATE], env);
    const sent = await cli(['edition', 'send', '--date', DATE, '--wait'], env);
    expect(sent.stdout).toMatch(new RegExp(`edition ${DATE}: 2 sent .*0 failed`));
    expect(existsSync(outbox) ? readdirSync(outbox).filter((f) => f.endsWith('.eml')) : []).toHaveLength(2);

    const keys = await clusterKeys(cluster.url);
    const ours = keys.filter((k) => k.includes('pbcluster'));
    expect(ours.some((k) => k.startsWith('{pbcluster}:send:'))).toBe(true);
    expect(ours.filter((k) => !k.startsWith('{pbcluster}:'))).toEqual([]);

    const status = await cli(['status'], env);
    expect(status.stdout).toMatch(/redis: redis:\/\/127\.0\.0\.1:\d+ \(Redis Cluster\)/);
  }, 600_000);

  it('keeps a prefix that already has a hash tag as it is', async () => {
    const { env } = setUp(cluster.url, 'pb{tagged}');
    await cli(['ingest', '--source', path.join(repoRoot, 'demo', 'feeds', 'hf-daily.json')], env);
    const ours = (await clusterKeys(cluster.url)).filter((k) => k.includes('tagged'));
    expect(ours.some((k) => k.startsWith('pb{tagged}:ingest:'))).toBe(true);
    expect(ours.filter((k) => !k.startsWith('pb{tagged}:'))).toEqual([]);
  }, 300_000);

  it('serves the web pages: ready, and POST /subscribe rate-limited through the cluster', async () => {
    const { env } = setUp(cluster.url, 'pbweb');
    const app = await bootApp({ env: { ...env, PUBLIC_URL: 'https://papers.example.org', MAIL_FROM: 'Daily Papers <papers@example.org>' }, cwd: env.DATA_DIR });
    const server = await buildServer(app, { subscribeRateLimit: { max: 2, timeWindowMs: 60_000 } });
    try {
      const ready = await server.inject({ url: '/readyz' });
      expect(ready.json()).toMatchObject({ status: 'ready', checks: { redis: 'ok' } });
      const codes = [];
      for (let i = 0; i < 3; i++) {
        codes.push(
          (
            await server.inject({
              method: 'POST',
              url: '/subscribe',
              remoteAddress: '203.0.113.9',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              payload: `email=r${i}%40example.org`,
            })
          ).statusCode,
        );
      }
      expect(codes).toEqual([200, 200, 429]);
      await server.settled();
      // each accepted request queued its confirmation mail
      expect(await app.queues.openJobs(QUEUE.mail)).toBe(2);
    } finally {
      await server.close();
      await app.close();
    }
    expect((await clusterKeys(cluster.url)).some((k) => k.startsWith('{pbweb}:web-rate:'))).toBe(true);
  });

  it('doctor checks the eviction policy of every node, naming the one that evicts', async () => {
    const { env } = setUp(cluster.url, 'pbdoctor');
    // not the node REDIS_URL names: the queues' slot may live on any of them
    const other = cluster.ports[2]!;
    const admin = redisClient({ url: `redis://127.0.0.1:${other}` }, 'queue');
    try {
      await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
      const r = await runCli(['doctor'], { env, timeoutMs: 120_000 });
      expect(r.code, r.stdout).toBe(1);
      // what every command warns at start
      expect(await checkEvictionPolicy({ url: cluster.url, cluster: true })).toMatch(
        new RegExp(`maxmemory-policy=allkeys-lru on 127\\.0\\.0\\.1:${other}: .* of every node`),
      );
      expect(r.stdout).toMatch(new RegExp(`^FAIL\\s+redis maxmemory-policy: allkeys-lru on 127\\.0\\.0\\.1:${other}: .*noeviction.* of every node$`, 'm'));
    } finally {
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
      admin.disconnect();
    }
    const healthy = await runCli(['doctor'], { env, timeoutMs: 120_000 });
    expect(healthy.stdout).toMatch(/^ok\s+redis: redis:\/\/127\.0\.0\.1:\d+ \(Redis Cluster\), Redis /m);
    expect(healthy.stdout).toMatch(/^ok\s+redis maxmemory-policy: noeviction on all 3 nodes$/m);
  }, 300_000);

  it('runs the send rate limiter script, whose two keys share the prefix slot', async () => {
    const limiter = new SendRateLimiter({ url: cluster.url, cluster: true }, clusterPrefix('pbrate'), 100, 10);
    try {
      expect(await limiter.acquire()).toMatchObject({ ok: true });
      const second = await limiter.acquire();
      expect(second).toMatchObject({ ok: true });
      await limiter.refund(second);
      expect(await limiter.usedLast24Hours()).toBe(1);
    } finally {
      await limiter.close();
    }
  });
});

describe('a Redis Cluster that cannot serve every slot', () => {
  let nodes: Server;
  beforeAll(async () => {
    nodes = await startRedisCluster(1, { create: false });
  }, 60_000);
  afterAll(async () => nodes?.stop());

  it('is named at boot with the command that checks it', async () => {
    const { env } = setUp(nodes.url, 'pbfail');
    const r = await runCli(['status'], { env, timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cluster_state:fail/);
    expect(r.stderr).toMatch(/redis-cli --cluster check 127\.0\.0\.1:\d+/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('clusterPrefix', () => {
  it('wraps a prefix without a usable hash tag, and keeps one that has it', () => {
    expect(clusterPrefix('paperboy')).toBe('{paperboy}');
    expect(clusterPrefix('{paperboy}')).toBe('{paperboy}');
    expect(clusterPrefix('app:{paperboy}:x')).toBe('app:{paperboy}:x');
    // an empty tag or an unclosed brace hashes the whole key in Redis
    expect(clusterPrefix('a{}b')).toBe('{a{}b}');
    expect(clusterPrefix('a{b')).toBe('{a{b}');
  });
});
