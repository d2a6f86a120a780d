import { existsSync, mkdtempSync, symlinkSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { checkEvictionPolicy, connectProbe, redisOptions } from '../../src/queues/redisClient.ts';
import { startPrivateRedis } from '../../src/queues/privateRedis.ts';
import { findOnPath } from '../../src/lib/process.ts';
import { TimeoutError } from '../../src/lib/timeout.ts';
import { redisUrl, runCli, tempDir } from '../harness/index.ts';

describe('the private redis-server', () => {
  it('starts on loopback with AOF under $DATA_DIR/redis, is shared by a second process, and stops', async () => {
    const dataDir = tempDir();
    const first = await startPrivateRedis(dataDir);
    expect(first.owned).toBe(true);
    expect(first.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    const second = await startPrivateRedis(dataDir);
    expect(second).toMatchObject({ url: first.url, owned: false });
    const client = new Redis(redisOptions(first.url));
    expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    expect(await client.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    expect(((await client.config('GET', 'dir')) as string[])[1]).toBe(path.join(dataDir, 'redis'));
    client.disconnect();
    expect(await checkEvictionPolicy(first)).toBeUndefined();
    await second.stop();
    await first.stop();
    expect(existsSync(path.join(dataDir, 'redis', 'paperboy-redis.json'))).toBe(false);
  });

  it('is what the CLI uses when REDIS_URL is unset, and it is stopped when the command ends', async () => {
    const dataDir = tempDir();
    const r = await runCli(['doctor'], { env: { DATA_DIR: dataDir, REDIS_URL: undefined, DATABASE_URL: undefined } });
    expect(r.stdout).toMatch(/ok\s+redis: private redis-server/);
    expect(existsSync(path.join(dataDir, 'redis', 'appendonlydir'))).toBe(true);
    expect(existsSync(path.join(dataDir, 'redis', 'paperboy-redis.json'))).toBe(false);
  });

  it('says how to install redis-server or set REDIS_URL when redis-server is missing', async () => {
    // a PATH with node but without redis-server
    const bin = mkdtempSync(path.join(os.tmpdir(), 'pb-path-'));
    symlinkSync(process.execPath, path.join(bin, 'node'));
    expect(findOnPath('redis-server')).toBeDefined();
    const r = await runCli(['edition', 'show'], { env: { PATH: bin, DATA_DIR: tempDir(), REDIS_URL: undefined } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/redis-server was not found on PATH/);
    expect(r.stderr).toMatch(/apt-get install redis-server/);
    expect(r.stderr).toMatch(/REDIS_URL/);
  });

  it('names the fix when REDIS_URL points at nothing', async () => {
    const r = await runCli(['edition', 'show'], { env: { DATA_DIR: tempDir(), REDIS_URL: 'redis://127.0.0.1:1' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
  });

  it('gives up on a server that accepts the connection and never answers with a TimeoutError naming it (no password) and the limit', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const err = await connectProbe(`redis://:hunter2@127.0.0.1:${port}`, { timeoutMs: 300 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TimeoutError);
      expect((err as Error).message).toBe(`Redis at redis://:***@127.0.0.1:${port} did not answer within 300 ms`);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  it('warns when Redis may evict queued jobs', async () => {
    const client = new Redis(redisOptions(redisUrl()));
    await client.config('SET', 'maxmemory-policy', 'allkeys-lru');
    try {
      expect(await checkEvictionPolicy({ url: redisUrl() })).toMatch(/maxmemory-policy=allkeys-lru.*noeviction/);
    } finally {
      await client.config('SET', 'maxmemory-policy', 'noeviction');
      client.disconnect();
    }
  });
});

describe('a private redis-server shared by several processes', () => {
  it('keeps running while another client uses it, and the last one to leave stops it', async () => {
    const dataDir = tempDir();
    const owner = await startPrivateRedis(dataDir);
    const sharer = await startPrivateRedis(dataDir);
    const worker = new Redis(redisOptions(sharer.url));
    await worker.ping();
    await owner.stop();
    // the owner left first: the worker's Redis is still there
    expect(await worker.ping()).toBe('PONG');
    worker.disconnect();
    await sharer.stop();
    expect(existsSync(path.join(dataDir, 'redis', 'paperboy-redis.json'))).toBe(false);
    const probe = new Redis({ ...redisOptions(sharer.url), lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    probe.on('error', () => {});
    await expect(probe.connect()).rejects.toThrow();
    probe.disconnect();
  });
});
