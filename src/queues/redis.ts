import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import { ensureLocalDir } from '../localDir.ts';

export class RedisUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RedisUnavailableError';
  }
}

/** ioredis options from a redis:// URL, as BullMQ needs them (no per-command retry limit). */
export function redisOptions(url: string): RedisOptions {
  const u = new URL(url);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 6379,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: Number.isFinite(db) ? db : 0,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    // BullMQ workers block on Redis; a per-request retry limit would make them throw instead of waiting
    maxRetriesPerRequest: null,
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function findOnPath(binary: string, extraDirs: string[] = []): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), ...extraDirs];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = path.join(dir, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** How long a probe may wait for Redis to accept a connection, and then for each answer. */
export const REDIS_PROBE_TIMEOUT_MS = 3_000;

/**
 * The one way to open a short-lived Redis connection (probes, checks, the lease): it fails
 * within `timeoutMs` on a server that accepts connections and never answers, and never
 * reconnects. BullMQ's long-lived connections take `redisOptions` instead: they block on
 * purpose, so no command timeout applies to them.
 */
export async function connectProbe(url: string, opts: { timeoutMs?: number; name?: string } = {}): Promise<Redis> {
  const timeoutMs = opts.timeoutMs ?? REDIS_PROBE_TIMEOUT_MS;
  const client = new Redis({
    ...redisOptions(url),
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectionName: opts.name,
  });
  client.on('error', () => {});
  try {
    await withTimeout(client.connect(), timeoutMs, 'no answer');
    return client;
  } catch (err) {
    client.disconnect();
    throw err;
  }
}

/** How long the web service's Redis client waits to connect, and then for each answer. */
export const REDIS_REQUEST_TIMEOUT_MS = 2_000;

/**
 * The long-lived Redis client of request handlers (the web service's readiness check and
 * rate limit): on a Redis that accepts connections and never answers, every command fails
 * within `timeoutMs`, so no HTTP request waits on it; unlike a probe it reconnects when
 * Redis comes back.
 */
export function requestClient(url: string, timeoutMs = REDIS_REQUEST_TIMEOUT_MS): Redis {
  const client = new Redis({ ...redisOptions(url), lazyConnect: true, connectTimeout: timeoutMs, commandTimeout: timeoutMs, maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  return client;
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Undefined when Redis answers PING; else why not. */
async function ping(url: string, timeoutMs: number): Promise<string | undefined> {
  let client: Redis | undefined;
  try {
    client = await connectProbe(url, { timeoutMs });
    return (await client.ping()) === 'PONG' ? undefined : 'no PONG';
  } catch (err) {
    return (err as Error).message;
  } finally {
    client?.disconnect();
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface RedisHandle {
  url: string;
  /** True when this process started the server. */
  owned: boolean;
  /** Idempotent: leaves the server; the last paperboy process to leave a private server stops it. */
  stop(): Promise<void>;
}

const LEASE_PREFIX = 'paperboy-lease-';

/**
 * Serialises the start and the stop of the private Redis between the processes of one
 * DATA_DIR: without it, a process that has just found the server could lose it to another
 * that was stopping it at that moment. The lock file holds its owner's pid, so a lock left
 * by a killed process is taken over.
 */
export async function withStartStopLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = path.join(dir, 'start-stop.lock');
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let holder: number;
      try {
        holder = Number(readFileSync(lock, 'utf8').trim() || '0');
      } catch (readErr) {
        // the holder released it between our attempt and this read: try again at once
        if ((readErr as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw readErr;
      }
      if (holder > 0 && !alive(holder)) {
        rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new RedisUnavailableError(`${lock} has been held for 30 s by process ${holder}: if no paperboy process is running, delete the file`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

/**
 * A connection held open for as long as this process uses the private Redis, named so that
 * others see it: Redis is stopped only when no other process holds one. A killed process's
 * lease closes with its socket.
 */
async function openLease(url: string): Promise<Redis | undefined> {
  try {
    const lease = await connectProbe(url, { timeoutMs: 1_000, name: `${LEASE_PREFIX}${process.pid}` });
    if ((await lease.ping()) === 'PONG') return lease;
    lease.disconnect();
  } catch {
    // not running: the caller starts a new one
  }
  return undefined;
}

function privateHandle(url: string, owned: boolean, dir: string, lease: Redis): RedisHandle {
  let stopping: Promise<void> | undefined;
  return { url, owned, stop: () => (stopping ??= withStartStopLock(dir, () => leave(lease, path.join(dir, 'paperboy-redis.json')))) };
}

/**
 * The private `redis-server` used when REDIS_URL is unset: loopback only, a free port, AOF
 * data under `$DATA_DIR/redis`. A second paperboy process on the same DATA_DIR finds the
 * running one (through `paperboy-redis.json`) and shares it, so a `worker`, `serve` and an
 * `edition send` on one machine see the same queues.
 */
export async function startPrivateRedis(dataDir: string): Promise<RedisHandle> {
  const dir = path.join(dataDir, 'redis');
  ensureLocalDir(dir, 'the folder of the private Redis');
  return withStartStopLock(dir, async () => {
    const stateFile = path.join(dir, 'paperboy-redis.json');
    if (existsSync(stateFile)) {
      try {
        const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { port: number; pid: number };
        const url = `redis://127.0.0.1:${state.port}`;
        const lease = alive(state.pid) ? await openLease(url) : undefined;
        if (lease) return privateHandle(url, false, dir, lease);
      } catch {
        // stale or unreadable: start a new server below
      }
    }
    const { url, port, pid } = await spawnRedis(dir);
    writeFileSync(stateFile, JSON.stringify({ port, pid }));
    const lease = await openLease(url);
    if (!lease) throw new RedisUnavailableError(`the private redis-server on ${url} stopped right after it started; see ${path.join(dir, 'redis.log')}`);
    return privateHandle(url, true, dir, lease);
  });
}

async function spawnRedis(dir: string): Promise<{ url: string; port: number; pid: number | undefined }> {
  const binary = findOnPath('redis-server', ['/usr/sbin', '/usr/local/sbin']);
  if (!binary) {
    throw new RedisUnavailableError(
      'redis-server was not found on PATH, and REDIS_URL is not set. Install Redis (Debian/Ubuntu: `sudo apt-get install redis-server`; macOS: `brew install redis`) or set REDIS_URL=redis://host:port to use a running server.',
    );
  }
  const port = await freePort();
  const child: ChildProcess = spawn(
    binary,
    [
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--dir', dir,
      '--appendonly', 'yes',
      '--appendfsync', 'everysec',
      '--save', '',
      '--maxmemory-policy', 'noeviction',
      '--logfile', path.join(dir, 'redis.log'),
      '--daemonize', 'no',
    ],
    // its own process group: a Ctrl-C in the terminal must not stop Redis under workers that
    // are still finishing their jobs; the last paperboy process to leave stops it
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new RedisUnavailableError(`the private redis-server exited at start (code ${child.exitCode}): ${stderr.trim() || `see ${path.join(dir, 'redis.log')}`}`);
    }
    if ((await ping(url, 300)) === undefined) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new RedisUnavailableError(`the private redis-server did not answer on ${url} within 10 s; see ${path.join(dir, 'redis.log')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.stderr?.destroy();
  child.unref();
  return { url, port, pid: child.pid };
}

/**
 * Leaves the private Redis: when no other paperboy process holds a lease, it is stopped
 * (SHUTDOWN flushes the AOF, so queued jobs survive until the next start).
 */
async function leave(lease: Redis, stateFile: string): Promise<void> {
  try {
    const holders = String(await lease.client('LIST'))
      .split('\n')
      .map((line) => /\bname=paperboy-lease-(\d+)\s/.exec(line)?.[1])
      .filter((pid): pid is string => pid !== undefined)
      .map(Number);
    // two handles of one process (tests) share the pid, so it is leases that are counted
    const others = holders.filter((pid) => pid !== process.pid && alive(pid)).length + holders.filter((pid) => pid === process.pid).length - 1;
    if (others > 0) {
      // QUIT, not a bare disconnect: once it is answered the server has dropped this lease,
      // so the next process to leave cannot count it and leave the server running for nobody
      await lease.quit().catch(() => lease.disconnect());
      return;
    }
    rmSync(stateFile, { force: true });
    await lease.call('SHUTDOWN').catch(() => {
      // the connection closes as the server exits: that is the answer
    });
  } catch {
    // already gone
    rmSync(stateFile, { force: true });
  }
  lease.disconnect();
}

/** Queues lose jobs if Redis evicts keys under memory pressure; only `noeviction` is safe. */
export async function checkEvictionPolicy(url: string): Promise<string | undefined> {
  let client: Redis | undefined;
  try {
    client = await connectProbe(url);
    const reply = (await client.config('GET', 'maxmemory-policy')) as string[];
    const policy = reply[1];
    if (policy && policy !== 'noeviction') {
      return `Redis at ${redactRedisUrl(url)} has maxmemory-policy=${policy}: under memory pressure it may evict queued jobs. Set "maxmemory-policy noeviction" in redis.conf.`;
    }
    return undefined;
  } catch {
    // managed Redis services often forbid CONFIG; nothing to report then
    return undefined;
  } finally {
    client?.disconnect();
  }
}

export function redactRedisUrl(url: string): string {
  return url.replace(/\/\/[^@]*@/, '//');
}

/** Fails within seconds, naming the cause, when Redis refuses, or accepts and never answers. */
export async function assertReachable(url: string): Promise<void> {
  const problem = await ping(url, REDIS_PROBE_TIMEOUT_MS);
  if (problem === undefined) return;
  const silent = /timed? ?out|no answer/i.test(problem);
  throw new RedisUnavailableError(
    silent
      ? `Redis at ${redactRedisUrl(url)} accepted the connection but did not answer within ${REDIS_PROBE_TIMEOUT_MS / 1000} s: REDIS_URL may name another service's port, or the server is stuck; correct REDIS_URL (unset it to let paperboy start a private redis-server).`
      : `cannot reach Redis at ${redactRedisUrl(url)} (${problem}): start it, or correct REDIS_URL (unset it to let paperboy start a private redis-server).`,
  );
}
